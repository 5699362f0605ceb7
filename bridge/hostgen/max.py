"""Max/MSP patches (``.maxpat`` JSON) generated from the address table.

Three patches, each usable on its own or as an abstraction (they sit in one folder, so Max finds
them by name):

- ``lr.face.receive.maxpat``: ``udpreceive`` → ``route`` (every ``/lr/face/*`` address) → per
  control an on/off toggle (``gate``) → ``scale`` → number boxes, ``send lr.face.<name>`` and an
  outlet.  Inlet: ``port N`` to listen elsewhere.
- ``lr.synth.send.maxpat``: number boxes, a multislider latent and one inlet per synth address →
  ``prepend /lr/...`` → ``udpsend 127.0.0.1 9000``.
- ``lr.face-to-synth.maxpat``: the two above as abstractions with an editable mapping between
  them (turns the daemon's own face mapping off while it runs).

The JSON follows what Max 8 saves (``patcher`` → ``boxes``/``lines``); each box states its inlet
and outlet counts, which the tests check against the Max reference counts below.
"""

from __future__ import annotations

import json

from bridge.address_table import (
    FACE_ADDRESSES,
    MAX_FACE_PORT,
    SYNTH_ADDRESSES,
    SYNTH_OSC_PORT,
    Address,
    by_fields,
)

RECEIVE = "lr.face.receive"
SEND = "lr.synth.send"
REMAP = "lr.face-to-synth"


def _name(a: Address) -> str:
    """Short control name: ``/lr/face/jaw`` → ``jaw``, ``/lr/latent/set`` → ``latent.set``."""
    parts = a.path.split("/")[2:]
    return parts[-1] if parts[0] in ("face", "synth") else ".".join(parts)


def _num(x: float) -> str:
    """A Max float literal (``0.``, ``0.5``, ``-30.``)."""
    s = f"{float(x):g}"
    return s if ("." in s or "e" in s) else s + "."


