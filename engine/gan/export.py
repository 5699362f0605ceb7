"""Export a torch generator to the runtime's ONNX companion (:mod:`engine.gan.runtime`).

Needs torch and onnx (the ``train`` extra).  The one-image pass is recorded with
``torch.onnx.export`` (the TorchScript-based exporter: the dynamo one needs onnxscript, which
the pins of mediapipe 0.10.21 leave out), the metadata is added with ``onnx``, and the result is
checked against the torch model on a few latents before it replaces an older companion.
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import numpy as np
import torch

from engine.gan.checkpoint import Checkpoint, load_checkpoint
from engine.gan.runtime import (CONDITIONED_INPUTS, FORMAT, INPUTS, META_KEY, VERSION,
                                 ExportedGenerator, ExportError, companion_path, file_sha256)

OPSET = 17
#: largest difference from the torch model an export may show on its check latents: float32
#: rounding differs between the two runtimes, and grows with the model (the 256-band default
#: shows up to ~1.2e-5 over 20 latents); 1e-4 is -80 dB of full scale, far below the 8-bit
#: quantum of the training images (1/127.5), so nothing audible hides under it
CHECK_TOLERANCE = 1e-4


class _OnePass(torch.nn.Module):
    def __init__(self, ckpt: Checkpoint):
        super().__init__()
        self.g = ckpt.generator

    def forward(self, z, truncation, w_offset, noise, c=None):
        w = self.g.truncation_center(c).lerp(self.g.mapping(z, c), truncation) + w_offset
        return self.g.synthesize(w, noise)[:, 0].clamp(-1.0, 1.0)


def export_bytes(ckpt: Checkpoint, source_sha256: str = "") -> bytes:
    """The ONNX companion of ``ckpt`` (graph + metadata) as bytes, checked against torch."""
    import onnx

    args = (torch.zeros(1, ckpt.z_dim), torch.tensor(1.0), torch.zeros(1, ckpt.w_dim),
            torch.tensor(1.0))
    names = INPUTS
    if ckpt.config.c_dim:
        args += (torch.from_numpy(ckpt.condition())[None],)
        names = CONDITIONED_INPUTS
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on fixed sizes (they are fixed)
        torch.onnx.export(_OnePass(ckpt).eval(), args, buf, input_names=list(names),
                          output_names=["image"], opset_version=OPSET, dynamo=False)
    model = onnx.load_from_string(buf.getvalue())
    meta = {"format": FORMAT, "version": VERSION, "name": ckpt.name,
            "gan_config": ckpt.config.to_dict(), "codec": ckpt.codec.to_dict(), "card": ckpt.card,
            "directions": {k: np.asarray(v, np.float32).tolist()
                           for k, v in ckpt.directions.items()},
            "source_sha256": source_sha256}
    model.metadata_props.add(key=META_KEY, value=json.dumps(meta))
    data = model.SerializeToString()
    check(ckpt, ExportedGenerator(data, f"{ckpt.name} (export)"))
    return data


def check(ckpt: Checkpoint, exported: ExportedGenerator, n: int = 4) -> float:
    """The largest difference of the two on ``n`` seeded latents at a few settings; raises
    :class:`ExportError` over :data:`CHECK_TOLERANCE`."""
    worst = 0.0
    names = sorted(ckpt.directions)[:1]
    space = ckpt.labels
    for i in range(n):
        z = ckpt.random_latent(1000 + i)
        kw = {"truncation": (1.0, 0.7, 0.4, 1.2)[i % 4], "noise": (1.0, 0.0, 0.5, 2.0)[i % 4],
              "directions": {names[0]: 0.5} if names and i % 2 else None}
        if space is not None:  # labels across the range and the families
            kw["c"] = space.encode(space.pitch_lo + (space.pitch_hi - space.pitch_lo) * i / n,
                                   space.families[i % space.n_family], (0.3, 0.8, 1.0, 0.5)[i % 4])
        worst = max(worst, float(np.max(np.abs(exported.generate(z, **kw)
                                               - ckpt.generate(z, **kw)))))
    if worst > CHECK_TOLERANCE:
        raise ExportError(f"{ckpt.name}: the export differs from the torch model by {worst:.2g}")
    return worst


def export_checkpoint(path: str | Path, out: str | Path | None = None) -> Path:
    """Write the companion of the checkpoint file ``path`` (default: beside it, ``.onnx``)."""
    path = Path(path)
    ckpt = load_checkpoint(path)
    out = companion_path(path) if out is None else Path(out)
    data = export_bytes(ckpt, file_sha256(path))
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    return out
