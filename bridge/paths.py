"""Where shipped files live: the default checkpoint and the bundled face recording.

In an installed wheel they are package data under ``bridge/data/`` (pyproject's
``force-include``); in a source checkout the checkpoints stay in ``checkpoints/``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE_DATA = Path(str(files("bridge") / "data"))
REPO_ROOT = Path(__file__).resolve().parent.parent


def _shipped_checkpoint(name: str) -> Path:
    installed = PACKAGE_DATA / "checkpoints" / name
    return installed if installed.is_file() else REPO_ROOT / "checkpoints" / name


#: The shipped default generator (``checkpoints/default.pt``, its ``.onnx`` companion beside it).
DEFAULT_CHECKPOINT = _shipped_checkpoint("default.pt")

#: --checkpoint's help; its default is argparse.SUPPRESS, so --help shows no build-machine path
CHECKPOINT_HELP = "generator checkpoint (.pt or .onnx; default: the shipped default.pt)"


def checkpoint_arg(args) -> Path:
    """The --checkpoint a command was given, or the shipped default."""
    return Path(getattr(args, "checkpoint", None) or DEFAULT_CHECKPOINT)


#: The bundled real face performance, recorded by the face engine from the test clips.
DEMO_RECORDING = PACKAGE_DATA / "face_performance.jsonl"
DEMO_PHRASE = PACKAGE_DATA / "demo_phrase.mid"
