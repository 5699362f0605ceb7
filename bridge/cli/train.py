"""``latent-resonance train DATA --out checkpoints/NAME``: train the StyleGAN2-style generator.

Writes into OUT: ``state.pt`` (exact resume), ``generator.pt`` (the EMA generator with its card,
loadable by the synth), ``samples/grid_STEP.png`` + ``samples/sample_STEP.wav``, ``losses.png``
and ``log.jsonl``; with ``--keep-every N`` also ``snapshots/generator_STEP.pt`` every N steps
(``latent-resonance average`` makes one generator of them).  At the end the card gets the
quality metric (Fréchet distance on audio descriptors vs held-out data, with a real-vs-real
baseline), harmonicity and named directions.
Several GPUs: ``torchrun --nproc_per_node N -m bridge.cli train ...`` (gradients averaged with
torch.distributed; rank 0 writes files).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from pathlib import Path

import numpy as np

from bridge.errors import UserError
from engine.gan.card import card_markdown
from engine.gan.config import PRESETS, GanConfig, preset_config

HELP = "train the StyleGAN2-style spectrogram generator on a PNG directory or .npy array"
log = logging.getLogger("latent_resonance.train")

def add_arguments(p) -> None:
    p.add_argument("data", help="training spectrograms: a labelled archive (.npz from `dataset "
                                "IN OUT.npz`; trains a generator conditioned on pitch, family "
                                "and velocity), a PNG directory (from `dataset`) or a .npy array "
                                "(N, n_mels, frames) in [-1, 1]")
    p.add_argument("--out", required=True, help="output directory, e.g. checkpoints/NAME")
    p.add_argument("--heldout", help="held-out spectrograms for the metric (default: every 10th "
                                     "training item, by name, is held out)")
    p.add_argument("--steps", type=int, default=2000, help="total training steps")
    p.add_argument("--minutes", type=float, default=0.0,
                   help="stop after this many minutes of this run (0 = no limit)")
    p.add_argument("--batch", type=int, default=8, help="images per step (per process)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="live",
                   help="model size: " + "; ".join(
                       f"{k}: generator channels {'-'.join(map(str, v[0]))}, z_dim {v[1]}, "
                       f"w_dim {v[2]}" for k, v in sorted(PRESETS.items()))
                   + " (live is the shipped default's, at 256 x 64; small the previous one's, "
                     "at 128 x 64)")
    p.add_argument("--lr", type=float, default=0.002, help="Adam learning rate (G and D)")
    p.add_argument("--r1-gamma", type=float, default=0.2, help="R1 penalty weight")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--resume", action="store_true", help="continue from OUT/state.pt")
    p.add_argument("--init-from", metavar="CHECKPOINT",
                   help="start the generator from a finished checkpoint's weights (its model "
                        "size and labels; the discriminator starts new): continue a generator "
                        "whose training state is gone, or fine-tune it on other data")
    p.add_argument("--d-warmup", type=int, default=None,
                   help="first steps that train the discriminator alone (default: 500 with "
                        "--init-from, else 0)")
    p.add_argument("--force", action="store_true",
                   help="start a new run in an OUT that already holds one (replaces it)")
    p.add_argument("--snapshot-every", type=int, default=250, help="steps between snapshots")
    p.add_argument("--keep-every", type=int, default=0,
                   help="also keep the generator every this many steps as "
                        "OUT/snapshots/generator_STEP.pt (for `average`; 0 = keep none)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    p.add_argument("--name", help="checkpoint name (default: OUT's directory name)")
    p.add_argument("--sr", type=int, default=22050, help="codec sample rate of DATA (Hz)")
    p.add_argument("--n-fft", type=int, default=2048, help="codec FFT size of DATA")
    p.add_argument("--hop-length", type=int, default=512, help="codec hop of DATA (samples)")
    p.add_argument("--unconditioned", action="store_true",
                   help="ignore a labelled archive's labels (train an unconditioned generator)")
    p.add_argument("--aux-weight", type=float, default=None,
                   help="weight of the pitch/family/velocity classifier losses (conditioned; "
                        "default 1; with --resume: the run's own unless given)")
    p.add_argument("--harmonic-weight", type=float, default=None,
                   help="weight of the harmonic prior (conditioned): lifts each generated "
                        "image's partials onto its pitch's harmonic series, up to what the "
                        "training images score (default 0 = off; with --resume: the run's own "
                        "unless given)")
    p.add_argument("--timbre-weight", type=float, default=None,
                   help="weight of the family-timbre prior (conditioned): lifts how clearly each "
                        "generated image sounds like its asked family to a fixed probe, up to "
                        "what the training images score (default 0 = off; with --resume: the "
                        "run's own unless given)")
    p.add_argument("--timbre-match-weight", type=float, default=None,
                   help="weight of the family-moment prior (conditioned): pulls each family's "
                        "mean probe features over the generated images onto the training "
                        "images' of that family (default 0 = off; with --resume: the run's own "
                        "unless given)")
    p.add_argument("--no-final", action="store_true",
                   help="skip the final metric/directions pass (faster)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _distributed():
    """(rank, world, grad_sync) under torchrun, else (0, 1, None)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, None
    import torch
    import torch.distributed as dist

    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")

    def sync(module):
        for p in module.parameters():
            if p.grad is not None:
                dist.all_reduce(p.grad)
                p.grad /= world
    return dist.get_rank(), world, sync


