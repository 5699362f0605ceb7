"""Vanilla Pure Data patches (``.pd``) generated from the address table (Pd ≥ 0.51).

- ``lr_face_receive.pd``: ``netreceive -u -b`` → ``oscparse`` → ``route`` per path segment → per
  control an on/off toggle (``spigot``), number boxes, ``send lr-face-<name>``, an outlet, and a
  console print switched by ``[r lr-face-print]``.  Listens on the port given as its first
  argument, else 9003; ``[r lr-face-listen]`` takes ``N`` to listen elsewhere.
- ``lr_synth_send.pd``: one inlet and one ``[r lr-<path>]`` per synth address → ``oscformat`` →
  ``netsend -u -b`` to 127.0.0.1:9000; ``[r lr-send-connect]`` takes ``HOST PORT``.

Both work opened directly or as abstractions.  From a shell, ``pd -send "lr-face-print 1"`` and
``pd -send "lr-synth-speed 1.5"`` drive them without a GUI.
"""

from __future__ import annotations

from bridge.address_table import FACE_ADDRESSES, PD_FACE_PORT, SYNTH_ADDRESSES, SYNTH_OSC_PORT

RECEIVE = "lr_face_receive"
SEND = "lr_synth_send"


def _esc(text: str) -> str:
    """Pd file escaping: ``$`` ``,`` ``;`` are special inside a line."""
    return text.replace("$", "\\$").replace(",", " \\,").replace(";", " \\;")


def recv_name(path: str) -> str:
    """The Pd send/receive name of an address: ``/lr/synth/speed`` → ``lr-synth-speed``."""
    return path.strip("/").replace("/", "-")


class PdPatch:
    """A Pd canvas being built; every element gets the next object index (comments too)."""

    def __init__(self, size: tuple[int, int]):
        self.lines = [f"#N canvas 40 60 {size[0]} {size[1]} 12;"]
        self.connects: list[str] = []  # written last, as Pd saves them
        self.count = 0

    def _add(self, line: str) -> int:
        self.lines.append(line)
        self.count += 1
        return self.count - 1

    def obj(self, x: int, y: int, text: str) -> int:
        return self._add(f"#X obj {x} {y} {_esc(text)};")

    def msg(self, x: int, y: int, text: str) -> int:
        return self._add(f"#X msg {x} {y} {_esc(text)};")

    def floatatom(self, x: int, y: int, width: int = 7) -> int:
        return self._add(f"#X floatatom {x} {y} {width} 0 0 0 - - - 0;")

    def toggle(self, x: int, y: int, on: bool) -> int:
        """A toggle; ``on`` makes it start on and output 1 at load (init)."""
        init, value = (1, 1) if on else (0, 0)
        return self._add(f"#X obj {x} {y} tgl 18 {init} empty empty empty 20 9 0 12 #fcfcfc "
                         f"#000000 #000000 {value} 1;")

    def text(self, x: int, y: int, text: str) -> int:
        return self._add(f"#X text {x} {y} {_esc(text)};")

    def connect(self, a: int, outlet: int, b: int, inlet: int) -> None:
        self.connects.append(f"#X connect {a} {outlet} {b} {inlet};")

    def render(self) -> str:
        return "\n".join(self.lines + self.connects) + "\n"


def face_receive() -> str:
    col = 130
    p = PdPatch((60 + col * len(FACE_ADDRESSES), 520))
    p.text(10, 10, f"Latent Resonance face receiver. Run: latent-resonance face --osc "
                   f"127.0.0.1:{PD_FACE_PORT} - the first argument or [r lr-face-listen] changes "
                   "the port and [r lr-face-print] 1 prints every value")
    load = p.obj(10, 50, "loadbang")
    arg = p.obj(10, 75, "f $1")
    sel = p.obj(10, 100, "sel 0")
    default = p.msg(10, 125, f"listen {PD_FACE_PORT}")
    listen = p.msg(120, 125, "listen $1")
    r_listen = p.obj(120, 75, "r lr-face-listen")
    net = p.obj(10, 155, "netreceive -u -b")
    for a, o, b, i in ((load, 0, arg, 0), (arg, 0, sel, 0), (sel, 0, default, 0),
                       (sel, 1, listen, 0), (r_listen, 0, listen, 0), (default, 0, net, 0),
                       (listen, 0, net, 0)):
        p.connect(a, o, b, i)
    parse = p.obj(10, 180, "oscparse")
    trim = p.obj(10, 205, "list trim")
    r_lr = p.obj(10, 230, "route lr")
    r_face = p.obj(10, 255, "route face")
    names = [a.path.rsplit("/", 1)[1] for a in FACE_ADDRESSES]
    route = p.obj(10, 280, "route " + " ".join(names))
    for a, b in ((net, parse), (parse, trim), (trim, r_lr), (r_lr, r_face), (r_face, route)):
        p.connect(a, 0, b, 0)
    r_print = p.obj(250, 50, "r lr-face-print")
    for i, a in enumerate(FACE_ADDRESSES):
        x = 10 + col * i
        p.text(x + 22, 310, f"{names[i]} {a.types}")
        tog = p.toggle(x, 310, on=True)
        gate = p.obj(x, 340, "spigot")
        p.connect(route, i, gate, 0)
        p.connect(tog, 0, gate, 1)
        if len(a.types) == 1:
            p.connect(gate, 0, p.floatatom(x, 370), 0)
        else:
            unpack = p.obj(x, 370, "unpack " + " ".join("f" * len(a.types)))
            p.connect(gate, 0, unpack, 0)
            for k in range(len(a.types)):
                p.connect(unpack, k, p.floatatom(x, 395 + 22 * k), 0)
        p.connect(gate, 0, p.obj(x, 440, f"s {recv_name(a.path)}"), 0)
        p.connect(gate, 0, p.obj(x, 490, "outlet"), 0)
        pgate = p.obj(x + 60, 465, "spigot")
        p.connect(gate, 0, pgate, 0)
        p.connect(r_print, 0, pgate, 1)
        p.connect(pgate, 0, p.obj(x + 60, 490, f"print {recv_name(a.path)}"), 0)
    return p.render()


