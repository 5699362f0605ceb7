"""The dataset pipeline: audio files -> fixed-size spectrogram images (each normalised on its
own, like the origin's per-image min/max) -> PNGs.

:func:`process_directory` is the origin's programmatic entry point and what
``latent-resonance dataset`` runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.spectral.codec import (DEFAULT_CODEC, SUPPORTED_EXTENSIONS, CodecParams,
                                   audio_to_spectrogram, fit_frames, load_audio,
                                   spectrogram_to_image)


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


def output_stems(files: list[Path], src: Path) -> dict[Path, str]:
    """A distinct output name stem for every input file: its path below ``src`` with ``/`` as
    ``__`` and no extension (``a/b.wav`` -> ``a__b``); files that would share one keep their
    extension (``x.wav`` -> ``x.wav``, ``x.flac`` -> ``x.flac``).  Names that still collide
    (``a/b.wav`` and ``a__b.wav``) raise ValueError naming both files."""
    def plain(f: Path) -> str:
        return f.relative_to(src).with_suffix("").as_posix().replace("/", "__")

    count: dict[str, int] = {}
    for f in files:
        count[plain(f)] = count.get(plain(f), 0) + 1
    stems, owner = {}, {}
    for f in files:
        stem = plain(f)
        if count[stem] > 1:
            stem = f"{stem}{f.suffix.lower()}"
        if stem in owner:
            raise ValueError(f"{owner[stem]} and {f} would write the same spectrogram names "
                             f"({stem}_000.png ...); rename one of them")
        owner[stem], stems[f] = f, stem
    return stems


def audio_files(src: str | Path, recursive: bool = True) -> list[Path]:
    """The audio files (:data:`SUPPORTED_EXTENSIONS`) in ``src``, sorted; ValueError when
    ``src`` is not a directory."""
    src = Path(src)
    if not src.is_dir():
        raise ValueError(f"input directory not found: {src}")
    found = src.rglob("*") if recursive else src.iterdir()
    return sorted(f for f in found if f.is_file() and f.suffix.lower() in SUPPORTED_EXTENSIONS)


def process_directory(input_dir: str | Path, output_dir: str | Path,
                      codec: CodecParams | None = None, *, per_file: int = 0,
                      recursive: bool = True, mode: str = "window",
                      on_error: Callable[[Path, str], None] | None = None,
                      progress: Callable[[list[Path]], object] | None = None,
                      **overrides) -> list[Path]:
    """Every audio file below ``input_dir`` -> grayscale PNG spectrograms in ``output_dir``,
    ``<stem>_000.png``, ``<stem>_001.png`` ... (:func:`output_stems`).

    ``mode="window"`` (default): :func:`audio_windows` (``per_file`` images spread over each
    file, or consecutive windows), each image normalised on its own; ``mode="resize"``: the
    whole file squeezed into one image, as the origin did.  A file that cannot be read is
    skipped: ``on_error(path, message)`` hears of it (a ``UserWarning`` without one).
    ``progress``: wraps the file list (e.g. ``tqdm``).  Keyword overrides (``sr=``,
    ``n_mels=`` ...) change the codec.  Returns the written paths; ValueError for a missing
    directory, no audio files or colliding names.
    """
    codec = (codec or DEFAULT_CODEC).replace(**overrides) if overrides else (codec or DEFAULT_CODEC)
    if mode not in ("window", "resize"):
        raise ValueError(f"mode must be window or resize, got {mode!r}")
    src, dst = Path(input_dir), Path(output_dir)
    files = audio_files(src, recursive)
    if not files:
        raise ValueError(f"no audio files ({', '.join(SUPPORTED_EXTENSIONS)}) in {src}")
    stems = output_stems(files, src)
    if on_error is None:
        import warnings

        def on_error(f: Path, msg: str) -> None:
            warnings.warn(f"skipping {f.name}: {msg}")
    dst.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    for f in (progress(files) if progress else files):
        try:
            audio = load_audio(f, sr=codec.sr)
            if mode == "resize":
                images = [spectrogram_to_image(audio_to_spectrogram(audio, codec),
                                               size=(codec.frames, codec.n_mels))]
            else:
                images = [spectrogram_to_image(s) for s in audio_windows(audio, codec, per_file)]
        except ValueError as exc:
            on_error(f, str(exc))
            continue
        for k, img in enumerate(images):
            out = dst / f"{stems[f]}_{k:03d}.png"
            img.save(out)
            saved.append(out)
    return saved
