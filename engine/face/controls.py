"""The face engine's output for one frame: energy states, pose and velocity."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

#: Energy states in [0, 1] (docs/face.md), in the order of ``/lr/face/energy``.
ENERGY_FIELDS = ("rotation", "jaw", "brow", "stillness")
#: Every field of one recording line, in order (docs/face.md, "Recordings").
RECORD_FIELDS = ("t", "found", "rotation", "jaw", "brow", "stillness",
                 "yaw", "pitch", "roll", "yaw_velocity")


@dataclass
class FaceControls:
    """Controls for one frame.

    ``t``: capture time (seconds); ``found``: 1 tracked, 0 lost; ``rotation``, ``jaw``,
    ``brow``, ``stillness``: energy states in [0, 1]; ``yaw``, ``pitch``, ``roll``: head pose in
    degrees (0 facing the camera, yaw positive turning to the image's right, pitch positive
    looking up, roll positive tilting clockwise in the image); ``yaw_velocity``: signed deg/s.
    """

    t: float = 0.0
    found: int = 0
    rotation: float = 0.0
    jaw: float = 0.0
    brow: float = 0.0
    stillness: float = 1.0
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    yaw_velocity: float = 0.0

    @property
    def energy(self) -> tuple[float, float, float, float]:
        """(rotation, jaw, brow, stillness)."""
        return (self.rotation, self.jaw, self.brow, self.stillness)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def neutral(cls, t: float = 0.0) -> "FaceControls":
        """The rest state: nothing moving, no face (``stillness`` 1, the rest 0)."""
        return cls(t=t)


def toward_neutral(c: FaceControls, t: float, dt: float, tau: float) -> FaceControls:
    """``c`` one step of ``dt`` s along the face-lost glide: ``found`` 0 and every value
    approaching neutral with time constant ``tau`` (the face engine when it loses the face, the
    synth when the face engine falls silent)."""
    k = 1.0 if tau <= 0 else 1.0 - math.exp(-dt / tau)
    rest = FaceControls.neutral()
    moved = {f: getattr(c, f) + (getattr(rest, f) - getattr(c, f)) * k
             for f in RECORD_FIELDS[2:]}
    return replace(c, t=t, found=0, **moved)


assert tuple(f.name for f in fields(FaceControls)) == RECORD_FIELDS
