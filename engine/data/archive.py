"""A labelled training set in one compressed file: ``latent-resonance dataset IN OUT.npz``.

The images are stored as the PNGs store them (8 bits, 0..255 for -1..1), so an archive is the
same data as a PNG directory, a few MiB instead of thousands of files -- small enough to carry
to a lent GPU machine with the tree.  Fields (``numpy.savez_compressed``, no pickles)::

    images    uint8 (N, n_mels, frames), row 0 the lowest band
    note      float32 (N,) MIDI note (NaN where unknown)
    velocity  float32 (N,) 0..1 (NaN where unknown)
    family    int16 (N,) index into ``families`` (-1 where unknown)
    families  str (F,) family names
    heldout   bool (N,) held out from training (the metric's real set)
    names     str (N,) image names (``<stem>_<k>``)
    codec     str () the CodecParams as JSON

:func:`read_archive` checks every field before anything is built from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.spectral.codec import CodecParams

FIELDS = ("images", "note", "velocity", "family", "families", "heldout", "names", "codec")


@dataclass
class LabelledSet:
    """Images in [-1, 1] (float32 (N, n_mels, frames)) with their labels."""

    images: np.ndarray
    note: np.ndarray
    velocity: np.ndarray
    family: np.ndarray
    families: tuple[str, ...]
    heldout: np.ndarray
    names: list[str]
    codec: CodecParams

    @property
    def labelled(self) -> bool:
        """Every image has a note, a velocity and a family."""
        return bool(len(self.images) and np.all(np.isfinite(self.note))
                    and np.all(np.isfinite(self.velocity)) and np.all(self.family >= 0))

    def subset(self, mask: np.ndarray) -> "LabelledSet":
        return LabelledSet(self.images[mask], self.note[mask], self.velocity[mask],
                           self.family[mask], self.families, self.heldout[mask],
                           [n for n, m in zip(self.names, mask) if m], self.codec)


def to_uint8(specs: np.ndarray) -> np.ndarray:
    """[-1, 1] -> 0..255, exactly as the PNG codec quantises."""
    return np.round((np.asarray(specs, np.float32) + 1.0) * 127.5).clip(0, 255).astype(np.uint8)


def write_archive(path: str | Path, s: LabelledSet) -> Path:
    """Write ``s`` to ``path`` (a ``.npz``; written beside and moved over it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, images=to_uint8(s.images), note=s.note.astype(np.float32),
                        velocity=s.velocity.astype(np.float32), family=s.family.astype(np.int16),
                        families=np.array(s.families, dtype=str), heldout=s.heldout.astype(bool),
                        names=np.array(s.names, dtype=str),
                        codec=np.array(json.dumps(s.codec.to_dict())))
    tmp.replace(path)
    return path


def read_archive(path: str | Path) -> LabelledSet:
    """The set in ``path``; ValueError with one line for anything that is not one."""
    path = Path(path)
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, EOFError, ValueError) as exc:  # numpy's words for "not an .npz"
        raise ValueError(f"{path.name}: not a readable archive ({exc})") from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise ValueError(f"{path.name}: not a training archive (a single array)")
    with z:
        missing = [f for f in FIELDS if f not in z.files]
        if missing:
            raise ValueError(f"{path.name}: not a training archive (missing "
                             f"{', '.join(missing)})")
        try:
            d = {f: z[f] for f in FIELDS}
        except (OSError, ValueError, EOFError) as exc:
            raise ValueError(f"{path.name}: not a readable archive ({exc})") from None
    images = d["images"]
    if images.dtype != np.uint8 or images.ndim != 3 or not len(images):
        raise ValueError(f"{path.name}: images must be uint8 (N, n_mels, frames), got "
                         f"{images.dtype} {images.shape}")
    n = len(images)
    for f in ("note", "velocity", "family", "heldout", "names"):
        if d[f].shape != (n,):
            raise ValueError(f"{path.name}: {f} must have one value per image ({n})")
    families = tuple(str(f) for f in d["families"].reshape(-1))
    fam = d["family"].astype(np.int64)
    if np.any(fam >= len(families)) or np.any(fam < -1):
        raise ValueError(f"{path.name}: family indices outside the {len(families)} names")
    try:
        codec = CodecParams.from_dict(json.loads(str(d["codec"])))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path.name}: bad codec settings ({exc})") from None
    if (codec.n_mels, codec.frames) != images.shape[1:]:
        raise ValueError(f"{path.name}: codec {codec.n_mels}x{codec.frames} does not match the "
                         f"images {images.shape[1]}x{images.shape[2]}")
    specs = images.astype(np.float32) / 127.5 - 1.0
    return LabelledSet(specs, d["note"].astype(np.float32), d["velocity"].astype(np.float32),
                       fam, families, d["heldout"].astype(bool),
                       [str(x) for x in d["names"]], codec)


def read_labels_csv(path: Path) -> dict[str, dict]:
    """``labels.csv`` (written by ``latent-resonance sources``) as {file name: row}; an absent
    file is an empty dict."""
    import csv

    if not path.is_file():
        return {}
    with open(path, newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh) if row.get("file")}


def _row_labels(row: dict | None) -> tuple[float, float, str | None]:
    """(MIDI note, velocity 0..1, family name) of a labels.csv row (NaN/None where absent)."""
    from engine.data.sources import family_of

    if not row:
        return float("nan"), float("nan"), None
    try:
        note = float(row["note"])
        velocity = float(row["velocity"]) / 127.0
        family = row.get("family") or family_of(int(row["program"]))
    except (KeyError, TypeError, ValueError):
        return float("nan"), float("nan"), None
    return note, velocity, family


def build_labelled_set(input_dir: str | Path, codec: CodecParams, *, per_file: int = 3,
                       heldout_every: int = 10, on_error=None, progress=None) -> LabelledSet:
    """Every audio file below ``input_dir`` cut into windows (:func:`engine.data.windows.
    audio_windows`), with the labels of ``input_dir/labels.csv`` where it has them.  Held out:
    every image of the notes whose ``index`` is a multiple of ``heldout_every`` (files without
    an index: every ``heldout_every``-th file).  ValueError when nothing could be read."""
    from engine.data.windows import audio_files, audio_windows, output_stems
    from engine.spectral.codec import load_audio

    src = Path(input_dir)
    files = audio_files(src)
    if not files:
        raise ValueError(f"no audio files in {src}")
    stems = output_stems(files, src)
    rows = read_labels_csv(src / "labels.csv")
    images, notes, vels, fams, held, names = [], [], [], [], [], []
    for k, f in enumerate(progress(files) if progress else files):
        try:
            windows = audio_windows(load_audio(f, sr=codec.sr), codec, per_file)
        except ValueError as exc:
            if on_error:
                on_error(f, str(exc))
            continue
        row = rows.get(f.relative_to(src).as_posix()) or rows.get(f.name)
        note, vel, fam = _row_labels(row)
        try:
            index = int(row["index"]) if row else k
        except (KeyError, ValueError):
            index = k
        for j, spec in enumerate(windows):
            images.append(spec)
            notes.append(note)
            vels.append(vel)
            fams.append(fam)
            held.append(index % heldout_every == 0)
            names.append(f"{stems[f]}_{j:03d}")
    if not images:
        raise ValueError(f"no spectrograms from {src} (every file failed)")
    families = tuple(sorted({f for f in fams if f is not None}))
    fam_idx = np.array([families.index(f) if f is not None else -1 for f in fams], np.int16)
    return LabelledSet(np.stack(images), np.array(notes, np.float32),
                       np.array(vels, np.float32), fam_idx, families, np.array(held, bool),
                       names, codec)
