"""A small OSC client for the synth daemon: send controls, ask ``/lr/status`` and ``/lr/state``.

A test helper (the tests and the benchmarks use it; not part of the installed package).  A
live coder's own client is a few lines of python-osc, see docs/livecoding.md::

    c = SynthClient(9000); c.send("/lr/synth/speed", 0.5); print(c.status())
"""

from __future__ import annotations

import json
import socket
import time

import numpy as np
from pythonosc.osc_message import OscMessage
from pythonosc.osc_bundle_builder import OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder, build_msg


class SynthClient:
    """UDP OSC client bound to its own port, so the daemon's replies come back to it."""

    def __init__(self, port: int = 9000, host: str = "127.0.0.1"):
        self.target = (host, int(port))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1" if host in ("127.0.0.1", "localhost") else "", 0))

    def send(self, address: str, *args) -> None:
        """Send one message; numpy arrays become one float32 little-endian blob."""
        conv = [np.asarray(a, dtype="<f4").tobytes() if isinstance(a, np.ndarray) else a
                for a in args]
        self.sock.sendto(build_msg(address, conv).dgram, self.target)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendto(data, self.target)

    def drain(self) -> None:
        """Drop any replies waiting in the socket."""
        self.sock.setblocking(False)
        try:
            while True:
                self.sock.recv(65536)
        except OSError:
            pass
        finally:
            self.sock.setblocking(True)

    def request(self, address: str, *args, reply: str | None = None, timeout: float = 2.0):
        """Send and wait for a reply at ``reply`` (default: the same address); its args or None."""
        want = reply or address
        self.send(address, *args)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except OSError:
                return None
            try:
                m = OscMessage(data)
            except Exception:  # noqa: BLE001 - not ours
                continue
            if m.address == want:
                return list(m.params)

    def status(self, timeout: float = 2.0) -> dict | None:
        """``/lr/status`` as a dict, or None when no daemon answers."""
        r = self.request("/lr/status", timeout=timeout)
        if r is None:
            return None
        keys = ("z_dim", "checkpoint", "sample_rate", "underruns", "latency_ms", "output",
                "late")
        return dict(zip(keys, r))

    def state(self, timeout: float = 2.0) -> dict | None:
        """``/lr/state``: every control's current value, or None."""
        r = self.request("/lr/state", timeout=timeout)
        return None if r is None else json.loads(r[0])

    def wait_ready(self, timeout: float = 60.0, proc=None) -> dict:
        """Poll ``/lr/status`` until the daemon answers; RuntimeError on timeout/exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"synth daemon exited with code {proc.returncode}")
            s = self.status(timeout=0.5)
            if s is not None:
                return s
        raise RuntimeError("synth daemon did not answer /lr/status in time")

    def wait_output(self, want: str, timeout: float, last: dict | None = None) -> dict | None:
        """Poll ``/lr/status`` until its ``output`` is ``want`` or ``timeout`` s pass; the last
        answer (``last`` when none came)."""
        deadline = time.monotonic() + timeout
        while (last is None or last["output"] != want) and time.monotonic() < deadline:
            last = self.status(timeout=0.5) or last
        return last

    def close(self) -> None:
        self.sock.close()


def osc_bundle(t: float, *messages) -> bytes:
    """One OSC bundle with timetag ``t`` (unix seconds) of ``(path, *args)`` messages."""
    b = OscBundleBuilder(t)
    for path, *args in messages:
        m = OscMessageBuilder(path)
        for a in args:
            m.add_arg(a)
        b.add_content(m.build())
    return b.build().dgram
