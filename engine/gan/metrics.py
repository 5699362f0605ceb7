"""Quality metric: Fréchet distance between audio-descriptor distributions.

Like FID, but on :func:`engine.gan.descriptors.descriptors` (band energies, centroid, spread,
flatness, contrast, flux, peakiness, loudness variance, pitch band) instead of Inception
features: generated vs held-out real spectrograms, reported next to a real-vs-real baseline
(training vs held-out, same sample count).  Descriptors are standardised with the held-out
set's mean and standard deviation so that no single unit dominates.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from engine.gan.descriptors import descriptors, harmonicity, reconstruct
from engine.spectral.codec import CodecParams


def descriptor_matrix(specs: np.ndarray, codec: CodecParams) -> np.ndarray:
    """(N, n_mels, frames) -> (N, D) descriptors."""
    return np.stack([descriptors(s, codec) for s in specs])


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to rows of ``a`` and ``b`` (N, D)."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = linalg.sqrtm(s1 @ s2, disp=False)
    if not np.all(np.isfinite(covmean)):
        eps = np.eye(len(s1)) * 1e-6
        covmean = linalg.sqrtm((s1 + eps) @ (s2 + eps))
    covmean = np.real(covmean)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * covmean))


def descriptor_fd(generated: np.ndarray, heldout: np.ndarray, train: np.ndarray,
                  codec: CodecParams, seed: int = 0) -> dict:
    """FD(generated, held-out) and the real-vs-real baseline FD(train subset, held-out).
    All inputs are (N, n_mels, frames); the train subset has as many items as ``heldout``."""
    rng = np.random.default_rng(seed)
    sub = train[rng.choice(len(train), size=min(len(train), len(heldout)), replace=False)]
    d_held = descriptor_matrix(heldout, codec)
    mu, sd = d_held.mean(0), d_held.std(0) + 1e-6
    z = lambda d: (d - mu) / sd  # noqa: E731
    d_gen = descriptor_matrix(generated, codec)
    d_train = descriptor_matrix(sub, codec)
    return {"fd_generated_vs_heldout": round(frechet_distance(z(d_gen), z(d_held)), 3),
            "fd_train_vs_heldout_baseline": round(frechet_distance(z(d_train), z(d_held)), 3),
            "n_generated": int(len(generated)), "n_heldout": int(len(heldout))}


def mean_harmonicity(specs: np.ndarray, codec: CodecParams, n_iter: int = 32) -> float:
    """Mean :func:`harmonicity` of the Griffin-Lim audio of each spectrogram."""
    return float(np.mean([harmonicity(reconstruct(s, codec, n_iter=n_iter, seed=i), codec.sr)
                          for i, s in enumerate(specs)]))
