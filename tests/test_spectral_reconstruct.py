"""Whole-image reconstruction: frequency, length, and each of the origin's enhancements."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine.spectral import (CodecParams, audio_to_spectrogram, fit_frames, spectrogram_to_audio,
                             spectrogram_to_image)
from engine.spectral.metrics import spectral_convergence_db
from engine.spectral.reconstruct import finish, minimum_phase, prepare_mel
from engine.spectral.reference import origin_spectrogram_to_audio

SR = 22050
SMALL = CodecParams(n_mels=128, frames=128)


def spec_of(y: np.ndarray, codec: CodecParams = SMALL) -> np.ndarray:
    return fit_frames(audio_to_spectrogram(y.astype(np.float32), codec), codec.frames)


def sines(*parts: tuple[float, float], seconds: float = 3.1) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return sum(a * np.sin(2 * np.pi * f * t) for f, a in parts).astype(np.float32)


def power_in(y: np.ndarray, lo: float, hi: float) -> float:
    p = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2
    f = np.fft.rfftfreq(len(y), 1 / SR)
    return float(p[(f >= lo) & (f <= hi)].sum())


def peak_hz(y: np.ndarray) -> float:
    return float(np.fft.rfftfreq(len(y), 1 / SR)[np.argmax(np.abs(np.fft.rfft(y)))])


def test_sine_reconstructs_to_its_frequency_with_origin_length_and_peak():
    spec = spec_of(sines((440.0, 0.5)))
    y = spectrogram_to_audio(spec, SMALL)
    assert y.dtype == np.float32 and y.shape == ((128 - 1) * 512,)
    # 128 mel bands are ~26 Hz wide at 440 Hz: the peak lands within a quarter band
    assert abs(peak_hz(y) - 440.0) < 6.5
    assert np.abs(y).max() == pytest.approx(10 ** (-1 / 20), rel=1e-4)  # -1 dBFS peak
    fine = CodecParams(n_mels=512, frames=64)  # the origin's 512 bands: under one FFT bin there
    y = spectrogram_to_audio(spec_of(sines((440.0, 0.5)), fine), fine)
    assert abs(peak_hz(y) - 440.0) < 3.0  # under a third of an FFT bin (10.8 Hz)


def test_accepts_png_images_and_tensors(tmp_path):
    import torch

    spec = spec_of(sines((660.0, 0.5)))
    spectrogram_to_image(spec).save(tmp_path / "s.png")
    from_file = spectrogram_to_audio(tmp_path / "s.png", SMALL, n_iter=4)
    from_img = spectrogram_to_audio(Image.open(tmp_path / "s.png"), SMALL, n_iter=4)
    from_tensor = spectrogram_to_audio(torch.from_numpy(spec)[None], SMALL, n_iter=4)
    assert from_file.shape == from_img.shape == from_tensor.shape
    np.testing.assert_allclose(from_file, from_img)


def test_noise_floor_removes_quiet_bins():
    # a loud tone and a tone 70 dB below it: the -60 dB floor removes the quiet one
    spec = spec_of(sines((440.0, 0.5), (3000.0, 0.5 * 10 ** (-70 / 20))))
    mel_on = prepare_mel(spec, noise_floor_db=-60.0, spectral_smooth_sigma=0.0)
    mel_off = prepare_mel(spec, noise_floor_db=0.0, spectral_smooth_sigma=0.0)
    assert (mel_on == 0).sum() > 0.5 * mel_on.size and (mel_off == 0).sum() == 0
    kw = dict(lpf_cutoff=None, spectral_smooth_sigma=0.0)
    on = spectrogram_to_audio(spec, SMALL, noise_floor_db=-60.0, **kw)
    off = spectrogram_to_audio(spec, SMALL, noise_floor_db=0.0, **kw)
    ratio_on = power_in(on, 2900, 3100) / power_in(on, 400, 480)
    ratio_off = power_in(off, 2900, 3100) / power_in(off, 400, 480)
    assert ratio_on < ratio_off / 100.0  # >= 20 dB less of the quiet tone


def test_low_pass_removes_high_frequencies():
    y = np.random.default_rng(0).standard_normal(int(3.1 * SR)).astype(np.float32)
    spec = spec_of(y)
    on = spectrogram_to_audio(spec, SMALL, lpf_cutoff=4000.0, n_iter=4)
    off = spectrogram_to_audio(spec, SMALL, lpf_cutoff=None, n_iter=4)
    assert power_in(on, 6000, 11025) / power_in(on, 0, 3000) < 0.01
    assert power_in(off, 6000, 11025) / power_in(off, 0, 3000) > 0.3


def test_boundary_fades_and_peak_normalisation():
    y = finish(np.ones(22050, np.float32), SR, lpf_cutoff=None, fade_ms=5.0, peak_dbfs=-6.0)
    n = int(0.005 * SR)
    assert y[0] == 0.0 and y[-1] == 0.0
    assert np.all(np.diff(y[:n]) >= 0) and np.all(np.diff(y[-n:]) <= 0)
    assert np.abs(y).max() == pytest.approx(10 ** (-6 / 20), rel=1e-5)
    assert np.all(finish(np.zeros(100, np.float32), SR) == 0)  # silence stays silent


def test_spectral_smoothing_reduces_quantisation_steps():
    spec = np.round(spec_of(sines((440.0, 0.5), (1234.0, 0.1))) * 127.5) / 127.5  # 8-bit steps
    def db(sigma: float) -> np.ndarray:
        mel = prepare_mel(spec, spectral_smooth_sigma=sigma, noise_floor_db=0)
        return 10 * np.log10(np.maximum(mel, 1e-12))

    raw, smooth = db(0.0), db(1.0)
    roughness = lambda db: float(np.sum(np.diff(db, n=2, axis=0) ** 2))  # noqa: E731
    assert roughness(smooth) < 0.5 * roughness(raw)


def test_minimum_phase_keeps_magnitude_and_front_loads_energy():
    w = np.linspace(0, np.pi, 1025)
    mag = np.stack([1 / np.abs(1 - r * np.exp(-1j * w)) for r in (0.5, 0.9, 0.97)], 1)
    mag = mag.astype(np.float32)
    x = minimum_phase(mag, 2048)
    np.testing.assert_allclose(np.abs(x), mag, rtol=1e-4)
    h = np.fft.irfft(x[:, 2], n=2048)
    zero_phase = np.fft.irfft(mag[:, 2], n=2048)
    assert np.sum(h[:256] ** 2) / np.sum(h ** 2) > 0.9
    assert np.sum(zero_phase[:256] ** 2) / np.sum(zero_phase ** 2) < 0.9


def test_fast_path_is_at_least_as_good_as_the_origin():
    t = np.arange(int(3.1 * SR)) / SR
    ph = 2 * np.pi * np.cumsum(110 * (1 + 0.004 * np.sin(2 * np.pi * 5 * t))) / SR
    y = sum(np.sin(k * ph) / k for k in range(1, 30)).astype(np.float32) * 0.2
    spec = spec_of(y)
    ours = spectral_convergence_db(spectrogram_to_audio(spec, SMALL), spec, SMALL)
    hq = spectral_convergence_db(spectrogram_to_audio(spec, SMALL, init="rtisi"), spec, SMALL)
    origin = spectral_convergence_db(
        origin_spectrogram_to_audio(spec, SMALL, n_iter=32), spec, SMALL)
    mel_to_audio = spectral_convergence_db(
        origin_spectrogram_to_audio(spec, SMALL, n_iter=32, use_min_phase=False), spec, SMALL)
    assert ours <= min(origin, mel_to_audio), (ours, origin, mel_to_audio)
    assert hq <= ours, (hq, ours)


@pytest.mark.parametrize("bad, match", [
    (np.zeros((2, 8, 8)), "2-D"),
    (np.full((8, 8), np.inf), "NaN or inf"),
    (np.zeros((8, 0)), "empty"),
    (Image.new("CMYK", (8, 8)), "unsupported image mode"),
])
def test_bad_input_raises_value_error(bad, match):
    with pytest.raises(ValueError, match=match):
        spectrogram_to_audio(bad, SMALL)


def test_unknown_init_raises():
    with pytest.raises(ValueError, match="init"):
        spectrogram_to_audio(np.zeros((8, 8)), SMALL, init="magic")
