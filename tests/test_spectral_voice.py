"""Streaming reconstruction and the voice: frequency, latency, speed, band, clarity, no clicks."""

from __future__ import annotations

import numpy as np
import pytest

from engine.spectral import (CodecParams, StreamingReconstructor, Voice, audio_to_spectrogram,
                             fit_frames)
from engine.spectral.metrics import spectral_convergence_db
from engine.spectral.reconstruct import spectrogram_to_audio
from engine.synth.chain import VoiceChain

SR = 22050
SMALL = CodecParams(n_mels=128, frames=128)


def tone_spec(freqs=(440.0,), seconds: float = 3.1, codec: CodecParams = SMALL) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    y = sum(0.3 * np.sin(2 * np.pi * f * t) for f in freqs).astype(np.float32)
    return fit_frames(audio_to_spectrogram(y, codec), codec.frames)


def noise_spec(seed: int = 0, codec: CodecParams = SMALL) -> np.ndarray:
    y = np.random.default_rng(seed).standard_normal(int(3.1 * SR)).astype(np.float32) * 0.1
    return fit_frames(audio_to_spectrogram(y, codec), codec.frames)


def peak_hz(y: np.ndarray) -> float:
    n = len(y)
    spec = np.abs(np.fft.rfft(y * np.hanning(n)))
    return float(np.argmax(spec) * SR / n)


def band_energy_fraction(y: np.ndarray, lo: float, hi: float) -> float:
    p = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2
    f = np.fft.rfftfreq(len(y), 1 / SR)
    return float(p[(f >= lo) & (f <= hi)].sum() / p.sum())


def max_step(y: np.ndarray) -> float:
    return float(np.max(np.abs(np.diff(y))))


def test_voice_contract_attributes_and_exact_hops():
    v = Voice(SMALL, lookahead=3, seed=1)
    assert v.sample_rate == SR and v.hop == 512
    assert v.latency_samples == 3 * 512
    assert v.next_hop().shape == (512,)  # silence before any spectrogram
    v.set_spectrogram(tone_spec())
    h = v.next_hop()
    assert h.dtype == np.float32 and h.shape == (512,)
    assert v.render(1000).shape == (1000,) and v.render(37).shape == (37,)
    assert 0.0 <= v.position < 128


