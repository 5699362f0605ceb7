"""Capture: newest frame wins; a camera that stops delivering is reported, retried, resumed.

A short video file stands in for a camera device path: OpenCV opens it like a device, it
"disappears" when it runs out, and reopening brings it back, which drives the real
retry-with-back-off path of ``CameraSource``.
"""

from __future__ import annotations

import logging
import time

from bridge.face.camera import CameraSource, Frame
from bridge.mailbox import Mailbox
from bridge.face.daemon import FaceDaemon
from engine.face import FaceTracker, TrackerConfig
from face_util import clip_path


def test_newest_frame_wins_and_stale_frames_are_counted():
    slot = Mailbox()
    for i in range(5):
        slot.put(Frame(None, float(i), 0.0))
    assert slot.get(0.1).t == 4.0
    assert slot.dropped == 4
    assert slot.get(0.05) is None, "a frame is handed out once"


def test_camera_that_stops_is_reported_found_0_and_resumes(caplog):
    caplog.set_level(logging.INFO, logger="latent_resonance.camera")
    cam = CameraSource(str(clip_path("still")))
    tracker = FaceTracker(TrackerConfig(calibrate_s=0.2))
    seen = []  # (had_image, found)
    start = time.monotonic()
    try:
        for frame in cam:
            c = (tracker.process(frame.image, frame.t) if frame.image is not None
                 else tracker.process_landmarks(None, frame.t))
            seen.append((frame.image is not None, c.found))
            lost_then_back = any(not img for img, _ in seen) and seen[-1][0]
            if lost_then_back or time.monotonic() - start > 20:
                break
    finally:
        cam.close()
        tracker.close()
    assert any(img and found for img, found in seen), "frames are tracked"
    gap = [found for img, found in seen if not img]
    assert gap and all(f == 0 for f in gap), "while the camera is gone, found is 0"
    assert seen[-1][0], "capture resumes after the retry"
    text = caplog.text
    assert "stopped delivering frames" in text and "is back" in text


def test_daemon_duration_with_a_camera_source():
    cam = CameraSource(str(clip_path("still")))
    daemon = FaceDaemon(cam, FaceTracker(TrackerConfig(calibrate_s=0.2)), duration=0.5)
    stats = daemon.run()
    assert stats.frames >= 1 and stats.seconds < 0.5 + 0.1
