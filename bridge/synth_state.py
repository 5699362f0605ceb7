"""The synth daemon's shared state: controls, face values and the latent target.

One lock guards everything; every method holds it only for a few assignments, so the OSC
thread, the generator thread and the voice thread never wait on each other for long.  (The JACK
process callback never touches this object.)  Values arrive already validated
(:mod:`bridge.osc_server`); this module only stores them and applies the face mapping.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

import numpy as np

from bridge.address_table import address
from engine.synth import mapping


def _default(path: str) -> tuple:
    return address(path, "synth").default if not path.startswith("/lr/face/") else address(path).default


@dataclass(frozen=True)
class Controls:
    """A snapshot of the controls: speed (x), band (Hz), entropy/clarity (0..1), gain (dB)."""

    speed: float = _default("/lr/synth/speed")[0]
    band_low: float = _default("/lr/synth/band")[0]
    band_high: float = _default("/lr/synth/band")[1]
    entropy: float = _default("/lr/synth/entropy")[0]
    clarity: float = _default("/lr/synth/clarity")[0]
    gain_db: float = _default("/lr/synth/gain")[0]
    mapping: int = _default("/lr/synth/mapping")[0]
    glide_s: float = _default("/lr/latent/glide")[0]


@dataclass(frozen=True)
class Face:
    """The newest face values received over ``/lr/face/*`` (energy states 0..1, pose in deg)."""

    found: int = 0
    rotation: float = 0.0
    jaw: float = 0.0
    brow: float = 0.0
    stillness: float = 1.0
    pose: tuple = (0.0, 0.0, 0.0)
    yaw_velocity: float = 0.0


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
        self._face = Face()
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

    def face(self) -> Face:
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
        return {
            "/lr/latent": tuple(float(v) for v in z),
            "/lr/synth/speed": (c.speed,), "/lr/synth/band": (c.band_low, c.band_high),
            "/lr/synth/entropy": (c.entropy,), "/lr/synth/clarity": (c.clarity,),
            "/lr/synth/gain": (c.gain_db,), "/lr/synth/mapping": (c.mapping,),
            "/lr/latent/glide": (c.glide_s,),
            "/lr/face/found": (f.found,), "/lr/face/rotation": (f.rotation,),
            "/lr/face/jaw": (f.jaw,), "/lr/face/brow": (f.brow,),
            "/lr/face/stillness": (f.stillness,),
            "/lr/face/energy": (f.rotation, f.jaw, f.brow, f.stillness),
            "/lr/face/pose": tuple(f.pose), "/lr/face/yaw_velocity": (f.yaw_velocity,),
        }

    # --- writing ------------------------------------------------------------------------
    def _set_controls(self, gen: bool = False, **kw) -> None:
        with self._lock:
            self._controls = replace(self._controls, **kw)
            if gen:
                self._notify()

    def set_speed(self, x: float) -> None:
        self._set_controls(speed=x)

    def set_band(self, low: float, high: float) -> None:
        self._set_controls(band_low=low, band_high=high)

    def set_entropy(self, x: float) -> None:
        self._set_controls(gen=True, entropy=x)

    def set_clarity(self, x: float) -> None:
        self._set_controls(gen=True, clarity=x)

    def set_gain(self, db: float) -> None:
        self._set_controls(gain_db=db)

    def set_mapping(self, on: int) -> None:
        self._set_controls(mapping=int(on))

    def set_glide(self, seconds: float) -> None:
        self._set_controls(gen=True, glide_s=seconds)

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
        """Store face values; when the mapping is on, drive the synth controls from them."""
        with self._lock:
            self._face = f = replace(self._face, **kw)
            if not self._controls.mapping:
                return
            if not ({"rotation", "jaw", "brow", "stillness"} & kw.keys()):
                return
            m = mapping.face_to_controls(f.rotation, f.jaw, f.brow, f.stillness, self.nyquist_hz)
            old = self._controls
            self._controls = replace(old, speed=m.speed, band_low=m.band_low,
                                     band_high=m.band_high, entropy=m.entropy, clarity=m.clarity)
            if abs(old.entropy - m.entropy) > 1e-6 or abs(old.clarity - m.clarity) > 1e-6:
                self._notify()
