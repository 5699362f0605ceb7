"""Audio -> latent: find the z whose generated spectrogram best matches a target.

Optimises z (through the mapping network, so the result is a latent the synth accepts on
``/lr/latent``) with Adam on an L1 spectral loss plus a weak prior keeping |z|^2/z_dim near 1.
Several random starts are tried briefly and the best is refined.  Noise inputs are the fixed
maps (``noise`` as in :meth:`Checkpoint.generate`).
"""

from __future__ import annotations

import numpy as np
import torch


def spectral_loss(ckpt, z: np.ndarray, target: np.ndarray, noise: float = 1.0) -> float:
    """Mean absolute difference between ``ckpt.generate(z)`` and ``target`` (both [-1, 1])."""
    return float(np.abs(ckpt.generate(z, noise=noise) - target).mean())


def invert(ckpt, target: np.ndarray, *, steps: int = 200, starts: int = 4, lr: float = 0.05,
           prior: float = 1e-3, noise: float = 1.0, seed: int = 0,
           z_init: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Latent z (z_dim,) float32 whose spectrogram matches ``target`` (n_mels, frames), and its
    final L1 loss.  ``starts`` random starts get ``steps // 4`` steps each, the best gets the
    rest; ``z_init`` replaces the random starts."""
    tgt = torch.from_numpy(np.asarray(target, np.float32))[None, None]
    if tuple(tgt.shape[2:]) != tuple(ckpt.resolution):
        raise ValueError(f"target must be {ckpt.resolution}, got {tuple(target.shape)}")
    g = ckpt.generator
    labels = ckpt.condition()  # a conditioned generator: its default labels (None otherwise)
    rng = np.random.default_rng(seed)
    if z_init is not None:
        inits = np.asarray(z_init, np.float32).reshape(1, ckpt.z_dim)
    else:
        inits = rng.standard_normal((max(1, starts), ckpt.z_dim)).astype(np.float32)

    def optimise(z0: np.ndarray, n: int) -> tuple[np.ndarray, float]:
        z = torch.tensor(z0, requires_grad=True)
        c = None if labels is None else torch.from_numpy(labels)[None].expand(len(z0), -1)
        opt = torch.optim.Adam([z], lr=lr)
        for _ in range(n):
            img = g.synthesize(g.map(z, c=c), noise)
            loss = (img - tgt).abs().mean(dim=(1, 2, 3))
            reg = prior * (z.square().mean(dim=1) - 1.0).square()
            opt.zero_grad(set_to_none=True)
            (loss + reg).sum().backward()
            opt.step()
        with torch.no_grad():
            final = (g.synthesize(g.map(z, c=c), noise).clamp(-1, 1) - tgt).abs().mean(dim=(1, 2, 3))
        best = int(torch.argmin(final))
        return z.detach()[best].numpy().copy(), float(final[best])

    with torch.enable_grad():
        if len(inits) > 1:
            z_best, _ = optimise(inits, max(1, steps // 4))
            z_best, loss = optimise(z_best[None], steps - steps // 4)
        else:
            z_best, loss = optimise(inits, steps)
    return z_best.astype(np.float32), loss
