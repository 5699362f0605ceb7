"""MediaPipe Face Mesh (legacy ``solutions.face_mesh``, mediapipe 0.10.21) on BGR frames.

The model ships inside the wheel, so this runs offline.  One :class:`FaceMesh` per video
stream (it tracks between frames when ``static_image_mode`` is False).
"""

from __future__ import annotations

import contextlib
import os
import sys

import numpy as np

N_LANDMARKS = 478  # 468 mesh points + 10 iris points (refine_landmarks=True)


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence file descriptor 2 for a moment: MediaPipe's C++ start-up chatter (absl/TFLite
    warnings) is written there before any log level can be set.  Python exceptions still
    carry their messages; only native log lines printed inside the block are dropped."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (e.g. captured): nothing to do
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


class FaceMesh:
    """Landmarks of the most prominent face in a frame.

    ``detect(frame_bgr)`` returns an ``(478, 3)`` float array in pixels: x right, y down, z
    depth (same scale as x, smaller = closer to the camera), or None when no face is found.
    Not thread-safe; call from one thread.
    """

    def __init__(self, static_image_mode: bool = False, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5):
        # keep MediaPipe's C++ logging (glog/absl) off the user's terminal
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import cv2
        import mediapipe as mp

        self._cv2 = cv2
        with _quiet_native_stderr():
            self._mesh = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=static_image_mode, max_num_faces=1, refine_landmarks=True,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence)
        # the graph logs while its first frames start it up, and again when the landmark
        # model first runs (the first frame with a face)
        self._quiet_calls = 3
        self._seen_face = False

    def detect(self, frame_bgr: np.ndarray) -> np.ndarray | None:
        """Landmarks of one ``(H, W, 3)`` uint8 BGR frame, or None (no face)."""
        h, w = frame_bgr.shape[:2]
        rgb = self._cv2.cvtColor(frame_bgr, self._cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        if self._quiet_calls:
            self._quiet_calls -= 1
            with _quiet_native_stderr():
                result = self._mesh.process(rgb)
        else:
            result = self._mesh.process(rgb)
        if not result.multi_face_landmarks:
            return None
        if not self._seen_face:
            self._seen_face = True
            self._quiet_calls = max(self._quiet_calls, 3)
        lm = result.multi_face_landmarks[0].landmark
        out = np.array([(p.x, p.y, p.z) for p in lm], dtype=float)
        out *= (w, h, w)
        return out

    def close(self) -> None:
        self._mesh.close()

    def __enter__(self) -> "FaceMesh":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
