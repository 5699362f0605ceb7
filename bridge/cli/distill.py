"""``latent-resonance distill TEACHER.pt --out checkpoints/NAME``: a lighter, faster generator.

Trains a narrower synthesis network to reproduce a trained generator (see
:mod:`engine.gan.distill`); latents, truncation and named directions keep their meaning.  Writes
``OUT/generator.pt`` (snapshots along the way), ``OUT/log.jsonl`` and, with ``--data``, the card
metrics against held-out spectrograms (``card.json``, ``card.md``).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from bridge.errors import UserError

HELP = "distil a trained generator into a lighter one (faster live generation on slow CPUs)"
log = logging.getLogger("latent_resonance.distill")


def _channels(text: str) -> list[int]:
    try:
        ch = [int(c) for c in text.split(",")]
    except ValueError:
        raise UserError(f"--channels must be comma-separated integers, got {text!r}") from None
    if not ch or min(ch) < 1:
        raise UserError(f"--channels must be positive integers, got {text!r}")
    return ch


def add_arguments(p) -> None:
    p.add_argument("teacher", help="the trained generator (.pt) to reproduce")
    p.add_argument("--out", required=True, help="output directory, e.g. checkpoints/NAME")
    p.add_argument("--channels", default="64,64,32,16,16",
                   help="student channels per level, lowest resolution first")
    p.add_argument("--steps", type=int, default=6000, help="total steps")
    p.add_argument("--minutes", type=float, default=0.0,
                   help="stop after this many minutes (0 = no limit)")
    p.add_argument("--batch", type=int, default=16, help="latents per step")
    p.add_argument("--lr", type=float, default=0.002, help="Adam learning rate (cosine-decayed)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    p.add_argument("--snapshot-every", type=int, default=500, help="steps between snapshots")
    p.add_argument("--data", help="training spectrograms (.npy or PNG directory) for the card's "
                                  "metric; with --heldout, or every 10th item is held out")
    p.add_argument("--heldout", help="held-out spectrograms for the metric")
    p.add_argument("--name", help="checkpoint name (default: OUT's directory name)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    import torch
    from tqdm import tqdm

    from engine.gan.checkpoint import CheckpointError, load_checkpoint
    from engine.gan.distill import DistillConfig, Distiller

    if args.threads:
        torch.set_num_threads(args.threads)
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        teacher = load_checkpoint(args.teacher, device=device)
    except CheckpointError as exc:
        raise UserError(str(exc)) from None
    if args.steps < 1:
        raise UserError("--steps must be >= 1")
    data = None
    if args.data:
        from engine.data.dataset import load_training_data

        try:
            data = load_training_data(args.data, args.heldout, on_error=lambda name, msg:
                                      log.warning("skipping %s: %s", name, msg))
        except ValueError as exc:
            raise UserError(str(exc)) from None
    cfg = DistillConfig(g_channels=_channels(args.channels), batch=args.batch, lr=args.lr,
                        lr_final=args.lr / 10, steps=args.steps, seed=args.seed)
    try:
        d = Distiller(teacher, cfg, device)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = args.name or out.name
    t0 = time.monotonic()

    def export():
        ck = d.checkpoint(teacher, name)
        ck.card.update({"train_seconds": round(time.monotonic() - t0, 1), "device": device,
                        "gan_config": d.student.cfg.to_dict(),
                        "image_error_vs_teacher": round(d.evaluate(), 4)})
        return ck

    bar = tqdm(total=args.steps, unit="step", disable=args.no_progress, desc="distill")
    with open(out / "log.jsonl", "a") as fh:
        try:
            while d.step_count < args.steps:
                if args.minutes and time.monotonic() - t0 > args.minutes * 60:
                    log.info("time limit reached at step %d", d.step_count)
                    break
                stats = d.step()
                bar.update()
                if d.step_count % 50 == 0:
                    bar.set_postfix(l1=f"{stats['l1']:.3f}")
                    fh.write(json.dumps({"step": d.step_count, **stats}) + "\n")
                    fh.flush()
                if d.step_count % args.snapshot_every == 0:
                    err = d.evaluate()
                    fh.write(json.dumps({"step": d.step_count, "eval_l1": err}) + "\n")
                    export().save(out / "generator.pt")
        except KeyboardInterrupt:
            log.warning("interrupted: saving the student")
        finally:
            bar.close()
    ck = export()
    log.info("student vs teacher: mean |image error| %.4f (images span [-1, 1])",
             ck.card["image_error_vs_teacher"])
    if data is not None:
        from engine.gan.card import card_markdown
        from engine.gan.finalize import finalize

        finalize(ck, *data, log=log.info, keep_directions=True)
        (out / "card.json").write_text(json.dumps(ck.card, indent=2))
        (out / "card.md").write_text(card_markdown(name, student_card(ck.card)))
    ck.save(out / "generator.pt")
    from engine.gan.export import export_checkpoint

    # the runtime (synth, live, demo) plays the exported companion, without torch
    log.info("wrote %s and %s", out / "generator.pt", export_checkpoint(out / "generator.pt"))
    return 0


def student_card(card: dict) -> dict:
    """The card fields ``card_markdown`` reads, for a student: its own metric, harmonicity,
    generation time and size; data, directions and steps of its teacher, noted as such."""
    teacher = card.get("teacher_card", {})
    out = {k: v for k, v in card.items() if k != "teacher_card"}
    out["data_description"] = (
        f"Distilled from `{card.get('distilled_from')}` ({card.get('steps')} steps, "
        f"{card.get('train_seconds', 0) / 60:.1f} min on {card.get('device')}; mean image "
        f"error against the teacher {card.get('image_error_vs_teacher')} on [-1, 1]). "
        f"Teacher: {teacher.get('data_description', '')}")
    for k in ("train_images", "heldout_images", "directions"):
        if k in teacher:
            out[k] = teacher[k]
    out["images_seen"] = int(card.get("steps", 0)) * int(card.get("batch", 0) or 0) or None
    return out
