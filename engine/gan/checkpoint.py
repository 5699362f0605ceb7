"""Generator checkpoints: save/load plain tensors + JSON-able config, never pickled code.

A generator file is ``torch.save`` of a dict::

    {"format": "latent-resonance-generator", "version": 1, "name": str,
     "gan_config": GanConfig.to_dict(), "codec": CodecParams.to_dict(),
     "state_dict": Generator (EMA) weights incl. w_avg and const noise,
     "directions": {name: (w_dim,) tensor}, "card": dict}

A training state (``state.pt`` written by ``latent-resonance train``) is also accepted; its EMA
generator is used.  Loading uses ``torch.load(weights_only=True)``; anything else raises
:class:`CheckpointError` with a one-line message.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import torch

from engine.gan.config import FORMAT_VERSION, GENERATOR_FORMAT, TRAIN_FORMAT, GanConfig
from engine.gan.latents import LatentSpace
from engine.gan.model import Generator
from engine.gan.errors import CheckpointError
from engine.spectral.codec import CodecParams

FORMAT = GENERATOR_FORMAT
VERSION = FORMAT_VERSION


class Checkpoint(LatentSpace):
    """A loaded generator, ready to make spectrograms (numpy in, numpy out).

    Attributes: ``name``, ``z_dim``, ``codec`` (CodecParams), ``card`` (dict),
    ``directions`` (name -> (w_dim,) float32 unit-std vectors in W), ``resolution``
    (n_mels, frames), ``config`` (GanConfig), ``generator`` (torch module, eval mode).
    """

    def __init__(self, generator: Generator, name: str, codec: CodecParams | dict,
                 card: dict | None = None,
                 directions: dict[str, np.ndarray] | None = None, device: str = "cpu"):
        self.generator = generator.eval().requires_grad_(False)
        self.config: GanConfig = generator.cfg
        self.name = str(name)
        self.codec = codec if isinstance(codec, CodecParams) else CodecParams.from_dict(codec)
        self.card = dict(card or {})
        self.directions = {k: np.asarray(v, np.float32) for k, v in (directions or {}).items()}
        self.device = torch.device(device)
        self._one_image = None  # traced one-image pass, see trace_one_image()

    def trace_one_image(self) -> bool:
        """Trace the one-image pass (:mod:`engine.gan.traced`) for the live synth: single
        latents without ``noise_seed`` then skip Python dispatch.  Call once the weights are
        final (the trace holds them frozen).  False when tracing is unavailable here."""
        from engine.gan.traced import trace_synthesis

        self._one_image = trace_synthesis(self.generator) if self.device.type == "cpu" else None
        return self._one_image is not None

    def _z(self, z) -> tuple[torch.Tensor, bool]:
        arr, single = self.check_z(z)
        return torch.from_numpy(arr).to(self.device), single

    def w_offset(self, directions: dict[str, float] | None) -> torch.Tensor | None:
        """Sum of ``amount * direction`` over named directions (unknown names raise)."""
        off = self.direction_offset(directions)
        return None if off is None else torch.from_numpy(off).to(self.device)

    def _c(self, c, n: int) -> torch.Tensor | None:
        arr = self.check_c(c, n)
        return None if arr is None else torch.from_numpy(arr).to(self.device)

    def mapped(self, z, truncation: float = 1.0, directions: dict[str, float] | None = None,
               c=None):
        """z -> w (torch, (N, w_dim)) with truncation psi and direction offsets applied (a
        conditioned generator: for labels ``c``, default :meth:`condition`)."""
        zt, _ = self._z(z)
        ct = self._c(c, zt.shape[0])
        with torch.inference_mode():
            w = self.generator.map(zt, float(truncation), c=ct)
            off = self.w_offset(directions)
            return w if off is None else w + off

    def generate(self, z, truncation: float = 1.0, noise: float = 1.0,
                 directions: dict[str, float] | None = None,
                 noise_seed: int | None = None, c=None) -> np.ndarray:
        """Spectrogram(s) for latent(s) ``z``: (z_dim,) -> (n_mels, frames); (N, z_dim) ->
        (N, n_mels, frames); float32 in [-1, 1], row 0 = lowest mel band.

        ``c``: a conditioned generator's labels (:meth:`condition`: pitch, family, velocity),
        one (c_dim,) for all or (N, c_dim); None = the defaults.

        ``truncation``: psi, 1 = none, 0 = the mean latent.  ``noise``: multiplier of the
        per-layer noise inputs (0 = none, 1 = as trained); the noise maps are fixed (the same
        z gives the same image) unless ``noise_seed`` draws fresh ones.  ``directions``:
        {name: amount} added in W (amount 1 = one standard deviation along it).
        """
        zt, single = self._z(z)
        ct = self._c(c, zt.shape[0])
        gen = None if noise_seed is None else torch.Generator().manual_seed(int(noise_seed))
        with torch.inference_mode():
            w = self.generator.map(zt, float(truncation), c=ct)
            off = self.w_offset(directions)
            if off is not None:
                w = w + off
            if single and gen is None and self._one_image is not None:
                img = self._one_image(w, float(noise))
            else:
                img = self.generator.synthesize(w, float(noise), gen)
            out = img[:, 0].clamp(-1.0, 1.0).cpu().numpy().astype(np.float32, copy=False)
        return out[0] if single else out

    # ---------------------------------------------------------------- saving
    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "name": self.name,
                "gan_config": self.config.to_dict(), "codec": self.codec.to_dict(),
                "state_dict": {k: v.detach().cpu() for k, v in self.generator.state_dict().items()},
                "directions": {k: torch.from_numpy(np.asarray(v, np.float32))
                               for k, v in self.directions.items()},
                "card": self.card}

    def to_payload(self) -> dict:
        """:meth:`to_dict` with numpy arrays for tensors: picklable across a process boundary
        without torch's shared-memory handles (:func:`checkpoint_from_payload` reverses it)."""
        d = self.to_dict()
        for key in ("state_dict", "directions"):
            d[key] = {k: v.numpy() for k, v in d[key].items()}
        return d

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        torch.save(self.to_dict(), tmp)
        tmp.replace(path)
        return path


