"""FaceTracker: BGR frame + capture time -> FaceControls (one call per frame, one thread).

Pipeline: Face Mesh landmarks -> pose and raw features (``features``) -> neutral and noise
floors (``calibration``) -> energy states through adaptive ranges -> One Euro filters.
Face lost: ``found`` drops to 0 on that frame and every control glides to neutral; tracking
resumes by itself when Face Mesh finds a face again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.face.calibration import AdaptiveRange, Calibration, approach
from engine.face.controls import FaceControls, toward_neutral
from engine.face.features import measure, reference_shape
from engine.face.filters import OneEuroFilter



@dataclass
class TrackerConfig:
    """Tracker parameters.

    One Euro filters on the raw features, before the controls are derived: ``min_cutoff`` Hz
    (jitter at rest), ``beta`` (lag in motion; speeds are measured in units of each feature's
    range, and of ``pose_scale`` degrees for the pose, so one beta fits all), ``d_cutoff`` Hz.
    ``calibrate_s``: seconds of tracked frames captured as the neutral face.
    ``lost_glide_s``: time constant (s) of the glide to neutral when the face is lost.
    Full-scale ranges (adaptive): ``rotation_range`` deg/s,
    ``jaw_range`` and ``brow_range`` face-size units, ``motion_range`` face sizes/s.
    ``pitch_roll_weight``: weight of pitch and roll speed against yaw in ``rotation``;
    ``frown_weight``: weight of the inner brows coming together in ``brow`` (its depth estimate
    drifts when the head turns, so it counts less than the brow height).
    ``max_outside``: a face with more than this fraction of its landmarks outside the frame
    counts as lost (Face Mesh guesses wildly at a half-visible face).
    ``motion_scale``: face sizes that count as one unit of landmark speed in the landmark
    filter (smaller = the filter opens sooner when the face starts to move).
    """

    min_cutoff: float = 1.0
    beta: float = 1.0
    d_cutoff: float = 4.0
    calibrate_s: float = 1.0
    lost_glide_s: float = 0.5
    rotation_range: float = 90.0
    jaw_range: float = 0.35
    brow_range: float = 0.08
    motion_range: float = 1.0
    pitch_roll_weight: float = 0.5
    pose_scale: float = 10.0
    frown_weight: float = 0.5
    max_outside: float = 0.1
    motion_scale: float = 0.1
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5


class FaceTracker:
    """Stateful face-to-controls engine for one video stream.

    ``process(frame_bgr, t)`` runs Face Mesh and returns :class:`FaceControls`;
    ``process_landmarks(landmarks_or_None, t)`` does the rest of the work alone (tests and
    benchmarks feed it directly).  ``last_raw`` holds the same controls computed without the
    filters; ``last_excess`` each control's measure above neutral before the noise floor
    (``{"raw": {...}, "filtered": {...}}``, for benchmarks).  ``t`` is the capture time in
    seconds (any origin, increasing).
    """

    def __init__(self, config: TrackerConfig | None = None, calibration: Calibration | None = None,
                 mesh=None):
        self.config = c = config or TrackerConfig()
        self.calibration = calibration or Calibration(seconds=c.calibrate_s)
        self._mesh = mesh
        # features: jaw, brow height, brow gap (face units), yaw, pitch, roll (deg)
        scale = [c.jaw_range, c.brow_range, c.brow_range] + [c.pose_scale] * 3
        self._feature_filter = OneEuroFilter(6, c.min_cutoff, c.beta, c.d_cutoff, scale=scale)
        self._motion_filter: OneEuroFilter | None = None
        self.ranges = {"rotation": AdaptiveRange(c.rotation_range),
                       "jaw": AdaptiveRange(c.jaw_range), "brow": AdaptiveRange(c.brow_range),
                       "motion": AdaptiveRange(c.motion_range)}
        self._size = 0.0
        self._t: float | None = None
        self._tracking = False
        self._prev: dict = {}
        self._out = FaceControls.neutral()
        self.last_raw = FaceControls.neutral()
        self.last_excess: dict = {}

    # -- public ------------------------------------------------------------------------------
    @property
    def mesh(self):
        if self._mesh is None:
            from engine.face.landmarks import FaceMesh

            self._mesh = FaceMesh(min_detection_confidence=self.config.min_detection_confidence,
                                  min_tracking_confidence=self.config.min_tracking_confidence)
        return self._mesh

    def warm_up(self, width: int = 640, height: int = 480) -> None:
        """Load Face Mesh and run it once on a blank frame, so the first real frame is not late."""
        self.mesh.detect(np.zeros((height, width, 3), np.uint8))

    def process(self, frame_bgr: np.ndarray, t: float) -> FaceControls:
        """Controls for one BGR uint8 frame captured at ``t`` seconds."""
        h, w = frame_bgr.shape[:2]
        return self.process_landmarks(self.mesh.detect(frame_bgr), t, (w, h))

    def process_landmarks(self, landmarks: np.ndarray | None, t: float,
                          frame_size: tuple[int, int] | None = None) -> FaceControls:
        """Controls from Face Mesh landmarks ((478, 3) pixels) or None when no face was found.

        ``frame_size`` (width, height) in pixels enables the half-visible-face check.
        """
        dt = 1.0 / 30.0 if self._t is None else min(max(t - self._t, 1e-3), 0.5)
        self._t = t
        if landmarks is not None and frame_size is not None:
            x, y = landmarks[:, 0], landmarks[:, 1]
            outside = (x < 0) | (y < 0) | (x >= frame_size[0]) | (y >= frame_size[1])
            if outside.mean() > self.config.max_outside:
                landmarks = None
        if landmarks is None:
            return self._lost(t, dt)
        return self._found(landmarks, t, dt)

    def close(self) -> None:
        if self._mesh is not None:
            self._mesh.close()

    # -- internals ---------------------------------------------------------------------------
    def _lost(self, t: float, dt: float) -> FaceControls:
        self._tracking = False
        self._out = toward_neutral(self._out, t, dt, self.config.lost_glide_s)
        self.last_raw = self._out
        return self._out

    def _controls(self, feats: np.ndarray, prev_feats: np.ndarray, points: np.ndarray,
                  prev_points: np.ndarray, neutral: np.ndarray, dt: float,
                  adapt: bool) -> tuple[np.ndarray, np.ndarray, dict]:
        """(energies, pose-velocity deg/s, excess over neutral) from (filtered or raw) features."""
        cfg, r, floors = self.config, self.ranges, self.calibration.floors
        vel = (feats[3:] - prev_feats[3:]) / dt
        w = cfg.pitch_roll_weight
        speed = math.sqrt(vel[0] ** 2 + (w * vel[1]) ** 2 + (w * vel[2]) ** 2)
        motion = float(np.linalg.norm(points - prev_points, axis=1).mean() / self._size / dt)
        excess = {"rotation": speed, "motion": motion,
                  "jaw": max(0.0, feats[0] - neutral[0]),
                  "brow": abs(feats[1] - neutral[1])
                  + cfg.frown_weight * max(0.0, neutral[2] - feats[2])}
        gated = {k: max(0.0, v - floors[k]) for k, v in excess.items()}
        if adapt:
            for k, v in gated.items():
                r[k].update(v, dt)
        energy = np.array([r["rotation"].map(gated["rotation"]), r["jaw"].map(gated["jaw"]),
                           r["brow"].map(gated["brow"]), 1.0 - r["motion"].map(gated["motion"])])
        return energy, vel, excess

    def _found(self, landmarks: np.ndarray, t: float, dt: float) -> FaceControls:
        cal = self.calibration
        if cal.reference is None:
            cal.reference = reference_shape(landmarks)
        m = measure(landmarks, cal.reference)
        feats = np.array([m.jaw, m.brow_height, m.brow_gap, m.yaw, m.pitch, m.roll])
        points = m.motion_points
        if not self._tracking:  # (re)acquired: start the filters here, no speed across the gap
            self._size = m.size
            self._feature_filter.reset()
            self._motion_filter = OneEuroFilter(points.size, self.config.min_cutoff,
                                                self.config.beta, self.config.d_cutoff,
                                                scale=m.size * self.config.motion_scale)
            self._prev = {"raw": feats, "raw_pts": points,
                          "f": feats, "f_pts": points}
        self._tracking = True
        self._size = approach(self._size, m.size, dt, 1.0)  # slow: size jitter is not motion

        neutral = cal.observe(feats, dt).as_array()
        feats_f = self._feature_filter(feats, dt)
        points_f = self._motion_filter(points.ravel(), dt).reshape(points.shape)
        p = self._prev
        energy_raw, vel_raw, excess_raw = self._controls(feats, p["raw"], points, p["raw_pts"],
                                                         neutral, dt, adapt=False)
        energy, vel, excess = self._controls(feats_f, p["f"], points_f, p["f_pts"], neutral,
                                             dt, adapt=not cal.capturing)
        self.last_excess = {"raw": excess_raw, "filtered": excess}
        cal.observe_noise(excess)
        cal.finish_if_done()
        self._prev = {"raw": feats, "raw_pts": points, "f": feats_f, "f_pts": points_f}

        pose_raw = feats[3:] - neutral[3:]
        pose = feats_f[3:] - neutral[3:]
        self.last_raw = FaceControls(t, 1, *map(float, energy_raw), *map(float, pose_raw),
                                     float(vel_raw[0]))
        self._out = FaceControls(t, 1, *map(float, energy), *map(float, pose), float(vel[0]))
        return self._out
