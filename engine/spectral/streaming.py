"""Streaming phase reconstruction: one magnitude frame in, one hop of audio out.

RTISI-LA (Zhu, Beauregard & Wyse 2007) with fast-Griffin-Lim momentum (Perraudin et al. 2013)
on the look-ahead window. Frame ``t`` (``n_fft`` samples starting at ``t * hop`` in stream time)
enters with a phase taken from the overlap of the frames before it (RTISI's initialisation);
the ``lookahead + 1`` newest frames are then refined together by Griffin-Lim projections while
older frames stay fixed; the oldest frame is committed and the hop it completes is returned.

Latency: the audio of a frame starts ``lookahead`` hops after it was pushed
(``latency_samples = lookahead * hop``). Hand-written: librosa/torchaudio only offer offline
Griffin-Lim over a whole spectrogram, nothing frame-by-frame with a look-ahead.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import as_strided


def rfft_rows(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Real FFT along the last axis of float32 ``x`` into complex64 ``out``."""
    out[...] = scipy.fft.rfft(x, axis=-1)
    return out


def irfft_rows(x: np.ndarray, n: int, out: np.ndarray) -> np.ndarray:
    """Inverse real FFT (length ``n``) along the last axis of complex64 ``x`` into ``out``."""
    out[...] = scipy.fft.irfft(x, n=n, axis=-1)
    return out


def window_norm(window: np.ndarray, hop: int) -> np.ndarray:
    """Sum of ``window**2`` over all hop shifts, one period of ``hop`` samples (float32)."""
    n = len(window)
    out = np.zeros(hop, dtype=np.float64)
    w2 = window.astype(np.float64) ** 2
    for start in range(0, n, hop):
        seg = w2[start:start + hop]
        out[: len(seg)] += seg
    return out.astype(np.float32)


