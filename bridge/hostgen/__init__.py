"""Generators of the host-side patches (Max ``.maxpat``, Pure Data ``.pd``) from the address table.

The patches under ``maxpatches/`` and ``puredata/`` are generated, never edited by hand, so they
always use the addresses the daemons accept.  Regenerate after changing
:mod:`bridge.address_table`::

    uv run --frozen python -m bridge.hostgen          # write the files
    uv run --frozen python -m bridge.hostgen --check  # exit 1 if a checked-in file is stale
"""

from __future__ import annotations

from pathlib import Path

from bridge.paths import REPO_ROOT


def generated_files() -> dict[Path, str]:
    """Every generated file (absolute path) and its exact text."""
    from bridge.hostgen import max as maxgen
    from bridge.hostgen import puredata

    files = {REPO_ROOT / "maxpatches" / name: text for name, text in maxgen.patches().items()}
    files.update({REPO_ROOT / "puredata" / name: text for name, text in puredata.patches().items()})
    return files


def stale_files() -> list[Path]:
    """Generated files whose checked-in text differs from what the generators produce now."""
    out = []
    for path, text in generated_files().items():
        if not path.exists() or path.read_text() != text:
            out.append(path)
    return out


def write_all() -> list[Path]:
    """Write every generated file; returns the paths written."""
    written = []
    for path, text in generated_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
