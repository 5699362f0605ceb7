"""The synth's pure pieces and its OSC edge, in-process: mapping curves, glide, validation,
ring buffer, output band-pass and the generator's scheduling."""

from __future__ import annotations

import contextlib
import math
import threading
import time

import numpy as np
import pytest

from bridge.address_table import SYNTH_ADDRESSES
from bridge.jack.audio_out import RingBuffer
from bridge.osc.server import ACCEPTED, ErrorLog, OscContext, apply_message, bundle_ok
from bridge.synth.state import SynthState
from engine.synth import mapping
from engine.synth.bandpass import OutputStage, StreamingBandpass
from engine.synth.glide import Glide, slerp


# --- mapping ------------------------------------------------------------------------------
def test_mapping_curves_are_monotonic_and_in_range():
    x = np.linspace(0, 1, 101)
    speed = [mapping.rotation_to_speed(v) for v in x]
    width = [math.log2(h / l) for l, h in (mapping.jaw_to_band(v) for v in x)]
    ent = [mapping.brow_to_entropy(v) for v in x]
    cla = [mapping.stillness_to_clarity(v) for v in x]
    for seq in (speed, width, ent, cla):
        assert np.all(np.diff(seq) >= 0)
    assert speed[0] == pytest.approx(0.25) and speed[-1] == pytest.approx(2.0)
    lo, hi = mapping.jaw_to_band(1.0)
    assert lo <= 40 and hi == 11025.0  # an open mouth opens the whole band
    lo, hi = mapping.jaw_to_band(0.0)
    assert 300 < lo < hi < 2000
    assert ent[0] == 0 and cla[-1] == 1 and cla[50] < 0.5  # clarity only when really still
    assert mapping.rotation_to_speed(float("nan")) == pytest.approx(0.25)


def test_generator_inputs_follow_clarity_and_entropy():
    psi0, n0 = mapping.generator_inputs(0.0, 0.0)
    psi1, n1 = mapping.generator_inputs(1.0, 0.0)
    _, n2 = mapping.generator_inputs(0.0, 1.0)
    assert psi0 == 1.0 and psi1 < 0.5  # clarity truncates toward the mean
    assert n1 < n0 < n2  # clarity lowers the noise, entropy raises it


def test_face_drives_controls_only_with_mapping_on():
    st = SynthState(np.zeros(8, np.float32))
    st.set_face(rotation=1.0, jaw=1.0, brow=1.0, stillness=0.0)
    c = st.controls()
    assert c.speed == pytest.approx(2.0) and c.entropy == 1.0 and c.clarity == 0.0
    st.set_controls(mapping=0)
    st.set_face(rotation=0.0)
    assert st.controls().speed == pytest.approx(2.0)


# --- glide --------------------------------------------------------------------------------
def test_slerp_keeps_the_norm_and_hits_the_ends():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(64).astype(np.float32), rng.standard_normal(64).astype(np.float32)
    mid = slerp(a, b, 0.5)
    assert np.allclose(slerp(a, b, 0.0), a, atol=1e-5) and np.allclose(slerp(a, b, 1.0), b, atol=1e-5)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    assert np.linalg.norm(mid) == pytest.approx((na + nb) / 2, rel=1e-4)
    assert np.linalg.norm((a + b) / 2) < 0.85 * np.linalg.norm(mid)  # lerp would sag


def test_glide_retarget_mid_way_never_jumps():
    rng = np.random.default_rng(1)
    z0, z1, z2 = (rng.standard_normal(16).astype(np.float32) for _ in range(3))
    g = Glide(z0)
    g.set_target(z1, now=0.0, seconds=1.0)
    assert g.moving(0.5) and not g.moving(1.0)
    p = g.position(0.5).copy()
    g.set_target(z2, now=0.5, seconds=1.0)
    assert np.allclose(g.position(0.5), p)  # continues from where it was
    assert np.allclose(g.position(1.5), z2)
    g.set_target(z0, now=2.0, seconds=0.0)  # glide 0: jump
    assert np.allclose(g.position(2.0), z0)


# --- OSC validation -----------------------------------------------------------------------
@pytest.fixture
def ctx():
    st = SynthState(np.zeros(4, np.float32))
    return OscContext(st, lambda s: np.full(4, s, np.float32), lambda: (4, "t", 48000, 0, 1.0),
                      frozenset({"bright"}))


