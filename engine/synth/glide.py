"""Latent navigation: spherical glides between latent targets, time passed in (seconds).

Why slerp: latents are drawn from N(0, I), so they live near a sphere of radius sqrt(z_dim).
A straight line (lerp) between two such points dips toward the origin -- the "mean image" --
halfway, which is heard as the sound thinning out mid-glide.  Slerp (Shoemake 1985, White 2016
"Sampling Generative Networks") follows the great circle and keeps the norm, so every
intermediate latent is as typical as the endpoints.  ``mode="lerp"`` is there for vectors that
are not Gaussian latents (e.g. hand-made ones); with nearly parallel endpoints slerp falls back
to lerp.

A new target that arrives mid-glide starts from wherever the glide is at that moment, so the
path never jumps.  Progress is linear in time (no easing): with frequent retargeting, easing
would stop and restart the motion at every new target.
"""

from __future__ import annotations

import numpy as np


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation from ``a`` (t=0) to ``b`` (t=1); norms are interpolated linearly."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na < 1e-8 or nb < 1e-8:
        return lerp(a, b, t)
    ua, ub = a / na, b / nb
    dot = float(np.clip(np.dot(ua, ub), -1.0, 1.0))
    omega = np.arccos(dot)
    if omega < 1e-4 or np.pi - omega < 1e-4:  # parallel or opposite: direction undefined
        return lerp(a, b, t)
    s = np.sin(omega)
    u = (np.sin((1.0 - t) * omega) / s) * ua + (np.sin(t * omega) / s) * ub
    return (u * ((1.0 - t) * na + t * nb)).astype(a.dtype, copy=False)


def lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Straight-line interpolation from ``a`` (t=0) to ``b`` (t=1)."""
    return (a + (b - a) * t).astype(a.dtype, copy=False)


class Glide:
    """Where the latent is at time ``now`` while it glides toward its target.

    ``set_target(z, now, seconds)`` starts a glide of ``seconds`` (0 = jump) from the current
    position; ``position(now)`` gives the latent; ``moving(now)`` says whether it still changes.
    """

    def __init__(self, z0: np.ndarray, mode: str = "slerp"):
        if mode not in ("slerp", "lerp"):
            raise ValueError(f"glide mode must be 'slerp' or 'lerp', not {mode!r}")
        self.mode = mode
        self._start = np.asarray(z0, dtype=np.float32).copy()
        self._target = self._start.copy()
        self._t0 = 0.0
        self._dur = 0.0

    @property
    def target(self) -> np.ndarray:
        return self._target

    def _progress(self, now: float) -> float:
        if self._dur <= 0.0:
            return 1.0
        return min(1.0, max(0.0, (now - self._t0) / self._dur))

    def position(self, now: float) -> np.ndarray:
        """The latent at time ``now`` (seconds, same clock as ``set_target``)."""
        p = self._progress(now)
        if p >= 1.0:
            return self._target
        f = slerp if self.mode == "slerp" else lerp
        return f(self._start, self._target, p)

    def moving(self, now: float) -> bool:
        return self._progress(now) < 1.0

    def set_target(self, z: np.ndarray, now: float, seconds: float) -> None:
        """Glide from the current position to ``z`` over ``seconds`` (0 = jump at once)."""
        self._start = np.array(self.position(now), dtype=np.float32, copy=True)
        self._target = np.asarray(z, dtype=np.float32).copy()
        self._t0 = float(now)
        same = np.array_equal(self._start, self._target)
        self._dur = 0.0 if same else max(0.0, float(seconds))
