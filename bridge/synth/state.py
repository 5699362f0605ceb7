"""The synth daemon's shared state: controls, face values and the latent target.

One lock guards everything; every method holds it only for a few assignments, so the OSC
thread, the generator thread and the voice thread never wait on each other for long.  (The JACK
process callback never touches this object.)  Values arrive already validated
(:mod:`bridge.osc.server`); this module only stores them and applies the face mapping.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from bridge.address_table import FACE_ADDRESSES, FIELD_DEFAULTS, SYNTH_ADDRESSES
from engine.face.controls import ENERGY_FIELDS, FaceControls, toward_neutral
from engine.synth import mapping

_D = FIELD_DEFAULTS
#: control fields a generator pass depends on: a change wakes the generator
GENERATOR_FIELDS = frozenset({"entropy", "clarity", "glide_s"})


@dataclass(frozen=True)
class Controls:
    """A snapshot of the controls: speed (x), band (Hz), entropy/clarity (0..1), gain (dB)."""

    speed: float = _D["speed"]
    band_low: float = _D["band_low"]
    band_high: float = _D["band_high"]
    entropy: float = _D["entropy"]
    clarity: float = _D["clarity"]
    gain_db: float = _D["gain_db"]
    mapping: int = _D["mapping"]
    glide_s: float = _D["glide_s"]


@dataclass
class LatentTarget:
    """The latent target and named-direction amounts; ``version`` bumps on every change."""

    z: np.ndarray
    directions: dict = field(default_factory=dict)
    version: int = 0


class SynthState:
    """Thread-safe store of everything OSC can change.

    ``nyquist_hz`` bounds band edges; ``z_dim`` fixes the latent length.  ``changed`` is a
    Condition notified on every change that the generator cares about.
    """

    def __init__(self, z0: np.ndarray, nyquist_hz: float = 11025.0):
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)
        self.nyquist_hz = float(nyquist_hz)
        self._controls = Controls(band_high=min(Controls.band_high, self.nyquist_hz))
        self._face = FaceControls.neutral()
        self._face_t: float | None = None  # monotonic time of the last face message
        z = np.asarray(z0, dtype=np.float32).reshape(-1)
        self.z_dim = int(z.size)
        self._latent = LatentTarget(z.copy())
        #: bumps on every change the generator cares about (latent, clarity, entropy, glide)
        self.change_serial = 0

    def _notify(self) -> None:
        """Call with the lock held: wake the generator."""
        self.change_serial += 1
        self.changed.notify_all()

    # --- reading ------------------------------------------------------------------------
    def controls(self) -> Controls:
        with self._lock:
            return self._controls

    def face(self) -> FaceControls:
        with self._lock:
            return self._face

    def latent(self) -> tuple[np.ndarray, dict, int]:
        """(target z -- do not modify, directions copy, version)."""
        with self._lock:
            t = self._latent
            return t.z, dict(t.directions), t.version

    def values(self) -> dict[str, tuple]:
        """Current value of every settable address, for OSCQuery and ``/lr/state``."""
        with self._lock:
            c, f, z = self._controls, self._face, self._latent.z
        fields = {**asdict(c), **asdict(f)}
        out = {}
        for a in SYNTH_ADDRESSES + FACE_ADDRESSES:
            if a.types == "f*":
                out[a.path] = tuple(float(v) for v in z)
            elif a.fields:
                out[a.path] = tuple(fields[k] for k in a.fields)
        return out

    # --- writing ------------------------------------------------------------------------
    def set_controls(self, **kw) -> None:
        """Change controls (fields of :class:`Controls`); wakes the generator when it cares."""
        with self._lock:
            self._controls = replace(self._controls, **kw)
            if GENERATOR_FIELDS & kw.keys():
                self._notify()

    def set_glide(self, seconds: float) -> None:
        self.set_controls(glide_s=seconds)

    def set_latent(self, z: np.ndarray) -> None:
        z = np.asarray(z, dtype=np.float32).reshape(-1).copy()
        with self._lock:
            t = self._latent
            self._latent = LatentTarget(z, t.directions, t.version + 1)
            self._notify()

    def set_latent_dim(self, index: int, value: float) -> None:
        with self._lock:
            t = self._latent
            z = t.z.copy()
            z[index] = value
            self._latent = LatentTarget(z, t.directions, t.version + 1)
            self._notify()

    def set_direction(self, name: str, amount: float) -> None:
        with self._lock:
            t = self._latent
            d = dict(t.directions)
            if amount == 0.0:
                d.pop(name, None)
            else:
                d[name] = amount
            self._latent = LatentTarget(t.z, d, t.version + 1)
            self._notify()

    def set_face(self, **kw) -> None:
        """Store face values (fields of :class:`FaceControls`) from a face message; when the
        mapping is on, the energy states drive the synth controls
        (:func:`engine.synth.mapping.face_to_controls`)."""
        with self._lock:
            self._face_t = time.monotonic()
            self._apply_face(replace(self._face, **kw), kw.keys())

    def face_silence(self) -> float | None:
        """Seconds since the last face message (None: none came yet)."""
        with self._lock:
            return None if self._face_t is None else time.monotonic() - self._face_t

    def release_face(self, dt: float, tau: float) -> bool:
        """One step of the face-lost glide (``found`` 0, values toward neutral), for a face
        engine that fell silent; False once the face is neutral (nothing left to do)."""
        with self._lock:
            f = self._face
            rest = FaceControls.neutral(f.t)
            if f == rest:
                return False
            g = toward_neutral(f, f.t, dt, tau)
            if max(abs(getattr(g, k) - getattr(rest, k)) for k in ENERGY_FIELDS) < 1e-3:
                g = rest  # close enough: land on neutral so that the glide ends
            self._apply_face(g, ENERGY_FIELDS)
            return True

    def _apply_face(self, f: FaceControls, changed) -> None:
        """Call with the lock held: store ``f``, drive the controls when the mapping is on."""
        self._face = f
        if not self._controls.mapping or not (set(ENERGY_FIELDS) & set(changed)):
            return
        old = self._controls
        self._controls = mapping.apply_face(old, f, self.nyquist_hz)
        if (abs(old.entropy - self._controls.entropy) > 1e-6
                or abs(old.clarity - self._controls.clarity) > 1e-6):
            self._notify()
