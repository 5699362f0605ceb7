"""Where shipped files live: the default checkpoint and the bundled face recording."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DATA = Path(__file__).resolve().parent / "data"
REPO_ROOT = Path(__file__).resolve().parent.parent

#: The shipped default generator (design.md: ``checkpoints/default.pt``).
DEFAULT_CHECKPOINT = REPO_ROOT / "checkpoints" / "default.pt"

#: The bundled real face performance, recorded by the face engine from the test clips.
DEMO_RECORDING = PACKAGE_DATA / "face_performance.jsonl"
