"""Helpers shared by the face tests: the clip generator and tracker runs over the test clips."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "face"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))

import facesynth  # noqa: E402

FPS = facesynth.FPS


def clip_path(name: str) -> Path:
    return FIXTURES / f"{name}.mp4"


@functools.lru_cache(maxsize=None)
def track_clip(name: str, calibrate_s: float = 0.5):
    """Run a fresh FaceTracker over a test clip (every frame); returns (controls, truths)."""
    from bridge.face.camera import VideoSource
    from engine.face import FaceTracker, TrackerConfig

    motion = facesynth.CLIPS[name][1]
    tracker = FaceTracker(TrackerConfig(calibrate_s=calibrate_s))
    source = VideoSource(clip_path(name), fast=True)
    out, truths = [], []
    try:
        for frame in source:
            out.append(tracker.process(frame.image, frame.t))
            truths.append(motion(frame.t))
    finally:
        source.close()
        tracker.close()
    return out, truths
