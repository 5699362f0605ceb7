"""Stereo: the drone widened without losing mono, and the output stage on both channels.

Width w (0..1) acts on two things: the note voices' equal-power pan positions
(:mod:`engine.synth.notes`) and the drone, which is mono from the phase reconstruction.  The
drone is widened mid/side: left = d + g·s, right = d − g·s, where s is d delayed by
``DELAY_S`` and g = ``SIDE_GAIN``·w (Lauridsen's pseudo-stereo).  Left + right is exactly 2d, so
the mono sum is the mono drone, whatever the width; at width 0 both channels are d.
"""

from __future__ import annotations

import numpy as np

from engine.synth.bandpass import OutputStage

#: the side signal's delay (s) and its level at full width
DELAY_S = 0.011
SIDE_GAIN = 0.7


class DroneWidener:
    """Mono drone -> (n, 2), decorrelated by ``width``; width changes ramp over one block."""

    def __init__(self, sample_rate: float):
        self.delay = max(1, int(round(DELAY_S * sample_rate)))
        self._hist = np.zeros(self.delay, dtype=np.float32)
        self.width = 0.0
        self._g = 0.0

    def process(self, d: np.ndarray) -> np.ndarray:
        d = np.asarray(d, dtype=np.float32)
        n = len(d)
        buf = np.concatenate([self._hist, d])
        s = buf[:n]  # d delayed by ``delay`` samples
        self._hist = buf[-self.delay:].copy()
        g1 = SIDE_GAIN * float(self.width)
        g = (np.float32(g1) if g1 == self._g
             else np.linspace(self._g, g1, n + 1, dtype=np.float32)[1:])
        self._g = g1
        out = np.empty((n, 2), dtype=np.float32)
        out[:, 0] = d + g * s
        out[:, 1] = d - g * s
        return out


class StereoStage:
    """The output stage (band-pass, gain, limiter) on each of two channels, same settings."""

    def __init__(self, sample_rate: float):
        self.stages = (OutputStage(sample_rate), OutputStage(sample_rate))

    def set(self, low_hz: float, high_hz: float, gain_db: float) -> None:
        for s in self.stages:
            s.set(low_hz, high_hz, gain_db)

    def process(self, x: np.ndarray) -> np.ndarray:
        """``x`` (n, 2) -> (n, 2) float32."""
        out = np.empty((len(x), 2), dtype=np.float32)
        left = np.ascontiguousarray(x[:, 0])
        out[:, 0] = self.stages[0].process(left)
        right = np.ascontiguousarray(x[:, 1])
        if np.array_equal(left, right):  # mono (width 0): bit-identical ports, the FFT
            self.stages[1].process(right)  # filter's rounding depends on memory alignment
            out[:, 1] = out[:, 0]
        else:
            out[:, 1] = self.stages[1].process(right)
        return out


class StereoMix:
    """One output block: the drone (faded in or out over a block by ``/lr/synth/drone``,
    widened) plus the note voices, through the stereo output stage.  The daemon's voice thread
    and the offline render both mix with it.

    ``set`` is the output stage's (band, gain: what :meth:`engine.synth.chain.VoiceChain.apply`
    calls); ``apply`` takes width and drone from a controls snapshot.
    """

    def __init__(self, sample_rate: float):
        self.widener = DroneWidener(sample_rate)
        self.stage = StereoStage(sample_rate)
        self.drone = True
        self._g: float | None = None  # the drone's gain at the end of the last block

    def set(self, low_hz: float, high_hz: float, gain_db: float) -> None:
        self.stage.set(low_hz, high_hz, gain_db)

    def apply(self, c) -> None:
        self.widener.width = float(c.width)
        self.drone = bool(c.drone)

    def process(self, dry: np.ndarray, notes: np.ndarray | None = None) -> np.ndarray:
        """``dry``: mono drone block; ``notes``: (n, 2) note voices or None -> (n, 2)."""
        g1 = 1.0 if self.drone else 0.0
        if self._g is not None and g1 != self._g:
            dry = dry * np.linspace(self._g, g1, len(dry) + 1, dtype=np.float32)[1:]
        elif g1 == 0.0:
            dry = np.zeros_like(dry)
        self._g = g1
        mix = self.widener.process(dry)
        if notes is not None:
            mix += notes
        return self.stage.process(mix)
