"""Generators of the host-side patches (Max ``.maxpat``, Pure Data ``.pd``) from the address table.

The patches under ``maxpatches/`` and ``puredata/`` (and the reference table in docs/osc.md)
are generated, never edited by hand, so they always use the addresses the daemons accept.
Regenerate after changing :mod:`bridge.address_table`::

    uv run --frozen python -m bridge.hostgen --write  # write the files
    uv run --frozen python -m bridge.hostgen          # exit 1 if a checked-in file is stale
"""

from __future__ import annotations

from pathlib import Path

from bridge.paths import REPO_ROOT


#: docs/osc.md carries the table between these markers (regenerated with the patches).
OSC_DOC = REPO_ROOT / "docs" / "osc.md"
TABLE_BEGIN = ("<!-- osc-map:begin (generated from bridge/address_table.py: "
               "python -m bridge.hostgen) -->")
TABLE_END = "<!-- osc-map:end -->"


def _osc_doc() -> str | None:
    """docs/osc.md with its table block regenerated; None when the file has no markers."""
    from bridge.address_table import markdown

    text = OSC_DOC.read_text() if OSC_DOC.exists() else ""
    if TABLE_BEGIN not in text or TABLE_END not in text:
        return None
    head, rest = text.split(TABLE_BEGIN, 1)
    tail = rest.split(TABLE_END, 1)[1]
    return f"{head}{TABLE_BEGIN}\n\n{markdown()}\n{TABLE_END}{tail}"


def generated_files() -> dict[Path, str]:
    """Every generated file (absolute path) and its exact text."""
    from bridge.hostgen import max as maxgen
    from bridge.hostgen import puredata

    files = {REPO_ROOT / "maxpatches" / name: text for name, text in maxgen.patches().items()}
    files.update({REPO_ROOT / "puredata" / name: text for name, text in puredata.patches().items()})
    doc = _osc_doc()
    if doc is not None:
        files[OSC_DOC] = doc
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
