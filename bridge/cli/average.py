"""``latent-resonance average SNAPSHOT... --out checkpoints/NAME``: one generator from several
snapshots of one training run, by weight averaging (:mod:`engine.gan.average`).

Writes ``OUT/generator.pt`` with named directions of its own and the exported
``OUT/generator.onnx``; with ``--data`` (the run's training data) also the card metrics against
the held-out images (``card.json``, ``card.md``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace

from bridge.errors import UserError

HELP = "average snapshots of one training run into one generator (steadier than any one of them)"
log = logging.getLogger("latent_resonance.average")


def add_arguments(p) -> None:
    p.add_argument("snapshots", nargs="+",
                   help="two or more generators (.pt) of one training run, e.g. "
                        "OUT/snapshots/*.pt kept by `train --keep-every`")
    p.add_argument("--out", required=True, help="output directory, e.g. checkpoints/NAME")
    p.add_argument("--data", help="the run's training data (as given to train) for the card's "
                                  "metric and harmonicity against its held-out images")
    p.add_argument("--heldout", help="held-out spectrograms for the metric (as given to train)")
    p.add_argument("--weights", help="comma-separated positive weights, one per snapshot "
                                     "(normalised; default: equal)")
    p.add_argument("--name", help="checkpoint name (default: OUT's directory name)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")


def run(args) -> int:
    import torch

    from bridge.cli.train import TrainingData, check_against_data
    from engine.gan.average import average_generators
    from engine.gan.card import card_markdown
    from engine.gan.checkpoint import CheckpointError, load_checkpoint
    from engine.gan.directions import pca_directions
    from engine.gan.export import export_checkpoint
    from engine.gan.finalize import finalize

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        ckpts = [load_checkpoint(p) for p in args.snapshots]
    except CheckpointError as exc:
        raise UserError(str(exc)) from None
    out = Path(args.out)
    name = args.name or out.name
    weights = None
    if args.weights is not None:
        try:
            weights = [float(w) for w in args.weights.split(",")]
        except ValueError:
            raise UserError(f"--weights: comma-separated numbers, got {args.weights!r}") from None
    try:
        ck = average_generators(ckpts, name, weights)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    log.info("averaged %d generators (steps %s)", len(ckpts),
             ", ".join(str(a["steps"]) for a in ck.card["averaged_from"]))
    if args.data:
        data = TrainingData(SimpleNamespace(data=args.data, heldout=args.heldout,
                                            unconditioned=not ck.config.c_dim))
        check_against_data(ck, Path(args.snapshots[-1]).name, data.train.shape[1:],
                           data.space.to_dict() if data.space else None, data.codec)
        finalize(ck, data.train, data.held, log=log.info, held_labels=data.held_labels)
    else:
        ck.directions, ck.card["directions"] = pca_directions(ck)
    out.mkdir(parents=True, exist_ok=True)
    ck.save(out / "generator.pt")
    if args.data:
        (out / "card.json").write_text(json.dumps(ck.card, indent=2))
        (out / "card.md").write_text(card_markdown(name, ck.card))
    # the runtime (synth, live, demo) plays the exported companion, without torch
    log.info("wrote %s and %s", out / "generator.pt", export_checkpoint(out / "generator.pt"))
    return 0
