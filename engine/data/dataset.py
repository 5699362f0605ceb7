"""Spectrogram datasets for training: PNG directories (the ``dataset`` command's output) or
``.npy`` arrays, as float tensors (1, H, W) in [-1, 1] (row 0 = lowest mel band)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from engine.spectral.codec import image_to_spectrogram

IMAGE_EXTENSIONS = (".png",)


def image_files(root: str | Path) -> list[Path]:
    """Sorted PNG files under ``root`` (recursive)."""
    return sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)


class SpectrogramDataset(Dataset):
    """PNG spectrograms in a directory (origin API): ``ds[i]`` is a float32 tensor (1, H, W) in
    [-1, 1].  All images must share one size; unreadable files raise ``ValueError`` on access
    (use :func:`load_array` to skip them instead)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise ValueError(f"dataset directory not found: {self.root}")
        self.files = image_files(self.root)
        if not self.files:
            raise ValueError(f"no PNG spectrograms in {self.root}")

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.from_numpy(image_to_spectrogram(self.files[i]))[None]


def load_array(path: str | Path, on_error=None) -> tuple[np.ndarray, list[str]]:
    """All spectrograms of a PNG directory or a ``.npy`` file as float32 (N, H, W) plus their
    names.  Unreadable or odd-sized images are passed to ``on_error(name, message)`` and skipped.
    """
    path = Path(path)
    if path.is_file() and path.suffix == ".npy":
        arr = np.load(path, allow_pickle=False)
        if arr.ndim == 4 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 3:
            raise ValueError(f"{path.name}: expected an array (N, H, W), got {arr.shape}")
        arr = arr.astype(np.float32)
        if not np.all(np.isfinite(arr)) or arr.min() < -1.001 or arr.max() > 1.001:
            raise ValueError(f"{path.name}: values must be finite and in [-1, 1]")
        return arr, [f"{path.stem}[{i}]" for i in range(len(arr))]
    if not path.is_dir():
        raise ValueError(f"training data not found (a PNG directory or .npy file): {path}")
    specs, names, shape = [], [], None
    for f in image_files(path):
        try:
            s = image_to_spectrogram(f)
        except ValueError as exc:
            if on_error:
                on_error(f.name, str(exc))
            continue
        if shape is None:
            shape = s.shape
        if s.shape != shape:
            if on_error:
                on_error(f.name, f"size {s.shape} differs from {shape}")
            continue
        specs.append(s)
        names.append(f.name)
    if not specs:
        raise ValueError(f"no readable PNG spectrograms in {path}")
    return np.stack(specs), names


def split_heldout(names: list[str], every: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic train/held-out index split: every ``every``-th item (in name order) is held
    out.  Returns (train_idx, heldout_idx)."""
    order = np.argsort(np.asarray(names, dtype=object), kind="stable")
    held = np.zeros(len(names), bool)
    held[order[::every]] = True
    return np.flatnonzero(~held), np.flatnonzero(held)


def load_training_data(data, heldout=None, on_error=None) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) spectrogram arrays from ``data`` (and ``heldout``, else every 10th
    item by name of ``data``); ``on_error(name, message)`` hears of skipped items.  Raises
    ValueError for data a generator cannot train on."""
    arr, names = load_array(data, on_error=on_error)
    if heldout:
        held, _ = load_array(heldout, on_error=on_error)
        train = arr
    else:
        tr, ho = split_heldout(names)
        train, held = arr[tr], arr[ho]
    if held.shape[1:] != train.shape[1:]:
        raise ValueError(f"held-out size {held.shape[1:]} differs from training {train.shape[1:]}")
    if len(train) < 2:
        raise ValueError("need at least 2 training spectrograms")
    return train, held