def newobj_io(text: str, abstractions: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """(inlets, outlets) of a Max object box from its text, per the Max 8 reference."""
    words = text.split()
    cls, args = words[0], words[1:]
    fixed = {"udpreceive": (1, 1), "udpsend": (1, 0), "scale": (6, 1), "prepend": (2, 1),
             "loadbang": (1, 1), "speedlim": (2, 1), "s": (1, 0), "send": (1, 0),
             "r": (0, 1), "receive": (0, 1)}
    if cls in fixed:
        return fixed[cls]
    if cls == "route":
        return 2, len(args) + 1
    if cls == "gate":
        return 2, int(args[0]) if args else 1
    if cls in ("unpack", "pack", "pak", "t", "trigger"):
        n = max(len(args), 2)
        return (1, n) if cls in ("unpack", "t", "trigger") else (n, 1)
    if cls in abstractions:
        return abstractions[cls]
    raise ValueError(f"no inlet/outlet counts known for Max object {cls!r}")


#: maxclass → (inlets, outlets, outlettype) for the user-interface boxes used here.
UI_IO = {
    "flonum": (1, 2, ["", "bang"]), "number": (1, 2, ["", "bang"]), "toggle": (1, 1, ["int"]),
    "button": (1, 1, ["bang"]), "message": (2, 1, [""]), "comment": (1, 0, []),
    "multislider": (1, 2, ["", ""]), "inlet": (0, 1, [""]), "outlet": (1, 0, []),
}


class Patcher:
    """A Max patcher being built: boxes with ids ``obj-N`` and patch lines between them."""

    def __init__(self, title: str, size: tuple[int, int],
                 abstractions: dict[str, tuple[int, int]] | None = None):
        self.title = title
        self.size = size
        self.abstractions = abstractions or {}
        self.boxes: list[dict] = []
        self.lines: list[dict] = []

    def _add(self, box: dict) -> str:
        box["id"] = f"obj-{len(self.boxes) + 1}"
        self.boxes.append({"box": box})
        return box["id"]

    def obj(self, text: str, x: float, y: float, w: float | None = None) -> str:
        nin, nout = newobj_io(text, self.abstractions)
        outtype = ["bang"] if text == "loadbang" else [""] * nout
        return self._add({"maxclass": "newobj", "text": text, "numinlets": nin,
                          "numoutlets": nout, "outlettype": outtype,
                          "patching_rect": [x, y, w or max(40.0, 7.0 * len(text) + 12), 22.0]})

    def ui(self, maxclass: str, x: float, y: float, w: float = 50.0, h: float = 22.0,
           **attrs) -> str:
        nin, nout, outtype = UI_IO[maxclass]
        box = {"maxclass": maxclass, "numinlets": nin, "numoutlets": nout,
               "outlettype": list(outtype), "patching_rect": [x, y, w, h]}
        if maxclass in ("flonum", "number", "toggle", "multislider"):
            box["parameter_enable"] = 0
        box.update(attrs)
        return self._add(box)

    def message(self, text: str, x: float, y: float, w: float | None = None) -> str:
        return self.ui("message", x, y, w or max(40.0, 7.0 * len(text) + 14), text=text)

    def comment(self, text: str, x: float, y: float, w: float = 150.0, h: float = 20.0) -> str:
        return self.ui("comment", x, y, w, h, text=text)

    def connect(self, src: str, outlet: int, dst: str, inlet: int) -> None:
        self.lines.append({"patchline": {"source": [src, outlet], "destination": [dst, inlet]}})

    def io(self) -> tuple[int, int]:
        """(inlets, outlets) of this patcher used as an abstraction."""
        kinds = [b["box"]["maxclass"] for b in self.boxes]
        return kinds.count("inlet"), kinds.count("outlet")

    def to_json(self) -> str:
        w, h = self.size
        patcher = {
            "fileversion": 1,
            "appversion": {"major": 8, "minor": 5, "revision": 5, "architecture": "x64",
                           "modernui": 1},
            "classnamespace": "box",
            "rect": [80.0, 80.0, float(w), float(h)],
            "bglocked": 0, "openinpresentation": 0, "default_fontsize": 12.0,
            "default_fontface": 0, "default_fontname": "Arial", "gridonopen": 1,
            "gridsize": [15.0, 15.0], "gridsnaponopen": 1, "objectsnaponopen": 1,
            "statusbarvisible": 2, "toolbarvisible": 1, "lefttoolbarpinned": 0,
            "toptoolbarpinned": 0, "righttoolbarpinned": 0, "bottomtoolbarpinned": 0,
            "toolbars_unpinned_last_save": 0, "tallnewobj": 0, "boxanimatetime": 200,
            "enablehscroll": 1, "enablevscroll": 1, "devicewidth": 0.0,
            "description": self.title, "digest": "", "tags": "latent-resonance osc",
            "style": "", "subpatcher_template": "", "assistshowspatchername": 0,
            "boxes": self.boxes, "lines": self.lines,
            "dependency_cache": [], "autosave": 0,
        }
        return json.dumps({"patcher": patcher}, indent="\t", sort_keys=False) + "\n"


COL = 150.0  # column width, px


def face_receive() -> Patcher:
    """udpreceive → route → gate (toggle) → scale → number boxes, send and outlets."""
    p = Patcher("Latent Resonance face receiver: /lr/face/* from `latent-resonance face "
                f"--osc 127.0.0.1:{MAX_FACE_PORT}`", (80 + COL * len(FACE_ADDRESSES), 560))
    p.comment(f"Latent Resonance face receiver. Run: latent-resonance face --osc "
              f"127.0.0.1:{MAX_FACE_PORT}  (toggles switch each control; edit scale to remap)",
              20, 10, 900)
    port_in = p.ui("inlet", 20, 40, 30, 30, comment="port N: listen on another UDP port")
    port_msg = p.message(f"port {MAX_FACE_PORT}", 70, 45)
    udp = p.obj(f"udpreceive {MAX_FACE_PORT}", 20, 80)
    p.connect(port_in, 0, udp, 0)
    p.connect(port_msg, 0, udp, 0)
    route = p.obj("route " + " ".join(a.path for a in FACE_ADDRESSES), 20, 115,
                  COL * len(FACE_ADDRESSES) - 20)
    p.connect(udp, 0, route, 0)
    load = p.obj("loadbang", 240, 45)
    one = p.message("1", 320, 45)
    p.connect(load, 0, one, 0)
    for i, a in enumerate(FACE_ADDRESSES):
        x = 20 + COL * i
        name = _name(a)
        p.comment(f"{name} ({a.types})", x + 25, 160, COL - 30)
        tog = p.ui("toggle", x, 160, 22, 22)
        p.connect(one, 0, tog, 0)
        gate = p.obj("gate 1", x, 195)
        p.connect(tog, 0, gate, 0)
        p.connect(route, i, gate, 1)
        lo, hi = a.ranges[0]
        if a.types == "i":
            scale = p.obj(f"scale {int(lo)} {int(hi)} {int(lo)} {int(hi)}", x, 230)
        else:
            scale = p.obj(f"scale {_num(lo)} {_num(hi)} {_num(lo)} {_num(hi)}", x, 230)
        p.connect(gate, 0, scale, 0)
        if len(a.types) == 1:
            shown = p.ui("number" if a.types == "i" else "flonum", x, 270, 70)
            p.connect(scale, 0, shown, 0)
        else:
            unpack = p.obj("unpack " + " ".join("f" * len(a.types)), x, 270, COL - 30)
            p.connect(scale, 0, unpack, 0)
            for k in range(len(a.types)):
                shown = p.ui("flonum", x, 300 + 28 * k, 70)
                p.connect(unpack, k, shown, 0)
        snd = p.obj(f"s lr.face.{name}", x, 440)
        p.connect(scale, 0, snd, 0)
        out = p.ui("outlet", x, 490, 30, 30, comment=f"{a.path} ({a.types}) {a.meaning}")
        p.connect(scale, 0, out, 0)
    return p


def synth_send() -> Patcher:
    """One inlet and a control per synth address → prepend /lr/... → udpsend."""
    n = len(SYNTH_ADDRESSES)
    p = Patcher("Latent Resonance synth sender: latents and controls to the synth daemon",
                (80 + COL * n, 600))
    p.comment(f"Latent Resonance synth sender → udpsend 127.0.0.1 {SYNTH_OSC_PORT} "
              "(the synth daemon). Each inlet takes the arguments of one address.", 20, 10, 900)
    udp = p.obj(f"udpsend 127.0.0.1 {SYNTH_OSC_PORT}", 20, 540)
    port_msg = p.message(f"port {SYNTH_OSC_PORT}", 220, 510)
    p.connect(port_msg, 0, udp, 0)
    for i, a in enumerate(SYNTH_ADDRESSES):
        x = 20 + COL * i
        inlet = p.ui("inlet", x, 40, 30, 30, comment=f"{a.path} ({a.types or 'no args'}) "
                                                      f"{a.meaning}")
        p.comment(a.path, x, 80, COL - 10)
        if not a.types:  # /lr/status: a bang sends the bare address
            btn = p.ui("button", x, 110, 24, 24)
            msg = p.message(a.path, x, 440)
            p.connect(inlet, 0, msg, 0)
            p.connect(btn, 0, msg, 0)
            p.connect(msg, 0, udp, 0)
            continue
        pre = p.obj(f"prepend {a.path}", x, 440, COL - 10)
        p.connect(pre, 0, udp, 0)
        p.connect(inlet, 0, pre, 0)
        default = a.default
        if a.types == "f*":  # latent vector: a multislider, resizable to z_dim
            zn = p.ui("number", x, 110, 50, minimum=1)
            size = p.message("size $1", x + 55, 110)
            p.comment("z_dim", x, 135, 60)
            ms = p.ui("multislider", x, 160, COL - 20, 120, size=16, setminmax=[-3.0, 3.0],
                      setstyle=1, orientation=1)
            p.connect(zn, 0, size, 0)
            p.connect(size, 0, ms, 0)
            p.connect(ms, 0, pre, 0)
        elif len(a.types) == 1:
            if a.fields == ("mapping",):
                box = p.ui("toggle", x, 110, 24, 24)
            else:
                lo_hi = a.ranges[0] if a.ranges else None
                attrs = {} if lo_hi is None else {"minimum": lo_hi[0], "maximum": lo_hi[1]}
                box = p.ui("number" if a.types == "i" else "flonum", x, 110, 70, **attrs)
            p.connect(box, 0, pre, 0)
        elif a.types == "sf":  # named direction: an example message, edit the name
            p.comment("name amount", x, 110, COL - 10)
            msg = p.message("brightness 0.5", x, 135)
            p.connect(msg, 0, pre, 0)
        else:  # several numbers: one box each, joined by pak (every inlet hot)
            pak = p.obj("pak " + " ".join(a.types), x, 300)
            for k, t in enumerate(a.types):
                box = p.ui("number" if t == "i" else "flonum", x, 110 + 28 * k, 70)
                p.connect(box, 0, pak, k)
            p.connect(pak, 0, pre, 0)
        if default:
            p.comment("default " + " ".join(f"{d:g}" for d in default), x, 470, COL - 10)
    return p


#: The remapping patch's rows: face field → scale (in lo, in hi, out lo, out hi) → synth address
#: (by the fields it sets; the band's top edge, its low edge fixed).
REMAP_ROWS = (
    ("rotation", (0, 1, 0.5, 3), ("speed",)),
    ("jaw", (0, 1, 300, 9000), ("band_low", "band_high")),
    ("brow", (0, 1, 0, 1), ("entropy",)),
    ("stillness", (0, 1, 0, 1), ("clarity",)),
    ("found", (0, 1, -30, 0), ("gain_db",)),
)
#: Fixed low edge (Hz) of the band the jaw opens.
REMAP_BAND_LOW_HZ = 60.0


def face_to_synth(recv: Patcher, send: Patcher) -> Patcher:
    """lr.face.receive → gate → speedlim → scale → lr.synth.send, one row per mapping."""
    p = Patcher("Latent Resonance remapping: face controls to synth controls, your curves",
                (900, 560), abstractions={RECEIVE: recv.io(), SEND: send.io()})
    p.comment("Face → synth with your own ranges. This turns the daemon's built-in mapping off "
              "(/lr/synth/mapping 0); edit the scale objects to change the curves.", 20, 10, 860)
    face_paths = [a.path for a in FACE_ADDRESSES]
    synth_paths = [a.path for a in SYNTH_ADDRESSES]
    rx = p.obj(RECEIVE, 20, 50, 840)
    tx = p.obj(SEND, 20, 480, 840)
    load = p.obj("loadbang", 20, 90)
    zero = p.message("0", 100, 90)
    one = p.message("1", 140, 90)
    p.connect(load, 0, zero, 0)
    p.connect(load, 0, one, 0)
    mapping_in = synth_paths.index(by_fields("synth", "mapping").path)
    p.connect(zero, 0, tx, mapping_in)
    p.comment("daemon's own mapping off", 180, 90, 170)
    for i, (field, (ilo, ihi, olo, ohi), synth_fields) in enumerate(REMAP_ROWS):
        face, synth = by_fields("face", field).path, by_fields("synth", *synth_fields).path
        x = 20 + 170 * i
        p.comment(f"{face.rsplit('/', 1)[1]} → {synth.rsplit('/', 1)[1]}", x + 25, 140, 140)
        tog = p.ui("toggle", x, 140, 22, 22)
        p.connect(one, 0, tog, 0)
        gate = p.obj("gate 1", x, 180)
        p.connect(tog, 0, gate, 0)
        p.connect(rx, face_paths.index(face), gate, 1)
        lim = p.obj("speedlim 20", x, 215)
        p.connect(gate, 0, lim, 0)
        scale = p.obj(f"scale {_num(ilo)} {_num(ihi)} {_num(olo)} {_num(ohi)}", x, 250, 150)
        p.connect(lim, 0, scale, 0)
        shown = p.ui("flonum", x, 290, 70)
        p.connect(scale, 0, shown, 0)
        last = shown
        if len(synth_fields) == 2:  # jaw opens the band's top edge; the low edge stays put
            pre = p.obj(f"prepend {_num(REMAP_BAND_LOW_HZ)}", x, 330)
            p.connect(shown, 0, pre, 0)
            last = pre
        p.connect(last, 0, tx, synth_paths.index(synth))
    return p


def patches() -> dict[str, str]:
    """File name → .maxpat JSON text, for every generated Max patch."""
    recv, send = face_receive(), synth_send()
    remap = face_to_synth(recv, send)
    return {f"{RECEIVE}.maxpat": recv.to_json(), f"{SEND}.maxpat": send.to_json(),
            f"{REMAP}.maxpat": remap.to_json()}
