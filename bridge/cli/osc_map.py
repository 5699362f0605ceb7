"""``latent-resonance osc-map``: print the OSC address table (Markdown or JSON).

Reads :mod:`bridge.address_table`, the same table the daemons, OSCQuery and the host patch
generators use, so the printout is always what the running code accepts.
"""

from __future__ import annotations

import json

from bridge import address_table as table

HELP = "print the OSC address table (the one the daemons use) as Markdown or JSON"

SECTIONS = (
    ("face", "Face engine → every `--osc HOST:PORT` target (one bundle per frame, timetag = "
             "capture time)"),
    ("synth", f"Synth daemon input (UDP port {table.SYNTH_OSC_PORT} by default; it also accepts "
              "every `/lr/face/*` address above)"),
    ("reply", "Replies from the synth daemon to the sender of a request"),
)


def add_arguments(parser) -> None:
    parser.add_argument("--format", choices=["markdown", "json"], default="markdown",
                        help="output format")
    parser.add_argument("--sender", choices=[s for s, _ in SECTIONS],
                        help="only the addresses of one role (default: all)")


def _types_md(a: table.Address) -> str:
    if a.types == "f*":
        alt = "".join(f" or `{t}`" for t in a.alt_types)
        return "`f` × z_dim" + alt
    return f"`{a.types}`" if a.types else "—"


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _range_md(a: table.Address) -> str:
    if not a.ranges or all(r is None for r in a.ranges):
        return ""
    if len(set(a.ranges)) == 1 and len(a.ranges) > 1:
        lo, hi = a.ranges[0]
        return f"{_num(lo)}..{_num(hi)} each"
    return ", ".join("—" if r is None else f"{_num(r[0])}..{_num(r[1])}" for r in a.ranges)


def markdown(sender: str | None = None) -> str:
    """The address table as Markdown sections (the reference table of docs/osc.md)."""
    out = []
    for role, title in SECTIONS:
        if sender is not None and role != sender:
            continue
        out += [f"### {title}", "",
                "| address | types | range | unit | default | meaning |",
                "|---|---|---|---|---|---|"]
        for a in table.ALL_ADDRESSES:
            if a.sender != role:
                continue
            default = " ".join(_num(d) for d in a.default)
            meaning = a.meaning.replace("|", "\\|")
            out.append(f"| `{a.path}` | {_types_md(a)} | {_range_md(a)} | {a.unit} | {default} "
                       f"| {meaning} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def as_json(sender: str | None = None) -> dict:
    """The table as plain JSON-able data, with the default ports and names."""
    return {
        "namespace": table.NAMESPACE,
        "ports": {"synth_osc": table.SYNTH_OSC_PORT, "oscquery": table.OSCQUERY_PORT,
                  "sclang": table.SCLANG_PORT},
        "jack_client": table.JACK_CLIENT_NAME,
        "midi": {"port": table.MIDI_PORT_NAME, "channel": table.MIDI_CHANNEL,
                 "cc": dict(table.MIDI_CC), "lsb_offset": table.MIDI_LSB_OFFSET},
        "addresses": [
            {"path": a.path, "types": a.types, "alt_types": list(a.alt_types),
             "sender": a.sender, "meaning": a.meaning,
             "ranges": [None if r is None else list(r) for r in a.ranges],
             "unit": a.unit, "default": list(a.default)}
            for a in table.ALL_ADDRESSES if sender is None or a.sender == sender
        ],
    }


def run(args) -> int:
    if args.format == "json":
        print(json.dumps(as_json(args.sender), indent=2))
    else:
        print(markdown(args.sender), end="")
    return 0
