"""Streaming band-pass on the output audio: immediate control, carried filter state.

Why not (only) the voice's spectral mask: a mask acts on a frame before phase reconstruction,
so a change is heard only after the look-ahead plus half of the 2048-sample frame overlap
(~100 ms at 22.05 kHz).  A time-domain filter acts on the next sample: the daemon's band
follows ``/lr/synth/band`` and the jaw within one hop.

Design: a 4th-order Butterworth high-pass at the low edge cascaded with a 4th-order
Butterworth low-pass at the high edge (24 dB/octave skirts), as second-order sections
(``scipy.signal``).  An edge at the extreme is a high-pass at 1 Hz or a low-pass just under
Nyquist, so the structure never changes.

Moving an edge: the state of an IIR filter belongs to its coefficients, and carrying it
into very different coefficients (a high-pass jumping from 1 Hz to 500 Hz when the jaw closes)
rings at up to 15 dB over the input.  So a change starts the new filter from rest and
crossfades from the old filter's output to the new one's across one block; the new filter's
start-up transient is at most about the input's own level and is faded in.

The output stage ends in a soft limiter (linear up to -2 dBFS, then a tanh knee that never
exceeds 0 dBFS), so a hot latent or +12 dB of gain never clips a performer's speakers.
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
        self._old: tuple[np.ndarray, np.ndarray] | None = None  # (sos, zi) being faded out
        self.set_band(low_hz, self._top if high_hz is None else high_hz)
        self._old = None

    def set_band(self, low_hz: float, high_hz: float) -> None:
        """Pass ``low_hz``..``high_hz`` (clipped to 1 Hz..just under Nyquist; low < high)."""
        lo = min(max(float(low_hz), LOWEST_HZ), self._top * 0.99)
        hi = min(max(float(high_hz), lo * 1.01), self._top)
        key = (_snap(lo), min(_snap(hi), int(np.floor(np.log2(self._top) / GRID_OCT))))
        if key == self.band:
            return
        if self._sos is not None and self._old is None:
            self._old = (self._sos, self._zi)  # fade this one out over the next block
        # (a change while a fade is pending replaces only the incoming filter)
        self._sos = np.vstack([_design("highpass", key[0], self.sample_rate),
                               _design("lowpass", key[1], self.sample_rate)])
        self._zi = np.zeros((ORDER, 2), dtype=np.float64)
        self.band = key

    def process(self, x: np.ndarray) -> np.ndarray:
        """Filter one block; returns float32 of the same length."""
        if len(x) == 0:
            return np.zeros(0, dtype=np.float32)
        y, self._zi = signal.sosfilt(self._sos, x, zi=self._zi)
        if self._old is not None:
            old, _ = signal.sosfilt(self._old[0], x, zi=self._old[1])
            fade = np.linspace(0.0, 1.0, len(x) + 1)[1:]
            y = old + (y - old) * fade
            self._old = None
        return y.astype(np.float32, copy=False)


class OutputStage:
    """Band-pass then gain on the output audio, at ``sample_rate`` (Hz), block by block.

    The gain (dB) is ramped linearly across each block from its previous value, so a jump in
    ``/lr/synth/gain`` never clicks.  Both act on the next block processed: the daemon runs this
    stage just before the ring buffer, in blocks of one JACK period, so band and gain are heard
    after the queued audio only.
    """

    #: the limiter is linear below this level (full scale = 1.0), about -2 dBFS
    KNEE = 0.8

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
        return soft_limit(y, self.KNEE)


def soft_limit(y: np.ndarray, knee: float) -> np.ndarray:
    """In place: identity for ``|y| <= knee``, above it a tanh curve that approaches 1.0
    (full scale) without reaching it; continuous in value and slope at the knee."""
    over = np.abs(y) > knee
    if over.any():
        v = y[over]
        room = 1.0 - knee
        y[over] = np.sign(v) * (knee + room * np.tanh((np.abs(v) - knee) / room))
    return y