def synth_send() -> str:
    col = 130
    p = PdPatch((60 + col * len(SYNTH_ADDRESSES), 480))
    p.text(10, 10, f"Latent Resonance synth sender to 127.0.0.1:{SYNTH_OSC_PORT}. Each inlet "
                   "(or [s lr-<address>] e.g. lr-synth-speed) takes that address's arguments; "
                   "[s lr-send-connect] takes HOST PORT")
    load = p.obj(10, 410, "loadbang")
    connect = p.msg(10, 435, f"connect 127.0.0.1 {SYNTH_OSC_PORT}")
    r_conn = p.obj(250, 385, "r lr-send-connect")
    as_list = p.obj(250, 410, "list")  # "127.0.0.1 9000" arrives with the host as selector
    conn_msg = p.msg(250, 435, "disconnect, connect $1 $2")
    prep = p.obj(450, 410, "list prepend send")
    trim = p.obj(450, 435, "list trim")
    net = p.obj(10, 460, "netsend -u -b")
    for a, b in ((load, connect), (connect, net), (r_conn, as_list), (as_list, conn_msg),
                 (conn_msg, net),
                 (prep, trim), (trim, net)):
        p.connect(a, 0, b, 0)
    for i, a in enumerate(SYNTH_ADDRESSES):
        x = 10 + col * i
        p.text(x, 60, a.path)
        inlet = p.obj(x, 85, "inlet")
        recv = p.obj(x + 45, 85, f"r {recv_name(a.path)}")
        to_list = p.obj(x, 330, "list")
        p.connect(inlet, 0, to_list, 0)
        p.connect(recv, 0, to_list, 0)
        fmt = "" if a.types in ("", "f*") or set(a.types) <= {"f", "s"} else f"-f {a.types} "
        osc = p.obj(x, 360, "oscformat " + fmt + " ".join(a.path.strip("/").split("/")))
        p.connect(to_list, 0, osc, 0)
        p.connect(osc, 0, prep, 0)
        if not a.types:
            p.connect(p.msg(x, 115, "bang"), 0, to_list, 0)
        elif a.types == "f*":
            p.text(x, 115, "list of z_dim floats")
        elif a.types == "sf":
            p.connect(p.msg(x, 115, "brightness 0.5"), 0, to_list, 0)
        elif a.fields == ("mapping",):
            p.connect(p.toggle(x, 115, on=False), 0, to_list, 0)
        elif len(a.types) == 1:
            p.connect(p.floatatom(x, 115), 0, to_list, 0)
        else:  # two numbers: the left one is hot, the right one bangs through a trigger
            pack = p.obj(x, 300, "pack " + " ".join("f" * len(a.types)))
            left = p.floatatom(x, 115)
            right = p.floatatom(x, 145)
            trig = p.obj(x + 20, 175, "t b f")
            p.connect(left, 0, pack, 0)
            p.connect(right, 0, trig, 0)
            p.connect(trig, 1, pack, 1)
            p.connect(trig, 0, pack, 0)
            p.connect(pack, 0, to_list, 0)
        if a.default:
            p.text(x, 270, "default " + " ".join(f"{d:g}" for d in a.default))
    return p.render()


def patches() -> dict[str, str]:
    """File name → .pd text, for every generated Pd patch."""
    return {f"{RECEIVE}.pd": face_receive(), f"{SEND}.pd": synth_send()}