def save_training_state(path: str | Path, name: str, codec: CodecParams, trainer: dict,
                        history: list, card: dict) -> Path:
    """Write a training state (what ``train --resume`` continues from, and what
    :func:`checkpoint_from_dict` also reads as a generator): plain tensors and JSON-able data,
    written beside and then moved over ``path``, so a crash never leaves half a file."""
    path = Path(path)
    state = {"format": TRAIN_FORMAT, "version": VERSION, "name": name, "codec": codec.to_dict(),
             "trainer": trainer, "history": history,
             "train_seconds": card.get("train_seconds", 0.0), "card": card}
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)
    return path


def load_training_state(path: str | Path) -> dict:
    """A training state written by :func:`save_training_state`; CheckpointError otherwise."""
    path = Path(path)
    try:
        d = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # zip/pickle errors come in many types
        msg = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path.name}: not a readable training state ({msg})") from None
    if not isinstance(d, dict) or d.get("format") != TRAIN_FORMAT:
        raise CheckpointError(f"{path} is not a training state")
    return d


def _build(gan_config: dict, state_dict: dict, where: str) -> Generator:
    try:
        cfg = GanConfig.from_dict(gan_config)
        g = Generator(cfg)
        g.load_state_dict(g.complete(state_dict))
    except (TypeError, ValueError, KeyError, RuntimeError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{where}: generator weights do not match its config ({first})") from None
    return g


def load_checkpoint(path: str | Path, device: str = "cpu") -> Checkpoint:
    """Load a generator (or training-state) file with ``weights_only=True``.

    Raises :class:`CheckpointError` (a ``ValueError``) with one line for a missing, corrupt or
    foreign file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive; anything else is not ours
        raise CheckpointError(f"{path.name} is not a checkpoint (expected a .pt written by "
                              f"latent-resonance train, or its .onnx)")
    try:
        d = torch.load(str(path), map_location=device, weights_only=True)
    except Exception as exc:  # zip/pickle errors come in many types
        msg = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path.name}: not a readable checkpoint ({msg})") from None
    return checkpoint_from_dict(d, path.name, device)


def _need(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise CheckpointError(f"{where}: {what}")


def _check_tensors(d, where: str, field: str) -> None:
    _need(isinstance(d, dict) and all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                      for k, v in d.items()),
          where, f"'{field}' must map names to tensors")


def _check_structure(d: dict, where: str) -> None:
    """The shapes of a loaded file's fields, before anything is built from them (a crafted
    file passes ``weights_only`` yet may hold a list where a dict belongs)."""
    version = d.get("version", VERSION)
    _need(isinstance(version, int) and not isinstance(version, bool), where,
          f"'version' must be an integer, got {type(version).__name__}")
    if version > VERSION:
        raise CheckpointError(f"{where}: checkpoint version {version} is newer than this "
                              f"program understands ({VERSION})")
    for field in ("name",):
        _need(not isinstance(d.get(field, ""), bool) and isinstance(d.get(field, ""), str),
              where, f"'{field}' must be a string")
    _need(isinstance(d.get("codec"), dict), where, "'codec' must be a dict of codec settings")
    _need(isinstance(d.get("card", {}), dict), where, "'card' must be a dict")
    if d["format"] == FORMAT:
        _need(isinstance(d.get("gan_config"), dict), where, "'gan_config' must be a dict")
        _check_tensors(d.get("state_dict"), where, "state_dict")
        _check_tensors(d.get("directions", {}), where, "directions")
    else:
        _need(isinstance(d.get("trainer"), dict), where, "'trainer' must be a dict")
        _need(isinstance(d["trainer"].get("gan_config"), dict), where,
              "'trainer.gan_config' must be a dict")
        _check_tensors(d["trainer"].get("G_ema"), where, "trainer.G_ema")


def _codec_checked(codec: dict, cfg: GanConfig, where: str) -> CodecParams:
    """The codec dict as CodecParams, checked against the generator's image size."""
    try:
        params = CodecParams.from_dict(dict(codec))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{where}: bad codec settings ({exc})") from None
    _need((params.n_mels, params.frames) == tuple(cfg.resolution), where,
          f"codec image {params.n_mels}x{params.frames} does not match the generator's "
          f"{cfg.resolution[0]}x{cfg.resolution[1]}")
    return params


