"""Streaming band-pass on the output audio: immediate control, carried filter state.

Why not (only) the voice's spectral mask: a mask acts on a frame before phase reconstruction,
so a change is heard only after the look-ahead plus half of the 2048-sample frame overlap
(~100 ms at 22.05 kHz).  A time-domain filter acts on the next sample: the daemon's band
follows ``/lr/synth/band`` and the jaw within one hop.

Design: a 4th-order Butterworth high-pass at the low edge cascaded with a 4th-order
Butterworth low-pass at the high edge (24 dB/octave skirts), as second-order sections
(``scipy.signal``).  The section count never changes -- an edge at the extreme is a
high-pass at 1 Hz or a low-pass just under Nyquist -- so the filter state carries across
every coefficient change and a move never restarts the filter.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal

ORDER = 4
LOWEST_HZ = 1.0
#: edges are snapped to this grid (octaves) so designs can be cached: 1/48 octave is ~1.5 %,
#: below what one hears in a filter edge, and a design costs ~1 ms against ~0.05 ms cached
GRID_OCT = 1.0 / 48.0


@lru_cache(maxsize=2048)
def _design(kind: str, step: int, sample_rate: float) -> np.ndarray:
    return signal.butter(ORDER, 2.0 ** (step * GRID_OCT), btype=kind, output="sos",
                         fs=sample_rate)


def _snap(hz: float) -> int:
    return int(round(np.log2(hz) / GRID_OCT))


class StreamingBandpass:
    """``process(x)`` filters consecutive blocks (float32) at ``sample_rate`` (Hz)."""

    def __init__(self, sample_rate: float, low_hz: float = 0.0, high_hz: float | None = None):
        self.sample_rate = float(sample_rate)
        self._top = 0.499 * self.sample_rate
        self.band = (None, None)  # (low, high) as grid steps
        self._sos = None
        self._zi = np.zeros((ORDER, 2), dtype=np.float64)  # 2 + 2 sections
        self.set_band(low_hz, self._top if high_hz is None else high_hz)

    def set_band(self, low_hz: float, high_hz: float) -> None:
        """Pass ``low_hz``..``high_hz`` (clipped to 1 Hz..just under Nyquist; low < high)."""
        lo = min(max(float(low_hz), LOWEST_HZ), self._top * 0.99)
        hi = min(max(float(high_hz), lo * 1.01), self._top)
        key = (_snap(lo), min(_snap(hi), int(np.floor(np.log2(self._top) / GRID_OCT))))
        if key == self.band:
            return
        self._sos = np.vstack([_design("highpass", key[0], self.sample_rate),
                               _design("lowpass", key[1], self.sample_rate)])
        self.band = key

    def process(self, x: np.ndarray) -> np.ndarray:
        """Filter one block; returns float32 of the same length."""
        if len(x) == 0:
            return np.zeros(0, dtype=np.float32)
        y, self._zi = signal.sosfilt(self._sos, x, zi=self._zi)
        return y.astype(np.float32, copy=False)


class OutputStage:
    """Band-pass then gain on the output audio, at ``sample_rate`` (Hz), block by block.

    The gain (dB) is ramped linearly across each block from its previous value, so a jump in
    ``/lr/synth/gain`` never clicks.  Both act on the next block processed: the daemon runs this
    stage just before the ring buffer, in blocks of one JACK period, so band and gain are heard
    after the queued audio only.
    """

    def __init__(self, sample_rate: float):
        self.band = StreamingBandpass(sample_rate)
        self.gain_db = 0.0
        self._g = 1.0

    def set(self, low_hz: float, high_hz: float, gain_db: float) -> None:
        self.band.set_band(low_hz, high_hz)
        self.gain_db = float(gain_db)

    def process(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0, dtype=np.float32)
        y = self.band.process(x)
        g1 = 10.0 ** (self.gain_db / 20.0)
        if g1 == self._g:
            y *= np.float32(g1)
        else:
            y *= np.linspace(self._g, g1, len(y) + 1, dtype=np.float32)[1:]
            self._g = g1
        return y
