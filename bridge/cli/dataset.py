"""``latent-resonance dataset IN OUT``: audio files -> spectrogram PNGs (origin CLI), or with
``OUT.npz`` one labelled training archive (:mod:`engine.data.archive`: 8-bit images with the
pitch, family and velocity of ``IN/labels.csv``, and the held-out split).

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
    p.add_argument("output_dir", help="directory for the PNG spectrograms, or a .npz file: one "
                                      "labelled training archive (labels from IN/labels.csv)")
    p.add_argument("--sr", type=int, default=22050, help="sample rate (Hz)")
    # the shipped default generator's image size, which `train`'s default preset is made for
    # (the previous default: 128; the origin wrote 512 x 512: --n-mels 512 --frames 512)
    p.add_argument("--n-mels", type=int, default=256, help="mel bands (image height)")
    p.add_argument("--hop-length", type=int, default=512, help="STFT hop (samples)")
    p.add_argument("--n-fft", type=int, default=2048, help="STFT size (samples)")
    p.add_argument("--frames", type=int, default=64,
                   help="image width (frames; 64 = 1.5 s at the default rate and hop)")
    p.add_argument("--per-file", type=int, default=0,
                   help="images per file spread evenly over it (0 = consecutive windows)")
    p.add_argument("--heldout-every", type=int, default=10,
                   help="archive: hold out the notes whose labels.csv index is a multiple of "
                        "this (their images are the metric's real set)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _archive(args, src: Path, dst: Path, codec, skipped) -> int:
    from tqdm import tqdm

    from engine.data.archive import build_labelled_set, write_archive

    if args.heldout_every < 2:
        raise UserError("--heldout-every must be at least 2")
    per_file = args.per_file or 3
    try:
        s = build_labelled_set(src, codec, per_file=per_file, heldout_every=args.heldout_every,
                               on_error=skipped,
                               progress=lambda f: tqdm(f, unit="file", desc="dataset",
                                                       disable=args.no_progress))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    write_archive(dst, s)
    fams = ", ".join(f"{f} {int((s.family == i).sum())}" for i, f in enumerate(s.families))
    print(f"wrote {len(s.images)} spectrograms ({codec.n_mels} x {codec.frames}), "
          f"{int(s.heldout.sum())} held out, to {dst} ({dst.stat().st_size / 2**20:.1f} MiB)"
          + (f"; families: {fams}" if s.families else "; no labels.csv: unlabelled"))
    return 0


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
    bad: list[str] = []

    def skipped(f: Path, msg: str) -> None:
        log.warning("skipping %s: %s", f.name, msg)
        bad.append(f.name)

    if dst.suffix == ".npz":
        return _archive(args, src, dst, codec, skipped)
    existing = sum(1 for _ in dst.glob("*.png")) if dst.is_dir() else 0
    if existing:
        log.warning("%s already holds %d PNG files; new spectrograms go beside them (files of "
                    "the same name are replaced)", dst, existing)
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