def test_sine_spectrogram_plays_that_frequency_at_a_sane_level():
    v = Voice(SMALL, seed=0)
    v.set_spectrogram(tone_spec((440.0,)))
    y = v.render(SR * 2)[SR // 2:]
    assert abs(peak_hz(y) - 440.0) < 5.0
    rms = float(np.sqrt(np.mean(y ** 2)))
    assert 0.05 < rms < 0.5 and np.abs(y).max() < 1.0


def test_streaming_latency_is_lookahead_hops():
    n_fft, hop = 2048, 512
    for la in (0, 1, 3):
        r = StreamingReconstructor(n_fft, hop, lookahead=la)
        frames = [np.full(n_fft // 2 + 1, 10.0 if i == 5 else 0.0, np.float32) for i in range(12)]
        outs = [r.push(f) for f in frames]
        first = next(i for i, o in enumerate(outs) if np.abs(o).max() > 1e-6)
        assert first == 5 + la
        assert r.latency_samples == la * hop


def test_streaming_matches_offline_quality():
    """Voice at speed 1 over an image vs the whole-image path: spectral convergence within 2 dB."""
    t = np.arange(int(3.1 * SR)) / SR
    f0 = 220 * (1 + 0.005 * np.sin(2 * np.pi * 4 * t))
    ph = 2 * np.pi * np.cumsum(f0) / SR
    y = sum(np.sin(k * ph) / k for k in range(1, 15)).astype(np.float32) * 0.2
    spec = fit_frames(audio_to_spectrogram(y, SMALL), SMALL.frames)
    offline = spectrogram_to_audio(spec, SMALL, lpf_cutoff=None, spectral_smooth_sigma=0.0,
                                   noise_floor_db=0.0)
    v = Voice(SMALL, loop_xfade=0, seed=0)
    v.set_spectrogram(spec)
    stream = v.render((SMALL.frames + 3) * 512)
    # stream frame t starts at t*hop; offline (centred) frame t at t*hop - n_fft/2
    stream = stream[v.latency_samples + SMALL.n_fft // 2 - 512 * 0:][: len(offline)]
    cols = slice(4, SMALL.frames - 6)
    sc_off = spectral_convergence_db(offline, spec, SMALL, cols)
    sc_str = spectral_convergence_db(stream, spec, SMALL, cols)
    assert sc_off < -10.0
    assert sc_str <= sc_off + 2.0, (sc_str, sc_off)


def _burst_spec() -> np.ndarray:
    spec = np.full((128, 128), -1.0, np.float32)
    spec[40:60, 48:80] = 1.0  # a 32-column burst
    return spec


def _burst_hops(speed: float) -> tuple[int, int]:
    v = Voice(SMALL, loop_xfade=0, seed=0)
    v.set_spectrogram(_burst_spec())
    v.set_params(speed=speed)
    env = np.array([np.sqrt(np.mean(v.next_hop() ** 2)) for _ in range(int(128 / speed))])
    on = np.flatnonzero(env > 0.3 * env.max())
    return int(on[0]), int(on[-1] - on[0] + 1)


def test_speed_two_halves_duration():
    start1, dur1 = _burst_hops(1.0)
    start2, dur2 = _burst_hops(2.0)
    assert abs(dur2 / dur1 - 0.5) < 0.12, (dur1, dur2)
    assert abs((start2 - 3) / (start1 - 3) - 0.5) < 0.1, (start1, start2)


def test_speed_zero_freezes_and_loop_wraps():
    v = Voice(SMALL, seed=0)
    v.set_spectrogram(tone_spec())
    v.set_params(speed=0.0)
    v.render(512 * 20)
    assert v.position == 0.0
    v.set_params(speed=4.0)
    for _ in range(100):
        v.next_hop()
        assert 0.0 <= v.position < 128
    v.set_params(speed=99.0)  # clipped to the documented range
    assert v.speed == 4.0


def chain_render(ch: VoiceChain, n: int) -> np.ndarray:
    """``n`` samples through the voice and its output stage, as the daemon plays them."""
    hops = -(-n // ch.hop)
    return np.concatenate([ch.next_hop() for _ in range(hops)])[:n]


def test_band_pass_removes_energy_outside_the_band():
    ch = VoiceChain(Voice(SMALL, seed=0))
    ch.voice.set_spectrogram(noise_spec())
    full = chain_render(ch, SR)
    ch.stage.set(1000.0, 3000.0, 0.0)
    chain_render(ch, 512 * 8)  # let the filter settle
    y = chain_render(ch, SR)
    assert band_energy_fraction(full, 700, 4000) < 0.6
    assert band_energy_fraction(y, 700, 4000) > 0.98


def test_gain_and_clarity():
    ch = VoiceChain(Voice(SMALL, seed=0))
    ch.voice.set_spectrogram(tone_spec((440.0,)))
    chain_render(ch, SR)
    ref = chain_render(ch, SR)
    ch.stage.set(0.0, SMALL.nyquist, -6.0)
    chain_render(ch, 512 * 2)
    quiet = chain_render(ch, SR)
    ratio = np.sqrt(np.mean(quiet ** 2) / np.mean(ref ** 2))
    assert ratio == pytest.approx(10 ** (-6 / 20), rel=0.1)

    # clarity lowers the noise floor: a tone over quiet noise gets purer
    t = np.arange(int(3.1 * SR)) / SR
    y = (0.3 * np.sin(2 * np.pi * 440 * t)
         + 0.003 * np.random.default_rng(0).standard_normal(len(t))).astype(np.float32)
    spec = fit_frames(audio_to_spectrogram(y, SMALL), SMALL.frames)
    shares = []
    for clarity in (0.0, 1.0):
        v = Voice(SMALL, seed=0)
        v.set_spectrogram(spec)
        v.set_params(clarity=clarity)
        out = v.render(2 * SR)[SR // 2:]
        shares.append(1.0 - band_energy_fraction(out, 380, 500))
    assert shares[1] < shares[0] / 10.0, shares  # >= 10 dB less energy away from the tone


def test_abrupt_changes_make_no_clicks():
    """Speed, band, gain and spectrogram jumps: no sample step above the signal's own."""
    a, b = tone_spec((220.0, 660.0)), tone_spec((330.0, 1320.0))
    steady = []
    for spec in (a, b):
        ch = VoiceChain(Voice(SMALL, seed=0))
        ch.voice.set_spectrogram(spec)
        steady.append(max_step(chain_render(ch, SR)[2048:]))
    ch = VoiceChain(Voice(SMALL, seed=0))
    ch.voice.set_spectrogram(a)
    chain_render(ch, SR // 2)
    band, gain_db, gain = (0.0, SMALL.nyquist), 0.0, 1.0
    for change in ({"speed": 4.0}, {"band": (200.0, 250.0)}, {"speed": 0.3},
                   {"band": (0.0, SMALL.nyquist)}, {"gain_db": 6.0}, {"gain_db": -12.0},
                   {"clarity": 1.0}, {"speed": 0.0}, {"clarity": 0.0, "speed": 2.5}):
        band, gain_db = change.get("band", band), change.get("gain_db", gain_db)
        ch.stage.set(*band, gain_db)
        ch.voice.set_params(**{k: v for k, v in change.items() if k in ("speed", "clarity")})
        gain = max(gain, 10 ** (gain_db / 20))
        y = chain_render(ch, 4096)
        assert np.all(np.isfinite(y))
        assert max_step(y) <= 1.25 * steady[0] * gain, (change, max_step(y), steady[0])
    ch.stage.set(0.0, SMALL.nyquist, 0.0)
    chain_render(ch, 1024)
    ch.voice.set_spectrogram(b)
    y = chain_render(ch, SR // 2)
    ch.voice.set_spectrogram(a)
    ch.voice.set_spectrogram(b)  # a burst of new images mid-crossfade
    y = np.concatenate([y, chain_render(ch, SR // 2)])
    assert max_step(y) <= 1.25 * max(steady), (max_step(y), steady)


def test_voice_bad_input_raises_value_error():
    v = Voice(SMALL)
    with pytest.raises(ValueError, match="2-D"):
        v.set_spectrogram(np.zeros((2, 128, 128)))
    with pytest.raises(ValueError, match="NaN"):
        v.set_spectrogram(np.full((128, 128), np.nan))
    with pytest.raises(ValueError, match="empty"):
        v.set_spectrogram(np.zeros((128, 0)))
    with pytest.raises(ValueError, match="mel rows"):
        v.set_spectrogram(np.zeros((64, 128)))
    with pytest.raises(ValueError, match="finite"):
        v.set_params(speed=float("nan"))


@pytest.mark.parametrize("codec", [CodecParams(n_mels=64, frames=32, n_fft=1024, hop_length=256),
                                   CodecParams(n_mels=80, frames=50, n_fft=1000, hop_length=300)])
def test_voice_works_for_other_geometries(codec):
    v = Voice(codec, lookahead=2)
    sine = (0.3 * np.sin(2 * np.pi * 1000 * np.arange(SR) / SR)).astype(np.float32)
    spec = fit_frames(audio_to_spectrogram(sine, codec), codec.frames)
    v.set_spectrogram(spec)
    y = v.render(SR)
    assert v.next_hop().shape == (codec.hop_length,)
    assert abs(peak_hz(y[SR // 4:]) - 1000.0) < 30.0


def _amp(x: np.ndarray, f: float) -> float:
    """Amplitude of the partial at ``f`` Hz in ``x`` (Hann-windowed projection)."""
    w = np.hanning(len(x))
    t = np.arange(len(x)) / SR
    return float(2 * abs(np.sum(x * w * np.exp(-2j * np.pi * f * t))) / w.sum())


def _switch_220_to_1320(lookahead: int, xfade_hops: int, hops: int = 10, switch: bool = True):
    """(audio before the switch, the ``hops`` hops after it) of a voice playing 220 Hz that is
    handed a 1320 Hz image (or not, with ``switch=False``) on a hop boundary."""
    v = Voice(SMALL, lookahead=lookahead, seed=0, xfade_hops=xfade_hops)
    v.set_spectrogram(tone_spec((220.0,)))
    before = v.render(SR // 2 // 512 * 512)
    if switch:
        v.set_spectrogram(tone_spec((1320.0,)))
    return before, [v.next_hop() for _ in range(hops)]


def _lead_db(x: np.ndarray) -> float:
    """How far the new 1320 Hz partial leads the old 220 Hz one in ``x`` (dB)."""
    return 20 * np.log10(max(_amp(x, 1320.0), 1e-12) / max(_amp(x, 220.0), 1e-12))


@pytest.mark.parametrize("lookahead", [1, 2, 3, 4, 5])
def test_new_spectrogram_is_not_delayed_by_the_lookahead_or_the_overlap(lookahead):
    """The crossfade starts at the next output sample whatever the look-ahead, although each
    2048-sample frame overlaps three hops: with the daemon's 1-hop crossfade the new partial
    rises through hop 1 (it is the crossfade), and from hop 2 on the new image leads by far."""
    before, hops = _switch_220_to_1320(lookahead, 1)
    ref_before, ref_hops = _switch_220_to_1320(lookahead, 1, switch=False)
    assert np.array_equal(before, ref_before)
    # the first samples of hop 1 already differ from a voice that kept the old image
    d = hops[0][:32] - ref_hops[0][:32]
    assert np.sqrt(np.mean(d ** 2)) > 1e-3 * np.sqrt(np.mean(ref_hops[0] ** 2)), lookahead
    h1 = hops[0]
    rise = _lead_db(h1[256:]) - _lead_db(h1[:256])
    assert rise > 6.0, (lookahead, rise)  # measured 16 dB and more
    leads = [_lead_db(h) for h in hops[1:]]
    assert min(leads) > 20.0, (lookahead, leads)  # measured 50 dB and more


def test_a_longer_crossfade_takes_longer():
    """An 8-hop crossfade, as asked: at hop 2 the old image still weighs in; once it is over
    the new image leads by far."""
    _, hops = _switch_220_to_1320(2, 8, hops=14)
    assert _lead_db(hops[1]) < 20.0, _lead_db(hops[1])  # measured -5 dB
    assert min(_lead_db(h) for h in hops[9:]) > 20.0


def test_streaming_reconstructor_overlap_bookkeeping():
    rec = StreamingReconstructor(2048, 512, lookahead=2)
    assert (rec.sounding, rec.pending) == (3, 2)  # a frame overlaps the three hops after it
    mag = np.ones(1025, dtype=np.float32)
    for bad in (0, 4):
        with pytest.raises(IndexError):
            rec.revise_sounding(bad, mag)
    with pytest.raises(IndexError):
        rec.revise(2, mag)


def test_image_changes_make_no_clicks_with_the_daemons_short_crossfade():
    """The daemon's settings (look-ahead 2, 1-hop crossfade, revised pending frames): switching
    images, even several within a few hops, steps no more than the steady sounds do."""
    a, b = tone_spec((220.0, 660.0)), tone_spec((330.0, 1320.0))
    steady = []
    for spec in (a, b):
        v = Voice(SMALL, seed=0, lookahead=2, xfade_hops=1)
        v.set_spectrogram(spec)
        steady.append(max_step(v.render(SR)[2048:]))
    v = Voice(SMALL, seed=0, lookahead=2, xfade_hops=1)
    v.set_spectrogram(a)
    parts = [v.render(SR // 2)]
    for spec in (b, a, b, b, a):
        v.set_spectrogram(spec)
        parts.append(v.render(700))
    parts.append(v.render(SR // 4))
    y = np.concatenate(parts)[SR // 4:]
    assert np.all(np.isfinite(y))
    assert max_step(y) <= 1.25 * max(steady), (max_step(y), steady)


def test_subhops_keep_pitch_tempo_and_level():
    """Two voice hops per spectrogram hop: the same note at the same level, the same tempo
    (a burst lasts as long), in half-size steps."""
    spec = tone_spec((440.0,))
    ys = []
    for sub in (1, 2):
        v = Voice(SMALL, seed=0, lookahead=2 * sub, subhops=sub)
        assert v.hop == 512 // sub
        v.set_spectrogram(spec)
        ys.append(v.render(SR * 2)[SR // 2:])
    assert abs(peak_hz(ys[1]) - 440.0) < 5.0
    rms = [float(np.sqrt(np.mean(y ** 2))) for y in ys]
    assert abs(20 * np.log10(rms[1] / rms[0])) < 1.0, rms
    assert _burst_hops_for(subhops=2) == pytest.approx(2 * _burst_hops_for(subhops=1), abs=2)
    with pytest.raises(ValueError):
        Voice(SMALL, subhops=3)


def _burst_hops_for(subhops: int) -> int:
    v = Voice(SMALL, seed=0, loop_xfade=0, subhops=subhops)
    v.set_spectrogram(_burst_spec())
    hops = np.array([np.sqrt(np.mean(v.next_hop() ** 2)) for _ in range(128 * subhops)])
    loud = np.flatnonzero(hops > 0.5 * hops.max())
    return int(loud[-1] - loud[0])


def test_an_image_converted_block_by_block_sounds_the_same_and_sets_at_no_extra_cost():
    """The daemon's voice thread converts a new image's first blocks one step at a time between
    hops (IncomingSpectrogram); setting it then converts nothing more, at any speed and across
    the loop point, and the audio is bit-for-bit that of setting it directly."""
    from engine.spectral.voice import IncomingSpectrogram

    specs = [tone_spec((220.0 * (k + 1),)) for k in range(4)]
    outs = []
    for stepwise in (False, True):
        v = Voice(SMALL, seed=3, lookahead=2, xfade_hops=1)
        parts, extra, steps = [], 0, []
        for k in range(24):
            v.set_params(speed=(0.5, 1.0, 2.5, 4.0)[k % 4])
            if stepwise:
                incoming = IncomingSpectrogram(v, specs[k % 4])
                n = 1
                while not incoming.step():
                    n += 1
                steps.append((n, len(incoming.linear)))
                v.set_spectrogram(incoming.spec, incoming.linear)
                extra += int(v._layers[-1]._done.sum()) - len(incoming.linear)
            else:
                v.set_spectrogram(specs[k % 4])
            for _ in range(k % 5):
                parts.append(v.next_hop())
            v.position = (v.position + 37.3) % 100  # jump around, loop point included
        outs.append(np.concatenate(parts))
    assert extra == 0
    assert all(n == blocks + 1 for n, blocks in steps)  # one block per step, then done
    assert max(blocks for _, blocks in steps) >= 2  # a case that needed more than one
    assert np.array_equal(outs[0], outs[1])
    v = Voice(SMALL)
    v.set_spectrogram(specs[0], linear={0: np.zeros((3, 3), np.float32), 99: None, "x": 1})
    assert np.all(np.isfinite(v.render(4096)))  # blocks that do not fit are converted here
    with pytest.raises(ValueError):
        IncomingSpectrogram(v, np.full((128, 4), np.nan, np.float32))
