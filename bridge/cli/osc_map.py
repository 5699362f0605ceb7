"""``latent-resonance osc-map``: print the OSC address table (Markdown or JSON).

Prints :mod:`bridge.address_table`, the same table the daemons, OSCQuery and the host patch
generators use, so the printout is always what the running code accepts.
"""

from __future__ import annotations

import json

from bridge.address_table import SECTIONS, as_json, markdown

HELP = "print the OSC address table (the one the daemons use) as Markdown or JSON"


def add_arguments(parser) -> None:
    parser.add_argument("--format", choices=["markdown", "json"], default="markdown",
                        help="output format")
    parser.add_argument("--sender", choices=[s for s, _ in SECTIONS],
                        help="only the addresses of one role (default: all)")


def run(args) -> int:
    if args.format == "json":
        print(json.dumps(as_json(args.sender), indent=2))
    else:
        print(markdown(args.sender), end="")
    return 0
