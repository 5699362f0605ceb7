"""Pitch and partial measures for the note tests: an FFT peak, interpolated, over >= 1 s."""

from __future__ import annotations

import numpy as np


def cents(f: float, ref: float) -> float:
    return float(1200.0 * np.log2(f / ref))


def fundamental(y: np.ndarray, sr: float, f0: float, harmonics: int = 8) -> float:
    """The fundamental of ``y`` near ``f0`` Hz: the strongest of its first ``harmonics``
    partials (zero-padded Hann FFT, parabolic interpolation in log magnitude), divided by its
    number -- so a weak fundamental under a strong second partial still measures right."""
    n = len(y)
    pad = 16 * n
    mag = np.abs(np.fft.rfft(y * np.hanning(n), pad))
    freqs = np.fft.rfftfreq(pad, 1.0 / sr)
    best = None
    for k in range(1, harmonics + 1):
        if k * f0 > 0.45 * sr:
            break
        sel = np.flatnonzero((freqs > k * f0 * 0.97) & (freqs < k * f0 * 1.03))
        i = int(sel[np.argmax(mag[sel])])
        if best is None or mag[i] > best[0]:
            a, b, c = np.log(mag[i - 1:i + 2] + 1e-30)
            p = 0.5 * (a - c) / (a - 2 * b + c)
            best = (mag[i], (i + p) * freqs[1] / k)
    return float(best[1])


def partial_db(y: np.ndarray, sr: float, f0: float, count: int) -> np.ndarray:
    """Level (dB) of the partials k·f0, k = 1..count, from a Hann FFT of ``y``."""
    n = len(y)
    mag = np.abs(np.fft.rfft(y * np.hanning(n)))
    bin_hz = sr / n
    out = []
    for k in range(1, count + 1):
        i = int(round(k * f0 / bin_hz))
        out.append(20 * np.log10(mag[max(0, i - 2):i + 3].max() + 1e-12))
    return np.array(out)
