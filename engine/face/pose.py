"""Head pose from landmark geometry: a rigid 3D fit (Kabsch) of the rigid part of the face.

MediaPipe's landmarks carry depth (z, same scale as x), so the rotation between a reference
set of rigid points (forehead, nose, eye corners, cheekbones, temples: nothing that moves with
the jaw, brows or eyelids) and the current set is a least-squares 3D rotation.  The reference is
the user's own face (first tracked frame), which avoids a generic face model: angles are
relative to that reference, and calibration subtracts the neutral pose.
"""

from __future__ import annotations

import math

import numpy as np

#: rigid landmarks of the MediaPipe mesh: forehead, nose bridge/tip, eye corners, cheekbones,
#: temples, nose sides
RIGID = np.array([10, 151, 9, 8, 108, 337, 67, 297, 109, 338, 168, 6, 197, 195, 5, 4, 1,
                  33, 133, 362, 263, 234, 454, 116, 345, 123, 352, 50, 280, 127, 356,
                  162, 389, 21, 251, 98, 327, 129, 358])


def centred(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(points minus centroid, centroid, RMS radius) of an (n, 3) array."""
    c = points.mean(axis=0)
    p = points - c
    size = float(np.sqrt((p * p).sum() / len(p)))
    return p, c, size


def kabsch(ref: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """Rotation R (3x3) minimising ||cur - ref @ R.T|| for centred, equally scaled (n, 3) sets."""
    h = ref.T @ cur
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    return vt.T @ np.diag((1.0, 1.0, d)) @ u.T


def euler_deg(r: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of R = Ry(a) Rx(b) Rz(c) in image axes (x right, y down).

    Signs: yaw > 0 the nose moves to the image's right, pitch > 0 the face looks up, roll > 0
    the face tilts clockwise in the image; seen from a performer facing an unmirrored camera:
    turning to their left, looking up, tilting toward their left shoulder (docs/face.md).
    """
    b = math.asin(max(-1.0, min(1.0, -r[1, 2])))
    a = math.atan2(r[0, 2], r[2, 2])
    c = math.atan2(r[1, 0], r[1, 1])
    return -math.degrees(a), -math.degrees(b), math.degrees(c)


def rotation_from_euler(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Inverse of :func:`euler_deg` (degrees in, 3x3 out); used by the test-clip generator."""
    a, b, c = math.radians(-yaw), math.radians(-pitch), math.radians(roll)
    ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    return ry @ rx @ rz
