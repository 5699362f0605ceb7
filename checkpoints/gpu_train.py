"""Train the default generator on a lent GPU machine in one go, with torch and numpy alone.

A lent machine (see docs/training.md, "On a GPU") has torch and numpy but not this project's
other packages (no librosa, fluidsynth, tqdm), and a time limit; the training data travels with
the tree as the labelled archive ``dataset`` writes (uint8, compressed).  This script trains
for ``--minutes`` and writes ``$OUT/state.pt``, a training state of ``latent-resonance train``;
back on a machine with the ``train`` extra, one command finishes the job (the card's metrics,
the export)::

    python checkpoints/gpu_train.py data/lr256.npz --minutes 11 --batch 32     # on the GPU
    latent-resonance train data/lr256.npz --out checkpoints/new --resume --steps N+1  # here

(copy ``state.pt`` into ``checkpoints/new/`` first; N is the step it printed).  With
``--keep-every K`` it also keeps the EMA generator every K steps as
``$OUT/snapshots/generator_STEP.pt`` for ``latent-resonance average``.  The label space
is derived exactly as ``train`` derives it, so the resumed run sees the same labels.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.gan.config import (FORMAT_VERSION, GENERATOR_FORMAT, TRAIN_FORMAT,  # noqa: E402
                               preset_config)
from engine.gan.labels import LabelSpace  # noqa: E402
from engine.gan.train import Trainer, TrainConfig  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("archive", help="labelled archive from `latent-resonance dataset IN OUT.npz`")
    ap.add_argument("--out", default=os.environ.get("OUT", "out"), help="output directory ($OUT)")
    ap.add_argument("--minutes", type=float, default=11.0)
    ap.add_argument("--steps", type=int, default=10 ** 9)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--preset", default="live")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--harmonic-weight", type=float, default=0.0,
                    help="weight of the harmonic prior (as `train --harmonic-weight`)")
    ap.add_argument("--keep-every", type=int, default=0,
                    help="keep the generator every this many steps in OUT/snapshots (0 = none)")
    args = ap.parse_args()
    t0 = time.monotonic()
    with np.load(args.archive, allow_pickle=False) as z:
        images, held = z["images"], z["heldout"].astype(bool)
        note, fam, vel = z["note"], z["family"].astype(np.int64), z["velocity"]
        families = tuple(str(f) for f in z["families"])
        codec = json.loads(str(z["codec"]))
    space = LabelSpace(int(np.floor(note.min())), int(np.ceil(note.max())), families)
    m = ~held
    data = torch.from_numpy(images[m].astype(np.float16) / 127.5 - 1.0)[:, None]
    labels = torch.from_numpy(space.encode_many(note[m], fam[m], vel[m]))
    gan = preset_config(args.preset, images.shape[1:], space.to_dict())
    # the learning rate scales with the batch (the CPU default is 0.002 at batch 8)
    lr = 0.002 * min(4.0, args.batch / 8) ** 0.5
    tcfg = TrainConfig(batch=args.batch, lr_g=lr, lr_d=lr, seed=args.seed,
                       harmonic_weight=args.harmonic_weight)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    mel_range = (float(codec.get("fmin") or 0.0), float(codec.get("fmax") or codec["sr"] / 2))
    trainer = Trainer(data, gan, tcfg, device, labels=labels, mel_range=mel_range)
    print(f"{len(data)} images {images.shape[1:]}, {space.n_family} families, device {device}, "
          f"batch {args.batch}", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def card_now() -> dict:
        return {"data": str(args.archive), "train_images": int(m.sum()),
                "heldout_images": int(held.sum()), "device": device,
                "hardware": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
                "processes": 1, "gan_config": gan.to_dict(), "train_config": tcfg.to_dict(),
                "steps": trainer.step_count, "images_seen": trainer.nimg,
                "train_seconds": round(time.monotonic() - t0, 1)}

    history = []
    while trainer.step_count < args.steps and time.monotonic() - t0 < args.minutes * 60:
        stats = trainer.step()
        if trainer.step_count % 100 == 0:
            history.append({**stats, "step": trainer.step_count})
            print(json.dumps(history[-1]), flush=True)
        if args.keep_every > 0 and trainer.step_count % args.keep_every == 0:
            # the generator file format of engine.gan.checkpoint (Checkpoint.to_dict)
            (out / "snapshots").mkdir(exist_ok=True)
            torch.save({"format": GENERATOR_FORMAT, "version": FORMAT_VERSION,
                        "name": "default", "gan_config": gan.to_dict(), "codec": codec,
                        "state_dict": {k: v.detach().cpu()
                                       for k, v in trainer.G_ema.state_dict().items()},
                        "directions": {}, "card": card_now()},
                       out / "snapshots" / f"generator_{trainer.step_count:06d}.pt")
    seconds = time.monotonic() - t0
    card = card_now()
    # the training-state format of engine.gan.checkpoint.save_training_state (written here
    # without it: that module needs the codec's packages, which a lent machine lacks)
    state = {"format": TRAIN_FORMAT, "version": FORMAT_VERSION, "name": "default",
             "codec": codec, "trainer": trainer.state_dict(), "history": history,
             "train_seconds": card["train_seconds"], "card": card}
    torch.save(state, out / "state.pt")
    print(f"wrote {out / 'state.pt'}: step {trainer.step_count}, {seconds / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
