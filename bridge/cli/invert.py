"""``latent-resonance invert AUDIO --checkpoint CKPT``: the latent whose spectrogram best matches
a sound; saved as .npy and printed as an OSC message for ``/lr/latent``."""

from __future__ import annotations

import argparse
from pathlib import Path

from bridge.errors import UserError
from bridge.paths import CHECKPOINT_HELP, checkpoint_arg

HELP = "find the latent vector that best reproduces an audio file (for /lr/latent)"


def add_arguments(p) -> None:
    p.add_argument("audio", help="audio file (any format librosa reads)")
    p.add_argument("--checkpoint", default=argparse.SUPPRESS, help=CHECKPOINT_HELP)
    p.add_argument("--out", help="output .npy (default: AUDIO stem + .latent.npy beside it)")
    p.add_argument("--offset", type=float, default=0.0, help="start of the excerpt (s)")
    p.add_argument("--steps", type=int, default=200, help="optimisation steps")
    p.add_argument("--starts", type=int, default=4, help="random starts tried")
    p.add_argument("--seed", type=int, default=0, help="random seed")


def run(args) -> int:
    import numpy as np

    from engine.data.windows import audio_windows
    from engine.gan.checkpoint import CheckpointError, load_checkpoint
    from engine.gan.invert import invert
    from engine.spectral import load_audio

    try:
        ck = load_checkpoint(checkpoint_arg(args))
        codec = ck.codec
        audio = load_audio(args.audio, sr=codec.sr)
    except (CheckpointError, ValueError) as exc:
        raise UserError(str(exc)) from None
    if args.steps < 1:
        raise UserError("--steps must be positive")
    start = int(max(0.0, args.offset) * codec.sr)
    if start >= len(audio):
        raise UserError(f"--offset {args.offset} s is past the end of {Path(args.audio).name}")
    specs = audio_windows(audio[start:], codec, per_file=1)
    if not specs:
        raise UserError(f"{Path(args.audio).name} is silent")
    z, loss = invert(ck, specs[0], steps=args.steps, starts=args.starts, seed=args.seed)
    out = Path(args.out) if args.out else Path(args.audio).with_suffix(".latent.npy")
    np.save(out, z)
    print(f"# latent saved to {out} (L1 spectral loss {loss:.4f}, checkpoint {ck.name})")
    print(latent_message(z))
    return 0


def latent_message(z) -> str:
    """The OSC message (address + float arguments) that sets this latent on the synth."""
    from bridge.address_table import SYNTH_ADDRESSES

    path = next(a.path for a in SYNTH_ADDRESSES if a.types == "f*")  # the latent target
    return path + " " + " ".join(f"{v:.5f}" for v in z)
