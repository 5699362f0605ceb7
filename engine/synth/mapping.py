"""The origin's control mapping: face energy states (0..1) -> synth controls.

rotation -> speed, jaw -> band-pass opening, brow -> entropy, stillness -> clarity.  The curves
(all monotonic, all continuous) are chosen so that a face at rest gives a slow, clear, narrow
drone and an animated face opens the sound up:

* ``speed = SPEED_MIN * (SPEED_MAX / SPEED_MIN) ** rotation`` -- exponential, because playback
  rate is heard in ratios: rotation 0 -> 0.25x, 0.5 -> 0.71x, 1 -> 2x.
* ``band``: a pass band centred (geometrically) on ``BAND_CENTRE_HZ`` whose width in octaves
  grows linearly with the jaw: ``BAND_OCT_MIN + (BAND_OCT_MAX - BAND_OCT_MIN) * jaw``; edges
  clipped to [``BAND_FLOOR_HZ``, Nyquist].  Jaw 0 -> 476..1345 Hz (1.5 oct), jaw 1 -> all.
* ``entropy = brow ** 1.5`` -- a little brow tension adds little noise; a furrow adds a lot.
* ``clarity = stillness ** 2`` -- only a really still face gets the pure tone.

Truncation and generator noise follow clarity and entropy (:func:`generator_inputs`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

SPEED_MIN = 0.25
SPEED_MAX = 2.0
BAND_CENTRE_HZ = 800.0
BAND_OCT_MIN = 1.5
BAND_OCT_MAX = 9.0
BAND_FLOOR_HZ = 20.0

#: truncation psi at clarity 1 (0 = the mean image, 1 = no truncation)
TRUNCATION_AT_FULL_CLARITY = 0.4
#: latent perturbation (in units of the prior's std) at entropy 1
LATENT_JITTER_AT_FULL_ENTROPY = 0.6


@dataclass(frozen=True)
class SynthControls:
    """Controls the mapping drives: speed (x), band edges (Hz), entropy and clarity (0..1)."""

    speed: float
    band_low: float
    band_high: float
    entropy: float
    clarity: float


def _unit(x: float) -> float:
    """Clip to [0, 1]; NaN becomes 0."""
    return 0.0 if not x >= 0.0 else (1.0 if x > 1.0 else float(x))


def rotation_to_speed(rotation: float) -> float:
    """Playback-rate multiplier (x) for a rotation energy in [0, 1]."""
    return SPEED_MIN * (SPEED_MAX / SPEED_MIN) ** _unit(rotation)


def jaw_to_band(jaw: float, nyquist_hz: float = 11025.0) -> tuple[float, float]:
    """Band-pass (low Hz, high Hz) for a jaw opening in [0, 1]."""
    octaves = BAND_OCT_MIN + (BAND_OCT_MAX - BAND_OCT_MIN) * _unit(jaw)
    half = 2.0 ** (octaves / 2.0)
    low = max(BAND_FLOOR_HZ, BAND_CENTRE_HZ / half)
    high = min(float(nyquist_hz), BAND_CENTRE_HZ * half)
    return low, high


def brow_to_entropy(brow: float) -> float:
    """Entropy (0..1) for a brow tension in [0, 1]."""
    return _unit(brow) ** 1.5


def stillness_to_clarity(stillness: float) -> float:
    """Clarity (0..1) for a stillness in [0, 1]."""
    return _unit(stillness) ** 2


def face_to_controls(rotation: float, jaw: float, brow: float, stillness: float,
                     nyquist_hz: float = 11025.0) -> SynthControls:
    """All four curves at once."""
    low, high = jaw_to_band(jaw, nyquist_hz)
    return SynthControls(rotation_to_speed(rotation), low, high, brow_to_entropy(brow),
                         stillness_to_clarity(stillness))


def generator_inputs(clarity: float, entropy: float) -> tuple[float, float]:
    """(truncation psi, generator noise strength) for clarity and entropy in [0, 1].

    Clarity pulls the latent toward the mean (psi from 1 down to
    ``TRUNCATION_AT_FULL_CLARITY``) and halves the per-pixel noise; entropy doubles it on top.
    The default clarity 0.5 gives psi 0.7, the usual StyleGAN truncation.
    """
    c, e = _unit(clarity), _unit(entropy)
    psi = 1.0 - (1.0 - TRUNCATION_AT_FULL_CLARITY) * c
    noise = (1.0 - 0.5 * c) * (1.0 + e)
    return psi, noise


def entropy_jitter_scale(entropy: float) -> float:
    """Std of the latent perturbation added per generator pass at this entropy (0..1)."""
    return LATENT_JITTER_AT_FULL_ENTROPY * _unit(entropy)


def apply_face(controls, face, nyquist_hz: float = 11025.0):
    """``controls`` (a dataclass with speed, band_low, band_high, entropy, clarity) with those
    fields driven by ``face``'s energy states (rotation, jaw, brow, stillness)."""
    m = face_to_controls(face.rotation, face.jaw, face.brow, face.stillness, nyquist_hz)
    return replace(controls, speed=m.speed, band_low=m.band_low, band_high=m.band_high,
                   entropy=m.entropy, clarity=m.clarity)
