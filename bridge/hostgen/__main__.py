"""``python -m bridge.hostgen [--write]``: check (or, with ``--write``, regenerate) the Max and
Pd patches and the table in docs/osc.md against the address table.

A developer's tool for the source tree (it is not in the wheel): without ``--write`` it writes
nothing and exits 1 when a checked-in file is stale.
"""

from __future__ import annotations

import argparse
import sys

from bridge.hostgen import stale_files, write_all
from bridge.paths import REPO_ROOT


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bridge.hostgen", description=__doc__)
    p.add_argument("--write", action="store_true",
                   help="rewrite the generated files in the source tree")
    p.add_argument("--check", action="store_true", help="(the default) write nothing")
    args = p.parse_args(argv)
    if not (REPO_ROOT / "pyproject.toml").is_file():
        print(f"{REPO_ROOT} is not a source checkout; hostgen works on one", file=sys.stderr)
        return 2
    if not args.write:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path.relative_to(REPO_ROOT)} (python -m bridge.hostgen --write)")
        return 1 if stale else 0
    for path in write_all():
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
