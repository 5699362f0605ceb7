"""MediaPipe Face Mesh (legacy ``solutions.face_mesh``, mediapipe 0.10.21) on BGR frames.

The model ships inside the wheel, so this runs offline.  One :class:`FaceMesh` per video
stream (it tracks between frames when ``static_image_mode`` is False).  Its C++ start-up
chatter on stderr is the caller's to filter (the face command holds
:func:`bridge.native_stderr.filtered` with ``MEDIAPIPE_CHATTER``).
"""

from __future__ import annotations

import os
import sys

import numpy as np

N_LANDMARKS = 478  # 468 mesh points + 10 iris points (refine_landmarks=True)


def block_portaudio() -> None:
    """Keep PortAudio out of this process: mediapipe imports sounddevice for its audio tasks
    (unused here), and sounddevice starts PortAudio, which opens a JACK client whenever a JACK
    server runs -- a stray client in the performer's patchbay, and an abort at exit (PortAudio
    asserts in pa_jack.c) once that server has gone away.  mediapipe treats a missing
    sounddevice as optional; a sounddevice already imported stays."""
    sys.modules.setdefault("sounddevice", None)


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
        block_portaudio()
        import cv2
        import mediapipe as mp

        self._cv2 = cv2
        self._closed = False
        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=static_image_mode, max_num_faces=1, refine_landmarks=True,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence)

    def detect(self, frame_bgr: np.ndarray) -> np.ndarray | None:
        """Landmarks of one ``(H, W, 3)`` uint8 BGR frame, or None (no face)."""
        h, w = frame_bgr.shape[:2]
        rgb = self._cv2.cvtColor(frame_bgr, self._cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        result = self._mesh.process(rgb)
        if not result.multi_face_landmarks:
            return None
        lm = result.multi_face_landmarks[0].landmark
        out = np.array([(p.x, p.y, p.z) for p in lm], dtype=float)
        out *= (w, h, w)
        return out

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._mesh.close()

    def __enter__(self) -> "FaceMesh":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
