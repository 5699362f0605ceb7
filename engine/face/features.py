"""Raw geometric features of one set of Face Mesh landmarks, in face-size units.

Everything is measured in a head-fixed frame (the landmarks rotated back by the head pose and
divided by the face size), so turning the head does not read as an open mouth or a raised brow.
Face size = RMS distance of the rigid landmarks from their centroid (rotation invariant).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.face.pose import RIGID, centred, euler_deg, kabsch

#: inner-lip pairs (upper, lower): centre and both sides of the mouth opening
LIP_UPPER = np.array([13, 82, 312])
LIP_LOWER = np.array([14, 87, 317])
#: brow points (upper and lower edge, middle and outer parts), left and right
BROWS = np.array([105, 66, 52, 65, 334, 296, 282, 295])
#: inner brow ends (they come together when frowning)
BROW_INNER = np.array([107, 336])
#: eye corners: the brow is measured from their line
EYE_CORNERS = np.array([33, 133, 362, 263])
#: points whose motion measures (non-)stillness: rigid face + mouth + brows
MOTION = np.concatenate([RIGID, LIP_UPPER, LIP_LOWER, BROWS])


@dataclass
class Measurement:
    """Features of one frame.

    ``yaw``/``pitch``/``roll``: degrees relative to the reference face; ``size``: face size in
    pixels; ``jaw``: inner-lip gap / size; ``brow_height``: brow-to-eye-line distance / size;
    ``brow_gap``: distance between the inner brow ends / size; ``motion_points``: (k, 3) image
    positions in pixels, for speed.
    """

    yaw: float
    pitch: float
    roll: float
    size: float
    jaw: float
    brow_height: float
    brow_gap: float
    motion_points: np.ndarray


def reference_shape(landmarks: np.ndarray) -> np.ndarray:
    """The rigid landmarks centred and scaled to unit RMS radius: the pose reference."""
    p, _, size = centred(landmarks[RIGID])
    return p / size


def measure(landmarks: np.ndarray, reference: np.ndarray) -> Measurement:
    """Features of ``landmarks`` ((478, 3) pixels) against ``reference`` (:func:`reference_shape`).

    Cost: one 3x3 SVD and a few small array ops (tens of microseconds).
    """
    rigid, centre, size = centred(landmarks[RIGID])
    r = kabsch(reference, rigid / size)
    yaw, pitch, roll = euler_deg(r)
    # head frame: undo translation, scale and rotation (cur ~ ref @ R.T  =>  ref ~ cur @ R)
    def head(idx):
        return ((landmarks[idx] - centre) / size) @ r

    upper, lower = head(LIP_UPPER), head(LIP_LOWER)
    jaw = float(np.linalg.norm(lower - upper, axis=1).mean())
    eyes_y = head(EYE_CORNERS)[:, 1].mean()
    brow_height = float(eyes_y - head(BROWS)[:, 1].mean())
    inner = head(BROW_INNER)
    brow_gap = float(np.linalg.norm(inner[0] - inner[1]))
    return Measurement(yaw, pitch, roll, size, jaw, brow_height, brow_gap,
                       landmarks[MOTION])
