"""MediaPipe Face Mesh (legacy ``solutions.face_mesh``, mediapipe 0.10.21) on BGR frames.

The model ships inside the wheel, so this runs offline.  One :class:`FaceMesh` per video
stream (it tracks between frames when ``static_image_mode`` is False).
"""

from __future__ import annotations

import atexit
import os
import re
import sys
import threading

import numpy as np

N_LANDMARKS = 478  # 468 mesh points + 10 iris points (refine_landmarks=True)


#: MediaPipe's native info/warning lines (absl/glog format, and TFLite's delegate notice):
#: start-up chatter a performer should not see.  Errors (E/F) still pass.
_NATIVE_CHATTER = re.compile(
    rb"^(?:[IW]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w.]+:\d+\]|INFO: Created TensorFlow Lite"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called)")


class _NativeLogFilter:
    """While any Face Mesh is open, file descriptor 2 is a pipe read by a thread that forwards
    every line to the real stderr except :data:`_NATIVE_CHATTER`.

    MediaPipe's C++ threads write those lines straight to fd 2 whenever a calculator opens --
    asynchronously, and before any log level can be set from Python -- so silencing stderr
    around each call races with them.  Python's own output goes through the same pipe and
    keeps its order.  Shared by all open meshes (reference counted).
    """

    _lock = threading.Lock()
    _users = 0
    _saved = _thread = None

    @classmethod
    def acquire(cls) -> None:
        with cls._lock:
            cls._users += 1
            if cls._users > 1 or cls._thread is not None:
                return
            try:
                fd = sys.stderr.fileno()
            except (AttributeError, OSError, ValueError):  # no real stderr (captured)
                return
            sys.stderr.flush()
            r, w = os.pipe()
            cls._saved = os.dup(fd)
            os.dup2(w, fd)
            os.close(w)
            cls._thread = threading.Thread(target=cls._forward, args=(r, cls._saved),
                                           name="native-log-filter", daemon=True)
            cls._thread.start()
            # at exit (even with a mesh left open) restore fd 2 and drain the pipe, so the
            # last lines -- a traceback, say -- still reach the terminal
            atexit.register(cls.release, force=True)

    @classmethod
    def release(cls, force: bool = False) -> None:
        with cls._lock:
            cls._users = 0 if force else max(0, cls._users - 1)
            if cls._users or cls._thread is None:
                return
            sys.stderr.flush()
            thread, saved = cls._thread, cls._saved
            fd = sys.stderr.fileno()
            os.dup2(saved, fd)  # closes the pipe's only write end: the reader sees EOF
            thread.join(timeout=2.0)
            os.close(saved)
            cls._thread = cls._saved = None

    @staticmethod
    def _forward(r: int, out: int) -> None:
        """Copy lines from the pipe ``r`` to ``out`` minus the chatter, until EOF.  It never
        stops reading early: a full pipe would block every writer to stderr."""

        def write(data: bytes) -> None:
            try:
                os.write(out, data)
            except OSError:  # the terminal or reader is gone: drop, keep draining
                pass

        pending = b""
        with os.fdopen(r, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                keep = b"".join(l + b"\n" for l in lines if not _NATIVE_CHATTER.match(l))
                if keep:
                    write(keep)
                if len(pending) > 1024:  # no newline coming (a progress bar): pass it on
                    write(pending)
                    pending = b""
        if pending and not _NATIVE_CHATTER.match(pending):
            write(pending)


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
        _NativeLogFilter.acquire()
        self._closed = False
        try:
            self._mesh = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=static_image_mode, max_num_faces=1, refine_landmarks=True,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence)
        except BaseException:
            self._closed = True
            _NativeLogFilter.release()
            raise

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
        try:
            self._mesh.close()
        finally:
            _NativeLogFilter.release()

    def __enter__(self) -> "FaceMesh":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
