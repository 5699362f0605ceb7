"""Spectrogram codec, compatible with the origin's dataset pipeline.

Audio -> power mel spectrogram -> dB (ref = max) -> per-image min/max to [-1, 1] -> 8-bit PNG.

Conventions (fixed, other modules code against them):

* arrays are float32 ``(n_mels, frames)`` in [-1, 1]; row 0 is the LOWEST mel band (librosa);
* PNG images have low frequencies at the bottom (rows are flipped on write and read);
* -1 .. 1 maps to -top_db .. 0 dB relative to the image maximum.

Only :func:`load_audio`, :func:`save_audio` and :func:`load_image` touch files (the directory
pipeline is :func:`engine.data.windows.process_directory`); everything else is numpy in,
numpy out.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

#: audio files the dataset pipeline reads (anything libsndfile or audioread decodes)
SUPPORTED_EXTENSIONS = (".wav", ".mp3", ".flac", ".ogg", ".aiff", ".aif")


@dataclass(frozen=True)
class CodecParams:
    """Spectrogram geometry. ``fmax=None`` means ``sr / 2`` (Hz); ``frames`` is the image width."""

    sr: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 512
    frames: int = 512
    top_db: float = 80.0
    fmin: float = 0.0
    fmax: float | None = None

    def __post_init__(self) -> None:
        for name in ("sr", "n_fft", "hop_length", "n_mels", "frames"):
            v = getattr(self, name)
            if isinstance(v, bool) or int(v) != v or v <= 0:
                raise ValueError(f"CodecParams.{name} must be a positive integer, got {v!r}")
            object.__setattr__(self, name, int(v))
        if self.hop_length > self.n_fft:
            raise ValueError(f"hop_length {self.hop_length} exceeds n_fft {self.n_fft}")
        if not (np.isfinite(self.top_db) and self.top_db > 0):
            raise ValueError(f"CodecParams.top_db must be a positive dB value, got {self.top_db!r}")
        object.__setattr__(self, "top_db", float(self.top_db))
        object.__setattr__(self, "fmin", float(self.fmin))
        fmax = self.nyquist if self.fmax is None else float(self.fmax)
        if not (0.0 <= self.fmin < fmax <= self.nyquist):
            raise ValueError(f"need 0 <= fmin < fmax <= sr/2, got fmin={self.fmin}, "
                             f"fmax={self.fmax}")
        if self.fmax is not None:
            object.__setattr__(self, "fmax", float(self.fmax))

    @property
    def nyquist(self) -> float:
        """Half the sample rate (Hz)."""
        return self.sr / 2.0

    @property
    def n_freq(self) -> int:
        """Linear STFT bins, ``n_fft // 2 + 1``."""
        return self.n_fft // 2 + 1

    @property
    def fmax_hz(self) -> float:
        """Upper mel edge (Hz), ``fmax`` or ``sr / 2``."""
        return self.nyquist if self.fmax is None else float(self.fmax)

    @property
    def duration_s(self) -> float:
        """Seconds of audio covered by one image of ``frames`` columns."""
        return self.frames * self.hop_length / self.sr

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict with exactly the dataclass field names."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CodecParams":
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError``."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown codec keys: {sorted(unknown)}")
        return cls(**d)

    def replace(self, **changes: Any) -> "CodecParams":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


DEFAULT_CODEC = CodecParams()


@lru_cache(maxsize=16)
def mel_basis(codec: CodecParams) -> np.ndarray:
    """librosa's Slaney mel filterbank ``(n_mels, n_freq)`` float32 (as melspectrogram uses)."""
    import librosa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Empty filters detected" is expected for n_mels=512
        m = librosa.filters.mel(sr=codec.sr, n_fft=codec.n_fft, n_mels=codec.n_mels,
                                fmin=codec.fmin, fmax=codec.fmax_hz)
    m = m.astype(np.float32)
    m.setflags(write=False)
    return m


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------

def check_spectrogram(spec: Any, n_mels: int | None = None,
                      name: str = "spectrogram") -> np.ndarray:
    """Return ``spec`` as a float32 2-D array in [-1, 1] or raise a one-line ``ValueError``.

    Accepts numpy arrays and torch tensors of shape (H, W) or (1, H, W). Values slightly out of
    range (GAN output) are clipped; NaN/inf, other ranks and empty arrays are rejected.
    """
    if hasattr(spec, "detach"):  # torch tensor, without importing torch
        spec = spec.detach().cpu().numpy()
    try:
        arr = np.asarray(spec, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array: {exc}") from None
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_mels, frames), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty, shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    if n_mels is not None and arr.shape[0] != n_mels:
        raise ValueError(f"{name} has {arr.shape[0]} mel rows, the codec expects {n_mels}")
    return np.clip(arr, -1.0, 1.0)


