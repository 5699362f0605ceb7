"""The synth daemon as a user meets it: a real subprocess, real UDP, a real (dummy) JACK server.

A JACK capture client records ``latent-resonance:out_1`` and the tests listen for what a
musician would notice: sound, the band-pass moving the spectrum, speed moving it faster,
a new latent changing it, gain, status replies, and surviving garbage.
"""

from __future__ import annotations

import math
import random
import struct
import time

import numpy as np
import pytest

from jack_capture import JackCapture
from synth_client import SynthClient
from synth_util import (centroid, free_port, log_spectrum, make_checkpoint, record,
                        spectral_flux, start_daemon, stop, wait_ports)

pytestmark = [pytest.mark.jack, pytest.mark.timeout(150)]


@pytest.fixture(scope="module")
def synth(jack_server, tmp_path_factory):
    ckpt = make_checkpoint(tmp_path_factory.mktemp("synth") / "test.pt")
    port = free_port()
    proc = start_daemon(ckpt, port, jack_server)
    client = SynthClient(port)
    try:
        client.wait_ready(90, proc)
        wait_ports(jack_server)
        cap = JackCapture(["latent-resonance:out_1"], seconds=20, name="lr-test-capture")
    except BaseException:
        print(stop(proc))
        raise
    # manual control, frozen playhead: only what a test changes moves the sound
    client.send("/lr/synth/mapping", 0)
    client.send("/lr/latent/glide", 0.0)
    client.send("/lr/synth/speed", 0.0)
    yield client, cap, proc
    cap.close()
    client.close()
    err = stop(proc)
    assert "Traceback" not in err, err


def settle(client, *messages, wait=0.5):
    for m in messages:
        client.send(*m)
    time.sleep(wait)


def test_sound_is_present(synth):
    client, cap, _ = synth
    x = record(cap, 1.0)
    assert len(x) > 30000  # (a loaded machine may skip a few JACK cycles)
    assert np.all(np.isfinite(x))
    rms = float(np.sqrt(np.mean(x ** 2)))
    assert 1e-3 < rms < 1.0


def test_status_answers(synth):
    client, _, _ = synth
    s = client.status()
    assert s is not None
    assert s["z_dim"] == 32 and s["checkpoint"] == "test-synth"
    assert s["sample_rate"] == 48000
    assert isinstance(s["underruns"], int) and s["underruns"] >= 0
    assert 0 < s["latency_ms"] < 500
    assert s["output"] == "connected"


def test_band_pass_moves_the_centroid(synth):
    client, cap, _ = synth
    settle(client, ("/lr/synth/band", 80.0, 500.0))
    low = centroid(record(cap, 0.6), cap.rate)
    settle(client, ("/lr/synth/band", 3000.0, 10000.0))
    high = centroid(record(cap, 0.6), cap.rate)
    settle(client, ("/lr/synth/band", 20.0, 11025.0), wait=0.1)
    assert low < 700 and high > 2500, (low, high)


def test_speed_changes_rate_of_spectral_change(synth):
    client, cap, _ = synth
    flux = {}
    for speed in (0.0, 0.25, 2.0):
        settle(client, ("/lr/synth/speed", speed), wait=0.3)
        flux[speed] = spectral_flux(record(cap, 1.2), cap.rate)
    settle(client, ("/lr/synth/speed", 0.0), wait=0.1)
    assert flux[0.0] < flux[0.25] < flux[2.0], flux
    assert flux[2.0] > 1.5 * flux[0.25] and flux[0.25] > 2 * flux[0.0], flux


def test_new_latent_changes_the_spectrum(synth):
    client, cap, _ = synth
    rng = np.random.default_rng(5)
    za, zb = rng.standard_normal(32), rng.standard_normal(32)
    settle(client, ("/lr/latent", *map(float, za)))
    a1 = log_spectrum(record(cap, 0.5))
    a2 = log_spectrum(record(cap, 0.5))
    settle(client, ("/lr/latent", zb.astype(np.float32)))  # as one float32 blob
    b = log_spectrum(record(cap, 0.5))
    same = float(np.mean(np.abs(a1 - a2)))
    changed = float(np.mean(np.abs(a1 - b)))
    assert changed > 3 * same, (same, changed)


def test_gain_scales_the_level(synth):
    client, cap, _ = synth
    settle(client, ("/lr/synth/gain", 0.0))
    loud = float(np.sqrt(np.mean(record(cap, 0.5) ** 2)))
    settle(client, ("/lr/synth/gain", -20.0))
    quiet = float(np.sqrt(np.mean(record(cap, 0.5) ** 2)))
    settle(client, ("/lr/synth/gain", 0.0), wait=0.1)
    assert 0.05 < quiet / loud < 0.2, (loud, quiet)


def test_named_direction_and_unknown_one(synth):
    client, _, _ = synth
    client.drain()
    assert client.request("/lr/latent/direction", "nope", 1.0, reply="/lr/error") is not None
    client.send("/lr/latent/direction", "bright", 0.0)
    assert client.status() is not None


