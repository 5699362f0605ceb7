"""Face recordings: one JSON object per line, one line per frame (docs/face.md, "Recordings").

``{"t": seconds, "found": 0|1, "rotation": .., "jaw": .., "brow": .., "stillness": ..,
"yaw": .., "pitch": .., "roll": .., "yaw_velocity": ..}``.  Reading validates every line and
names the line number of the first bad one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

from bridge.errors import InputError
from bridge.jsonl import iter_jsonl
from engine.face.controls import ENERGY_FIELDS, RECORD_FIELDS, FaceControls

#: decimals written per field: enough for 7/14-bit MIDI and sub-degree pose, files stay small
_DECIMALS = 5


class RecordingError(InputError):
    """A recording file that cannot be read; the message names the file and line."""


def _parse_object(obj: dict, where: str, prev_t: float | None) -> FaceControls:
    missing = [k for k in RECORD_FIELDS if k not in obj]
    if missing:
        raise RecordingError(f"{where}: missing field(s) {', '.join(missing)}")
    values = {}
    for key in RECORD_FIELDS:
        v = obj[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise RecordingError(f"{where}: field '{key}' must be a finite number, got {v!r}")
        values[key] = float(v)
    if values["found"] not in (0.0, 1.0):
        raise RecordingError(f"{where}: field 'found' must be 0 or 1, got {obj['found']!r}")
    for key in ENERGY_FIELDS:
        if not 0.0 <= values[key] <= 1.0:
            raise RecordingError(f"{where}: field '{key}' must be in [0, 1], got {obj[key]!r}")
    if prev_t is not None and values["t"] < prev_t:
        raise RecordingError(f"{where}: time 't' goes backwards ({values['t']} < {prev_t})")
    values["found"] = int(values["found"])
    return FaceControls(**values)


def read_recording(path: str | Path) -> Iterator[FaceControls]:
    """Yield one :class:`FaceControls` per line of a ``.jsonl`` recording.

    Blank lines are skipped.  A missing/unreadable file or a malformed line raises
    :class:`RecordingError` (an InputError: one line) naming ``path:line``.
    """
    prev_t = None
    for where, obj in iter_jsonl(path, "recording", error=RecordingError):
        c = _parse_object(obj, where, prev_t)
        prev_t = c.t
        yield c


def load_recording(path: str | Path) -> list[FaceControls]:
    """The whole recording, validated; an empty file is a RecordingError."""
    frames = list(read_recording(path))
    if not frames:
        raise RecordingError(f"recording {path} has no frames")
    return frames


def format_line(c: FaceControls) -> str:
    """One recording line (no newline) for ``c``."""
    d = {}
    for key in RECORD_FIELDS:
        v = getattr(c, key)
        d[key] = int(v) if key == "found" else round(float(v), _DECIMALS)
    return json.dumps(d, separators=(",", ":"))


class RecordingWriter:
    """Append frames to a ``.jsonl`` file; ``close()`` (or the context manager) flushes.

    Lines are flushed to the OS every ``flush_every`` frames so a killed process loses at most
    that many (and a line cut by the kill is dropped when the file is read).  An existing file
    is never replaced unless ``overwrite``; that and a path in a missing directory are
    RecordingErrors.
    """

    def __init__(self, path: str | Path, flush_every: int = 30, overwrite: bool = False):
        self.path = Path(path)
        self.flush_every = max(1, int(flush_every))
        self.count = 0
        try:
            self._fh = self.path.open("w" if overwrite else "x", encoding="utf-8")
        except FileExistsError:
            raise RecordingError(f"recording {self.path} exists; choose another name or pass "
                                 f"--force to replace it") from None
        except OSError as exc:
            raise RecordingError(f"cannot write recording {self.path}: {exc.strerror}") from None

    def write(self, c: FaceControls) -> None:
        self._fh.write(format_line(c) + "\n")
        self.count += 1
        if self.count % self.flush_every == 0:
            self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            self._fh.close()

    def __enter__(self) -> "RecordingWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_recording(path: str | Path, frames, overwrite: bool = True) -> int:
    """Write an iterable of :class:`FaceControls`; returns the number of lines."""
    with RecordingWriter(path, overwrite=overwrite) as w:
        for c in frames:
            w.write(c)
        return w.count
