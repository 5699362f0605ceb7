"""The timbre map: where the face is (pose and jaw) places the latent among anchors.

As in the origin's ``mapping.py``: anchor latents sit at face positions, and the face's current
position blends them with Gaussian RBF weights.  The position is (yaw / 30°, pitch / 20°,
jaw·2 − 1), each clipped to −1..1 (the face engine already smooths the values it sends).

* Seeded grid (default, ``seed``): nine random latents on a 3×3 grid of yaw × jaw at pitch 0
  (pitch then changes nothing): turning the head and opening the jaw walk through them.
* Learned anchors (Wekinator-style, :meth:`TimbreMap.learn`): "this face -> this sound".  Once
  there is one, the learned anchors alone make the map; :meth:`TimbreMap.clear` returns to
  the grid.

The blend is renormalised to the anchors' weighted mean norm, so it stays a typical latent
rather than shrinking toward the origin between anchors.
"""

from __future__ import annotations

import numpy as np

#: the head angles that span the map's range (degrees), and the RBF width (position units)
YAW_RANGE_DEG = 30.0
PITCH_RANGE_DEG = 20.0
SIGMA = 0.4
#: learned anchors kept at most (the oldest go first)
MAX_ANCHORS = 64


def face_position(yaw: float, pitch: float, jaw: float) -> np.ndarray:
    """The map position of a face: (yaw, pitch, jaw) scaled and clipped to −1..1."""
    p = np.array([yaw / YAW_RANGE_DEG, pitch / PITCH_RANGE_DEG, 2.0 * jaw - 1.0])
    return np.clip(p, -1.0, 1.0)


class TimbreMap:
    """Anchors (position, latent) and the blend at a position."""

    def __init__(self, random_latent, seed: int = 0):
        grid = [(y, 0.0, j) for j in (-1.0, 0.0, 1.0) for y in (-1.0, 0.0, 1.0)]
        self.seed = int(seed)
        self.grid = [(np.array(p), np.asarray(random_latent(self.seed * 9 + i + 1),
                                              dtype=np.float32).reshape(-1))
                     for i, p in enumerate(grid)]
        self.learned: list[tuple[np.ndarray, np.ndarray]] = []

    @property
    def anchors(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return self.learned or self.grid

    def learn(self, position: np.ndarray, z: np.ndarray) -> None:
        """Put latent ``z`` at ``position`` (replacing an anchor at the same place)."""
        p = np.asarray(position, dtype=np.float64).copy()
        self.learned = [a for a in self.learned if np.linalg.norm(a[0] - p) > 1e-3]
        self.learned.append((p, np.asarray(z, dtype=np.float32).reshape(-1).copy()))
        del self.learned[:-MAX_ANCHORS]

    def clear(self) -> None:
        self.learned = []

    def latent(self, position: np.ndarray) -> np.ndarray:
        """The blended latent at ``position``."""
        anchors = self.anchors
        pos = np.stack([a[0] for a in anchors])
        zs = np.stack([a[1] for a in anchors])
        d2 = np.sum((pos - np.asarray(position)[None, :]) ** 2, axis=1)
        w = np.exp(-(d2 - d2.min()) / (2 * SIGMA ** 2))  # (shifted: no underflow far away)
        w /= w.sum()
        z = w @ zs
        norm = float(np.linalg.norm(z))
        want = float(w @ np.linalg.norm(zs, axis=1))
        return (z * (want / norm) if norm > 1e-9 else z).astype(np.float32)

    def to_json(self) -> list:
        return [{"position": [float(x) for x in p], "z": [float(x) for x in z]}
                for p, z in self.learned]

    def load_json(self, items: list, z_dim: int) -> None:
        """Learned anchors from :meth:`to_json`; ValueError when they do not fit ``z_dim``."""
        learned = []
        for it in items:
            p = np.asarray(it["position"], dtype=np.float64)
            z = np.asarray(it["z"], dtype=np.float32)
            if p.shape != (3,) or z.shape != (z_dim,) or not (np.isfinite(p).all()
                                                               and np.isfinite(z).all()):
                raise ValueError("a map anchor does not fit this checkpoint")
            learned.append((p, z))
        self.learned = learned[-MAX_ANCHORS:]
