"""``python -m bridge.hostgen [--check]``: (re)generate the Max and Pd patches."""

from __future__ import annotations

import argparse
import sys

from bridge.hostgen import stale_files, write_all
from bridge.paths import REPO_ROOT


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bridge.hostgen", description=__doc__)
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 when a checked-in patch differs from the table")
    args = p.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path.relative_to(REPO_ROOT)}")
        return 1 if stale else 0
    for path in write_all():
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