def _init_checkpoint(path, resolution, space, codec):
    """The checkpoint ``--init-from`` names, checked against the training data (its
    resolution, label space and codec); a UserError in one line otherwise."""
    from engine.gan.checkpoint import CheckpointError, load_checkpoint

    try:
        ck = load_checkpoint(path)
    except CheckpointError as exc:
        raise UserError(f"--init-from: {exc}") from None
    check_against_data(ck, f"--init-from {Path(path).name}", resolution, space, codec)
    return ck


def check_against_data(ck, where: str, resolution, space, codec=None) -> None:
    """A UserError in one line unless generator ``ck`` (named ``where``) makes the data's
    images: its resolution, label space (a dict, None when unlabelled) and, when the data names
    one, codec."""
    if tuple(ck.config.resolution) != tuple(resolution):
        raise UserError(f"{where} makes {ck.config.resolution[0]} x {ck.config.resolution[1]} "
                        f"images; the data is {resolution[0]} x {resolution[1]}")
    if (ck.config.labels or None) != space:
        raise UserError(f"{where}: not the labelled data it trained on (its labels "
                        f"{ck.config.labels or 'none'}, the data's {space or 'none'})")
    if codec is not None and ck.codec != codec:
        raise UserError(f"{where}: its codec ({ck.codec}) is not the data's ({codec})")


def load_data(args):
    """(train, held-out) arrays for ``args.data``/``args.heldout``; bad items are skipped with
    a warning, unusable data is a UserError."""
    from engine.data.dataset import load_training_data

    try:
        return load_training_data(args.data, args.heldout,
                                  on_error=lambda name, msg: log.warning("skipping %s: %s", name, msg))
    except ValueError as exc:
        raise UserError(str(exc)) from None


class TrainingData:
    """What ``train`` learns from: images (train, held-out), the codec when the data names it
    (an archive), and for a labelled archive the label space with the training images' label
    vectors (and the held-out ones', for the card)."""

    def __init__(self, args):
        self.codec = self.space = self.labels = self.held_labels = None
        if not str(args.data).endswith(".npz"):
            self.train, self.held = load_data(args)
            return
        from engine.data.archive import read_archive
        from engine.gan.labels import LabelSpace

        if args.heldout:
            raise UserError("--heldout: an archive carries its own held-out split")
        try:
            s = read_archive(args.data)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if s.heldout.all() or not s.heldout.any():
            raise UserError(f"{args.data}: needs both training and held-out images")
        self.codec = s.codec
        self.train, self.held = s.images[~s.heldout], s.images[s.heldout]
        if s.labelled and not args.unconditioned:
            self.space = LabelSpace(int(np.floor(s.note.min())), int(np.ceil(s.note.max())),
                                    s.families)
            enc = lambda m: self.space.encode_many(s.note[m], s.family[m], s.velocity[m])  # noqa: E731
            self.labels, self.held_labels = enc(~s.heldout), enc(s.heldout)
        elif not args.unconditioned:
            log.warning("%s has no labels for every image: training unconditioned", args.data)


