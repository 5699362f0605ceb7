"""The latent side both generator back ends share (the torch :class:`~engine.gan.checkpoint.
Checkpoint` and the exported :class:`~engine.gan.runtime.ExportedGenerator`): seeded latents,
the checks on a latent, and the W offset of named directions, in numpy."""

from __future__ import annotations

import numpy as np

from engine.gan.config import GanConfig


class LatentSpace:
    """Mixin; the class provides ``config`` (a GanConfig) and ``directions``
    (name -> (w_dim,))."""

    config: GanConfig
    directions: dict[str, np.ndarray]

    @property
    def z_dim(self) -> int:
        return int(self.config.z_dim)

    @property
    def w_dim(self) -> int:
        return int(self.config.w_dim)

    @property
    def resolution(self) -> tuple[int, int]:
        return tuple(self.config.resolution)

    def random_latent(self, seed: int) -> np.ndarray:
        """Standard-normal z (z_dim,) float32, deterministic in ``seed``."""
        return np.random.default_rng(int(seed)).standard_normal(self.z_dim).astype(np.float32)

    def check_z(self, z) -> tuple[np.ndarray, bool]:
        """``z`` as a finite (N, z_dim) float32 array and whether it was a single (z_dim,)."""
        arr = np.asarray(z, dtype=np.float32)
        single = arr.ndim == 1
        arr = arr[None] if single else arr
        if arr.ndim != 2 or arr.shape[1] != self.z_dim:
            raise ValueError(f"z must be ({self.z_dim},) or (N, {self.z_dim}), got {np.shape(z)}")
        if not np.all(np.isfinite(arr)):
            raise ValueError("z contains NaN or inf")
        return arr, single

    def direction_offset(self, directions: dict[str, float] | None) -> np.ndarray | None:
        """Sum of ``amount * direction`` (w_dim,) over named directions (unknown names raise)."""
        if not directions:
            return None
        off = np.zeros(self.w_dim, np.float32)
        for name, amount in directions.items():
            if name not in self.directions:
                raise ValueError(f"unknown direction {name!r}; known: {sorted(self.directions)}")
            off += float(amount) * self.directions[name]
        return off
