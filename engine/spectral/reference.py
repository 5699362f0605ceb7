"""The origin's whole-image reconstruction, kept as the benchmark baseline (slow on purpose).

librosa's NNLS mel inversion (``librosa.feature.inverse.mel_to_stft``), a minimum-phase start
and Griffin-Lim with momentum through ``librosa.stft`` / ``librosa.istft``, plus the same
enhancements as :func:`engine.spectral.reconstruct.spectrogram_to_audio`. With
``use_min_phase=False`` it is exactly ``librosa.feature.inverse.mel_to_audio`` plus enhancements.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .codec import DEFAULT_CODEC, CodecParams, as_spectrogram
from .reconstruct import finish, minimum_phase, prepare_mel


def origin_spectrogram_to_audio(spectrogram: Any, codec: CodecParams | None = None, *,
                                n_iter: int = 32, lpf_cutoff: float | None = 8000.0,
                                spectral_smooth_sigma: float = 0.5, use_min_phase: bool = True,
                                noise_floor_db: float = -60.0, fade_ms: float = 5.0,
                                peak_dbfs: float | None = -1.0, momentum: float = 0.99,
                                seed: int = 0) -> np.ndarray:
    """Origin pipeline: [-1, 1] mel array -> float32 audio (``(frames - 1) * hop`` samples)."""
    import librosa

    arr = as_spectrogram(spectrogram)
    codec = (codec or DEFAULT_CODEC).replace(n_mels=int(arr.shape[0]))
    n_fft, hop = codec.n_fft, codec.hop_length
    mel = prepare_mel(arr, codec.top_db, spectral_smooth_sigma, noise_floor_db)
    if not use_min_phase:
        audio = librosa.feature.inverse.mel_to_audio(
            mel, sr=codec.sr, n_fft=n_fft, hop_length=hop, fmin=codec.fmin, fmax=codec.fmax_hz,
            power=2.0, n_iter=n_iter)
        return finish(audio, codec.sr, lpf_cutoff, fade_ms, peak_dbfs)
    lin = librosa.feature.inverse.mel_to_stft(mel, sr=codec.sr, n_fft=n_fft, power=2.0,
                                              fmin=codec.fmin, fmax=codec.fmax_hz)
    mag = np.sqrt(np.maximum(lin, 0.0))
    x = minimum_phase(mag, n_fft).astype(np.complex64)
    prev = np.zeros_like(x)
    t = mag.shape[1]
    for _ in range(n_iter):
        y = librosa.istft(x, hop_length=hop, n_fft=n_fft)
        s = librosa.stft(y, n_fft=n_fft, hop_length=hop)
        if s.shape[1] != t:
            s = s[:, :t] if s.shape[1] > t else np.pad(s, ((0, 0), (0, t - s.shape[1])))
        proj = mag * np.exp(1j * np.angle(s))
        x = proj + momentum * (proj - prev)
        prev = proj
    audio = librosa.istft(x, hop_length=hop, n_fft=n_fft).astype(np.float32)
    return finish(audio, codec.sr, lpf_cutoff, fade_ms, peak_dbfs)
