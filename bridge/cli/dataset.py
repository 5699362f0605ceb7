"""``latent-resonance dataset IN OUT``: audio files -> spectrogram PNGs (origin CLI).

Also ``latent-resonance-dataset IN OUT`` and ``python -m bridge.dataset IN OUT``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bridge.errors import UserError

HELP = "turn a directory of audio files into spectrogram PNGs for training"
log = logging.getLogger("latent_resonance.dataset")
AUDIO_EXTENSIONS = (".wav", ".mp3", ".flac", ".ogg", ".aiff", ".aif")


def add_arguments(p) -> None:
    p.add_argument("input_dir", help="directory of audio files (searched recursively)")
    p.add_argument("output_dir", help="directory for the PNG spectrograms")
    p.add_argument("--sr", type=int, default=22050, help="sample rate (Hz)")
    p.add_argument("--n-mels", type=int, default=512, help="mel bands (image height)")
    p.add_argument("--hop-length", type=int, default=512, help="STFT hop (samples)")
    p.add_argument("--n-fft", type=int, default=2048, help="STFT size (samples)")
    p.add_argument("--frames", type=int, default=512, help="image width (frames)")
    p.add_argument("--per-file", type=int, default=0,
                   help="images per file spread evenly over it (0 = consecutive windows)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def output_stems(files: list[Path], src: Path) -> dict[Path, str]:
    """A distinct output name stem for every input file: its path below ``src`` with ``/`` as
    ``__`` and no extension (``a/b.wav`` -> ``a__b``); files that would share one keep their
    extension (``x.wav`` -> ``x.wav``, ``x.flac`` -> ``x.flac``).  Names that still collide
    (``a/b.wav`` and ``a__b.wav``) are a UserError naming both files."""
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
            raise UserError(f"{owner[stem]} and {f} would write the same spectrogram names "
                            f"({stem}_000.png ...); rename one of them")
        owner[stem], stems[f] = f, stem
    return stems


def run(args) -> int:
    from tqdm import tqdm

    from engine.data.windows import audio_windows
    from engine.spectral.codec import CodecParams, load_audio, spectrogram_to_image

    src, dst = Path(args.input_dir), Path(args.output_dir)
    if not src.is_dir():
        raise UserError(f"input directory not found: {src}")
    try:
        codec = CodecParams(sr=args.sr, n_fft=args.n_fft, hop_length=args.hop_length,
                            n_mels=args.n_mels, frames=args.frames)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    files = sorted(f for f in src.rglob("*") if f.suffix.lower() in AUDIO_EXTENSIONS)
    if not files:
        raise UserError(f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) in {src}")
    stems = output_stems(files, src)
    existing = sum(1 for _ in dst.glob("*.png")) if dst.is_dir() else 0
    if existing:
        log.warning("%s already holds %d PNG files; new spectrograms go beside them (files of "
                    "the same name are replaced)", dst, existing)
    dst.mkdir(parents=True, exist_ok=True)
    written, bad = 0, []
    for f in tqdm(files, unit="file", desc="dataset", disable=args.no_progress):
        try:
            specs = audio_windows(load_audio(f, sr=codec.sr), codec, args.per_file)
        except ValueError as exc:
            log.warning("skipping %s: %s", f.name, exc)
            bad.append(f.name)
            continue
        stem = stems[f]
        for k, spec in enumerate(specs):
            spectrogram_to_image(spec).save(dst / f"{stem}_{k:03d}.png")
            written += 1
    print(f"wrote {written} spectrograms ({codec.n_mels} x {codec.frames}) from "
          f"{len(files) - len(bad)} files to {dst}" + (f"; skipped {len(bad)} bad files" if bad else ""))
    if written == 0:
        raise UserError("no spectrograms written (every file failed)")
    return 0
