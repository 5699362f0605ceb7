"""Whole-image reconstruction: a [-1, 1] mel spectrogram (or its PNG) -> audio.

The origin's ``spectrogram_to_audio`` with its enhancements, in order: spectral smoothing
(Gaussian, against 8-bit steps), noise-floor suppression (mel bins under ``noise_floor_db``
relative to the peak -> 0), mel -> linear, minimum-phase initialisation, Griffin-Lim with
momentum, a 4th-order Butterworth low-pass (zero phase), raised-cosine boundary fades, and peak
normalisation to ``peak_dbfs``.

The fast path replaces the origin's NNLS mel inversion by :mod:`.melinv` (a non-negative
inverse plus multiplicative refinement) and librosa's STFT loop by a batched float32 STFT
(strided view + ``scipy.fft``; faster here than ``torch.stft`` on one core) in fast Griffin-Lim
(Perraudin et al. 2013), which needs fewer iterations from the better start.
:mod:`.reference` keeps the
origin's path for benchmarks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.signal
from numpy.lib.stride_tricks import as_strided

from .codec import DEFAULT_CODEC, CodecParams, as_spectrogram, to_db
from .melinv import mel_inverse
from .streaming import irfft_rows, rfft_rows


def _codec_for(arr: np.ndarray, codec: CodecParams | None,
               overrides: dict[str, Any]) -> CodecParams:
    """The codec for ``arr``: ``codec`` (or the default) with keyword overrides; the origin's
    ``db_range`` is accepted for ``top_db``; ``n_mels`` follows the array height."""
    codec = codec or DEFAULT_CODEC
    if "db_range" in overrides:
        overrides["top_db"] = overrides.pop("db_range")
    changes = {k: v for k, v in overrides.items() if v is not None}
    changes["n_mels"] = int(arr.shape[0])
    return codec.replace(**changes)


def prepare_mel(arr: np.ndarray, top_db: float = 80.0, spectral_smooth_sigma: float = 0.5,
                noise_floor_db: float = -60.0) -> np.ndarray:
    """[-1, 1] array -> mel power with the origin's smoothing and noise floor (float32).

    ``spectral_smooth_sigma``: Gaussian sigma in mel bins (half of it along time frames), in the
    dB domain; 0 = off. ``noise_floor_db`` < 0: mel bins more than that many dB under the image
    peak are set to 0; 0 = off.
    """
    s_db = to_db(arr, top_db).astype(np.float32)
    if spectral_smooth_sigma > 0:
        s_db = scipy.ndimage.gaussian_filter(
            s_db, sigma=[spectral_smooth_sigma, spectral_smooth_sigma * 0.5])
    mel = np.power(np.float32(10.0), s_db / np.float32(10.0)).astype(np.float32)
    if noise_floor_db < 0:
        mel[mel < mel.max() * 10.0 ** (noise_floor_db / 10.0)] = 0.0
    return mel


def minimum_phase(mag: np.ndarray, n_fft: int) -> np.ndarray:
    """Per-frame minimum-phase spectrum (cepstral method) with magnitude ``mag`` (n_freq, T).

    Returns complex64 ``mag * exp(i * phase_min)``, shape (n_freq, T).
    """
    frames = np.ascontiguousarray(mag.T, dtype=np.float32)  # (T, n_freq): FFT along rows
    cep = scipy.fft.irfft(np.log(np.maximum(frames, 1e-10)), n=n_fft, axis=-1)
    fold = np.zeros(n_fft, dtype=np.float32)  # keep c[0], double the causal part, drop the rest
    fold[0] = 1.0
    fold[1:(n_fft + 1) // 2] = 2.0
    if n_fft % 2 == 0:
        fold[n_fft // 2] = 1.0
    cep *= fold
    phase = scipy.fft.rfft(cep, axis=-1).imag
    out = np.empty(frames.shape, dtype=np.complex64)
    out.real = frames * np.cos(phase)
    out.imag = frames * np.sin(phase)
    return out.T


class _Stft:
    """Centred STFT / least-squares ISTFT pair on float32 arrays (librosa's conventions: periodic
    Hann window, ``n_fft // 2`` zeros of padding, unnormalised), batched over all frames with a
    strided view and ``scipy.fft``. Works in the padded domain so Griffin-Lim never re-pads."""

    def __init__(self, n_fft: int, hop: int, frames: int, length: int) -> None:
        from .streaming import scipy_hann

        self.n_fft, self.hop, self.frames, self.length = n_fft, hop, frames, length
        self.pad = n_fft // 2
        self.padded = max((frames - 1) * hop + n_fft, length + 2 * self.pad)
        self.window = scipy_hann(n_fft)
        wss = self._ola(np.broadcast_to(self.window ** 2, (frames, n_fft)))
        self.wss_inv = np.where(wss > 1e-8 * wss.max(), 1.0 / np.maximum(wss, 1e-30), 0.0)
        self.wss_inv[: self.pad] = 0.0  # zero padding regions: STFT of the trimmed signal
        self.wss_inv[self.pad + length:] = 0.0
        self.wss_inv = self.wss_inv.astype(np.float32)

    def _ola(self, frames: np.ndarray) -> np.ndarray:
        n, h, t = self.n_fft, self.hop, self.frames
        out = np.zeros(self.padded + n, dtype=np.float32)
        if n % h == 0:  # sum R shifted (t, hop) blocks instead of t slices
            r = n // h
            blocks = out[: (t + r - 1) * h].reshape(t + r - 1, h)
            f3 = frames.reshape(t, r, h)
            for i in range(r):
                blocks[i:i + t] += f3[:, i]
        else:
            for j in range(t):
                out[j * h:j * h + n] += frames[j]
        return out[: self.padded]

    def ola_into(self, out: np.ndarray, frames: np.ndarray, first: int) -> None:
        """Add windowed ``frames`` (frame indices from ``first``) into ``out`` (overlap-add)."""
        n, h = self.n_fft, self.hop
        nb = frames.shape[0]
        if n % h == 0:
            r = n // h
            seg = out[first * h:(first + nb + r - 1) * h].reshape(nb + r - 1, h)
            f3 = frames.reshape(nb, r, h)
            for i in range(r):
                seg[i:i + nb] += f3[:, i]
        else:
            for j in range(nb):
                s = (first + j) * h
                out[s:s + n] += frames[j]

    def istft_padded(self, spec: np.ndarray) -> np.ndarray:
        """(T, n_freq) complex -> padded signal (least-squares overlap-add, pads zeroed)."""
        frames = scipy.fft.irfft(spec, n=self.n_fft, axis=-1)
        frames *= self.window
        y = self._ola(frames)
        y *= self.wss_inv
        return y

    def stft_padded(self, y: np.ndarray) -> np.ndarray:
        """Padded signal -> (T, n_freq) complex64."""
        view = as_strided(y, shape=(self.frames, self.n_fft), strides=(self.hop * 4, 4),
                          writeable=False)
        return scipy.fft.rfft(view * self.window, axis=-1)

    def trim(self, y: np.ndarray) -> np.ndarray:
        return y[self.pad:self.pad + self.length].copy()


def griffin_lim(mag: np.ndarray, init: np.ndarray | None, n_fft: int, hop: int, n_iter: int = 32,
                momentum: float = 0.99, length: int | None = None, seed: int = 0,
                block: int = 32) -> np.ndarray:
    """Fast Griffin-Lim (Perraudin et al. 2013) on a linear magnitude (n_freq, T).

    ``init``: complex (n_freq, T) start (None = random phase). Centred frames, Hann window,
    zero padding (librosa's conventions, float32, scipy.fft). ``momentum`` 0 = plain
    Griffin-Lim. Frames are processed ``block`` at a time so each pass stays in cache.
    Returns float32 audio of ``length`` samples (default ``(T - 1) * hop``).
    """
    t = mag.shape[1]
    length = (t - 1) * hop if length is None else int(length)
    stft = _Stft(n_fft, hop, t, length)
    a = np.ascontiguousarray(mag.T, dtype=np.float32)  # (T, n_freq): frames contiguous
    if init is None:
        rng = np.random.default_rng(seed)
        x = (a * np.exp(2j * np.pi * rng.random(a.shape))).astype(np.complex64)
    else:
        x = np.ascontiguousarray(np.asarray(init).T, dtype=np.complex64)
    prev = np.zeros_like(x)
    y = np.zeros(stft.padded + n_fft, dtype=np.float32)
    blocks = [(b, min(b + block, t)) for b in range(0, t, block)]
    win = stft.window
    tbuf = np.empty((block, n_fft), dtype=np.float32)  # work buffers reused by every block
    sbuf = np.empty((block, a.shape[1]), dtype=np.complex64)
    abuf = np.empty((block, a.shape[1]), dtype=np.float32)
    for _ in range(n_iter):
        y[:] = 0.0
        for b0, b1 in blocks:  # least-squares ISTFT, block by block
            fr = irfft_rows(x[b0:b1], n_fft, tbuf[: b1 - b0])
            fr *= win
            stft.ola_into(y, fr, b0)
        y[: stft.padded] *= stft.wss_inv
        for b0, b1 in blocks:  # STFT, projection onto the magnitude, momentum
            nb = b1 - b0
            view = as_strided(y[b0 * hop:], shape=(nb, n_fft), strides=(hop * 4, 4),
                              writeable=False)
            fr = np.multiply(view, win, out=tbuf[:nb])
            sb = rfft_rows(fr, sbuf[:nb])
            den = np.abs(sb, out=abuf[:nb])
            den += 1e-12
            np.divide(a[b0:b1], den, out=den)
            sb *= den
            xb = x[b0:b1]
            np.subtract(sb, prev[b0:b1], out=xb)
            xb *= momentum
            xb += sb
            prev[b0:b1] = sb
    return stft.trim(stft.istft_padded(x))


def finish(audio: np.ndarray, sr: int, lpf_cutoff: float | None = 8000.0, fade_ms: float = 5.0,
           peak_dbfs: float | None = -1.0) -> np.ndarray:
    """The origin's output stage: low-pass (Hz, Butterworth order 4, zero phase; None/0 = off),
    raised-cosine fades of ``fade_ms`` at both ends, peak normalisation to ``peak_dbfs``."""
    y = np.asarray(audio, dtype=np.float32)
    if lpf_cutoff and lpf_cutoff < sr / 2 and len(y) > 27:
        sos = scipy.signal.butter(4, lpf_cutoff, btype="low", fs=sr, output="sos")
        y = scipy.signal.sosfiltfilt(sos, y).astype(np.float32)
    n = int(fade_ms * 1e-3 * sr)
    if n > 0 and len(y) > 2 * n:
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n))).astype(np.float32)
        y[:n] *= ramp
        y[-n:] *= ramp[::-1]
    if peak_dbfs is not None:
        peak = float(np.abs(y).max()) if len(y) else 0.0
        if peak > 0:
            y = y * np.float32(10.0 ** (peak_dbfs / 20.0) / peak)
    return y


def spectrogram_to_audio(spectrogram: Any, codec: CodecParams | None = None, *, n_iter: int = 12,
                         lpf_cutoff: float | None = 8000.0, spectral_smooth_sigma: float = 0.5,
                         use_min_phase: bool | None = None, noise_floor_db: float = -60.0,
                         fade_ms: float = 5.0, peak_dbfs: float | None = -1.0,
                         init: str = "minphase", n_refine: int = 30, momentum: float = 0.99,
                         seed: int = 0, **codec_overrides: Any) -> np.ndarray:
    """Reconstruct float32 audio at ``codec.sr`` from a [-1, 1] mel spectrogram.

    ``spectrogram``: array (n_mels, frames) or (1, n_mels, frames), torch tensor, PIL image
    (grayscale or the origin's magma RGB) or image path. ``codec``: geometry (default: the
    origin's); keyword overrides ``sr``, ``n_fft``, ``hop_length``, ``top_db`` (or the origin's
    ``db_range``) as in the origin. Enhancements: see the module docstring.

    Phase: ``init`` is ``"minphase"`` (the origin's start), ``"rtisi"`` (a streaming RTISI-LA
    pass first: slower, much better on harmonic material) or ``"random"`` (``seed``); the
    origin's ``use_min_phase`` True/False selects ``"minphase"``/``"random"``. Then ``n_iter``
    fast Griffin-Lim iterations; ``n_refine`` mel-inversion refinement steps.
    Returns ``(frames - 1) * hop`` samples. Raises ``ValueError`` for bad input (wrong rank,
    NaN/inf, empty, unsupported image mode) or an unknown ``init``.
    """
    if use_min_phase is not None:
        init = "minphase" if use_min_phase else "random"
    if init not in ("minphase", "rtisi", "random"):
        raise ValueError(f"init must be minphase, rtisi or random, got {init!r}")
    arr = as_spectrogram(spectrogram)
    overrides = dict(codec_overrides)
    overrides.pop("n_mels", None)  # the array height decides
    codec = _codec_for(arr, codec, overrides)
    n_fft, hop = codec.n_fft, codec.hop_length
    mel = prepare_mel(arr, codec.top_db, spectral_smooth_sigma, noise_floor_db)
    lin = mel_inverse(codec)(mel, n_refine=n_refine)
    mag = np.sqrt(np.maximum(lin, 0.0, out=lin), out=lin)
    if init == "rtisi":
        from .streaming import rtisi_la

        audio = rtisi_la(mag, n_fft, hop, seed=seed)
        if n_iter > 0:
            st = _Stft(n_fft, hop, mag.shape[1], len(audio))
            padded = np.zeros(st.padded, dtype=np.float32)
            padded[st.pad:st.pad + len(audio)] = audio
            audio = griffin_lim(mag, st.stft_padded(padded).T, n_fft, hop, n_iter=n_iter,
                                momentum=momentum)
    else:
        start = minimum_phase(mag, n_fft) if init == "minphase" else None
        audio = griffin_lim(mag, start, n_fft, hop, n_iter=n_iter, momentum=momentum, seed=seed)
    return finish(audio, codec.sr, lpf_cutoff, fade_ms, peak_dbfs)
