"""OSC out: a real UDP receiver gets one bundle per frame, in the documented order and types."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from pythonosc.osc_bundle import OscBundle

from bridge.address_table import FACE_ADDRESSES
from bridge.osc.out import OscOut, build_bundle
from bridge.face.recording import load_recording, write_recording
from engine.face.controls import FaceControls

REPO = __import__("pathlib").Path(__file__).resolve().parent.parent


def receiver() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.5)
    return s


def drain(sock: socket.socket, until=None, quiet_s: float = 0.3) -> list[bytes]:
    """Datagrams until nothing arrives for ``quiet_s`` (after ``until()`` is true)."""
    out = []
    sock.settimeout(quiet_s)
    while True:
        try:
            out.append(sock.recv(65536))
        except socket.timeout:
            if until is None or until():
                return out


def type_tags(msg_dgram: bytes) -> str:
    """The OSC type-tag string (without the comma) of one message datagram."""
    end = msg_dgram.index(b"\0")
    start = (end // 4 + 1) * 4
    tags = msg_dgram[start:msg_dgram.index(b"\0", start)].decode()
    assert tags.startswith(",")
    return tags[1:]


def test_bundle_has_every_face_address_in_table_order_with_types():
    c = FaceControls(t=1.0, found=1, rotation=0.25, jaw=0.5, brow=0.75, stillness=0.125,
                     yaw=10.0, pitch=-5.0, roll=2.5, yaw_velocity=-30.0)
    when = time.time()
    bundle = OscBundle(build_bundle(c, when))
    assert abs(bundle.timestamp - when) < 1e-3, "timetag = capture time"
    msgs = list(bundle)
    assert [m.address for m in msgs] == [a.path for a in FACE_ADDRESSES]
    assert [type_tags(m.dgram) for m in msgs] == [a.types for a in FACE_ADDRESSES]
    values = {m.address: m.params for m in msgs}
    assert values["/lr/face/found"] == [1]
    assert values["/lr/face/energy"] == [0.25, 0.5, 0.75, 0.125]
    assert values["/lr/face/pose"] == [10.0, -5.0, 2.5]
    assert values["/lr/face/yaw_velocity"] == [-30.0]


def test_osc_out_reaches_several_receivers_and_survives_a_closed_port():
    a, b = receiver(), receiver()
    dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()  # nobody listens there: ICMP port unreachable must not stop the engine
    out = OscOut([("127.0.0.1", dead_port), a.getsockname(), b.getsockname()])
    for i in range(5):
        out.send(FaceControls(t=i / 30, found=1, jaw=i / 10), time.time())
    out.close()
    for sock in (a, b):
        got = drain(sock)
        assert len(got) == 5
        assert [list(OscBundle(d))[2].params[0] for d in got] == pytest.approx(
            [i / 10 for i in range(5)], abs=1e-6)


def test_cli_replay_sends_the_recording_to_every_target(tmp_path):
    frames = [FaceControls(t=i / 30, found=int(i % 7 != 0), rotation=i / 100, jaw=0.5,
                           brow=0.25, stillness=1 - i / 100, yaw=i, pitch=-i, roll=0.5 * i,
                           yaw_velocity=3.0 * i) for i in range(40)]
    rec = tmp_path / "r.jsonl"
    write_recording(rec, frames)
    a, b = receiver(), receiver()
    start = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "face", "--replay", str(rec), "--fast", "-q",
         "--osc", "127.0.0.1:%d" % a.getsockname()[1],
         "--osc", "localhost:%d" % b.getsockname()[1]], cwd=REPO,
        stderr=subprocess.PIPE, text=True)
    got_a = drain(a, until=lambda: proc.poll() is not None)
    got_b = drain(b)
    assert proc.wait(10) == 0, proc.stderr.read()
    # every frame, then the goodbye: the last frame with found 0 (the synth glides to neutral)
    assert len(got_a) == len(got_b) == len(frames) + 1
    recorded = load_recording(rec)
    goodbye = {m.address: m.params for m in OscBundle(got_a[-1])}
    assert goodbye["/lr/face/found"] == [0]
    assert goodbye["/lr/face/energy"] == pytest.approx(list(recorded[-1].energy), abs=1e-6)
    for dgram, c in zip(got_a, recorded):
        bundle = OscBundle(dgram)
        assert start - 1 <= bundle.timestamp <= time.time() + 1
        msgs = {m.address: m.params for m in bundle}
        assert msgs["/lr/face/found"] == [c.found]
        assert msgs["/lr/face/energy"] == pytest.approx(list(c.energy), abs=1e-6)
        assert msgs["/lr/face/pose"] == pytest.approx([c.yaw, c.pitch, c.roll], abs=1e-4)
        assert msgs["/lr/face/yaw_velocity"] == pytest.approx([c.yaw_velocity], abs=1e-4)
