"""Cut audio into fixed-size spectrogram images (each normalised on its own, like the origin's
per-image min/max)."""

from __future__ import annotations

import numpy as np

from engine.spectral.codec import CodecParams, audio_to_spectrogram, fit_frames


def window_starts(n_samples: int, chunk: int, per_file: int = 0) -> list[int]:
    """Sample offsets of image windows of ``chunk`` samples: ``per_file`` > 0 spreads that many
    evenly over the file (overlapping if needed); 0 takes consecutive non-overlapping windows
    (at least one; a short file gives one padded image)."""
    if n_samples <= chunk:
        return [0]
    if per_file > 0:
        return sorted(set(np.linspace(0, n_samples - chunk, per_file).astype(int).tolist()))
    return list(range(0, n_samples - chunk + 1, chunk))


def audio_windows(audio: np.ndarray, codec: CodecParams, per_file: int = 0) -> list[np.ndarray]:
    """Mono audio at ``codec.sr`` -> list of (n_mels, frames) arrays in [-1, 1]; silent windows
    (all -1) are dropped."""
    chunk = (codec.frames - 1) * codec.hop_length  # centred STFT: exactly `frames` columns
    out = []
    for s in window_starts(len(audio), chunk, per_file):
        spec = fit_frames(audio_to_spectrogram(audio[s:s + chunk], codec), codec.frames)
        if spec.max() > -1.0:
            out.append(spec)
    return out
