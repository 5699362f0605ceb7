"""Frame sources: a camera index or a video file, captured in their own thread.

The capture thread keeps only the newest frame (a stale frame is dropped, never queued), so the
engine always works on the latest picture.  A camera that fails to open at start is a
DeviceError; one that disappears mid-run is reported once, reopened with back-off (0.5 s doubling
to 5 s) and, meanwhile, the source yields empty frames twice a second so the engine can keep
sending ``found 0``.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bridge.errors import DeviceError, InputError
from bridge.mailbox import Mailbox

log = logging.getLogger("latent_resonance.camera")

#: while a camera is lost, an empty frame is yielded this often (s) so ``found 0`` keeps flowing
LOST_TICK_S = 0.5
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 5.0)


def _cv2():
    os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")
    import cv2

    try:  # silence OpenCV's own stderr lines ("can't open camera by index"): we say it once
        cv2.setLogLevel(0)
    except AttributeError:  # pragma: no cover - builds without it honour OPENCV_LOG_LEVEL
        pass
    return cv2


@dataclass
class Frame:
    """One captured frame: ``image`` BGR uint8 (None: no picture, e.g. camera lost), ``t`` stream
    time (s: media time for files, since start for cameras), ``wall`` capture time (Unix s)."""

    image: np.ndarray | None
    t: float
    wall: float


class CameraSource:
    """Frames from a camera: an index, or a device path such as ``/dev/v4l/by-id/...``
    (``width`` x ``height`` requested, the driver may differ).  Frames are read as fast as the
    device delivers them."""

    def __init__(self, index: int | str, width: int = 640, height: int = 480):
        self.index, self.width, self.height = index, width, height
        self._cv2 = _cv2()
        self._cap = self._open()
        if self._cap is None:
            raise DeviceError(f"camera {index} cannot be opened (no such camera, or it is busy); "
                            f"try another --camera index or --video FILE")
        log.info("camera %s open", index)
        self._slot = Mailbox()
        self._stop = threading.Event()
        self.lost = False
        self._start = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"camera-{index}", daemon=True)
        self._thread.start()

    def _open(self):
        cap = self._cv2.VideoCapture(self.index)
        if not cap.isOpened():
            cap.release()
            return None
        cap.set(self._cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(self._cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(self._cv2.CAP_PROP_BUFFERSIZE, 1)  # newest frame: no driver-side queue
        return cap

    def _run(self) -> None:
        """Capture thread: read, stamp, publish; on failure reopen with back-off."""
        failures = 0
        while not self._stop.is_set():
            ok, image = (False, None) if self._cap is None else self._cap.read()
            if ok:
                wall = time.time()
                if self.lost:
                    log.info("camera %s is back", self.index)
                self.lost, failures = False, 0
                self._slot.put(Frame(image, time.monotonic() - self._start, wall))
                continue
            if not self.lost:
                log.warning("camera %s stopped delivering frames (unplugged or busy?); "
                            "sending found 0 and retrying", self.index)
                self.lost = True
                # an empty frame at once, so found goes to 0 now, not at the next lost tick
                self._slot.put(Frame(None, time.monotonic() - self._start, time.time()))
            if self._cap is not None:
                self._cap.release()
                self._cap = None
            delay = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
            failures += 1
            if self._stop.wait(delay):
                break
            self._cap = self._open()
            if self._cap is None:
                log.debug("camera %s: reopen failed, next try in %.1f s", self.index,
                          BACKOFF_S[min(failures, len(BACKOFF_S) - 1)])

    def __iter__(self):
        while not self._stop.is_set():
            frame = self._slot.get(LOST_TICK_S)
            if frame is not None:
                yield frame
            elif self.lost:
                yield Frame(None, time.monotonic() - self._start, time.time())

    @property
    def dropped(self) -> int:
        return self._slot.dropped

    def close(self) -> None:
        self._stop.set()
        self._slot.close()
        self._thread.join(timeout=2.0)
        if self._cap is not None:
            self._cap.release()


class VideoSource:
    """Frames from a video file at its own frame rate (``fast``: every frame, no pacing).

    In real time a reader thread paces the file and the newest frame wins; the iteration ends
    with the file.  Missing, unreadable or undecodable files are an InputError at construction.
    """

    def __init__(self, path: str | Path, fast: bool = False):
        self.path = Path(path)
        self.fast = fast
        if not self.path.exists():
            raise InputError(f"video file not found: {self.path}")
        if self.path.is_dir():
            raise InputError(f"video path is a directory, not a file: {self.path}")
        if not os.access(self.path, os.R_OK):
            raise InputError(f"video file is not readable (permissions): {self.path}")
        self._cv2 = cv2 = _cv2()
        self._cap = cv2.VideoCapture(str(self.path))
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok:
            self._cap.release()
            raise InputError(f"cannot read video {self.path}: not a video file OpenCV can decode")
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and math.isfinite(fps) and 1 <= fps <= 1000 else 30.0
        self._first = first
        self._stop = threading.Event()
        self._slot = Mailbox()
        self._thread: threading.Thread | None = None

    def _read_all(self):
        """Yield Frame per decoded frame with media time ``i / fps``."""
        i, image = 0, self._first
        while image is not None and not self._stop.is_set():
            yield Frame(image, i / self.fps, time.time())
            ok, image = self._cap.read()
            image = image if ok else None
            i += 1

    def _pace(self) -> None:
        """Reader thread: publish each frame at its time on the wall clock."""
        start = time.monotonic()
        for frame in self._read_all():
            delay = start + frame.t - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                break
            frame.wall = time.time()
            self._slot.put(frame)
        self._slot.close()

    def __iter__(self):
        if self.fast:
            yield from self._read_all()
            return
        self._thread = threading.Thread(target=self._pace, name="video-reader", daemon=True)
        self._thread.start()
        while True:
            frame = self._slot.get(1.0)
            if frame is not None:
                yield frame
            elif self._slot.closed:
                return

    @property
    def dropped(self) -> int:
        return self._slot.dropped

    def close(self) -> None:
        self._stop.set()
        self._slot.close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._cap.release()