def test_every_synth_address_of_the_table_is_handled():
    assert {a.path for a in SYNTH_ADDRESSES} <= set(ACCEPTED)


@pytest.mark.parametrize("path,args,needle", [
    ("/lr/nope", (1,), "unknown address"),
    ("/lr/synth/speed", ("x",), "expected a number"),
    ("/lr/synth/speed", (float("nan"),), "NaN"),
    ("/lr/synth/speed", (1.0, 2.0), "expected 1 argument"),
    ("/lr/synth/band", (900.0, 100.0), "below"),
    ("/lr/latent", (1.0, 2.0), "expected 4 floats"),
    ("/lr/latent", (b"\x00" * 12,), "blob must hold 4 float32"),
    ("/lr/latent", (1.0, 2.0, float("inf"), 0.0), "NaN"),
    ("/lr/latent/set", (4, 1.0), "outside 0..3"),
    ("/lr/latent/set", (1.5, 1.0), "expected an integer"),
    ("/lr/latent/direction", ("dark", 1.0), "unknown direction"),
    ("/lr/synth/mapping", (True,), "expected a number"),
])
def test_bad_messages_reply_an_error_and_change_nothing(ctx, path, args, needle):
    before_c, before_z = ctx.state.controls(), ctx.state.latent()
    reply = apply_message(ctx, path, args, ErrorLog())
    assert reply[0] == "/lr/error" and needle in reply[1]
    assert ctx.state.controls() == before_c
    assert ctx.state.latent()[2] == before_z[2]


def test_good_messages_change_state(ctx):
    e = ErrorLog()
    assert apply_message(ctx, "/lr/synth/speed", (9,), e) is None
    assert ctx.state.controls().speed == 4.0  # clipped to the table's range
    z = np.array([1, 2, 3, 4], "<f4")
    apply_message(ctx, "/lr/latent", (z.tobytes(),), e)
    assert np.array_equal(ctx.state.latent()[0], z)
    apply_message(ctx, "/lr/latent/set", (2, 0.5), e)
    apply_message(ctx, "/lr/latent/direction", ("bright", 1.5), e)
    tz, dirs, _ = ctx.state.latent()
    assert tz[2] == 0.5 and dirs == {"bright": 1.5}
    apply_message(ctx, "/lr/latent/seed", (3,), e)
    assert np.all(ctx.state.latent()[0] == 3)
    assert apply_message(ctx, "/lr/status", (), e) == ("/lr/status", 4, "t", 48000, 0, 1.0)
    assert e.count == 0


def test_error_log_reports_each_kind_once(caplog):
    e = ErrorLog()
    with caplog.at_level("WARNING", logger="latent_resonance.synth.osc"):
        for _ in range(50):
            e("wrong types", "x")
        e("not finite", "y")
    assert e.count == 51 and len(caplog.records) == 2


def test_packet_framing_checks():
    from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
    from pythonosc.osc_message_builder import build_msg

    msg = build_msg("/lr/synth/speed", [1.0]).dgram
    b = OscBundleBuilder(IMMEDIATELY)
    b.add_content(build_msg("/lr/face/jaw", [0.5]))
    bundle = b.build().dgram
    assert bundle_ok(msg) and bundle_ok(bundle)
    assert not bundle_ok(msg[:-2])
    evil = bundle[:16] + (-4).to_bytes(4, "big", signed=True) + bundle[20:]
    assert not bundle_ok(evil)  # python-osc would loop forever on this
    assert not bundle_ok(b"garbage!")


# --- ring buffer, band-pass ---------------------------------------------------------------
def test_ring_buffer_wraps_and_counts_underruns():
    r = RingBuffer(1024, 48000, channels=1)
    out = np.empty(256, np.float32)
    r.read_into(out)
    assert r.underruns == 0 and not out.any()  # not primed yet: silence is not an underrun
    r.primed = True
    data = np.arange(3000, dtype=np.float32)
    got = []
    pos = 0
    while pos < len(data):
        pos += r.write(data[pos:pos + 700])
        while r.fill >= 256:
            r.read_into(out)
            got.append(out.copy())
    assert np.array_equal(np.concatenate(got), data[: len(got) * 256])
    r.read_into(out)
    assert r.underruns == 1


