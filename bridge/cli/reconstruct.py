"""``latent-resonance reconstruct [CKPT]``: sample a generator -> grid PNG, spectrogram PNGs and
WAVs (the origin's ``reconstruct_samples``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bridge.errors import UserError
from bridge.paths import CHECKPOINT_HELP, checkpoint_arg

HELP = "generate N spectrograms from a checkpoint and reconstruct them to audio"


def add_arguments(p) -> None:
    p.add_argument("checkpoint", nargs="?", default=argparse.SUPPRESS, help=CHECKPOINT_HELP)
    p.add_argument("--n", type=int, default=8, help="number of samples")
    p.add_argument("--out", default="samples", help="output directory")
    p.add_argument("--seed", type=int, default=0, help="first latent seed (seeds S..S+N-1)")
    p.add_argument("--truncation", type=float, default=1.0, help="psi: 1 = none, 0 = mean")
    p.add_argument("--noise", type=float, default=1.0, help="noise-input strength")
    p.add_argument("--n-iter", type=int, default=32, help="Griffin-Lim iterations")
    p.add_argument("--direction", action="append", default=[], metavar="NAME=AMOUNT",
                   help="add a named latent direction (repeatable)")
    p.add_argument("--note", type=float, metavar="N",
                   help="conditioned checkpoints: the MIDI note to make (fractional allowed; "
                        "default 48)")
    p.add_argument("--family", metavar="NAME",
                   help="conditioned checkpoints: the instrument family (its card and "
                        "`--family list` name them)")
    p.add_argument("--velocity", type=float, metavar="V",
                   help="conditioned checkpoints: velocity 0..1 (default 0.8)")


def _directions(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, amount = item.partition("=")
        try:
            out[name] = float(amount) if sep else 1.0
        except ValueError:
            raise UserError(f"--direction wants NAME=AMOUNT, got {item!r}") from None
    return out


def run(args) -> int:
    import numpy as np
    from tqdm import tqdm

    from engine.gan.runtime import CheckpointError, load_generator
    from engine.spectral import (save_audio, spectrogram_grid, spectrogram_to_audio,
                                 spectrogram_to_image)

    if not 1 <= args.n <= 1000:
        raise UserError("--n must be within 1..1000")
    try:
        ck = load_generator(checkpoint_arg(args))
        wants_labels = (args.note, args.family, args.velocity) != (None, None, None)
        if wants_labels and ck.labels is None:
            raise UserError(f"{ck.name} is not conditioned: --note, --family and --velocity "
                            f"need a checkpoint trained on a labelled archive")
        if args.family == "list":
            print(" ".join(ck.families) if ck.families else f"{ck.name} names no families")
            return 0
        if args.velocity is not None and not 0.0 <= args.velocity <= 1.0:
            raise UserError("--velocity must be within 0..1")
        space = ck.labels
        if args.note is not None and space is not None and not (
                space.pitch_lo <= args.note <= space.pitch_hi):
            raise UserError(f"--note {args.note:g} is outside the trained range MIDI "
                            f"{space.pitch_lo}..{space.pitch_hi}")
        c = ck.condition(args.note, args.family, args.velocity)
        z = np.stack([ck.random_latent(args.seed + i) for i in range(args.n)])
        specs = ck.generate(z, truncation=args.truncation, noise=args.noise,
                            directions=_directions(args.direction), c=c)
    except (CheckpointError, ValueError) as exc:
        raise UserError(str(exc)) from None
    codec = ck.codec
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    spectrogram_grid(specs).save(out / "grid.png")
    for i, spec in enumerate(tqdm(specs, unit="sample", desc="reconstruct")):
        stem = f"sample_{args.seed + i:04d}"
        spectrogram_to_image(spec).save(out / f"{stem}.png")
        save_audio(spectrogram_to_audio(spec, codec, n_iter=args.n_iter), out / f"{stem}.wav",
                   sr=codec.sr)
    print(f"wrote grid.png, {args.n} spectrogram PNGs and {args.n} WAVs to {out}")
    return 0
