"""One Euro filter (Casiez, Roussel, Vogel, CHI 2012), vectorised over channels.

Hand-written: the algorithm is ~20 lines and the published packages are unmaintained or
scalar-only; we need one vectorised step per frame with a variable frame interval.
"""

from __future__ import annotations

import math

import numpy as np


def smoothing_factor(cutoff_hz: np.ndarray | float, dt: float) -> np.ndarray | float:
    """Exponential-smoothing factor for a first-order low-pass at ``cutoff_hz`` over ``dt`` s."""
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz))
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Adaptive low-pass: heavy smoothing when a signal is still, little lag when it moves.

    ``min_cutoff`` (Hz) sets the smoothing of a still signal (lower = less jitter),
    ``beta`` (1/units) how fast the cutoff rises with speed (higher = less lag), ``d_cutoff``
    (Hz) the low-pass on the speed estimate.  ``n`` channels share the parameters; ``scale``
    (per channel) divides the input before the speed test so channels in different units
    (degrees vs 0..1) can share one ``beta``.  Real-time safe: a few small numpy ops per call.
    """

    def __init__(self, n: int, min_cutoff: float = 1.0, beta: float = 0.5,
                 d_cutoff: float = 1.0, scale: np.ndarray | float = 1.0):
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
            raise ValueError("min_cutoff and d_cutoff must be > 0 Hz, beta >= 0")
        self.n = n
        self.min_cutoff = float(min_cutoff)
        self.beta = float(beta)
        self.d_cutoff = float(d_cutoff)
        self.scale = np.broadcast_to(np.asarray(scale, dtype=float), (n,)).copy()
        self.x: np.ndarray | None = None
        self.dx = np.zeros(n)

    def reset(self, x: np.ndarray | None = None) -> None:
        """Forget the history; the next input (or ``x``) is taken as is."""
        self.x = None if x is None else np.array(x, dtype=float)
        self.dx = np.zeros(self.n)

    def __call__(self, x: np.ndarray, dt: float) -> np.ndarray:
        """Filter one sample ``x`` (n values) taken ``dt`` seconds after the previous one."""
        x = np.asarray(x, dtype=float)
        if self.x is None or dt <= 0:
            self.x = x.copy()
            return self.x.copy()
        dx = (x - self.x) / dt / self.scale
        self.dx += smoothing_factor(self.d_cutoff, dt) * (dx - self.dx)
        cutoff = self.min_cutoff + self.beta * np.abs(self.dx)
        self.x = self.x + smoothing_factor(cutoff, dt) * (x - self.x)
        return self.x.copy()
