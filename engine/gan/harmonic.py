"""A harmonic-comb prior for conditioned training: how much of an image's spectrum lies on
the harmonics of the pitch it was asked for.

The generator draws partial lines that drift off the harmonic series (measured on the shipped
default: the peaks of its time-averaged spectra sit a median 6.9 % of f0 from the nearest
harmonic, real notes' 2.2 %), so the drones sound unvoiced although the lines look right.  No
library scores a mel image against a pitch's harmonic series, so this module builds the comb:
for every MIDI note of the label space, Gaussian bumps on the mel bins of its resolved
harmonics (those at least two mel bins apart), and a mask over the bins they span.  The score
of an image is the Pearson correlation, over that mask, between its time-averaged mel profile
and the comb of its pitch label (a fractional pitch mixes its two notes' combs, as the label
does).  Training pushes a generated image's score up to the real images' mean (a hinge: never
beyond what real notes do).
"""

from __future__ import annotations

import numpy as np
import torch

#: the highest harmonic a comb holds, and the least spacing (mel bins) of a resolved one
MAX_HARMONIC = 40
MIN_SPACING_BINS = 2.0


def _hz_to_mel(f):
    """Slaney mel scale, as ``librosa.hz_to_mel`` (the codec's scale).  Written out because
    the trainer also runs on a lent GPU machine that has torch and numpy but not librosa
    (``checkpoints/gpu_train.py``)."""
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz, logstep = 200.0 / 3, 1000.0, np.log(6.4) / 27.0
    mel = f / f_sp
    log = f >= min_log_hz
    return np.where(log, min_log_hz / f_sp + np.log(np.maximum(f, 1e-9) / min_log_hz) / logstep,
                    mel)


def comb_templates(n_mels: int, fmin: float, fmax: float, space) -> tuple[np.ndarray, np.ndarray]:
    """(templates, masks), each (n_pitch, n_mels) float32, for the notes of ``space`` on mel
    bins between ``fmin`` and ``fmax`` Hz."""
    n = int(n_mels)
    edges = np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n + 2)
    centre = edges[1:-1]
    step = centre[1] - centre[0]
    temps = np.zeros((space.n_pitch, n), np.float32)
    masks = np.zeros((space.n_pitch, n), np.float32)
    for i in range(space.n_pitch):
        f0 = 440.0 * 2.0 ** ((space.pitch_lo + i - 69) / 12.0)
        k = np.arange(1, MAX_HARMONIC + 1)
        k = k[k * f0 < fmax]
        if len(k) == 0:
            continue
        m = _hz_to_mel(k * f0)
        spacing = np.diff(_hz_to_mel(np.append(k, k[-1] + 1) * f0)) / step
        resolved = spacing >= MIN_SPACING_BINS
        k, m, spacing = k[resolved], m[resolved], spacing[resolved]
        if len(k) == 0:
            continue
        sigma = np.maximum(0.5, 0.15 * spacing) * step
        temps[i] = np.exp(-0.5 * ((centre[None, :] - m[:, None]) / sigma[:, None]) ** 2).max(0)
        lo, hi = _hz_to_mel(0.7 * f0), _hz_to_mel((k[-1] + 0.5) * f0)
        masks[i] = (centre >= lo) & (centre <= hi)
    return temps, masks


class HarmonicComb:
    """Scores images (B, 1, n_mels, frames) against the combs of their labels (B, c_dim);
    ``mel_range``: the (fmin, fmax) Hz of the mel bins."""

    def __init__(self, n_mels: int, mel_range: tuple[float, float], space, device="cpu"):
        t, m = comb_templates(n_mels, mel_range[0], mel_range[1], space)
        self.temps = torch.from_numpy(t).to(device)
        self.masks = torch.from_numpy(m).to(device)
        self.pitch = space.pitch_slice

    def score(self, img: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """(B,) correlation of each image's mean profile with its pitch's comb (-1..1)."""
        w = c[:, self.pitch]
        t, m = w @ self.temps, (w @ self.masks > 0.5).to(img.dtype)
        p = img.mean(dim=3)[:, 0]
        n = m.sum(1).clamp_min(2.0)
        pc = (p - (p * m).sum(1, keepdim=True) / n[:, None]) * m
        tc = (t - (t * m).sum(1, keepdim=True) / n[:, None]) * m
        # the epsilon inside the root: a pitch with no resolved harmonic (an empty mask, few
        # mel bins) scores 0 with a finite gradient, not sqrt(0)'s infinite one (NaN weights)
        return (pc * tc).sum(1) / (pc.square().sum(1) * tc.square().sum(1) + 1e-12).sqrt()

    def mean_score(self, data: torch.Tensor, labels: torch.Tensor, chunk: int = 512) -> float:
        """The mean score of a data set (N, 1, n_mels, frames) with its labels."""
        total = 0.0
        for i in range(0, len(data), chunk):
            total += float(self.score(data[i:i + chunk].to(self.temps.device, torch.float32),
                                      labels[i:i + chunk].to(self.temps.device)).sum())
        return total / max(1, len(data))
