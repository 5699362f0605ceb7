"""``latent-resonance export CKPT.pt``: write the runtime's ONNX companion beside a checkpoint.

The runtime (face, synth, live, demo, reconstruct) runs the generator with onnxruntime from
``NAME.onnx`` (:mod:`engine.gan.runtime`); ``train`` and ``distill`` write it at their end, this
command writes it for any other ``.pt`` (one trained before, or copied from elsewhere).  Needs
torch: ``pip install 'latent-resonance[train]'``.
"""

from __future__ import annotations

from bridge.errors import UserError

HELP = "export a checkpoint's generator to the ONNX companion the runtime plays"


def add_arguments(p) -> None:
    p.add_argument("checkpoints", nargs="+", metavar="CKPT.pt", help="generator checkpoint(s)")
    p.add_argument("--out", metavar="PATH.onnx",
                   help="where to write (one checkpoint only; default: beside it, .onnx)")


def run(args) -> int:
    if args.out and len(args.checkpoints) > 1:
        raise UserError("--out goes with one checkpoint")
    try:
        from engine.gan.export import export_checkpoint
    except ImportError as exc:
        raise UserError(f"export needs torch and onnx ({exc.name} is missing): "
                        f"pip install 'latent-resonance[train]'") from None
    from engine.gan.runtime import CheckpointError

    for path in args.checkpoints:
        try:
            out = export_checkpoint(path, args.out)
        except CheckpointError as exc:
            raise UserError(str(exc)) from None
        except OSError as exc:
            raise UserError(f"cannot write the export of {path}: {exc.strerror or exc}") from None
        print(f"wrote {out}")
    return 0