def _garbage(rng: random.Random, z_dim: int) -> bytes:
    """One malformed or invalid OSC packet (never a valid state change)."""
    from pythonosc.osc_message_builder import build_msg

    kind = rng.randrange(10)
    if kind == 0:  # random bytes
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    if kind == 1:  # truncated message
        d = build_msg("/lr/synth/speed", [1.5]).dgram
        return d[: rng.randrange(1, len(d))]
    if kind == 2:  # wrong types
        addr = rng.choice(["/lr/synth/speed", "/lr/synth/band", "/lr/synth/gain",
                           "/lr/latent/seed", "/lr/face/energy", "/lr/synth/mapping"])
        return build_msg(addr, ["x", b"\x00\x01"][: rng.randrange(1, 3)]).dgram
    if kind == 3:  # NaN / inf
        addr = rng.choice(["/lr/synth/speed", "/lr/synth/gain", "/lr/face/jaw",
                           "/lr/latent/glide", "/lr/synth/clarity"])
        return build_msg(addr, [rng.choice([math.nan, math.inf, -math.inf])]).dgram
    if kind == 4:  # huge or wrong-sized blob
        n = rng.choice([1, 4, 4 * z_dim - 4, 4 * z_dim + 4, 60000])
        return build_msg("/lr/latent", [bytes(n)]).dgram
    if kind == 5:  # wrong length
        return build_msg("/lr/latent", [0.5] * rng.randrange(0, 200)).dgram \
            if rng.random() < 0.5 else build_msg("/lr/synth/band", [100.0]).dgram
    if kind == 6:  # unknown address
        return build_msg("/lr/" + "".join(rng.choice("abc/*?") for _ in range(8)), [1]).dgram
    if kind == 7:  # garbage bundle
        return b"#bundle\x00" + struct.pack(">Q", rng.getrandbits(64)) + \
            struct.pack(">i", rng.randrange(-5, 500)) + bytes(rng.randrange(40))
    if kind == 8:  # band with low above high, index out of range
        return (build_msg("/lr/synth/band", [5000.0, 100.0]).dgram if rng.random() < 0.5
                else build_msg("/lr/latent/set", [z_dim + rng.randrange(100), 1.0]).dgram)
    return build_msg("/lr/latent/direction", ["no-such-direction", 1.0]).dgram


def test_fuzz_leaves_daemon_alive_audio_flowing_state_unchanged(synth):
    client, cap, proc = synth
    before = client.state()
    assert before is not None
    # the playhead is frozen: the level before is the level the sound must keep (a frozen
    # column of the test generator can be quiet, so no absolute threshold)
    level = float(np.sqrt(np.mean(record(cap, 0.5) ** 2)))
    assert level > 1e-5, "no sound before the fuzzing"
    rng = random.Random(1234)
    for i in range(3000):
        client.send_raw(_garbage(rng, 32))
        if i % 200 == 0:
            time.sleep(0.01)  # let the daemon keep up; UDP would drop the rest anyway
    client.drain()
    time.sleep(0.3)
    client.drain()
    assert proc.poll() is None
    assert client.state() == before
    after = float(np.sqrt(np.mean(record(cap, 0.5) ** 2)))
    assert 0.5 < after / level < 2.0, (level, after)
    reply = client.request("/lr/synth/speed", "fast", reply="/lr/error")
    assert reply and "expected a number" in reply[0]
    assert client.status() is not None


def test_a_face_engine_killed_mid_gesture_lets_the_synth_glide_back(synth, tmp_path):
    """A crashed face engine sends no goodbye: after half a second of silence the synth treats
    the face as lost and glides back to the neutral face's sound, instead of holding the last
    gesture until a restart."""
    import subprocess
    import sys

    from bridge.face.recording import write_recording
    from engine.face.controls import FaceControls

    client, _cap, _proc = synth
    gesture = [FaceControls(t=i / 30, found=1, rotation=1.0, jaw=1.0, brow=1.0, stillness=0.0)
               for i in range(30 * 60)]
    rec = tmp_path / "gesture.jsonl"
    write_recording(rec, gesture)
    client.send("/lr/synth/mapping", 1)
    face = subprocess.Popen([sys.executable, "-m", "bridge", "face", "--replay", str(rec), "-q",
                             "--osc", f"127.0.0.1:{client.target[1]}"], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:  # the gesture arrived: fast, wide open
            st = client.state()
            if st and st["/lr/face/found"] == [1] and st["/lr/synth/speed"][0] > 1.9:
                break
            assert time.monotonic() < deadline, f"the gesture never reached the synth: {st}"
            time.sleep(0.2)
        held = st
        face.kill()  # mid-gesture, no goodbye
        face.wait(10)
        time.sleep(0.3)  # inside the 0.5 s timeout: still the gesture
        assert client.state()["/lr/synth/speed"][0] > 1.9
        deadline = time.monotonic() + 10
        while True:
            st = client.state()
            if st["/lr/face/found"] == [0] and st["/lr/face/stillness"][0] > 0.99 \
                    and st["/lr/synth/speed"][0] < 0.3:
                break
            assert time.monotonic() < deadline, f"the synth held the last face: {st}"
            time.sleep(0.2)
        assert st["/lr/synth/band"][1] < held["/lr/synth/band"][1] / 2  # the band closed again
    finally:
        face.kill()
        face.wait(10)
        client.send("/lr/synth/mapping", 0)
        client.send("/lr/synth/speed", 0.0)
