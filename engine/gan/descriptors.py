"""Audio descriptors of spectrograms, for the quality metric, harmonicity and named directions.

Everything is numpy in, numpy out.  Spectrograms are codec arrays (n_mels, frames) in [-1, 1]
(row 0 = lowest band); audio is mono float32 at ``codec.sr`` Hz.
"""

from __future__ import annotations

import numpy as np

from engine.spectral.codec import CodecParams, to_db, to_mel_power

#: names of the columns :func:`descriptors` returns
DESCRIPTOR_NAMES = (["band_%d" % i for i in range(8)] +
                    ["centroid", "spread", "flatness", "contrast", "flux", "peakiness",
                     "loudness_var", "pitch_band"])


def reconstruct(spec: np.ndarray, codec: CodecParams, n_iter: int = 32,
                seed: int = 0) -> np.ndarray:
    """Spectrogram -> audio by plain Griffin-Lim (librosa, ``n_iter`` iterations, seeded random
    initial phase): the fixed, dependency-light path the metrics use for real and generated
    images alike.  Peak-normalised to 0.8."""
    import librosa

    c = codec
    power = to_mel_power(np.asarray(spec, np.float32), c.top_db)
    stft_mag = librosa.feature.inverse.mel_to_stft(power, sr=c.sr, n_fft=c.n_fft, power=2.0,
                                                   fmin=c.fmin, fmax=c.fmax_hz)
    y = librosa.griffinlim(stft_mag, n_iter=n_iter, hop_length=c.hop_length, n_fft=c.n_fft,
                           random_state=seed, init="random")
    peak = float(np.max(np.abs(y))) or 1.0
    return (y * (0.8 / peak)).astype(np.float32)


def harmonicity(audio: np.ndarray, sr: int, fmin: float = 40.0, fmax: float = 1000.0,
                frame: int = 2048, hop: int = 512) -> float:
    """Mean periodicity of ``audio`` in [0, 1]: per frame, the highest normalised
    autocorrelation at a lag between 1/fmax and 1/fmin seconds (Boersma's HNR idea, with the
    window's own autocorrelation divided out), averaged over frames weighted by energy.
    Periodic tones give ~0.8-1, white noise ~0.1-0.3.  Hand-written: librosa has no HNR."""
    y = np.asarray(audio, np.float64)
    if len(y) < frame:
        y = np.pad(y, (0, frame - len(y)))
    win = np.hanning(frame)
    nfft = 2 * frame
    wac = np.fft.irfft(np.abs(np.fft.rfft(win, nfft)) ** 2)[:frame]
    wac /= wac[0]
    lo, hi = int(sr / fmax), min(int(sr / fmin), frame // 2)
    vals, weights = [], []
    for start in range(0, len(y) - frame + 1, hop):
        x = y[start:start + frame]
        x = (x - x.mean()) * win
        e = float(np.dot(x, x))
        if e <= 1e-10:
            continue
        ac = np.fft.irfft(np.abs(np.fft.rfft(x, nfft)) ** 2)[:frame]
        r = ac[lo:hi] / ac[0] / np.maximum(wac[lo:hi], 1e-3)
        vals.append(float(np.clip(r.max(), 0.0, 1.0)))
        weights.append(e)
    if not vals:
        return 0.0
    return float(np.average(vals, weights=weights))


def descriptors(spec: np.ndarray, codec: CodecParams) -> np.ndarray:
    """One descriptor vector (len(DESCRIPTOR_NAMES),) of a spectrogram: mean dB in 8 mel bands,
    spectral centroid and spread (Hz, log2), flatness, contrast (dB, peak minus valley),
    temporal flux, spectral peakiness (harmonic ridges: energy in local maxima over total),
    loudness variance over time and the strongest low band (a pitch proxy, in bands)."""
    c = codec
    s = np.asarray(spec, np.float32)
    db = to_db(s, c.top_db)                                        # (n_mels, T), dB
    power = 10.0 ** (db / 10.0)
    n = s.shape[0]
    bands = [float(b.mean()) for b in np.array_split(db, 8, axis=0)]
    import librosa

    freqs = librosa.mel_frequencies(n_mels=n, fmin=c.fmin, fmax=c.fmax_hz)
    p_t = power.sum(axis=0) + 1e-12                                  # (T,)
    centroid = (freqs[:, None] * power).sum(axis=0) / p_t
    spread = np.sqrt(((freqs[:, None] - centroid) ** 2 * power).sum(axis=0) / p_t)
    flat = np.exp(np.log(power + 1e-10).mean(axis=0)) / (power.mean(axis=0) + 1e-10)
    srt = np.sort(db, axis=0)
    k = max(1, n // 10)
    contrast = srt[-k:].mean(axis=0) - srt[:k].mean(axis=0)
    flux = np.abs(np.diff(s, axis=1)).mean() if s.shape[1] > 1 else 0.0
    # peakiness: power in bins that are local maxima along frequency, over total power
    peaks = (power[1:-1] > power[:-2]) & (power[1:-1] >= power[2:])
    peakiness = (power[1:-1] * peaks).sum() / (power[1:-1].sum() + 1e-12)
    loud = 10 * np.log10(p_t)
    low = db[: n // 2].mean(axis=1)
    return np.array(bands + [float(np.log2(centroid.mean() + 1.0)),
                             float(np.log2(spread.mean() + 1.0)), float(flat.mean()),
                             float(contrast.mean()), float(flux), float(peakiness),
                             float(loud.var()), float(np.argmax(low))], np.float64)
