"""``latent-resonance`` command line: one entry point, one module per subcommand.

Each module in this package exposes ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``.  Modules are imported only when their subcommand runs, so ``--help`` and
light commands stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from bridge.config import apply_config_file
from bridge.errors import BridgeError, UserError
from engine.gan.errors import CheckpointError

#: subcommand name -> module in this package
COMMANDS = {
    "face": "face",
    "synth": "synth",
    "live": "live",
    "demo": "demo",
    "dataset": "dataset",
    "scrape": "scrape",
    "sources": "sources",
    "train": "train",
    "distill": "distill",
    "average": "average",
    "reconstruct": "reconstruct",
    "invert": "invert",
    "export": "export",
    "osc-map": "osc_map",
}

PROG = "latent-resonance"
log = logging.getLogger("latent_resonance")


def _load(module: str):
    return importlib.import_module(f"bridge.cli.{module}")


def _with_default(add):
    """``add_argument`` that ends an option's help with its default, once, when it has one
    worth saying (not None, False or a flag's own) and the help does not state it already."""
    def add_argument(*args, **kwargs):
        action = add(*args, **kwargs)
        d, text = action.default, action.help
        said = d is None or isinstance(d, bool) or d is argparse.SUPPRESS or d == []
        if text and text is not argparse.SUPPRESS and not said and "default" not in text:
            action.help = f"{text} (default: %(default)s)"
        return action
    return add_argument


def _state_defaults(parser: argparse.ArgumentParser) -> None:
    """Make ``parser`` (and its argument groups) state defaults as :func:`_with_default` does."""
    parser.add_argument = _with_default(parser.add_argument)
    make_group = parser.add_argument_group

    def add_argument_group(*args, **kwargs):
        group = make_group(*args, **kwargs)
        group.add_argument = _with_default(group.add_argument)
        return group
    parser.add_argument_group = add_argument_group


def _add_common(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("logging and config")
    g.add_argument("--log-level", default="info",
                   choices=["debug", "info", "warning", "error", "debug-all"],
                   help="log verbosity (default info; debug-all also shows the libraries' own "
                        "debug lines)")
    g.add_argument("-v", "--verbose", action="store_const", const="debug", dest="log_level",
                   help="same as --log-level debug (this program's debug lines)")
    g.add_argument("-q", "--quiet", action="store_const", const="warning", dest="log_level",
                   help="same as --log-level warning")
    g.add_argument("--config", metavar="FILE.toml",
                   help="read option defaults from a TOML file (flags still win); keys are the "
                        "long option names with '-' or '_', optionally under a [section] named "
                        "after the subcommand")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with ``only`` set, just that subcommand's module is imported."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Latent Resonance bridge: face -> OSC/MIDI controls; latent vectors -> GAN "
                    "spectrograms -> sound over JACK.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers: dict[str, argparse.ArgumentParser] = {}
    for name, module in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, add_help=False)
            continue
        mod = _load(module)
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        _state_defaults(p)
        mod.add_arguments(p)
        _add_common(p)
        p.set_defaults(_module=module)
        subparsers[name] = p
    parser.set_defaults(_subparsers=subparsers)
    return parser


def setup_logging(level: str) -> None:
    """Log to stderr at ``level``; at ``debug`` only this program's loggers go below WARNING
    (PIL, matplotlib, numba ... would add hundreds of lines), ``debug-all`` opens them all."""
    everything = level == "debug-all"
    level = "debug" if everything else level
    logging.basicConfig(level=logging.DEBUG if everything else logging.WARNING,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    logging.getLogger("latent_resonance").setLevel(getattr(logging, level.upper(), logging.INFO))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    only = first if first in COMMANDS else None
    parser = build_parser(only)
    try:
        if only is not None:
            # parse twice: first to find --config, then again with its values as defaults
            sub_parser = parser.get_default("_subparsers")[only]
            pre, _ = parser.parse_known_args(argv)
            if getattr(pre, "config", None):
                apply_config_file(sub_parser, pre.config, section=only)
        args = parser.parse_args(argv)
        if not getattr(args, "command", None) or not hasattr(args, "_module"):
            parser.print_help()
            return 2
        setup_logging(args.log_level)
        return int(_load(args._module).run(args) or 0)
    except (UserError, BridgeError, CheckpointError) as exc:
        # the one place where an error a user can fix becomes one line and exit code 2
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return UserError.exit_code
    except KeyboardInterrupt:
        return 130


def _alias(command: str, argv: list[str] | None = None) -> int:
    return main([command, *(sys.argv[1:] if argv is None else argv)])


def dataset_alias() -> int:
    """``latent-resonance-dataset`` (the origin's CLI name)."""
    return _alias("dataset")


def scraper_alias() -> int:
    """``latent-resonance-scraper`` (the origin's CLI name)."""
    return _alias("scrape")


if __name__ == "__main__":
    sys.exit(main())
