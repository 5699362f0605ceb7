"""Synthesised harmonic tones: detuned-saw reese bass and sustained partials (pure numpy).

Band-limited by construction (additive synthesis up to Nyquist), so no aliasing; hand-written
because no installed library synthesises these tones.  All functions return float32 mono audio in
[-1, 1] at ``sr`` Hz.
"""

from __future__ import annotations

import numpy as np


def midi_to_hz(note: float) -> float:
    """MIDI note number -> frequency in Hz (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def _envelope(n: int, sr: int, attack_s: float, release_s: float) -> np.ndarray:
    """Linear attack / release envelope of ``n`` samples."""
    env = np.ones(n, np.float64)
    a = max(1, int(attack_s * sr))
    r = max(1, int(release_s * sr))
    env[:a] *= np.linspace(0.0, 1.0, a)
    env[-r:] *= np.linspace(1.0, 0.0, r)
    return env


def _phase(f_inst: np.ndarray, sr: int, phase0: float = 0.0) -> np.ndarray:
    """Running phase (radians) of an instantaneous-frequency track in Hz."""
    return phase0 + 2.0 * np.pi * np.cumsum(f_inst) / sr


def _normalise(x: np.ndarray, peak: float = 0.8) -> np.ndarray:
    m = float(np.max(np.abs(x))) or 1.0
    return (x * (peak / m)).astype(np.float32)


def reese_bass(note: float, duration_s: float, sr: int = 22050, *, voices: int = 3,
               detune_cents: float = 12.0, cutoff_hz: float = 1500.0, drift_hz: float = 0.3,
               rng: np.random.Generator | None = None) -> np.ndarray:
    """Detuned-saw reese bass: ``voices`` band-limited saws spread over ±``detune_cents``,
    a steep (48 dB/octave) spectral roll-off above ``cutoff_hz`` and slow detune drift (Hz)."""
    rng = rng or np.random.default_rng(0)
    n = int(duration_s * sr)
    t = np.arange(n) / sr
    f0 = midi_to_hz(note)
    out = np.zeros(n)
    for v in range(voices):
        cents = detune_cents * (2.0 * v / max(1, voices - 1) - 1.0) if voices > 1 else 0.0
        drift = 1.0 + 0.002 * np.sin(2 * np.pi * drift_hz * t + rng.uniform(0, 2 * np.pi))
        f = f0 * 2.0 ** (cents / 1200.0) * drift
        ph = _phase(f, sr, rng.uniform(0, 2 * np.pi))
        k_max = int((sr / 2) / (f0 * 1.02))
        for k in range(1, k_max + 1):
            fk = k * f0
            amp = (1.0 / k) / np.sqrt(1.0 + (fk / cutoff_hz) ** 8)  # saw 1/k, 48 dB/oct roll-off
            if amp < 3e-4:
                break
            out += amp * np.sin(k * ph)
    out *= _envelope(n, sr, 0.05, 0.2)
    return _normalise(out)


def sustained_partials(note: float, duration_s: float, sr: int = 22050, *, n_partials: int = 24,
                       tilt_db_per_oct: float = -6.0, odd_boost_db: float = 0.0,
                       inharmonicity: float = 0.0, vibrato_hz: float = 5.0,
                       vibrato_cents: float = 15.0, tremolo: float = 0.1,
                       rng: np.random.Generator | None = None) -> np.ndarray:
    """Additive sustained tone: harmonic partials with a spectral tilt (dB/octave), optional odd
    boost (clarinet-like), slight stiffness ``inharmonicity`` (B), vibrato and tremolo."""
    rng = rng or np.random.default_rng(0)
    n = int(duration_s * sr)
    t = np.arange(n) / sr
    f0 = midi_to_hz(note)
    vib = 2.0 ** (vibrato_cents / 1200.0 * np.sin(2 * np.pi * vibrato_hz * t + rng.uniform(0, 6.3)))
    ph = _phase(f0 * vib, sr)
    out = np.zeros(n)
    for k in range(1, n_partials + 1):
        stretch = np.sqrt(1.0 + inharmonicity * k * k)
        if k * f0 * stretch >= sr / 2 * 0.95:
            break
        db = tilt_db_per_oct * np.log2(k) + (odd_boost_db if k % 2 else 0.0) + rng.normal(0, 2.0)
        trem = 1.0 + tremolo * np.sin(2 * np.pi * rng.uniform(0.2, 1.5) * t + rng.uniform(0, 6.3))
        out += 10 ** (db / 20.0) * trem * np.sin(k * stretch * ph + rng.uniform(0, 6.3))
    out *= _envelope(n, sr, 0.08, 0.3)
    return _normalise(out)
