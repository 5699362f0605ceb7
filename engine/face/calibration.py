"""Neutral pose and adaptive ranges: raw features -> energy states in [0, 1].

Nothing here ever jumps: the neutral pose glides to its new estimate, ranges grow toward values
beyond them and relax back slowly, each with a time constant in seconds.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

NEUTRAL_FIELDS = ("jaw", "brow_height", "brow_gap", "yaw", "pitch", "roll")


def approach(value: float, target: float, dt: float, tau: float) -> float:
    """First-order glide of ``value`` toward ``target`` over ``dt`` s with time constant ``tau``."""
    if tau <= 0:
        return target
    return value + (target - value) * (1.0 - math.exp(-dt / tau))


class AdaptiveRange:
    """The span that maps an excess over neutral (>= 0) to [0, 1].

    Starts at ``default``; a value beyond the span pulls it up with time constant ``grow_s``
    (s), and it relaxes back toward ``default`` with ``relax_s`` (s).  Capped at
    ``max_factor * default`` so one wild frame cannot flatten the control.
    """

    def __init__(self, default: float, grow_s: float = 3.0, relax_s: float = 120.0,
                 max_factor: float = 3.0):
        if default <= 0:
            raise ValueError("range default must be > 0")
        self.default = float(default)
        self.span = float(default)
        self.grow_s, self.relax_s, self.max = grow_s, relax_s, max_factor * default

    def update(self, value: float, dt: float) -> None:
        if value > self.span:
            self.span = min(self.max, approach(self.span, value, dt, self.grow_s))
        elif self.span > self.default:
            self.span = approach(self.span, self.default, dt, self.relax_s)

    def map(self, value: float) -> float:
        """``value / span`` clipped to [0, 1]."""
        return min(1.0, max(0.0, value / self.span))


@dataclass
class Neutral:
    """The neutral face: raw features (face-size units) and pose (degrees)."""

    jaw: float = 0.0
    brow_height: float = 0.0
    brow_gap: float = 0.0
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0

    def as_array(self) -> np.ndarray:
        return np.array([getattr(self, k) for k in NEUTRAL_FIELDS])


#: noise floors: name -> (default, cap); units deg/s, face sizes/s, face-size units
FLOORS = {"rotation": (4.0, 15.0), "motion": (0.05, 0.3), "jaw": (0.015, 0.06),
          "brow": (0.008, 0.03)}


@dataclass
class Calibration:
    """Captures the neutral face over the first ``seconds`` of tracked frames.

    The first tracked frame is taken as neutral at once; while capturing, the neutral estimate
    is the running median of the frames so far and the applied neutral glides toward it with
    ``glide_s``.  ``floors`` are noise floors under which a control stays at rest
    (``rotation`` deg/s, ``motion`` face sizes/s, ``jaw`` and ``brow`` face-size units); at the
    end of the capture they glide to 1.5x the 90th percentile of what the still face produced,
    never above the caps in :data:`FLOORS`.  ``reference``: the rigid landmarks of the first
    tracked face (see ``pose.reference_shape``), the frame the pose is measured against.  A
    loaded calibration captures nothing.
    """

    seconds: float = 1.0
    glide_s: float = 0.3
    neutral: Neutral | None = None
    reference: np.ndarray | None = field(default=None, repr=False)
    floors: dict = field(default_factory=lambda: {k: v[0] for k, v in FLOORS.items()})
    _target: np.ndarray | None = field(default=None, repr=False)
    _floor_target: dict | None = field(default=None, repr=False)
    _samples: list = field(default_factory=list, repr=False)
    _noise: list = field(default_factory=list, repr=False)
    _elapsed: float = 0.0

    @property
    def capturing(self) -> bool:
        return self._elapsed < self.seconds

    def observe(self, features: np.ndarray, dt: float) -> Neutral:
        """Feed one tracked frame's raw features (order of NEUTRAL_FIELDS); returns the neutral."""
        if self.neutral is None:
            self.neutral = Neutral(*map(float, features))
            self._target = self.neutral.as_array()
        if self.capturing:
            self._elapsed += dt
            self._samples.append(np.asarray(features, dtype=float))
            self._target = np.median(np.array(self._samples), axis=0)
        cur = self.neutral.as_array()
        for i, k in enumerate(NEUTRAL_FIELDS):
            setattr(self.neutral, k, approach(cur[i], self._target[i], dt, self.glide_s))
        if self._floor_target is not None:  # floors glide too: no control jumps
            for k, v in self._floor_target.items():
                self.floors[k] = approach(self.floors[k], v, dt, self.glide_s)
        return self.neutral

    def observe_noise(self, excess: dict) -> None:
        """While capturing, feed the controls' excess over neutral (same keys as ``floors``)."""
        if not self.capturing:
            return
        self._noise.append([excess[k] for k in FLOORS])

    def finish_if_done(self) -> None:
        """Set the floors once the capture is over (called every frame; acts once)."""
        if self.capturing or not self._noise:
            return
        noise = np.array(self._noise[2:] or self._noise)
        self._floor_target = {k: float(np.clip(1.5 * np.percentile(noise[:, i], 90), lo, cap))
                              for i, (k, (lo, cap)) in enumerate(FLOORS.items())}
        self._noise = []

    def to_dict(self) -> dict:
        """JSON-able calibration (neutral face and noise floors)."""
        ref = None if self.reference is None else np.round(self.reference, 6).tolist()
        return {"neutral": asdict(self.neutral) if self.neutral else None,
                "floors": dict(self._floor_target or self.floors), "reference": ref}

    @classmethod
    def from_dict(cls, d: dict) -> "Calibration":
        """Inverse of :meth:`to_dict`; raises ValueError on a malformed dict."""
        shape = ('expected {"neutral": {' + ", ".join(NEUTRAL_FIELDS) + '}, "floors": {'
                 + ", ".join(FLOORS) + "}} with numbers")
        try:
            n = d["neutral"]
            neutral = Neutral(**{k: float(n[k]) for k in NEUTRAL_FIELDS})
            floors = {k: float(d["floors"][k]) for k in FLOORS}
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"malformed calibration: {shape}") from None
        values = list(neutral.as_array()) + list(floors.values())
        if not all(math.isfinite(v) for v in values):
            raise ValueError("malformed calibration: non-finite value")
        reference = d.get("reference")
        if reference is not None:
            from engine.face.pose import RIGID

            try:
                reference = np.array(reference, dtype=float)
            except (TypeError, ValueError):
                raise ValueError("malformed calibration: 'reference' is not a number table")
            if reference.shape != (len(RIGID), 3) or not np.isfinite(reference).all():
                raise ValueError(f"malformed calibration: 'reference' must be {len(RIGID)}x3")
        cal = cls(seconds=0.0, neutral=neutral, floors=floors, reference=reference)
        cal._target = neutral.as_array()
        return cal
