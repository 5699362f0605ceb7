"""The generator as the runtime uses it, no torch: the one-image pass as an ONNX graph run by
onnxruntime, and :func:`load_generator`, which picks it for a checkpoint.

``latent-resonance export`` (and ``train``/``distill`` at their end) writes ``NAME.onnx`` beside
``NAME.pt`` (:mod:`engine.gan.export`).  The graph holds the whole pass of one latent --
mapping network, truncation toward ``w_avg``, the W offset, the synthesis network with its fixed
noise maps scaled by the noise input, the clamp to [-1, 1]::

    z (1, z_dim), truncation (), w_offset (1, w_dim), noise () [, c (1, c_dim)]
        ->  image (1, n_mels, frames)

A conditioned generator's graph has the label vector ``c`` (pitch, family, velocity:
:mod:`engine.gan.labels`) as a fifth input; its label space travels in the metadata with the
generator sizes.

What a graph does not hold sits in its metadata (key ``latent_resonance``, JSON): the name, the
generator sizes, the codec, the card, the named directions (summed into ``w_offset`` here, in
numpy) and the SHA-256 of the ``.pt`` it came from, so a companion that no longer matches its
``.pt`` is noticed.  Fresh noise maps (``noise_seed``) are the torch model's alone.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from engine.gan.config import GanConfig
from engine.gan.errors import CheckpointError, ExportError
from engine.gan.latents import LatentSpace
from engine.spectral.codec import CodecParams

FORMAT = "latent-resonance-generator-onnx"
VERSION = 1
META_KEY = "latent_resonance"
INPUTS = ("z", "truncation", "w_offset", "noise")
#: a conditioned generator's graph inputs
CONDITIONED_INPUTS = INPUTS + ("c",)


def companion_path(path: str | Path) -> Path:
    """The exported companion of a ``.pt`` (the same path with ``.onnx``)."""
    return Path(path).with_suffix(".onnx")


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class ExportedGenerator(LatentSpace):
    """An exported generator, ready to make spectrograms (numpy in, numpy out); the same
    attributes and ``generate`` as :class:`engine.gan.checkpoint.Checkpoint` without torch.

    Attributes: ``name``, ``config`` (GanConfig), ``codec`` (CodecParams),
    ``card`` (dict), ``directions`` (name -> (w_dim,) float32), ``source_sha256``.
    """

    def __init__(self, model: bytes, where: str = "exported generator", path: Path | None = None):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        # one thread: the synth runs the pass in its own process beside the audio threads
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
            meta_map = self._session.get_modelmeta().custom_metadata_map
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own C++ error types
            first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else "?"
            raise ExportError(f"{where}: not a readable ONNX graph ({first})") from None
        names = tuple(i.name for i in self._session.get_inputs())
        if names not in (INPUTS, CONDITIONED_INPUTS):
            raise ExportError(f"{where}: graph inputs {names}, expected {INPUTS} or "
                              f"{CONDITIONED_INPUTS}")
        try:
            meta = json.loads(meta_map[META_KEY])
            assert isinstance(meta, dict) and meta.get("format") == FORMAT
        except (KeyError, ValueError, AssertionError):
            raise ExportError(f"{where}: not a latent-resonance export (no {META_KEY!r} "
                              f"metadata)") from None
        if not isinstance(meta.get("version"), int) or meta["version"] > VERSION:
            raise ExportError(f"{where}: export version {meta.get('version')!r} is not one "
                              f"this program understands ({VERSION})")
        try:
            self.config = GanConfig.from_dict(meta["gan_config"])
            self.name = str(meta["name"])
            self.codec = CodecParams.from_dict(meta["codec"])
            self.card = dict(meta.get("card", {}))
            self.directions = {str(k): np.asarray(v, np.float32)
                               for k, v in dict(meta.get("directions", {})).items()}
            self.source_sha256 = str(meta.get("source_sha256", ""))
        except (KeyError, TypeError, ValueError) as exc:
            raise ExportError(f"{where}: bad metadata ({exc})") from None
        if (names == CONDITIONED_INPUTS) != bool(self.config.c_dim):
            raise ExportError(f"{where}: the graph's inputs {names} do not match its labels "
                              f"metadata")
        for k, v in self.directions.items():
            if v.shape != (self.w_dim,) or not np.all(np.isfinite(v)):
                raise ExportError(f"{where}: direction {k[:40]!r} must be {self.w_dim} finite "
                                  f"numbers")
        self._model, self._path = model, path

    def generate(self, z, truncation: float = 1.0, noise: float = 1.0,
                 directions: dict[str, float] | None = None,
                 noise_seed: int | None = None, c=None) -> np.ndarray:
        """As :meth:`engine.gan.checkpoint.Checkpoint.generate` (within ``engine.gan.export.CHECK_TOLERANCE`` of it)."""
        if noise_seed is not None:
            raise ValueError("fresh noise maps (noise_seed) need the torch model "
                             "(pip install 'latent-resonance[train]')")
        arr, single = self.check_z(z)
        cs = self.check_c(c, len(arr))
        off = self.direction_offset(directions)
        off = np.zeros((1, self.w_dim), np.float32) if off is None else off[None]
        feed = {"truncation": np.array(truncation, np.float32), "w_offset": off,
                "noise": np.array(noise, np.float32)}
        rows = [{"z": row[None]} if cs is None else {"z": row[None], "c": cs[i][None]}
                for i, row in enumerate(arr)]
        out = np.stack([self._session.run(None, dict(feed, **r))[0][0] for r in rows])
        return out[0] if single else out

    # ------------------------------------------------------------ across processes
    def to_payload(self) -> dict:
        """Picklable data that :func:`generator_from_payload` turns back into this generator:
        the file's path when it came from one (a few bytes: the process reading it starts at
        once), else the graph itself."""
        if self._path is not None:
            return {"format": FORMAT, "path": str(self._path), "where": self.name}
        return {"format": FORMAT, "model": self._model, "where": self.name}


def read_exported(path: str | Path) -> ExportedGenerator:
    """Load ``NAME.onnx``; raises :class:`ExportError` (a ``ValueError``) with one line."""
    path = Path(path)
    try:
        model = path.read_bytes()
    except OSError as exc:
        raise ExportError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    return ExportedGenerator(model, path.name, path.resolve())


def generator_from_payload(d: dict):
    """The generator a ``to_payload()`` dict describes (exported, or the torch checkpoint)."""
    if d.get("format") == FORMAT:
        if "path" in d:
            return read_exported(d["path"])
        return ExportedGenerator(d["model"], d.get("where", "exported generator"))
    from engine.gan.checkpoint import checkpoint_from_payload

    return checkpoint_from_payload(d)


def load_generator(path: str | Path):
    """The generator of a checkpoint file, as the runtime runs it.

    ``NAME.onnx``: the export.  ``NAME.pt``: its companion ``NAME.onnx`` when that was exported
    from this very file (the SHA-256 in its metadata); otherwise the torch model when torch is
    installed; otherwise :class:`CheckpointError` naming the command that exports it.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if path.suffix == ".onnx":
        return read_exported(path)
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive
        raise CheckpointError(f"{path.name} is not a checkpoint (expected a .pt written by "
                              f"latent-resonance train, or its .onnx)")
    comp = companion_path(path)
    stale = None
    if comp.is_file():
        gen = read_exported(comp)
        if gen.source_sha256 == file_sha256(path):
            return gen
        stale = f"{comp.name} was exported from another {path.name}"
    try:
        import torch  # noqa: F401 - only to learn whether the torch model can be used
    except ImportError:
        why = stale or f"{path.name} has no exported companion {comp.name}"
        raise CheckpointError(
            f"{why}, and this install has no torch to read {path.name}: run "
            f"`latent-resonance export {path}` where latent-resonance[train] is installed"
        ) from None
    from engine.gan.checkpoint import load_checkpoint

    return load_checkpoint(path)
