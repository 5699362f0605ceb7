"""Named latent directions: PCA of mapped latents w, labelled by the descriptor each moves.

Sample many z, map to w, take the principal components; generate images for the samples and
correlate each component's score with descriptors: brightness (log spectral centroid), pitch
(strongest low band), noisiness (spectral flatness).  Each label takes the not-yet-used component
with the strongest correlation, signed so that +1 means "more", scaled to one standard deviation.
Raw components are kept too as ``pc1``...``pcK``.
"""

from __future__ import annotations

import numpy as np

from engine.gan.descriptors import DESCRIPTOR_NAMES, descriptors

LABELS = {"brightness": "centroid", "pitch": "pitch_band", "noisiness": "flatness"}


def pca_directions(ckpt, n: int = 256, k: int = 8, seed: int = 0,
                   batch: int = 32) -> tuple[dict[str, np.ndarray], dict]:
    """Directions {name: (w_dim,) float32} and a report {name: {"pc", "corr"}} for ``ckpt``
    (an :class:`engine.gan.checkpoint.Checkpoint`)."""
    import torch

    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, ckpt.z_dim)).astype(np.float32)
    w = ckpt.mapped(z).cpu().numpy().astype(np.float64)                 # (n, w_dim)
    mean = w.mean(0)
    _, sv, vt = np.linalg.svd(w - mean, full_matrices=False)
    k = min(k, len(sv))
    comps = vt[:k]                                                     # (k, w_dim)
    std = sv[:k] / np.sqrt(max(1, n - 1))
    scores = (w - mean) @ comps.T                                      # (n, k)
    imgs = []
    with torch.inference_mode():
        for i in range(0, n, batch):
            wt = torch.from_numpy(w[i:i + batch].astype(np.float32))
            imgs.append(ckpt.generator.synthesize(wt, 1.0)[:, 0].clamp(-1, 1).numpy())
    desc = np.stack([descriptors(im, ckpt.codec) for im in np.concatenate(imgs)])
    out: dict[str, np.ndarray] = {}
    report: dict = {}
    used: set[int] = set()
    for label, dname in LABELS.items():
        col = desc[:, DESCRIPTOR_NAMES.index(dname)]
        corr = np.array([np.corrcoef(scores[:, j], col)[0, 1] if col.std() > 0 else 0.0
                         for j in range(k)])
        corr = np.nan_to_num(corr)
        order = [j for j in np.argsort(-np.abs(corr)) if j not in used]
        j = int(order[0])
        used.add(j)
        sign = 1.0 if corr[j] >= 0 else -1.0
        out[label] = (sign * comps[j] * std[j]).astype(np.float32)
        report[label] = {"pc": j + 1, "corr": round(float(abs(corr[j])), 3), "descriptor": dname}
    for j in range(min(k, 4)):
        out[f"pc{j + 1}"] = (comps[j] * std[j]).astype(np.float32)
    report["explained_variance"] = [round(float(v), 4) for v in (sv[:k] ** 2 / np.sum(sv ** 2))]
    return out, report
