"""The end-of-training pass that fills a checkpoint's card: quality metric, harmonicity,
generation speed and named directions."""

from __future__ import annotations

import time

import numpy as np

from engine.gan.directions import pca_directions
from engine.gan.metrics import descriptor_fd, mean_harmonicity


def generation_ms(ckpt, n: int = 20) -> float:
    """Median wall time (ms) of one single-image ``generate`` call on this machine."""
    ckpt.generate(ckpt.random_latent(0))
    times = []
    for i in range(n):
        t = time.perf_counter()
        ckpt.generate(ckpt.random_latent(i))
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))


def finalize(ckpt, train: np.ndarray, heldout: np.ndarray, *, n_harmonicity: int = 24,
             seed: int = 0, log=print, keep_directions: bool = False,
             held_labels: np.ndarray | None = None) -> dict:
    """Compute metric + baseline, harmonicity (generated vs held-out real, same Griffin-Lim
    path), generation ms and PCA directions; store them in ``ckpt.card`` / ``ckpt.directions``.
    ``keep_directions``: keep the checkpoint's directions (a distilled student shares its
    teacher's W space, so the teacher's directions stay valid).  ``held_labels``: the held-out
    images' labels (a conditioned generator is asked for those)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((len(heldout), ckpt.z_dim)).astype(np.float32)
    gen = np.concatenate([ckpt.generate(z[i:i + 32], c=None if held_labels is None
                                        else held_labels[i:i + 32])
                          for i in range(0, len(z), 32)])
    log("metric: Fréchet distance on audio descriptors ...")
    metric = descriptor_fd(gen, heldout, train, ckpt.codec, seed=seed)
    log(f"metric: {metric}")
    m = min(n_harmonicity, len(heldout))
    pick = rng.choice(len(heldout), m, replace=False)
    h_real = mean_harmonicity(heldout[pick], ckpt.codec)
    h_gen = mean_harmonicity(gen[:m], ckpt.codec)
    harm = {"generated": round(h_gen, 4), "heldout_real": round(h_real, 4),
            "relative_difference": round(abs(h_gen - h_real) / max(h_real, 1e-9), 4),
            "n": int(m), "method": "energy-weighted normalised autocorrelation peak "
                                   "(40-1000 Hz) of 32-iteration Griffin-Lim audio"}
    log(f"harmonicity: {harm}")
    if not keep_directions:
        dirs, report = pca_directions(ckpt, seed=seed)
        ckpt.directions = dirs
        ckpt.card["directions"] = report
    ckpt.card.update({"metric": metric, "harmonicity": harm,
                      "generation_ms_per_image": round(generation_ms(ckpt), 2)})
    return ckpt.card
