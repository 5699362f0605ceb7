"""The timbre map: where the face is (pose and jaw) places the latent among anchors.

As in the origin's ``mapping.py``: anchor latents sit at face positions, and the face's current
position blends them with Gaussian RBF weights.  The position is (yaw / 30°, pitch / 20°,
jaw·2 − 1), each clipped to −1..1 (the face engine already smooths the values it sends).

* Seeded grid (default, ``seed``): nine random latents on a 3×3 grid of yaw × jaw at pitch 0
  (pitch then changes nothing): turning the head and opening the jaw walk through them.
* Learned anchors (Wekinator-style, :meth:`TimbreMap.learn`): "this face -> this sound".  Once
  there is one, the learned anchors alone make the map; :meth:`TimbreMap.clear` returns to
  the grid.

An anchor of a conditioned checkpoint can also carry an instrument family (the family the
sound was learned in, or the grid's with ``families``): the same RBF weights then blend the
anchors' families into a {family: weight} mix, so turning the head moves from one named
instrument to another.  An anchor without one (None) stands for the target's own family.

The latent blend is renormalised to the anchors' weighted mean norm, so it stays a typical
latent rather than shrinking toward the origin between anchors.
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


#: weights below this are left out of a family blend (the RBF tails far from an anchor)
FAMILY_EPS = 1e-3


class TimbreMap:
    """Anchors (position, latent, family or None) and the blend at a position.

    ``families``: the instrument families of a conditioned checkpoint (the names an anchor may
    carry); ``grid_families``: spread them over the seeded grid, in a seeded order, repeating
    when there are fewer than nine (else the grid carries none, and it moves only the latent).
    """

    def __init__(self, random_latent, seed: int = 0, families=(), grid_families: bool = False):
        grid = [(y, 0.0, j) for j in (-1.0, 0.0, 1.0) for y in (-1.0, 0.0, 1.0)]
        self.seed = int(seed)
        self.families = tuple(str(f) for f in families or ())
        names: list = [None] * len(grid)
        if grid_families and self.families:
            order = np.random.default_rng(self.seed).permutation(len(self.families))
            names = [self.families[order[i % len(order)]] for i in range(len(grid))]
        self.grid = [(np.array(p), np.asarray(random_latent(self.seed * 9 + i + 1),
                                              dtype=np.float32).reshape(-1), names[i])
                     for i, p in enumerate(grid)]
        self.learned: list[tuple[np.ndarray, np.ndarray, str | None]] = []

    @classmethod
    def for_generator(cls, gen, seed: int = 0, grid_families: bool = False) -> "TimbreMap":
        """The map of a loaded generator (its ``random_latent`` and, conditioned, its
        ``families``)."""
        return cls(gen.random_latent, seed, getattr(gen, "families", ()) or (), grid_families)

    @property
    def anchors(self) -> list[tuple[np.ndarray, np.ndarray, str | None]]:
        return self.learned or self.grid

    def learn(self, position: np.ndarray, z: np.ndarray, family: str | None = None) -> None:
        """Put latent ``z`` (and instrument ``family``; None: the target's) at ``position``,
        replacing an anchor at the same place; ValueError for a family it does not know."""
        if family is not None and family not in self.families:
            raise ValueError(f"unknown family {str(family)[:40]!r}")
        p = np.asarray(position, dtype=np.float64).copy()
        self.learned = [a for a in self.learned if np.linalg.norm(a[0] - p) > 1e-3]
        self.learned.append((p, np.asarray(z, dtype=np.float32).reshape(-1).copy(), family))
        del self.learned[:-MAX_ANCHORS]

    def clear(self) -> None:
        self.learned = []

    def _weights(self, position: np.ndarray) -> np.ndarray:
        pos = np.stack([a[0] for a in self.anchors])
        d2 = np.sum((pos - np.asarray(position)[None, :]) ** 2, axis=1)
        w = np.exp(-(d2 - d2.min()) / (2 * SIGMA ** 2))  # (shifted: no underflow far away)
        return w / w.sum()

    def latent(self, position: np.ndarray) -> np.ndarray:
        """The blended latent at ``position``."""
        return self.blend(position)[0]

    def blend(self, position: np.ndarray) -> tuple[np.ndarray, dict | None]:
        """(the blended latent, the {family: weight} blend) at ``position``; the blend is None
        when no anchor names a family, and its None key weighs the target's own family."""
        anchors = self.anchors
        w = self._weights(position)
        zs = np.stack([a[1] for a in anchors])
        z = w @ zs
        norm = float(np.linalg.norm(z))
        want = float(w @ np.linalg.norm(zs, axis=1))
        z = (z * (want / norm) if norm > 1e-9 else z).astype(np.float32)
        if all(a[2] is None for a in anchors):
            return z, None
        mix: dict = {}
        for wi, a in zip(w, anchors):
            if wi >= FAMILY_EPS:
                mix[a[2]] = mix.get(a[2], 0.0) + float(wi)
        total = sum(mix.values())
        return z, {k: v / total for k, v in mix.items()}

    def to_json(self) -> list:
        return [{"position": [float(x) for x in p], "z": [float(x) for x in z],
                 **({"family": f} if f is not None else {})}
                for p, z, f in self.learned]

    def load_json(self, items: list, z_dim: int) -> None:
        """Learned anchors from :meth:`to_json`; ValueError when they do not fit ``z_dim`` or
        name a family the checkpoint does not know (the whole list is refused)."""
        learned = []
        for it in items:
            p = np.asarray(it["position"], dtype=np.float64)
            z = np.asarray(it["z"], dtype=np.float32)
            if p.shape != (3,) or z.shape != (z_dim,) or not (np.isfinite(p).all()
                                                               and np.isfinite(z).all()):
                raise ValueError("a map anchor does not fit this checkpoint")
            family = it.get("family")
            if family is not None and family not in self.families:
                raise ValueError(f"a map anchor plays family {str(family)[:40]!r}, which this "
                                 "checkpoint does not know")
            learned.append((p, z, family))
        self.learned = learned[-MAX_ANCHORS:]
