"""The synthesis voice: a playhead over a spectrogram, masks, and streaming reconstruction.

Each :meth:`Voice.next_hop` call advances the playhead by ``speed`` columns, interpolates the
linear magnitude between the two neighbouring columns (crossfading the loop end into its start,
and old spectrograms into new ones), applies the clarity mask, pushes the frame into a
:class:`~engine.spectral.streaming.StreamingReconstructor` and returns one hop of audio.  Band
and gain act on that audio afterwards (:mod:`engine.synth.bandpass`, in
:class:`engine.synth.chain.VoiceChain`).  Pure and single-threaded: the caller owns the thread.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .codec import CodecParams, check_spectrogram, to_mel_power
from .melinv import mel_inverse
from .streaming import StreamingReconstructor

MAX_SPEED = 4.0
BLOCK_COLUMNS = 16  #: spectrogram columns converted mel -> linear at a time (lazily)


def block_span(block: int, frames: int) -> tuple[int, int]:
    """Columns ``[lo, hi)`` of mel -> linear block ``block`` in an image ``frames`` wide."""
    lo = block * BLOCK_COLUMNS
    return lo, min(lo + BLOCK_COLUMNS, frames)


def linear_block(spec: np.ndarray, block: int, codec: CodecParams, n_refine: int) -> np.ndarray:
    """Linear magnitudes (n_freq, columns) float32 of one block of ``spec`` (a checked
    spectrogram in [-1, 1]) before the voice's level gain.

    The same numbers wherever and whenever they are computed, so a real-time caller can convert
    the blocks a new image will need ahead of setting it (:class:`IncomingSpectrogram`).
    """
    lo, hi = block_span(block, spec.shape[1])
    if not 0 <= lo < hi:
        raise ValueError(f"block {block} is outside an image {spec.shape[1]} columns wide")
    power = to_mel_power(spec[:, lo:hi], codec.top_db)
    lin = mel_inverse(codec)(power, n_refine=n_refine)
    np.sqrt(lin, out=lin)
    return lin


class IncomingSpectrogram:
    """A new spectrogram on its way into a :class:`Voice`, converted a block at a time.

    A voice thread that must keep a real-time buffer filled calls :meth:`step` between its
    hops: each call converts (mel -> linear) at most one block that the voice will need when
    the image arrives -- those under the frames it revises -- and returns True once none is
    left; ``voice.set_spectrogram(incoming.spec, incoming.linear)`` then costs only the
    crossfade.  The audio is the same as ``set_spectrogram(spec)`` at that moment; the
    conversion is only spread out, so no single step costs more than one block (~1 ms).
    Raises ``ValueError`` for a bad spectrogram (as ``set_spectrogram`` would).
    """

    def __init__(self, voice: "Voice", spec: np.ndarray) -> None:
        self.voice = voice
        self.spec = np.ascontiguousarray(check_spectrogram(spec, n_mels=voice.codec.n_mels))
        self.linear: dict[int, np.ndarray] = {}

    def step(self) -> bool:
        """Convert at most one missing block; True when the image can be set at no more cost."""
        v = self.voice
        for b in v.blocks_needed(self.spec.shape[1]):
            if b not in self.linear:
                self.linear[b] = linear_block(self.spec, b, v.codec, v.n_refine)
                return False
        return True


class _Layer:
    """One spectrogram: values in [-1, 1] plus a lazy cache of linear magnitudes per column."""

    def __init__(self, spec: np.ndarray, voice: "Voice",
                 linear: Mapping[int, np.ndarray] | None = None) -> None:
        codec = voice.codec
        self.spec = spec
        self.frames = spec.shape[1]
        self.loop_xfade, self.loop_len = _loop_geometry(self.frames, voice.loop_xfade)
        self.weight = 0.0
        self.target = 1.0
        self._codec = codec
        self._n_refine = voice.n_refine
        self._lin = np.zeros((self.frames, codec.n_freq), dtype=np.float32)
        self._done = np.zeros((self.frames + BLOCK_COLUMNS - 1) // BLOCK_COLUMNS, dtype=bool)
        # level: the loudest column (by linear power) plays at RMS `voice.level`
        power = to_mel_power(spec, codec.top_db)
        col_energy = voice._inv.energy @ power  # linear power per column
        ref = float(np.max(col_energy))
        self.gain = 0.0 if ref <= 0 else voice.level / math.sqrt(ref * voice._rms_per_energy)
        for b, lin in (linear or {}).items():
            self._adopt(b, lin)

    def _adopt(self, b, lin) -> None:
        """Take block ``b`` converted elsewhere (:func:`linear_block`); anything that does not
        fit is left to be converted here."""
        if not isinstance(b, (int, np.integer)) or not 0 <= b < len(self._done):
            return
        lo, hi = block_span(int(b), self.frames)
        if (not isinstance(lin, np.ndarray) or lin.dtype != np.float32
                or lin.shape != (self._codec.n_freq, hi - lo) or not np.isfinite(lin).all()):
            return
        self._lin[lo:hi] = (lin * np.float32(self.gain)).T
        self._done[b] = True

    def column(self, i: int) -> np.ndarray:
        """Linear magnitude of column ``i`` (n_freq,), computed on first use in blocks."""
        b = i // BLOCK_COLUMNS
        if not self._done[b]:
            lin = linear_block(self.spec, b, self._codec, self._n_refine)
            lin *= self.gain
            lo, hi = block_span(b, self.frames)
            self._lin[lo:hi] = lin.T
            self._done[b] = True
        return self._lin[i]

    def magnitude(self, pos: float, out: np.ndarray) -> np.ndarray:
        """Interpolated magnitude at playhead ``pos`` (columns, wrapped to the loop) -> ``out``."""
        p = pos % self.loop_len
        self._interp(p, out)
        if p < self.loop_xfade:  # blend the loop's tail into its head
            a = p / self.loop_xfade
            out *= a
            out += (1.0 - a) * self._interp(p + self.loop_len, np.empty_like(out))
        return out

    def _interp(self, p: float, out: np.ndarray) -> np.ndarray:
        i0, i1, f = _interp_columns(p, self.frames)
        np.multiply(self.column(i0), 1.0 - f, out=out)
        if f > 0.0:
            out += f * self.column(i1)
        return out


class Voice:
    """A playhead over spectrograms in [-1, 1], reconstructed to audio one hop at a time.

    Parameters
    ----------
    codec: spectrogram geometry (sample rate, FFT size, hop, mel bands).
    lookahead: reconstruction look-ahead in hops (latency = lookahead * hop samples).
    seed: random-phase seed (deterministic output for a given input and seed).
    n_iter: Griffin-Lim projections per hop. momentum: fast Griffin-Lim momentum.
    subhops: voice hops per spectrogram hop (``hop = codec.hop_length / subhops``): finer steps
    for controls and new images, at ``subhops`` times the reconstruction cost.
    xfade_hops: hops to crossfade to a new spectrogram. loop_xfade: columns crossfaded at the
    loop point. level: RMS of the loudest column. n_refine: mel inversion
    refinement steps.

    Real time: :meth:`next_hop` never blocks and keeps no growing state; it allocates only
    small temporaries (frame-sized numpy arrays). Converting a new spectrogram from mel to linear
    is done lazily, ``BLOCK_COLUMNS`` columns at a time, so no call does a whole-image
    conversion; blocks converted elsewhere (:func:`linear_block`) can come with the image.
    """

    def __init__(self, codec: CodecParams | None = None, lookahead: int = 3, seed: int = 0, *,
                 n_iter: int = 3, momentum: float = 0.9, xfade_hops: int = 8, loop_xfade: int = 8,
                 level: float = 0.2, n_refine: int = 32, subhops: int = 1) -> None:
        self.codec = codec or CodecParams()
        self.sample_rate = self.codec.sr
        self.subhops = int(subhops)
        if self.subhops < 1 or self.codec.hop_length % self.subhops:
            raise ValueError(f"subhops must divide the hop ({self.codec.hop_length}), "
                             f"got {subhops}")
        self.hop = self.codec.hop_length // self.subhops
        self.loop_xfade = int(loop_xfade)
        self.xfade_hops = max(1, int(xfade_hops))
        self.level = float(level)
        self.n_refine = int(n_refine)
        self._inv = mel_inverse(self.codec)
        self._rec = StreamingReconstructor(self.codec.n_fft, self.hop, lookahead=lookahead,
                                           n_iter=n_iter, momentum=momentum, seed=seed)
        win = self._rec.window.astype(np.float64)
        # RMS^2 of the overlap-add output per unit of linear power in one frame (Parseval)
        self._rms_per_energy = 2.0 / (self.codec.n_fft * float(np.sum(win ** 2)))
        self._layers: list[_Layer] = []
        self.position = 0.0
        self.speed = 1.0
        self.clarity = 0.0
        self._mag = np.zeros(self.codec.n_freq, dtype=np.float32)
        self._tmp = np.zeros(self.codec.n_freq, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        # playhead positions and unmasked magnitudes of the frames not yet fully heard -- still
        # sounding or not yet committed by the reconstructor (a ring, slot = frame number %
        # size): a new spectrogram revises them
        n_recent = self._rec.sounding + self._rec.pending
        self._recent_pos = np.zeros(n_recent)
        self._recent_mag = np.zeros((n_recent, self.codec.n_freq), dtype=np.float32)
        self._frames_pushed = 0

    # ---------------------------------------------------------------- properties
    @property
    def latency_samples(self) -> int:
        """Algorithmic latency: samples from a frame entering to its first output sample."""
        return self._rec.latency_samples

    @property
    def frames(self) -> int:
        """Columns of the current (newest) spectrogram, 0 when none is set."""
        return self._layers[-1].frames if self._layers else 0

    # ---------------------------------------------------------------- control
    def set_spectrogram(self, spec: np.ndarray,
                        linear: Mapping[int, np.ndarray] | None = None) -> None:
        """Crossfade (over ``xfade_hops``) to ``spec`` (n_mels, frames) in [-1, 1], same playhead.

        The crossfade starts at the next output sample: frames already committed but still
        sounding are re-synthesised with the new magnitudes (faded in over one hop) and the
        uncommitted ones revised, so the new sound is delayed neither by the look-ahead nor by
        the frames' overlap.
        ``linear``: blocks of ``spec`` already converted by :func:`linear_block` (block index ->
        array) with this voice's codec and ``n_refine``; the output is the same with or without
        them, only cheaper here.  Blocks that do not fit are ignored.
        Raises ``ValueError`` for a wrong shape, NaN/inf or an empty array.
        """
        arr = check_spectrogram(spec, n_mels=self.codec.n_mels)
        layer = _Layer(np.ascontiguousarray(arr), self, linear)
        if not self._layers:
            layer.weight = 1.0
        else:
            self._revise_unheard(layer)
        for old in self._layers:
            old.target = 0.0
        self._layers.append(layer)
        if len(self._layers) > 3:  # a burst of spectrograms: drop the quietest fading one
            fading = self._layers[:-1]
            self._layers.remove(min(fading, key=lambda l: l.weight))

    def blocks_needed(self, frames: int) -> tuple[int, ...]:
        """Blocks of a new image ``frames`` columns wide that :meth:`set_spectrogram` would
        convert from mel to linear if the image came now: those under the frames it revises
        and under the next frame."""
        frames = int(frames)
        xfade, loop = _loop_geometry(frames, self.loop_xfade)
        count = min(self._frames_pushed, len(self._recent_pos))
        positions = [float(p) for p in self._recent_pos[:count]] + [self.position]
        cols = set()
        for pos in positions:
            p = pos % loop
            for q in ((p, p + loop) if p < xfade else (p,)):  # as _Layer.magnitude reads
                cols.update(_interp_columns(q, frames)[:2])
        return tuple(sorted({c // BLOCK_COLUMNS for c in cols}))

    def set_params(self, speed: float | None = None, clarity: float | None = None) -> None:
        """Change either control; each takes effect from the next hop.

        speed: columns per spectrogram hop (1 = the image's own rate), 0..4 (clipped);
        clarity: 0..1 (clipped), noise floor and spectral sharpening.  Non-finite values raise
        ``ValueError``.
        """
        if speed is not None:
            self.speed = min(max(_finite(speed, "speed"), 0.0), MAX_SPEED)
        if clarity is not None:
            self.clarity = min(max(_finite(clarity, "clarity"), 0.0), 1.0)

    # ---------------------------------------------------------------- audio
    def next_hop(self) -> np.ndarray:
        """Exactly one hop (``self.hop`` samples, float32) of audio; advances the playhead."""
        mag = self._frame()
        out = self._rec.push(mag)
        if self._layers:  # the playhead rests at 0 until there is something to scan
            self.position += self.speed / self.subhops
            loop = self._layers[-1].loop_len
            if self.position >= loop:
                self.position %= loop
        return out

    def render(self, n_samples: int) -> np.ndarray:
        """``n_samples`` of audio (float32) by calling :meth:`next_hop`; keeps the remainder."""
        n = int(n_samples)
        if n < 0:
            raise ValueError("n_samples must be >= 0")
        parts = [self._pending]
        have = len(self._pending)
        while have < n:
            h = self.next_hop()
            parts.append(h)
            have += len(h)
        buf = np.concatenate(parts)
        self._pending = buf[n:]
        return buf[:n]

    def _revise_unheard(self, layer: _Layer) -> None:
        """Blend ``layer`` into the frames not yet fully heard (weights 1/xfade, 2/xfade, ...
        oldest first): committed frames still sounding are re-synthesised from the next output
        sample on, uncommitted ones get new target magnitudes; the crossfade then goes on from
        there."""
        n_recent = len(self._recent_pos)
        n_sounding = self._rec.sounding
        count = min(self._frames_pushed, n_recent)
        step = 1.0 / self.xfade_hops
        a = 0.0
        for j in range(count):
            frame = n_recent - count + j  # 0 = the oldest still sounding
            slot = (self._frames_pushed - count + j) % n_recent
            mag = self._recent_mag[slot]
            a = min(1.0, (j + 1) * step)
            mag *= 1.0 - a
            mag += a * layer.magnitude(self._recent_pos[slot], self._tmp)
            np.copyto(self._tmp, mag)
            if frame < n_sounding:
                self._rec.revise_sounding(n_sounding - frame, self._masked(self._tmp))
            else:
                self._rec.revise(frame - n_sounding, self._masked(self._tmp))
        if a > 0.0:
            layer.weight = a
            for old in self._layers:
                old.weight = max(0.0, old.weight - a)

    def _frame(self) -> np.ndarray:
        """The magnitude frame for the current playhead (n_freq,), masks applied."""
        mag = self._mag
        mag[:] = 0.0
        step = 1.0 / self.xfade_hops
        for layer in self._layers:
            if layer.weight != layer.target:
                d = layer.target - layer.weight
                layer.weight += max(-step, min(step, d))
            if layer.weight > 0.0:
                layer.magnitude(self.position, self._tmp)
                self._tmp *= layer.weight
                mag += self._tmp
        self._layers = [l for l in self._layers if l.weight > 0.0 or l.target > 0.0]
        n_recent = len(self._recent_pos)
        if n_recent:  # remember it unmasked, for _revise_unheard
            slot = self._frames_pushed % n_recent
            self._recent_pos[slot] = self.position
            np.copyto(self._recent_mag[slot], mag)
        self._frames_pushed += 1
        return self._masked(mag)

    def _masked(self, mag: np.ndarray) -> np.ndarray:
        """The clarity mask applied to ``mag`` in place."""
        if self.clarity > 0.0:
            _apply_clarity(mag, self.clarity, self.codec.top_db)
        return mag


def _interp_columns(p: float, frames: int) -> tuple[int, int, float]:
    """The two columns interpolated at column position ``p`` (the last one's neighbour is
    column 0) and the weight of the second."""
    i0 = int(p)
    f = p - i0
    i0 = min(i0, frames - 1)
    return i0, (i0 + 1 if i0 + 1 < frames else 0), f


def _loop_geometry(frames: int, loop_xfade: int) -> tuple[int, int]:
    """(columns crossfaded at the loop point, columns per loop >= 1) of an image."""
    xfade = min(int(loop_xfade), frames // 4)
    return xfade, frames - xfade


def _finite(x: float, name: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {x!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def _apply_clarity(mag: np.ndarray, clarity: float, top_db: float) -> None:
    """In place: gate bins below a floor that rises from -top_db (clarity 0) to -24 dB
    (clarity 1) under the frame peak (6 dB soft knee), and sharpen peaks by raising the
    peak-relative magnitude to the power ``1 + clarity``."""
    peak = float(mag.max())
    if peak <= 0.0:
        return
    rel = mag / peak
    floor = 10.0 ** ((-top_db * (1.0 - clarity) - 24.0 * clarity) / 20.0)
    gate = np.clip((rel - floor * 0.5) / (floor * 1.5), 0.0, 1.0)  # 0 at floor/2, 1 at 2*floor
    np.power(rel, clarity, out=rel)
    mag *= rel
    mag *= gate
