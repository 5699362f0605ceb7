"""Note voices offline: in tune for any latent, bend, the generator's timbre, click-free
envelopes, voice stealing, headroom (engine.synth.notes, no JACK)."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.paths import DEFAULT_CHECKPOINT
from engine.synth.bandpass import OutputStage
from engine.synth.notes import NOTE_LEVEL, SpectralEnvelope, for_codec, note_hz
from pitch_util import cents, fundamental, partial_db

SR = 48000


@pytest.fixture(scope="module")
def gen():
    from engine.gan.runtime import load_generator

    return load_generator(DEFAULT_CHECKPOINT)


@pytest.fixture(scope="module")
def images(gen):
    return [np.asarray(gen.generate(gen.random_latent(s)), np.float32) for s in (1, 2, 3)]


def engine(gen, image, **kw):
    e = for_codec(gen.codec, SR)
    e.set_image(image)
    for k, v in kw.items():
        setattr(e, k, v)
    return e


def play(e, seconds: float, block: int = 256) -> np.ndarray:
    return np.concatenate([e.render(block) for _ in range(int(seconds * SR / block))])


def test_every_note_is_in_tune_whatever_the_latent(gen, images):
    worst = 0.0
    for img in images:
        for note in range(36, 85, 3):
            e = engine(gen, img)
            e.note_on(note, 1.0)
            y = play(e, 1.6)[int(0.4 * SR):, 0]  # 1.2 s of the held note
            worst = max(worst, abs(cents(fundamental(y, SR, note_hz(note)), note_hz(note))))
    assert worst <= 2.0, f"a note is {worst:.2f} cents off"


def test_bend_and_tuning_move_the_pitch_exactly(gen, images):
    for bend, tuning in ((0.5, 440.0), (-2.0, 440.0), (0.0, 432.0), (7.0, 415.0)):
        e = for_codec(gen.codec, SR, tuning=tuning)
        e.set_image(images[0])
        e.set_bend(bend)
        e.note_on(57, 1.0)
        y = play(e, 1.5)[int(0.3 * SR):, 0]
        want = tuning * 2 ** ((57 + bend - 69) / 12)
        assert abs(cents(fundamental(y, SR, want), want)) <= 2.0, (bend, tuning)


def test_harmonics_follow_the_generated_envelope(gen, images):

    for img in images:
        e = engine(gen, img, speed=0.0)  # the playhead stays on column 0
        e.set_envelope(0.002, 0.001, 1.0, 0.4)
        note = 48
        f0 = note_hz(note)
        e.note_on(note, 1.0)
        y = play(e, 1.2)[int(0.2 * SR):, 0]
        k = int(min(8000.0, e.top_hz) // f0)
        got = partial_db(y, SR, f0, k)
        env = SpectralEnvelope(img, e.centres, e.top_db)
        want = 20 * np.log10(env.magnitudes(np.arange(1, k + 1) * f0)[:, 0])
        loud = want > want.max() - 40  # partials the envelope puts within 40 dB of its peak
        d = (got - want)[loud]
        d -= np.median(d)  # the level is normalised, the shape must match
        assert np.median(np.abs(d)) <= 3.0, np.round(d, 1)


def _centroid(y, sr):
    p = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2
    f = np.fft.rfftfreq(len(y), 1 / sr)
    return float((p * f).sum() / p.sum())


def test_a_latent_change_moves_a_held_note_like_the_drone():
    """The note engine follows its image's envelope as the voice does.  On the previous,
    unconditioned default (``default-128``), whose latents move the harmonic envelope: the
    conditioned default's latent changes at one pitch move mostly the content between the
    harmonics, which a note does not sound (its notes' centroids move ~0.1x the drone's)."""
    from engine.gan.runtime import load_generator
    from engine.synth.chain import make_voice

    gen = load_generator(DEFAULT_CHECKPOINT.parent / "default-128.pt")

    sr = gen.codec.sr
    moved = []
    for a, b in ((11, 12), (13, 14), (15, 16)):
        ia, ib = (np.asarray(gen.generate(gen.random_latent(s)), np.float32) for s in (a, b))
        drone, note = [], []
        for img in (ia, ib):
            v = make_voice(gen.codec, 0)
            v.set_spectrogram(img)
            d = np.concatenate([v.next_hop() for _ in range(int(1.5 * sr / v.hop))])
            drone.append(_centroid(d[sr // 2:], sr))
            e = for_codec(gen.codec, sr)
            e.set_image(img)
            e.note_on(48, 1.0)
            y = np.concatenate([e.render(512) for _ in range(int(1.5 * sr / 512))])[:, 0]
            note.append(_centroid(y[sr // 2:], sr))
        moved.append((abs(note[1] - note[0]), abs(drone[1] - drone[0])))
    moved = np.array(moved)
    assert moved[:, 0].sum() >= 0.5 * moved[:, 1].sum(), moved


def _max_step(y):
    return float(np.max(np.abs(np.diff(y))))


def test_note_off_retrigger_and_stealing_never_click(gen, images):
    e = engine(gen, images[0])
    e.set_envelope(0.005, 0.2, 0.8, 0.05)
    e.note_on(60, 1.0)
    steady = play(e, 1.0)[:, 0]
    step = _max_step(steady[SR // 2:])
    rng = np.random.default_rng(0)
    e.render(int(rng.integers(1, 255)))  # a note-off at an arbitrary sample
    e.note_off(60)
    off = play(e, 0.2)[:, 0]
    e.note_on(60, 1.0)
    e.render(int(rng.integers(1, 255)))
    e.note_on(60, 0.5)  # a retrigger mid-attack
    retrig = play(e, 0.3)[:, 0]
    e.set_voices(1)
    e.note_on(72, 1.0)  # steals the sounding voice
    stolen = play(e, 0.3)[:, 0]
    # a retriggered or stealing note's own attack and decay (above its sustain level) may be
    # steeper than the old note's steady state (a note that holds little high frequency once
    # it settles): a click is a step beyond what the new note does alone
    def alone(note, velocity):
        fresh = engine(gen, images[0])
        fresh.set_envelope(0.005, 0.2, 0.8, 0.05)
        fresh.note_on(note, velocity)
        return max(step, _max_step(play(fresh, 0.3)[:, 0]))

    for name, y, bar in (("note-off", off, step), ("retrigger", retrig, alone(60, 0.5)),
                         ("steal", stolen, alone(72, 1.0))):
        assert _max_step(y) <= 1.05 * bar, (name, _max_step(y), bar)
    assert e.stolen == 1 and e.sounding == 1


def test_voices_are_counted_stolen_and_held_by_the_pedal(gen, images):
    e = engine(gen, images[0])
    e.set_envelope(0.002, 0.1, 0.5, 0.2)
    for n in range(48, 57):  # nine notes, eight voices: the oldest held one goes
        e.note_on(n, 0.8)
        e.render(256)
    play(e, 0.05)
    assert e.stolen == 1 and sorted(v.note for v in e.voices) == list(range(49, 57))
    e.set_sustain(True)
    for n in range(49, 57):
        e.note_off(n)
    play(e, 1.0)
    assert e.sounding == 8  # held by the pedal
    e.set_sustain(False)
    play(e, 1.0)
    assert e.sounding == 0  # released when it lifts


def test_eight_voices_and_the_drone_stay_below_full_scale(gen, images):
    from engine.synth.chain import make_voice
    from engine.synth.stereo import DroneWidener, StereoStage

    sr = gen.codec.sr
    loudest = max(images, key=lambda im: float(im.max()))
    v = make_voice(gen.codec, 0)
    v.set_spectrogram(loudest)
    e = for_codec(gen.codec, sr)
    e.set_image(loudest)
    e.width = 0.0  # everything in the middle: the worst case for one channel
    for n in (36, 43, 48, 52, 55, 60, 64, 67):
        e.note_on(n, 1.0)
    w, stage = DroneWidener(sr), StereoStage(sr)
    raw, out = [], []
    for _ in range(int(3.0 * sr / v.hop)):
        mix = w.process(v.next_hop()) + e.render(v.hop)
        raw.append(mix.copy())
        out.append(stage.process(mix))
    raw, out = np.concatenate(raw), np.concatenate(out)
    assert float(np.abs(out).max()) < 1.0
    # the limiter is the last resort, not the sound: it acts on a small share of the samples
    assert float(np.mean(np.abs(raw) > OutputStage.KNEE)) < 0.01
    assert NOTE_LEVEL > 0


def test_width_zero_is_mono_and_width_spreads_notes(gen, images):
    from engine.synth.stereo import DroneWidener

    e = engine(gen, images[0])
    e.width = 0.0
    e.note_on(40, 1.0)
    e.note_on(80, 1.0)
    y = play(e, 0.5)
    assert np.array_equal(y[:, 0], y[:, 1])
    e.width = 1.0
    y = play(e, 1.0)[SR // 2:]
    lo = _centroid(y[:, 0], SR), _centroid(y[:, 1], SR)
    assert lo[0] < lo[1]  # the low note left, the high one right
    w = DroneWidener(SR)
    d = np.random.default_rng(0).standard_normal(SR).astype(np.float32)
    w.width = 0.0
    s0 = w.process(d)
    assert np.array_equal(s0[:, 0], s0[:, 1])
    w.width = 1.0
    w.process(d)  # (the width ramps over this block)
    s1 = w.process(d)
    assert np.allclose(s1[:, 0] + s1[:, 1], 2 * d, atol=1e-5)  # mono-compatible
    assert abs(np.corrcoef(s1[:, 0], s1[:, 1])[0, 1]) < 0.5


def test_a_note_with_its_own_image_takes_that_timbre(gen, images):
    def sound(own):
        e = engine(gen, images[0], speed=0.0)
        if own:
            e.set_note_image(48, images[1])  # as a pitch-conditioned generator answers
        e.note_on(48, 1.0)
        return play(e, 1.0)[SR // 2:, 0]

    shared, own = sound(False), sound(True)
    e = engine(gen, images[1], speed=0.0)
    e.note_on(48, 1.0)
    other = play(e, 1.0)[SR // 2:, 0]
    assert np.allclose(own, other, atol=1e-6) and not np.allclose(own, shared, atol=1e-3)


def test_voices_played_together_sound_as_each_played_alone(gen, images):
    """All voices render as one batch (one inverse FFT, one table read): a chord must be the
    sum of its notes played one at a time -- any voice leaking into another's table, phase,
    level or pan would show here."""
    chord = ((40.0, 1.0, None), (55.0, 0.5, 1), (64.5, 0.8, None), (79.0, 0.3, 2))

    def perform(notes) -> np.ndarray:
        e = engine(gen, images[0], clarity=0.6, width=1.0)
        for note, velocity, own in notes:
            if own is not None:
                e.set_note_image(note, images[own])
            e.note_on(note, velocity)
        out = [e.render(256) for _ in range(40)]
        e.set_bend(1.5)  # the pitch glides over the next block, for every voice
        out += [e.render(200) for _ in range(20)]
        e.width = 0.3  # the pans ramp
        e.note_off(55.0)
        out += [e.render(256, ((100, lambda: e.note_off(40.0)),)) for _ in range(60)]
        return np.concatenate(out)

    together = perform(chord)
    alone = sum(perform([n]) for n in chord)
    assert np.sqrt(np.mean(together ** 2)) > 0.05
    np.testing.assert_allclose(together, alone, atol=1e-5)
