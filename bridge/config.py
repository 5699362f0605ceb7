"""Option defaults from a TOML config file (flags on the command line still win)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bridge.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def load_toml(path: str | Path, what: str = "config file") -> dict:
    """Read a TOML file; a missing or malformed file is an InputError with one line that
    calls it ``what``."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(f"{what} not found: {p}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{what} {p} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {p}: {exc.strerror}") from None


def apply_config_file(parser: argparse.ArgumentParser, path: str, section: str) -> None:
    """Set ``parser`` defaults from top-level keys and from the ``[section]`` table.

    Keys are long option names (``osc-port`` or ``osc_port``).  Top-level keys apply to every
    subcommand that has them; an unknown key inside ``[section]`` is an InputError so a typo never
    passes silently.
    """
    data = load_toml(path)
    known = {a.dest for a in parser._actions}  # noqa: SLF001
    defaults = {}
    # top-level keys are shared between subcommands: apply the ones this one knows
    for key, value in data.items():
        if not isinstance(value, dict) and key.replace("-", "_") in known:
            defaults[key.replace("-", "_")] = value
    table = data.get(section, {})
    if not isinstance(table, dict):
        raise InputError(f"config file {path}: '{section}' must be a [table]")
    for key, value in table.items():
        dest = key.replace("-", "_")
        if dest not in known:
            raise InputError(f"config file {path}: unknown option '{key}' in [{section}]")
        defaults[dest] = value
    parser.set_defaults(**defaults)
