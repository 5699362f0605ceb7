"""Reading ``.jsonl`` files (face recordings, OSC scripts) with ``FILE:LINE`` errors."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Iterator

from bridge.errors import InputError

log = logging.getLogger("latent_resonance.files")


def iter_jsonl(path: str | Path, what: str, expect: str = "a JSON object",
               error: type[InputError] = InputError) -> Iterator[tuple[str, dict]]:
    """Yield ``("FILE:LINE", object)`` for every non-blank line of ``path``.

    ``what`` names the file kind in messages ("recording"); ``expect`` says what a line must
    hold.  A missing or unreadable file, a line that is not JSON, not an object, or not UTF-8
    raises ``error`` (an InputError, one line).  A last line that is not JSON
    and has no newline -- a write cut short by power loss, a full disk or SIGKILL -- is
    dropped with a warning instead, so everything written before it stays usable.
    """
    p = Path(path)
    try:
        fh = p.open("r", encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{what} not found: {p}") from None
    except IsADirectoryError:
        raise error(f"{what} is a directory, not a file: {p}") from None
    except OSError as exc:
        raise error(f"cannot read {what} {p}: {exc.strerror}") from None
    with fh:
        lineno = 0
        try:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                where = f"{p}:{lineno}"
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    if not line.endswith("\n"):  # only the last line can lack one: cut short
                        log.warning("%s: the last line was cut short (not valid JSON, no "
                                    "newline); it is dropped", where)
                        return
                    raise error(f"{where}: not valid JSON ({exc.msg})") from None
                if not isinstance(obj, dict):
                    raise error(f"{where}: expected {expect}, got {type(obj).__name__}")
                yield where, obj
        except UnicodeDecodeError:
            raise error(f"{p}:{lineno + 1}: not UTF-8 text") from None