class StreamingReconstructor:
    """Frame-by-frame phase reconstruction (RTISI-LA with momentum).

    Parameters: ``n_fft`` and ``hop`` (samples), ``lookahead`` frames (0..; latency in hops),
    ``n_iter`` Griffin-Lim projections per pushed frame, ``momentum`` (0 = plain Griffin-Lim;
    0.9 measured best online), ``seed`` for the random phase used where the past is silent.

    Magnitudes follow librosa's unnormalised STFT (a sine of amplitude A peaks near
    ``A * sum(window) / 2``). Real-time safe: :meth:`push` allocates only numpy temporaries of
    frame size, never blocks, never grows state.
    """

    def __init__(self, n_fft: int = 2048, hop: int = 512, lookahead: int = 3, n_iter: int = 3,
                 momentum: float = 0.9, seed: int = 0) -> None:
        if hop <= 0 or n_fft < hop:
            raise ValueError(f"need 0 < hop <= n_fft, got hop={hop}, n_fft={n_fft}")
        if lookahead < 0 or n_iter < 1:
            raise ValueError("lookahead must be >= 0 and n_iter >= 1")
        self.n_fft, self.hop = int(n_fft), int(hop)
        self.lookahead, self.n_iter, self.momentum = int(lookahead), int(n_iter), float(momentum)
        self.n_freq = self.n_fft // 2 + 1
        k = self.lookahead + 1  # frames refined together
        self._k = k
        self.window = scipy_hann(self.n_fft)
        self._buf_len = (k - 1) * self.hop + self.n_fft
        # denominator of the least-squares overlap-add: steady state for all frames up to the
        # newest one; frames after it do not exist yet, so the tail is covered by fewer frames.
        period = window_norm(self.window, self.hop)
        den = np.zeros(self._buf_len, dtype=np.float64)
        w2 = self.window.astype(np.float64) ** 2
        first = -((self.n_fft + self.hop - 1) // self.hop)
        for j in range(first, k):  # frames before the window plus the k active ones
            s = j * self.hop
            lo, hi = max(s, 0), min(s + self.n_fft, self._buf_len)
            if hi > lo:
                den[lo:hi] += w2[lo - s:hi - s]
        self._den_inv = (1.0 / np.maximum(den, 1e-3 * period.max())).astype(np.float32)
        self._out_scale = (1.0 / np.maximum(period, 1e-3 * period.max())).astype(np.float32)
        rng = np.random.default_rng(seed)
        phases = np.exp(2j * np.pi * rng.random((16, self.n_freq)))
        self._noise = (phases * 1e-7).astype(np.complex64)
        self._noise_i = 0
        self._tails = (self.n_fft + self.hop - 1) // self.hop - 1
        self._fade_in = (0.5 - 0.5 * np.cos(np.pi * (np.arange(self.hop) + 0.5) / self.hop)
                         ).astype(np.float32)
        self.reset()

    @property
    def latency_samples(self) -> int:
        """Samples from pushing a frame to the first output sample it contributes to."""
        return self.lookahead * self.hop

    @property
    def pending(self) -> int:
        """Frames pushed but not yet committed (their magnitudes may still be revised)."""
        return self._k - 1

    def revise(self, i: int, magnitude: np.ndarray) -> None:
        """Replace the target magnitude of uncommitted frame ``i`` (0 = oldest, up to
        ``pending - 1``).  The next pushes refine it toward the new magnitude before it is
        committed, so a change of sound is heard up to ``lookahead`` hops sooner."""
        if not 0 <= i < self._k - 1:
            raise IndexError(f"frame {i} is not pending (pending: {self._k - 1})")
        self._mag[i] = magnitude

    @property
    def sounding(self) -> int:
        """Committed frames whose tails are still ahead of the next output sample."""
        return self._tails

    def revise_sounding(self, age: int, magnitude: np.ndarray) -> None:
        """Re-synthesise committed frame ``age`` (1 = the last committed, up to ``sounding``)
        with ``magnitude``, keeping its phase.  Only its part not yet output changes, faded in
        over one hop from the next output sample, so a new sound does not wait for the frames
        already committed to ring out (a 2048-sample frame overlaps three hops after it)."""
        if not 1 <= age <= self._tails:
            raise IndexError(f"frame {age} is not sounding (sounding: {self._tails})")
        h, n = self.hop, self.n_fft
        old = self._committed[age - 1]
        new = old * (magnitude / (np.abs(old) + 1e-12))
        delta = irfft_rows(new - old, n, np.empty(n, dtype=np.float32))
        delta *= self.window
        tail = delta[age * h:]
        m = min(h, len(tail))
        tail[:m] *= self._fade_in[:m]
        self._fixed[:len(tail)] += tail
        self._committed[age - 1] = new

    def reset(self) -> None:
        """Forget all frames (silence)."""
        k = self._k
        self._fixed = np.zeros(self._buf_len, dtype=np.float32)  # committed frames, unnormalised
        self._y = np.zeros(self._buf_len, dtype=np.float32)
        self._spec = np.zeros((k, self.n_freq), dtype=np.complex64)  # current estimates
        self._prev = np.zeros((k, self.n_freq), dtype=np.complex64)  # last projections
        self._mag = np.zeros((k, self.n_freq), dtype=np.float32)
        self._frames_view = as_strided(self._y, shape=(k, self.n_fft),
                                       strides=(self.hop * 4, 4), writeable=False)
        self._tframes = np.zeros((k, self.n_fft), dtype=np.float32)  # time-domain work buffer
        self._s = np.zeros((k, self.n_freq), dtype=np.complex64)  # analysis spectra
        self._a = np.zeros((k, self.n_freq), dtype=np.float32)  # their magnitudes
        self._one = np.zeros(self.n_fft, dtype=np.float32)
        # spectra of the committed frames still sounding, newest first (for revise_sounding)
        self._committed = np.zeros((self._tails, self.n_freq), dtype=np.complex64)

    def _synthesise(self, spec: np.ndarray) -> None:
        """self._y = normalised overlap-add of the fixed part and the active frames."""
        frames = irfft_rows(spec, self.n_fft, self._tframes)
        frames *= self.window
        y = self._y
        np.copyto(y, self._fixed)
        h, n = self.hop, self.n_fft
        for i in range(self._k):
            y[i * h:i * h + n] += frames[i]
        y *= self._den_inv

    def _project(self, seed_newest: bool = False) -> np.ndarray:
        """Magnitude-constrained projection of the STFT of self._y (k, n_freq) complex64.

        ``seed_newest`` adds a tiny random-phase spectrum to the newest frame first, so bins
        where the past is silent get a random phase instead of the arbitrary angle of 0."""
        np.multiply(self._frames_view, self.window, out=self._tframes)
        s = rfft_rows(self._tframes, self._s)
        if seed_newest:
            s[-1] += self._noise[self._noise_i]
            self._noise_i = (self._noise_i + 1) % len(self._noise)
        a = np.abs(s, out=self._a)
        a += 1e-12
        np.divide(self._mag, a, out=a)
        s *= a
        return s

    def push(self, magnitude: np.ndarray) -> np.ndarray:
        """Add the next magnitude frame (n_freq,) and return the hop of audio it completes.

        The returned hop (float32, ``hop`` samples, new array) is final: it depends on this
        frame's look-ahead window and never changes again.
        """
        k, h, n = self._k, self.hop, self.n_fft
        self._mag[k - 1] = magnitude
        self._spec[k - 1] = 0.0
        # first pass: the new frame's phase comes from the overlap of older frames (RTISI)
        self._synthesise(self._spec)
        proj = self._project(seed_newest=True)
        self._prev[k - 1] = proj[k - 1]
        np.subtract(proj, self._prev, out=self._spec)
        self._spec *= self.momentum
        self._spec += proj
        self._prev[:] = proj
        for _ in range(self.n_iter - 1):
            self._synthesise(self._spec)
            proj = self._project()
            np.subtract(proj, self._prev, out=self._spec)
            self._spec *= self.momentum
            self._spec += proj
            self._prev[:] = proj
        # commit the oldest frame (its last projection: consistent magnitude)
        if self._tails:
            self._committed[1:] = self._committed[:-1]
            self._committed[0] = self._prev[0]
        oldest = irfft_rows(self._prev[0], n, self._one)
        oldest *= self.window
        self._fixed[:n] += oldest
        out = self._fixed[:h] * self._out_scale
        # shift everything by one hop
        self._fixed[:-h] = self._fixed[h:]
        self._fixed[-h:] = 0.0
        for arr in (self._spec, self._prev, self._mag):
            arr[:-1] = arr[1:]
        return out


def scipy_hann(n: int) -> np.ndarray:
    """Periodic Hann window (librosa's STFT default), float32."""
    import scipy.signal

    return scipy.signal.get_window("hann", n, fftbins=True).astype(np.float32)


def rtisi_la(mag: np.ndarray, n_fft: int, hop: int, lookahead: int = 3, n_iter: int = 2,
             momentum: float = 0.9, seed: int = 0) -> np.ndarray:
    """Offline use of :class:`StreamingReconstructor` over a whole magnitude (n_freq, T).

    Returns float32 audio in librosa's centred convention, ``(T - 1) * hop`` samples (frame
    ``t`` centred on sample ``t * hop``), ready to start Griffin-Lim from.
    """
    t = mag.shape[1]
    rec = StreamingReconstructor(n_fft, hop, lookahead=lookahead, n_iter=n_iter,
                                 momentum=momentum, seed=seed)
    cols = np.ascontiguousarray(mag.T, dtype=np.float32)
    silent = np.zeros(mag.shape[0], dtype=np.float32)
    n_hops = t + lookahead + (n_fft + hop - 1) // hop
    out = np.empty(n_hops * hop, dtype=np.float32)
    for i in range(n_hops):
        out[i * hop:(i + 1) * hop] = rec.push(cols[i] if i < t else silent)
    start = lookahead * hop + n_fft // 2  # stream frame t starts at t*hop; centred at +n_fft/2
    return out[start:start + (t - 1) * hop]