def checkpoint_from_dict(d, where: str = "checkpoint", device: str = "cpu") -> Checkpoint:
    """A :class:`Checkpoint` from a loaded file's dict (or ``Checkpoint.to_dict()``); ``where``
    names it in the one-line :class:`CheckpointError`.  Every field is checked for its type
    and shape (directions: finite, ``(w_dim,)``; the codec: valid and the generator's size)
    before it is used, so a file that loads makes images."""
    if not isinstance(d, dict) or d.get("format") not in (FORMAT, TRAIN_FORMAT):
        raise CheckpointError(f"{where}: not a latent-resonance checkpoint "
                              f"(expected format {FORMAT!r})")
    _check_structure(d, where)
    name = d.get("name", Path(where).stem)
    if d["format"] == FORMAT:
        g = _build(d["gan_config"], d["state_dict"], where)
        directions = {}
        for k, v in d.get("directions", {}).items():
            arr = v.detach().cpu().float().numpy()
            _need(arr.shape == (g.cfg.w_dim,) and bool(np.all(np.isfinite(arr))), where,
                  f"direction {k[:40]!r} must be {g.cfg.w_dim} finite numbers, got shape "
                  f"{tuple(arr.shape)}")
            directions[k] = arr
        codec = _codec_checked(d["codec"], g.cfg, where)
        ck = Checkpoint(g, name, codec, d.get("card", {}), directions, device)
    else:
        g = _build(d["trainer"]["gan_config"], d["trainer"]["G_ema"], where)
        codec = _codec_checked(d["codec"], g.cfg, where)
        ck = Checkpoint(g, name, codec, d.get("card", {}), {}, device)
    ck.generator.to(device)
    return ck


def checkpoint_from_payload(d: dict) -> Checkpoint:
    """The checkpoint a :meth:`Checkpoint.to_payload` dict describes."""
    d = dict(d)
    for key in ("state_dict", "directions"):
        d[key] = {k: torch.from_numpy(v) for k, v in d[key].items()}
    return checkpoint_from_dict(d, d.get("name", "checkpoint"))


def random_checkpoint(cfg: GanConfig | None = None, codec: CodecParams | None = None,
                      seed: int = 0,
                      name: str = "random") -> Checkpoint:
    """An untrained generator (for development and tests)."""
    cfg = cfg or GanConfig()
    torch.manual_seed(seed)
    g = Generator(cfg)
    codec = codec or CodecParams(n_mels=cfg.resolution[0], frames=cfg.resolution[1])
    return Checkpoint(g, name, codec, {"note": "untrained random weights"})
