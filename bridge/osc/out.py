"""OSC out: one bundle per frame to every ``--osc HOST:PORT`` target, timetag = capture time.

Addresses, type tags and order come from ``bridge.address_table.FACE_ADDRESSES``.
"""

from __future__ import annotations

import logging
import socket

from pythonosc.osc_bundle_builder import OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from bridge.address_table import FACE_ADDRESSES
from bridge.errors import InputError
from engine.face.controls import FaceControls

log = logging.getLogger("latent_resonance.osc")


def parse_target(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (IPv6 as ``[::1]:PORT``) -> (resolved IP, port); InputError when invalid."""
    host, sep, port_s = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_s.isdigit() or not 1 <= int(port_s) <= 65535:
        raise InputError(f"bad --osc target '{text}': expected HOST:PORT with PORT 1-65535")
    try:
        info = socket.getaddrinfo(host, int(port_s), type=socket.SOCK_DGRAM)
    except socket.gaierror as exc:
        raise InputError(f"bad --osc target '{text}': cannot resolve host '{host}' "
                        f"({exc.strerror})") from None
    family, _, _, _, addr = info[0]
    return addr[0], int(port_s)


def face_messages(c: FaceControls) -> list[tuple[str, tuple]]:
    """The (address, args) of one frame: every face address in table order, each argument the
    field its table entry names, typed as the entry says.  The live face engine sends these,
    and the offline render replays a recording as them."""
    return [(a.path, tuple(int(getattr(c, f)) if t == "i" else float(getattr(c, f))
                           for f, t in zip(a.fields, a.types)))
            for a in FACE_ADDRESSES]


def build_bundle(c: FaceControls, timetag: float) -> bytes:
    """The datagram for one frame (:func:`face_messages`); ``timetag`` Unix seconds."""
    bundle = OscBundleBuilder(timetag)
    for (path, args), a in zip(face_messages(c), FACE_ADDRESSES):
        msg = OscMessageBuilder(path)
        for value, typ in zip(args, a.types):
            msg.add_arg(value, typ)
        bundle.add_content(msg.build())
    return bundle.build().dgram


class OscOut:
    """Sends face bundles over UDP to several targets (one non-blocking socket per family).

    A target that is down (ICMP port unreachable) or a full socket buffer never stops the
    engine: the error is logged once per target and the bundle for that target is dropped.
    """

    def __init__(self, targets: list[tuple[str, int]]):
        self.targets = list(targets)
        self._socks: dict[int, socket.socket] = {}
        self._warned: set = set()
        for host, _ in self.targets:
            fam = socket.AF_INET6 if ":" in host else socket.AF_INET
            if fam not in self._socks:
                s = socket.socket(fam, socket.SOCK_DGRAM)
                s.setblocking(False)
                self._socks[fam] = s

    def send(self, c: FaceControls, timetag: float) -> None:
        """Send one frame's bundle to every target (timetag: capture time, Unix seconds)."""
        if not self.targets:
            return
        data = build_bundle(c, timetag)
        for target in self.targets:
            fam = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
            try:
                self._socks[fam].sendto(data, target)
            except OSError as exc:
                if target not in self._warned:
                    self._warned.add(target)
                    log.warning("OSC target %s:%d: %s (dropping bundles until it answers)",
                                target[0], target[1], exc.strerror or exc)
            else:
                self._warned.discard(target)

    def close(self) -> None:
        for s in self._socks.values():
            s.close()
        self._socks.clear()
