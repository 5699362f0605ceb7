"""What a conditioned generator is asked for: pitch, instrument family and velocity.

One label vector ``c`` (float32, ``(dim,)``) feeds the mapping network of a conditioned
generator (GANSynth / DrumGAN style: the labels join z before the MLP) and is what the
discriminator's auxiliary heads predict.  Its layout, the single source of truth::

    [ pitch: soft one-hot over MIDI lo..hi | family: weights over the names | velocity 0..1 ]

A fractional pitch (60.3) splits its weight between the two neighbouring notes, so pitch
glides smoothly; a family may be a name or a blend ``{"strings": 0.7, "organ": 0.3}``.
Plain numpy, no torch: the runtime builds the same vector for its exported graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LabelSpace:
    """The labels a generator was trained on: MIDI ``pitch_lo``..``pitch_hi`` (inclusive) and
    the ``families`` names in their index order."""

    pitch_lo: int
    pitch_hi: int
    families: tuple[str, ...]

    def __post_init__(self):
        object.__setattr__(self, "pitch_lo", int(self.pitch_lo))
        object.__setattr__(self, "pitch_hi", int(self.pitch_hi))
        object.__setattr__(self, "families", tuple(str(f) for f in self.families))
        if not 0 <= self.pitch_lo <= self.pitch_hi <= 127:
            raise ValueError(f"label pitch range {self.pitch_lo}..{self.pitch_hi} is not within "
                             f"MIDI 0..127")
        if not self.families or len(set(self.families)) != len(self.families):
            raise ValueError("label families must be distinct names, at least one")

    @property
    def n_pitch(self) -> int:
        return self.pitch_hi - self.pitch_lo + 1

    @property
    def n_family(self) -> int:
        return len(self.families)

    @property
    def dim(self) -> int:
        return self.n_pitch + self.n_family + 1

    # ------------------------------------------------------------ slices of c
    @property
    def pitch_slice(self) -> slice:
        return slice(0, self.n_pitch)

    @property
    def family_slice(self) -> slice:
        return slice(self.n_pitch, self.n_pitch + self.n_family)

    @property
    def velocity_index(self) -> int:
        return self.dim - 1

    @property
    def default_family(self) -> str:
        """The family asked for when none is named: strings where the generator knows them,
        else its first."""
        return "strings" if "strings" in self.families else self.families[0]

    def family_index(self, name: str) -> int:
        try:
            return self.families.index(name)
        except ValueError:
            raise ValueError(f"unknown family {name!r}; this generator knows: "
                             f"{', '.join(self.families)}") from None

    def family_weights(self, family) -> np.ndarray:
        """(n_family,) weights summing to 1 for a name, a {name: weight} blend or a vector."""
        if isinstance(family, str):
            out = np.zeros(self.n_family, np.float32)
            out[self.family_index(family)] = 1.0
            return out
        if isinstance(family, dict):
            out = np.zeros(self.n_family, np.float32)
            for name, weight in family.items():
                out[self.family_index(name)] += max(0.0, float(weight))
        else:
            out = np.clip(np.asarray(family, np.float32).reshape(-1), 0.0, None)
            if out.shape != (self.n_family,):
                raise ValueError(f"family weights need {self.n_family} values, got {out.size}")
        total = float(out.sum())
        if not np.isfinite(total) or total <= 0:
            raise ValueError("family weights must be finite with a positive sum")
        return out / total

    def encode(self, note: float, family, velocity: float = 0.8) -> np.ndarray:
        """The label vector (dim,) float32 for MIDI ``note`` (fractional glides; clipped to the
        trained range), a family (see :meth:`family_weights`) and ``velocity`` 0..1."""
        note, velocity = float(note), float(velocity)
        if not (np.isfinite(note) and np.isfinite(velocity)):
            raise ValueError("note and velocity must be finite")
        c = np.zeros(self.dim, np.float32)
        x = float(np.clip(note, self.pitch_lo, self.pitch_hi)) - self.pitch_lo
        i = min(int(np.floor(x)), self.n_pitch - 1)
        frac = x - i
        c[i] = 1.0 - frac
        if frac > 0:
            c[i + 1] = frac
        c[self.family_slice] = self.family_weights(family)
        c[self.velocity_index] = float(np.clip(velocity, 0.0, 1.0))
        return c

    def encode_many(self, notes, family_idx, velocities) -> np.ndarray:
        """(N, dim) label vectors for integer family indices (training data)."""
        notes = np.asarray(notes, np.float32)
        fam = np.asarray(family_idx, np.int64)
        vel = np.asarray(velocities, np.float32)
        c = np.zeros((len(notes), self.dim), np.float32)
        pitch = np.clip(np.round(notes), self.pitch_lo, self.pitch_hi).astype(np.int64)
        c[np.arange(len(c)), pitch - self.pitch_lo] = 1.0
        c[np.arange(len(c)), self.n_pitch + fam] = 1.0
        c[:, self.velocity_index] = np.clip(vel, 0.0, 1.0)
        return c

    def decode_note(self, c) -> float:
        """The (weighted mean) MIDI note of a label vector."""
        p = np.asarray(c, np.float32)[self.pitch_slice]
        return float(self.pitch_lo + (p * np.arange(self.n_pitch)).sum() / max(p.sum(), 1e-9))

    def to_dict(self) -> dict:
        return {"pitch_lo": self.pitch_lo, "pitch_hi": self.pitch_hi,
                "families": list(self.families)}

    @classmethod
    def from_dict(cls, d: dict) -> "LabelSpace":
        if not isinstance(d, dict):
            raise ValueError("labels must be a dict")
        return cls(int(d["pitch_lo"]), int(d["pitch_hi"]), tuple(d["families"]))
