"""``latent-resonance dataset IN OUT``: audio files -> spectrogram PNGs (origin CLI).

Also ``latent-resonance-dataset IN OUT`` and ``python -m bridge.dataset IN OUT``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bridge.errors import UserError

HELP = "turn a directory of audio files into spectrogram PNGs for training"
log = logging.getLogger("latent_resonance.dataset")


def add_arguments(p) -> None:
    p.add_argument("input_dir", help="directory of audio files (searched recursively)")
    p.add_argument("output_dir", help="directory for the PNG spectrograms")
    p.add_argument("--sr", type=int, default=22050, help="sample rate (Hz)")
    # the shipped default generator's image size, which `train`'s presets are made for (the
    # origin wrote 512 x 512: --n-mels 512 --frames 512)
    p.add_argument("--n-mels", type=int, default=128, help="mel bands (image height)")
    p.add_argument("--hop-length", type=int, default=512, help="STFT hop (samples)")
    p.add_argument("--n-fft", type=int, default=2048, help="STFT size (samples)")
    p.add_argument("--frames", type=int, default=64,
                   help="image width (frames; 64 = 1.5 s at the default rate and hop)")
    p.add_argument("--per-file", type=int, default=0,
                   help="images per file spread evenly over it (0 = consecutive windows)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    from tqdm import tqdm

    from engine.data.windows import process_directory
    from engine.spectral.codec import CodecParams

    src, dst = Path(args.input_dir), Path(args.output_dir)
    try:
        codec = CodecParams(sr=args.sr, n_fft=args.n_fft, hop_length=args.hop_length,
                            n_mels=args.n_mels, frames=args.frames)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    existing = sum(1 for _ in dst.glob("*.png")) if dst.is_dir() else 0
    if existing:
        log.warning("%s already holds %d PNG files; new spectrograms go beside them (files of "
                    "the same name are replaced)", dst, existing)
    bad: list[str] = []

    def skipped(f: Path, msg: str) -> None:
        log.warning("skipping %s: %s", f.name, msg)
        bad.append(f.name)

    files: list = []

    def progress(found):
        files.extend(found)
        return tqdm(found, unit="file", desc="dataset", disable=args.no_progress)

    try:
        written = process_directory(src, dst, codec, per_file=args.per_file, on_error=skipped,
                                    progress=progress)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    print(f"wrote {len(written)} spectrograms ({codec.n_mels} x {codec.frames}) from "
          f"{len(files) - len(bad)} files to {dst}"
          + (f"; skipped {len(bad)} bad files" if bad else ""))
    if not written:
        raise UserError("no spectrograms written (every file failed)")
    return 0
