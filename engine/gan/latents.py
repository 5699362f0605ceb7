"""The latent side both generator back ends share (the torch :class:`~engine.gan.checkpoint.
Checkpoint` and the exported :class:`~engine.gan.runtime.ExportedGenerator`): seeded latents,
the checks on a latent, and the W offset of named directions, in numpy."""

from __future__ import annotations

import numpy as np

from engine.gan.config import GanConfig


#: what a conditioned generator plays when nobody asked for a pitch or velocity: the drone's C3,
#: mezzo-forte (the family: ``LabelSpace.default_family``)
DEFAULT_NOTE = 48.0
DEFAULT_VELOCITY = 0.8


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

    @property
    def labels(self):
        """The :class:`~engine.gan.labels.LabelSpace` of a conditioned generator, else None."""
        return self.config.label_space

    @property
    def families(self) -> tuple[str, ...]:
        """The instrument families a conditioned generator names (empty when unconditioned)."""
        space = self.labels
        return space.families if space else ()

    def condition(self, note: float | None = None, family=None,
                  velocity: float | None = None) -> np.ndarray | None:
        """The label vector for ``note`` (MIDI, fractional glides), ``family`` (a name, a
        {name: weight} blend or weights) and ``velocity`` 0..1; what is not given takes its
        default (C3, strings or the first family, 0.8).  None for an unconditioned generator."""
        space = self.labels
        if space is None:
            return None
        if family is None:
            family = space.default_family
        return space.encode(DEFAULT_NOTE if note is None else note, family,
                            DEFAULT_VELOCITY if velocity is None else velocity)

    def check_c(self, c, n: int) -> np.ndarray | None:
        """Labels for ``n`` latents as a finite (n, c_dim) float32 array (None -> defaults;
        one (c_dim,) vector is repeated); None for an unconditioned generator, which refuses
        labels."""
        space = self.labels
        if space is None:
            if c is not None:
                raise ValueError(f"{getattr(self, 'name', 'this generator')} is not conditioned "
                                 f"(it takes no pitch or family)")
            return None
        arr = self.condition() if c is None else np.asarray(c, dtype=np.float32)
        if arr.ndim == 1:
            arr = np.broadcast_to(arr, (n, arr.shape[0]))
        if arr.shape != (n, space.dim):
            raise ValueError(f"labels must be ({space.dim},) or ({n}, {space.dim}), got "
                             f"{np.shape(c)}")
        if not np.all(np.isfinite(arr)):
            raise ValueError("labels contain NaN or inf")
        return np.array(arr, np.float32)  # a copy: writable, contiguous

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
