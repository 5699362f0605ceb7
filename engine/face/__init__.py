"""Face engine (pure): frame -> landmarks -> head pose + features -> filters -> calibrated controls.

Stages, one module each:

- ``landmarks``: MediaPipe Face Mesh (478 points, refined) on a BGR frame.
- ``pose``: yaw/pitch/roll from a rigid 3D fit (Kabsch) of the face's rigid landmarks.
- ``features``: raw jaw gap, brow height, landmark motion from one landmark set.
- ``filters``: One Euro filter per channel.
- ``calibration``: neutral pose and adaptive ranges -> energy states in [0, 1].
- ``tracker``: :class:`FaceTracker` ties them together, ``process(frame_bgr, t) -> FaceControls``.

``FaceTracker`` is imported lazily so that light users (recordings) do not load MediaPipe.
"""

from engine.face.controls import ENERGY_FIELDS, RECORD_FIELDS, FaceControls

__all__ = ["ENERGY_FIELDS", "RECORD_FIELDS", "FaceControls", "FaceTracker", "TrackerConfig"]


def __getattr__(name):
    if name in ("FaceTracker", "TrackerConfig"):
        from engine.face import tracker

        return getattr(tracker, name)
    raise AttributeError(name)