def _check_audio(audio: Any) -> np.ndarray:
    arr = np.asarray(audio, dtype=np.float32)
    if arr.ndim == 2:  # (channels, samples) or (samples, channels): mix down
        arr = arr.mean(axis=0 if arr.shape[0] < arr.shape[1] else 1)
    if arr.ndim != 1:
        raise ValueError(f"audio must be 1-D (samples) or 2-D (channels), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError("audio is empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError("audio contains NaN or inf")
    return arr


# --------------------------------------------------------------------------------------------
# dB <-> [-1, 1]
# --------------------------------------------------------------------------------------------

def normalize_db(s_db: np.ndarray) -> np.ndarray:
    """Per-image min/max of a dB array to [-1, 1] (the origin's normalisation); flat -> -1."""
    lo, hi = float(s_db.min()), float(s_db.max())
    if hi - lo < 1e-6:
        return np.full(s_db.shape, -1.0, dtype=np.float32)
    return (2.0 * (s_db - lo) / (hi - lo) - 1.0).astype(np.float32)


def to_db(spec: np.ndarray, top_db: float = 80.0) -> np.ndarray:
    """[-1, 1] -> dB in [-top_db, 0] relative to the image maximum."""
    return (np.asarray(spec, dtype=np.float32) + 1.0) * (top_db / 2.0) - top_db


def to_mel_power(spec: np.ndarray, top_db: float = 80.0) -> np.ndarray:
    """[-1, 1] -> mel power, 1.0 at the image maximum (0 dB)."""
    return np.power(np.float32(10.0), to_db(spec, top_db) / np.float32(10.0)).astype(np.float32)


# --------------------------------------------------------------------------------------------
# audio -> spectrogram
# --------------------------------------------------------------------------------------------

def load_audio(path: str | Path, sr: int = 22050) -> np.ndarray:
    """Read any file librosa reads, mono, resampled to ``sr`` (Hz); float32 samples."""
    import librosa

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"audio file not found: {path}")
    try:
        with warnings.catch_warnings():  # librosa's soundfile -> audioread fallback chatter
            warnings.simplefilter("ignore")
            y, _ = librosa.load(str(path), sr=sr, mono=True)
    except Exception as exc:  # decoder errors come in many types
        raise ValueError(f"cannot read audio {path.name}: {exc}") from None
    return _check_audio(y)


def mel_power(audio: np.ndarray, codec: CodecParams = DEFAULT_CODEC) -> np.ndarray:
    """Power mel spectrogram ``(n_mels, T)`` of mono audio at ``codec.sr`` (centred frames)."""
    import librosa

    y = _check_audio(audio)
    s = librosa.feature.melspectrogram(y=y, sr=codec.sr, n_fft=codec.n_fft,
                                       hop_length=codec.hop_length, n_mels=codec.n_mels,
                                       fmin=codec.fmin, fmax=codec.fmax_hz, power=2.0)
    return s.astype(np.float32)


def audio_to_spectrogram(audio: np.ndarray | str | Path, codec: CodecParams | None = None,
                         **overrides: Any) -> np.ndarray:
    """Audio samples (at ``codec.sr``) or an audio file -> float32 ``(n_mels, T)`` in [-1, 1].

    Like the origin: power mel, ``power_to_db(ref=max)`` clipped at ``top_db``, then per-image
    min/max to [-1, 1]. ``T`` follows the audio length (``1 + len // hop``); use
    :func:`fit_frames` to get an image of ``codec.frames`` columns. Keyword overrides
    (``sr=``, ``n_mels=`` ...) change the codec like the origin's keyword arguments.
    """
    import librosa

    codec = (codec or DEFAULT_CODEC).replace(**overrides) if overrides else (codec or DEFAULT_CODEC)
    if isinstance(audio, (str, Path)):
        audio = load_audio(audio, sr=codec.sr)
    s = mel_power(audio, codec)
    if float(s.max()) <= 0.0:
        return np.full(s.shape, -1.0, dtype=np.float32)
    s_db = librosa.power_to_db(s, ref=np.max, top_db=codec.top_db)
    return normalize_db(s_db)


def fit_frames(spec: np.ndarray, frames: int) -> np.ndarray:
    """Crop or pad (with -1 = silence) the time axis of ``spec`` to ``frames`` columns."""
    spec = check_spectrogram(spec)
    if spec.shape[1] >= frames:
        return np.ascontiguousarray(spec[:, :frames])
    out = np.full((spec.shape[0], frames), -1.0, dtype=np.float32)
    out[:, : spec.shape[1]] = spec
    return out


def _magma_lut() -> np.ndarray:
    import matplotlib

    cmap = matplotlib.colormaps["magma"]
    return (cmap(np.linspace(0.0, 1.0, 256))[:, :3] * 255.0).astype(np.uint8)  # (256, 3)


