"""Quality measures for reconstructed audio."""

from __future__ import annotations

import numpy as np

from .codec import CodecParams, check_spectrogram, mel_power, to_mel_power


def spectral_convergence_db(audio: np.ndarray, spectrogram: np.ndarray, codec: CodecParams,
                            frames: slice | None = None) -> float:
    """Spectral convergence (dB, lower is better) of ``audio`` against a [-1, 1] mel array.

    Compares mel magnitudes (square roots of mel power): ``20 log10(|A - g B| / |A|)`` with A the
    target, B the audio's mel magnitude and g the least-squares gain (the codec loses absolute
    level). Columns are aligned from the start (centred frames); ``frames`` selects columns.
    """
    spec = check_spectrogram(spectrogram)
    target = np.sqrt(to_mel_power(spec, codec.top_db))
    got = np.sqrt(mel_power(audio, codec.replace(n_mels=spec.shape[0])))
    t = min(target.shape[1], got.shape[1])
    target, got = target[:, :t], got[:, :t]
    if frames is not None:
        target, got = target[:, frames], got[:, frames]
    g = float(np.sum(target * got) / max(float(np.sum(got * got)), 1e-30))
    err = np.linalg.norm(target - g * got) / max(float(np.linalg.norm(target)), 1e-30)
    return float(20.0 * np.log10(max(err, 1e-12)))