def test_bandpass_passes_its_band_and_keeps_state():
    sr = 22050
    t = np.arange(sr) / sr
    lowtone, hightone = np.sin(2 * np.pi * 200 * t), np.sin(2 * np.pi * 5000 * t)
    bp = StreamingBandpass(sr, 100, 400)
    y = np.concatenate([bp.process(b) for b in np.split((lowtone + hightone).astype(np.float32), 50)])
    tail = y[sr // 2:]
    lo_amp = abs(np.dot(tail, lowtone[sr // 2:])) * 2 / len(tail)
    hi_amp = abs(np.dot(tail, hightone[sr // 2:])) * 2 / len(tail)
    assert lo_amp > 0.7 and hi_amp < 0.01


# --- generator scheduling -----------------------------------------------------------------
class _CountingCkpt:
    z_dim = 4

    def __init__(self):
        self.calls = []

    def generate(self, z, truncation=1.0, noise=1.0, directions=None):
        self.calls.append((np.array(z), truncation, noise, directions))
        return np.zeros((8, 4), np.float32)


def test_band_jumps_never_ring_above_the_input_level():
    # the jaw slams the band between wide open and narrow, every 20 ms, on a loud chord
    sr, block = 48000.0, 256
    t = np.arange(int(sr * 2)) / sr
    x = (0.3 * (np.sin(2 * np.pi * 110 * t) + np.sin(2 * np.pi * 700 * t)
                + np.sin(2 * np.pi * 3000 * t))).astype(np.float32)
    bp = StreamingBandpass(sr)
    out = []
    for k in range(0, len(x), block):
        if (k // block) % 4 == 0:
            bp.set_band(*((1.0, 20000.0) if (k // block) % 8 == 0 else (476.0, 1345.0)))
        out.append(bp.process(x[k:k + block]))
    y = np.concatenate(out)
    assert np.abs(y).max() <= 1.25 * np.abs(x).max()
    # and consecutive samples never step more than the input itself does (no clicks)
    assert np.abs(np.diff(y)).max() <= 1.5 * np.abs(np.diff(x)).max()


def test_output_stage_never_exceeds_full_scale():
    stage = OutputStage(48000.0)
    stage.set(20.0, 20000.0, 12.0)  # +12 dB on an already hot signal
    x = np.sin(np.linspace(0, 200 * np.pi, 4800)).astype(np.float32)
    y = np.concatenate([stage.process(x[i:i + 480].copy()) for i in range(0, 4800, 480)])
    assert np.abs(y).max() <= 1.0
    quiet = OutputStage(48000.0)
    q = 0.1 * x[:480]
    assert np.allclose(quiet.process(q.copy())[-100:], q[-100:], atol=0.02)  # linear below the knee


def test_generator_runs_only_when_something_moves():
    from engine.synth.planner import LatentGenerator

    st = SynthState(np.ones(4, np.float32))
    ck = _CountingCkpt()
    g = LatentGenerator(ck, st, max_rate=10)
    assert g.step(0.0) is not None  # first image
    assert g.step(1.0) is None and g.step(2.0) is None  # nothing moved: no pass
    st.set_glide(0.0)
    st.set_latent(np.full(4, 2.0, np.float32))
    assert g.step(2.0) is not None  # a new target: one pass
    st.set_latent(np.full(4, 3.0, np.float32))
    assert g.step(2.05) is None  # at most max_rate passes per second...
    assert g.step(2.1) is not None  # ...then it runs
    assert np.allclose(ck.calls[-1][0], 3.0)
    n = len(ck.calls)
    st.set_controls(clarity=1.0)
    assert g.step(3.0) is not None and len(ck.calls) == n + 1  # truncation follows clarity
    assert ck.calls[-1][1] == pytest.approx(mapping.generator_inputs(1.0, 0.0)[0])
    st.set_controls(entropy=0.5)  # entropy keeps the latent wandering
    assert g.step(4.0) is not None and g.step(5.0) is not None


def test_a_glide_shorter_than_the_pass_interval_still_reaches_its_target():
    """A 50 ms glide with passes at most every 66 ms: the last pass is at the target."""
    from engine.synth.planner import LatentGenerator

    class Recorder:  # the real generator is not needed: record the latents asked for
        z_dim = 4

        def __init__(self):
            self.asked = []

        def generate(self, z, truncation=1.0, noise=1.0, directions=None):
            self.asked.append(np.array(z, dtype=np.float32))
            return np.zeros((8, 8), dtype=np.float32)

    rec = Recorder()
    state = SynthState(np.zeros(4, np.float32))
    gen = LatentGenerator(rec, state, max_rate=15.0)
    state.set_glide(0.05)
    t = 0.0
    while t < 0.5:
        gen.step(t)
        t += 0.005
    target = np.array([1.0, -1.0, 0.5, 2.0], np.float32)
    state.set_latent(target)
    while t < 1.0:
        gen.step(t)
        t += 0.005
    assert np.allclose(rec.asked[-1], target, atol=1e-5), rec.asked[-1]


# --- voice thread ---------------------------------------------------------------------------
@contextlib.contextmanager
def _running_voice(starved: bool, realtime: bool = False, jack_priority: int | None = None,
                   buffer_max_ms: float | None = None, stall: threading.Event | None = None):
    """A VoiceRunner on a ring drained by a JACK stand-in thread; yields (runner, mailbox).
    ``starved``: a ring that never reports any audio queued (a machine that cannot keep up);
    ``jack_priority``: the stand-in's process-thread priority as JackOutput reports it;
    ``stall``: when set, the stand-in takes 30 ms at once, as JACK does while the voice thread
    is frozen, and clears it."""
    from types import SimpleNamespace

    from bridge.mailbox import Mailbox
    from bridge.synth.voice_runner import VoiceRunner
    from engine.synth.chain import make_voice
    from engine.spectral.codec import CodecParams

    codec = CodecParams(n_mels=128, frames=64)
    voice = make_voice(codec, 0)
    voice.set_spectrogram(np.random.default_rng(0).uniform(-1, 1, (128, 64)).astype(np.float32))

    class NeverFull(RingBuffer):
        fill = property(lambda self: 0)

    # at the voice's rate: no resampler
    ring = (NeverFull if starved else RingBuffer)(codec.sr, codec.sr)
    out = SimpleNamespace(ring=ring, blocksize=256, process_priority=jack_priority)
    mailbox = Mailbox()
    runner = VoiceRunner(voice, SynthState(np.zeros(4, np.float32)), mailbox, out, 20.0,
                         realtime, buffer_max_ms)
    stop = threading.Event()

    def consume():  # a JACK stand-in: a period every 11.6 ms
        buf = np.zeros(256, np.float32)
        gulp = np.zeros(int(0.030 * codec.sr), np.float32)
        while not stop.is_set():
            if stall is not None and stall.is_set():
                ring.read_into(gulp)
                stall.clear()
            ring.read_into(buf)
            time.sleep(256 / codec.sr)

    t = threading.Thread(target=consume, daemon=True)
    runner.start()
    t.start()
    try:
        yield runner, mailbox
    finally:
        stop.set()
        runner.stop()
        t.join(2)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("starved", [False, True])
def test_voice_thread_follows_new_images_even_when_the_ring_cannot_be_kept_up(starved):
    """New images are converted while the ring holds half its target; on a machine that cannot
    keep it up (here a ring that never reports any audio queued) they are still set within a
    few periods, so the sound keeps following the latent -- at realtime priority too, where
    the thread must still pause now and then."""
    rng = np.random.default_rng(1)
    with _running_voice(starved, realtime=starved, jack_priority=5) as (runner, mailbox):
        for k in range(5):
            before = runner.images
            mailbox.put(rng.uniform(-1, 1, (128, 64)).astype(np.float32))
            deadline = time.monotonic() + 2.0
            while runner.images == before and time.monotonic() < deadline:
                time.sleep(0.005)
            assert runner.images == before + 1, f"image {k} was not set"


@pytest.mark.timeout(60)
def test_voice_thread_follows_jacks_realtime_priority_one_step_below(caplog):
    """Beside a realtime JACK process thread (FIFO 5, jackd2's default for clients) the voice
    thread runs at FIFO 4; beside one at normal priority, or with realtime off, it stays at
    normal priority; where the system refuses realtime it plays on and says why once."""
    from synth_util import realtime_allowed

    allowed = realtime_allowed()
    cases = [(True, 5, "SCHED_FIFO 4" if allowed else "SCHED_OTHER 0"),
             (True, 2, "SCHED_FIFO 1" if allowed else "SCHED_OTHER 0"),
             (True, 1, "SCHED_OTHER 0"), (True, 0, "SCHED_OTHER 0"),
             (False, 5, "SCHED_OTHER 0")]
    for realtime, jack_priority, want in cases:
        caplog.clear()
        with _running_voice(False, realtime, jack_priority) as (runner, _):
            deadline = time.monotonic() + 5.0
            while not (runner.scheduling and runner.hops) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert runner.scheduling == want, (realtime, jack_priority)
            assert runner.hops > 0, "the voice thread renders nothing"
        refused = [r for r in caplog.records if "normal priority" in r.getMessage()]
        assert len(refused) == (1 if want == "SCHED_OTHER 0" and realtime and jack_priority > 1
                                else 0)
    from bridge.jack.rt_priority import thread_policy

    assert thread_policy() == "SCHED_OTHER 0", "the caller's own thread must stay as it was"


@pytest.mark.timeout(60)
def test_a_stall_grows_the_live_queue_and_the_voice_fills_it():
    """A stall that nearly runs the ring dry raises the queue target (what /lr/status reports
    as latency), and the voice thread fills the ring up to the new target; with the ceiling
    at the floor (a fixed queue) the same stall changes nothing."""
    for ceiling, grows in ((100.0, True), (20.0, False)):
        stall = threading.Event()
        with _running_voice(False, buffer_max_ms=ceiling, stall=stall) as (runner, _):
            ring = runner.out.ring
            deadline = time.monotonic() + 5.0
            while not ring.primed and time.monotonic() < deadline:
                time.sleep(0.01)
            assert ring.primed and runner.buffer_ms == 20.0
            stall.set()
            while stall.is_set() and time.monotonic() < deadline:
                time.sleep(0.005)
            # refilled to the raised target at once (well before the 0.25 s after which a
            # further low would count as a new stall and raise it again)
            refilled = time.monotonic() + 0.2
            while time.monotonic() < refilled and not (
                    runner.buffer_ms > 20.0 and ring.fill >= runner.target_fill(ring) - 256):
                time.sleep(0.002)
            if grows:
                assert runner.buffer_ms >= 30.0, "the stall did not raise the target"
                assert ring.fill >= runner.target_fill(ring) - 256, "the ring was not refilled"
            else:
                assert runner.buffer_ms == 20.0


def test_voice_thread_never_writes_more_than_the_ring_holds():
    """A ring smaller than the queue target (e.g. after a period change): the voice thread
    waits for room instead of losing samples in a short write."""
    from bridge.mailbox import Mailbox
    from bridge.synth.voice_runner import VoiceRunner
    from engine.synth.chain import make_voice
    from engine.spectral.codec import CodecParams

    class CountingRing(RingBuffer):
        short = 0

        def write(self, x):
            n = super().write(x)
            if n < len(x):
                CountingRing.short += 1
            return n

    class Out:  # the JackOutput attributes the voice thread reads
        def __init__(self):
            self.ring = CountingRing(1024, 22050)
            self.blocksize, self.process_priority, self.underruns = 256, 0, 0

    out = Out()
    voice = make_voice(CodecParams(n_mels=128, frames=64), 0)
    voice.set_spectrogram(np.random.default_rng(0).uniform(-1, 1, (128, 64)).astype(np.float32))
    runner = VoiceRunner(voice, SynthState(np.zeros(4, np.float32)), Mailbox(), out, 200.0,
                         realtime=False)
    assert runner.target_fill(out.ring) <= out.ring.capacity
    runner.start()
    got = 0
    buf = np.zeros(256, np.float32)
    try:
        t_end = time.monotonic() + 1.5
        while time.monotonic() < t_end:
            if out.ring.fill >= 256:
                out.ring.read_into(buf)
                got += 256
            time.sleep(0.002)
    finally:
        runner.stop()
    assert got > 10000 and CountingRing.short == 0