@lru_cache(maxsize=1)
def _magma_tree():
    from scipy.spatial import cKDTree

    return cKDTree(_magma_lut().astype(np.float32))


def spectrogram_to_image(spectrogram: np.ndarray, size: int | tuple[int, int] | None = None,
                         colormap: str | None = None) -> Image.Image:
    """[-1, 1] array -> 8-bit grayscale PIL image, low frequencies at the bottom.

    ``size``: None keeps one pixel per bin and frame; an int gives a square image (the origin
    resized to 512 x 512); a tuple is ``(width, height)``. Resizing uses Lanczos.
    ``colormap="magma"`` writes the origin's RGB variant instead of grayscale.
    """
    spec = check_spectrogram(spectrogram)
    pixels = np.round((spec + 1.0) * 127.5).clip(0, 255).astype(np.uint8)
    if colormap is None:
        img = Image.fromarray(pixels, mode="L")
    elif colormap == "magma":
        img = Image.fromarray(_magma_lut()[pixels], mode="RGB")
    else:
        raise ValueError(f"unknown colormap {colormap!r} (use None or 'magma')")
    if size is not None:
        wh = (size, size) if isinstance(size, int) else tuple(size)
        if wh != img.size:
            img = img.resize(wh, Image.LANCZOS)
    return img.transpose(Image.FLIP_TOP_BOTTOM)


def spectrogram_grid(images: np.ndarray, cols: int = 4) -> Image.Image:
    """(N, n_mels, frames) in [-1, 1] -> one grayscale image of the tiles, 2 px apart."""
    n, h, w = np.shape(images)
    rows = -(-n // cols)
    grid = Image.new("L", (cols * (w + 2), rows * (h + 2)), 0)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        grid.paste(spectrogram_to_image(im), (c * (w + 2), r * (h + 2)))
    return grid


def load_image(path: str | Path) -> Image.Image:
    """Open an image file fully (so the file is closed); unreadable files raise ``ValueError``."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"image file not found: {path}")
    try:
        with Image.open(path) as im:
            im.load()
            return im.copy()
    except Exception as exc:
        raise ValueError(f"cannot read image {path.name}: {exc}") from None


def image_to_spectrogram(image: Image.Image | np.ndarray | str | Path) -> np.ndarray:
    """Image (PIL, uint8 array or file path) -> float32 ``(n_mels, frames)`` in [-1, 1].

    Grayscale ``L`` images map 0..255 to -1..1. RGB(A) images are read as the origin's magma
    colormap (nearest LUT colour); RGB images whose channels are equal are read as gray.
    16-bit grayscale (``I;16``) maps 0..65535. Other modes raise ``ValueError``.
    """
    if isinstance(image, (str, Path)):
        image = load_image(image)
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim not in (2, 3):
            raise ValueError(f"image arrays must be uint8 (H, W) or (H, W, 3), got "
                             f"{image.dtype} {image.shape}")
        image = Image.fromarray(image)
    if not isinstance(image, Image.Image):
        raise ValueError(f"expected a PIL image, uint8 array or path, got {type(image).__name__}")
    if image.width == 0 or image.height == 0:
        raise ValueError("image is empty")
    mode = image.mode
    img = image.transpose(Image.FLIP_TOP_BOTTOM)
    if mode == "L":
        arr = np.asarray(img, dtype=np.float32) / 127.5 - 1.0
    elif mode in ("I;16", "I;16L", "I;16B", "I"):
        raw = np.asarray(img, dtype=np.float64)
        if raw.min() < 0 or raw.max() > 65535:
            raise ValueError(f"{mode} image values outside 0..65535")
        arr = (raw / 32767.5 - 1.0).astype(np.float32)
    elif mode in ("RGB", "RGBA"):
        rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
        if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
            arr = rgb[..., 0].astype(np.float32) / 127.5 - 1.0
        else:
            _, idx = _magma_tree().query(rgb.reshape(-1, 3).astype(np.float32))
            arr = (idx.reshape(rgb.shape[:2]).astype(np.float32) / 127.5 - 1.0)
    else:
        raise ValueError(f"unsupported image mode {mode!r}: use 8-bit grayscale (L) or the "
                         f"origin's magma RGB PNGs")
    return check_spectrogram(arr, name="image")


def as_spectrogram(x: Any, n_mels: int | None = None) -> np.ndarray:
    """Array, tensor, PIL image or image path -> validated float32 [-1, 1] array."""
    if isinstance(x, (Image.Image, str, Path)):
        x = image_to_spectrogram(x)
    return check_spectrogram(x, n_mels=n_mels)


# --------------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------------

def save_audio(audio: np.ndarray, output_path: str | Path, sr: int = 22050) -> Path:
    """Write mono float audio to a file soundfile knows by extension (WAV: float32 samples)."""
    y = _check_audio(audio)
    out = Path(output_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    import soundfile as sf

    sf.write(str(out), y, int(sr))
    return out