def plot_history(history: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [h["step"] for h in history]
    fig, ax = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    for key in ("loss_d", "loss_g"):
        # (no loss_g while D warms up alone)
        ax[0].plot(steps, [h.get(key, np.nan) for h in history], label=key, lw=0.8)
    ax[0].legend()
    ax[0].set_ylabel("loss")
    ax[1].plot(steps, [h["ada_p"] for h in history], label="ADA p", lw=0.8)
    ax[1].set_ylabel("augment p")
    ax[1].set_xlabel("step")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _smooth(history: list[dict], every: int) -> list[dict]:
    out = []
    for i in range(0, len(history), every):
        chunk = history[i:i + every]
        keys = dict.fromkeys(k for h in chunk for k in h)
        out.append({k: float(np.mean([h[k] for h in chunk if k in h])) for k in keys})
    return out


def _term_as_interrupt():
    """Make SIGTERM raise KeyboardInterrupt in the main thread; returns the old handler (or
    None where signals cannot be set here)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, handler)


def _restore_term(previous) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def run(args) -> int:
    import torch
    from tqdm import tqdm

    from engine.gan.checkpoint import (Checkpoint, CheckpointError, load_training_state,
                                       save_training_state)
    from engine.gan.descriptors import reconstruct
    from engine.gan.train import Trainer, TrainConfig
    from engine.spectral.codec import CodecParams, save_audio, spectrogram_grid

    if args.snapshot_every < 1 or args.keep_every < 0:
        raise UserError("--snapshot-every must be >= 1 and --keep-every >= 0")
    if args.threads:
        torch.set_num_threads(args.threads)
    rank, world, sync = _distributed()
    device = args.device
    if device == "auto":
        device = f"cuda:{rank % max(1, torch.cuda.device_count())}" if torch.cuda.is_available() else "cpu"
    out = Path(args.out)
    name = args.name or out.name
    state_path = out / "state.pt"
    if not args.resume:
        held_run = [p.name for p in (state_path, out / "generator.pt", out / "log.jsonl")
                    if p.exists()]
        if held_run and not args.force:
            raise UserError(f"{out} already holds a training run ({', '.join(held_run)}): "
                            f"--resume continues it, --force replaces it, or choose another --out")
        if held_run:
            (out / "log.jsonl").unlink(missing_ok=True)  # a new run's log starts empty
    data = TrainingData(args)
    train, held = data.train, data.held
    try:
        codec = data.codec or CodecParams(sr=args.sr, n_fft=args.n_fft,
                                          hop_length=args.hop_length,
                                          n_mels=int(train.shape[1]), frames=int(train.shape[2]))
    except ValueError as exc:
        raise UserError(f"codec: {exc}") from None
    data_t = torch.from_numpy(train.astype(np.float16))[:, None]
    labels_t = None if data.labels is None else torch.from_numpy(data.labels)
    resume_sd = None
    if args.resume and args.init_from:
        raise UserError("--resume continues OUT/state.pt; --init-from starts a new run: pick one")
    # the loss weights given (TrainConfig's defaults, or a resumed run's own, otherwise)
    weights = {k: v for k, v in (("aux_weight", args.aux_weight),
                                 ("harmonic_weight", args.harmonic_weight),
                                 ("timbre_weight", args.timbre_weight),
                                 ("timbre_match_weight", args.timbre_match_weight))
               if v is not None}
    for k, v in weights.items():
        if not (np.isfinite(v) and v >= 0):
            raise UserError(f"--{k.replace('_', '-')} must be a finite weight >= 0, got {v:g}")
    if args.resume:
        if not state_path.is_file():
            raise UserError(f"--resume: no {state_path}")
        try:
            resume_sd = load_training_state(state_path)
        except CheckpointError as exc:
            raise UserError(str(exc)) from None
        done = int(resume_sd["trainer"].get("step", 0))
        if args.steps <= done:
            raise UserError(f"--resume: {state_path} is already at step {done}; --steps "
                            f"{args.steps} would not train (pass a larger --steps)")
        gan = GanConfig.from_dict(resume_sd["trainer"]["gan_config"])
        tcfg = TrainConfig.from_dict(resume_sd["trainer"]["train_config"])
        # loss weights may change between chunks of one run (the optimisers' state stays)
        changed = {k: v for k, v in weights.items() if v != getattr(tcfg, k)}
        if changed:
            log.info("resume: %s", ", ".join(f"{k} {getattr(tcfg, k):g} -> {v:g}"
                                              for k, v in changed.items()))
            tcfg = dataclasses.replace(tcfg, **changed)
    else:
        space = data.space.to_dict() if data.space else None
        if args.init_from:
            init = _init_checkpoint(args.init_from, train.shape[1:], space, codec)
            gan = init.config
        else:
            gan = preset_config(args.preset, train.shape[1:], space)
        warmup = args.d_warmup if args.d_warmup is not None else (500 if args.init_from else 0)
        tcfg = TrainConfig(batch=args.batch, lr_g=args.lr, lr_d=args.lr,
                           r1_gamma=args.r1_gamma, d_warmup=max(0, warmup), seed=args.seed,
                           **weights)
    if bool(gan.c_dim) != (labels_t is not None):
        raise UserError(f"{state_path} is {'a conditioned' if gan.c_dim else 'an unconditioned'} "
                        f"run; {args.data} {'has' if labels_t is not None else 'has no'} labels")
    try:
        trainer = Trainer(data_t, gan, tcfg, device, rank=rank, grad_sync=sync, labels=labels_t,
                          mel_range=(codec.fmin, codec.fmax_hz), codec=codec)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    history: list[dict] = []
    elapsed_before = 0.0
    card_init = None
    if resume_sd is None and args.init_from:
        trainer.init_generator(init.generator.state_dict(),
                               nimg=int(init.card.get("images_seen") or 0))
        card_init = {"checkpoint": init.name, "steps": init.card.get("steps"),
                     "images_seen": init.card.get("images_seen"),
                     "train_seconds": init.card.get("train_seconds")}
        log.info("generator starts from %s (%s steps)", args.init_from, card_init["steps"])
    elif resume_sd is not None:
        card_init = resume_sd.get("card", {}).get("init_from")
    if resume_sd is not None:
        trainer.load_state_dict(resume_sd["trainer"])
        history = list(resume_sd.get("history", []))
        elapsed_before = float(resume_sd.get("train_seconds", 0.0))
        log.info("resumed at step %d", trainer.step_count)
    is_main = rank == 0
    if is_main:
        out.mkdir(parents=True, exist_ok=True)
    fixed_z = np.random.default_rng(1234).standard_normal((8, gan.z_dim)).astype(np.float32)
    # a conditioned run's snapshots: the same latents at held-out labels (pitch low to high)
    fixed_c = None
    if data.held_labels is not None:
        order = np.argsort([data.space.decode_note(c) for c in data.held_labels])
        fixed_c = data.held_labels[order[np.linspace(0, len(order) - 1, 8).astype(int)]]
    t0 = time.monotonic()
    card_base = {"data": str(args.data), "train_images": int(len(train)),
                 "heldout_images": int(len(held)), "device": str(device), "processes": world,
                 "gan_config": gan.to_dict(), "train_config": tcfg.to_dict()}
    if card_init:
        card_base["init_from"] = card_init

    def card_now() -> dict:
        return {**card_base, "steps": trainer.step_count, "images_seen": trainer.nimg * world,
                "train_seconds": round(elapsed_before + time.monotonic() - t0, 1)}

    def export() -> Checkpoint:
        return Checkpoint(trainer.G_ema, name, codec, card_now())

    saved_step = trainer.step_count if resume_sd is not None else None  # what state.pt holds

    def snapshot() -> None:
        nonlocal saved_step
        saved_step = trainer.step_count
        ck = export()
        ck.save(out / "generator.pt")
        save_training_state(state_path, name, codec, trainer.state_dict(), history, card_now())
        imgs = ck.generate(fixed_z, c=fixed_c)
        (out / "samples").mkdir(exist_ok=True)
        spectrogram_grid(imgs).save(out / "samples" / f"grid_{trainer.step_count:06d}.png")
        save_audio(reconstruct(imgs[0], codec, n_iter=16),
                   out / "samples" / f"sample_{trainer.step_count:06d}.wav", sr=codec.sr)
        if history:
            plot_history(_smooth(history, 10), out / "losses.png")

    bar = tqdm(total=args.steps, initial=min(trainer.step_count, args.steps), unit="step",
               disable=args.no_progress or not is_main, desc="train")
    log_fh = open(out / "log.jsonl", "a") if is_main else None
    # SIGTERM (a scheduler's time limit, `kill`, a closed session) saves a snapshot like Ctrl-C
    previous_term = _term_as_interrupt()
    interrupted = False
    try:
        while trainer.step_count < args.steps:
            if args.minutes and time.monotonic() - t0 > args.minutes * 60:
                log.info("time limit reached at step %d", trainer.step_count)
                break
            stats = trainer.step()
            bad = [k for k, v in stats.items() if not np.isfinite(v)]
            if bad:  # NaN weights from here on: keep what is on disk, say where it stands
                kept = (f"{state_path} still holds step {saved_step}, the last snapshot; "
                        f"resume it with smaller loss weights" if saved_step is not None
                        else "nothing was saved; start again with a lower --lr or smaller "
                             "loss weights")
                raise UserError(f"training diverged at step {trainer.step_count} "
                                f"({', '.join(bad)} not finite): {kept}")
            stats["step"] = trainer.step_count
            history.append(stats)
            bar.update()
            if is_main:
                if trainer.step_count % 10 == 0:
                    bar.set_postfix(d=f"{stats['loss_d']:.2f}", g=f"{stats.get('loss_g', np.nan):.2f}",
                                    p=f"{stats['ada_p']:.2f}")
                    log_fh.write(json.dumps(stats) + "\n")
                    log_fh.flush()
                if trainer.step_count % args.snapshot_every == 0:
                    snapshot()
                if args.keep_every and trainer.step_count % args.keep_every == 0:
                    export().save(out / "snapshots" / f"generator_{trainer.step_count:06d}.pt")
    except KeyboardInterrupt:
        interrupted = True
        log.warning("interrupted: saving a snapshot (the final metric pass is skipped)")
    finally:
        _restore_term(previous_term)
        bar.close()
        if log_fh:
            log_fh.close()
    if not is_main:
        return 0
    snapshot()
    if not args.no_final and not interrupted:
        from engine.gan.finalize import finalize

        ck = export()
        finalize(ck, train, held, log=log.info, held_labels=data.held_labels)
        ck.save(out / "generator.pt")
        (out / "card.json").write_text(json.dumps(ck.card, indent=2))
        (out / "card.md").write_text(card_markdown(name, ck.card))
    from engine.gan.export import export_checkpoint

    # the runtime (synth, live, demo) plays the exported companion, without torch
    log.info("wrote %s and %s", out / "generator.pt", export_checkpoint(out / "generator.pt"))
    return 0
