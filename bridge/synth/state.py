"""The synth daemon's shared state: controls, face values and the latent target.

One lock guards everything; every method holds it only for a few assignments, so the OSC
thread, the generator thread and the voice thread never wait on each other for long.  (The JACK
process callback never touches this object.)  Values arrive already validated
(:mod:`bridge.osc.server`); this module only stores them and applies the face mapping.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from bridge.address_table import FACE_ADDRESSES, FIELD_DEFAULTS, SYNTH_ADDRESSES
from engine.face.controls import ENERGY_FIELDS, FaceControls, toward_neutral
from engine.synth import mapping
from engine.synth.glide import slerp
from engine.synth.timbre_map import TimbreMap, face_position

_D = FIELD_DEFAULTS
#: control fields a generator pass depends on: a change wakes the generator
GENERATOR_FIELDS = frozenset({"entropy", "clarity", "glide_s", "mod_entropy"})
#: face fields that place the latent on the timbre map
MAP_FIELDS = ("found", "yaw", "pitch", "jaw")
#: the map position must move this far (map units, range -1..1) to move the latent
MAP_EPS = 0.004


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
    bend: float = _D["bend"]
    attack: float = _D["attack"]
    decay: float = _D["decay"]
    sustain: float = _D["sustain"]
    release: float = _D["release"]
    voices: int = _D["voices"]
    drone: int = _D["drone"]
    width: float = _D["width"]
    map_amount: float = _D["map_amount"]
    #: the mod wheel's share of the entropy (MIDI CC 1), added to ``entropy``
    mod_entropy: float = 0.0

    @property
    def entropy_total(self) -> float:
        """The entropy the generator uses: the face's (or OSC's) plus the mod wheel's."""
        return min(1.0, self.entropy + self.mod_entropy)

    @property
    def envelope(self) -> tuple[float, float, float, float]:
        return (self.attack, self.decay, self.sustain, self.release)


#: note images a conditioned generator has yet to make, at most (older requests give way)
NOTE_REQUESTS = 16


@dataclass
class LatentTarget:
    """The latent target, named-direction amounts and the instrument family a conditioned
    generator is asked for (None: its default); ``version`` bumps on every change."""

    z: np.ndarray
    directions: dict = field(default_factory=dict)
    version: int = 0
    family: str | None = None


class SynthState:
    """Thread-safe store of everything OSC can change.

    ``nyquist_hz`` bounds band edges; ``z0`` fixes the latent length.  ``changed`` is a
    Condition notified on every change that the generator cares about.  ``timbre_map``: the
    face's :class:`engine.synth.timbre_map.TimbreMap` (None: the face never moves the latent).

    Two latents: the *target* that ``/lr/latent`` (and seeds, directions, scenes) set, and the
    one the generator plays, which is the target moved toward the timbre map's latent at the
    face's position by ``map_amount`` (a slerp), while the face mapping is on and a face is
    found; otherwise the target itself.
    """

    def __init__(self, z0: np.ndarray, nyquist_hz: float = 11025.0,
                 timbre_map: TimbreMap | None = None):
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)
        self.nyquist_hz = float(nyquist_hz)
        self._controls = Controls(band_high=min(Controls.band_high, self.nyquist_hz))
        self._face = FaceControls.neutral()
        self._face_t: float | None = None  # monotonic time of the last face message
        z = np.asarray(z0, dtype=np.float32).reshape(-1)
        self.z_dim = int(z.size)
        self._base = LatentTarget(z.copy())  # the target /lr/latent sets
        self._latent = LatentTarget(z.copy())  # what the generator plays
        self.timbre_map = timbre_map
        self._map_pos: np.ndarray | None = None  # the face position the latent was placed at
        #: bumps on every change the generator cares about (latent, clarity, entropy, glide)
        self.change_serial = 0
        #: (note, velocity) of note-ons whose own image a conditioned generator should make
        self._note_requests: deque = deque(maxlen=NOTE_REQUESTS)

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
        """(the latent to play -- do not modify, directions copy, version)."""
        with self._lock:
            t = self._latent
            return t.z, dict(t.directions), t.version

    def family(self) -> str | dict | None:
        """The instrument family the played latent asks for: a name, a {name: weight} blend
        (map anchors that carry families; a None key is the generator's default) or None (the
        generator's default)."""
        with self._lock:
            return self._latent.family

    def request_note(self, note: float, velocity: float) -> None:
        """A note-on arrived: its own image is wanted (a conditioned generator makes it for the
        note and velocity; the generator thread is woken)."""
        with self._lock:
            self._note_requests.append((float(note), float(velocity)))
            self._notify()

    def take_note_requests(self) -> list[tuple[float, float]]:
        """The pending note requests, oldest first (and forget them)."""
        with self._lock:
            out = list(self._note_requests)
            self._note_requests.clear()
            return out

    def values(self) -> dict[str, tuple]:
        """Current value of every settable address, for OSCQuery and ``/lr/state``."""
        with self._lock:
            c, f, z = self._controls, self._face, self._base.z
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
            if {"map_amount", "mapping"} & kw.keys():
                self._place(force=True)

    def set_glide(self, seconds: float) -> None:
        self.set_controls(glide_s=seconds)

    def set_latent(self, z: np.ndarray, directions: dict | None = None) -> None:
        """A new latent target (and, when given, named-direction amounts)."""
        z = np.asarray(z, dtype=np.float32).reshape(-1).copy()
        with self._lock:
            t = self._base
            d = t.directions if directions is None else dict(directions)
            self._set_base(LatentTarget(z, d, t.version + 1, t.family))

    def set_family(self, name: str | None) -> None:
        """Ask a conditioned generator for instrument family ``name`` (already checked against
        the checkpoint's families); the sound glides there over the glide time."""
        with self._lock:
            t = self._base
            self._set_base(LatentTarget(t.z, t.directions, t.version + 1, name))

    def set_latent_dim(self, index: int, value: float) -> None:
        with self._lock:
            t = self._base
            z = t.z.copy()
            z[index] = value
            self._set_base(LatentTarget(z, t.directions, t.version + 1, t.family))

    def set_direction(self, name: str, amount: float) -> None:
        with self._lock:
            t = self._base
            d = dict(t.directions)
            if amount == 0.0:
                d.pop(name, None)
            else:
                d[name] = amount
            self._set_base(LatentTarget(t.z, d, t.version + 1, t.family))

    def target(self) -> tuple[np.ndarray, dict]:
        """The latent target (as set by /lr/latent, before the face map) and directions."""
        with self._lock:
            return self._base.z, dict(self._base.directions)

    # --- the timbre map ---------------------------------------------------------------------
    def map_anchor(self, family: str | None = None) -> np.ndarray:
        """Learn: the latent target, and ``family`` (default: the target's, set by
        /lr/latent/timbre), belong at the face's current map position (returned)."""
        with self._lock:
            if self.timbre_map is None:
                raise ValueError("this synth has no timbre map")
            f = self._face
            pos = face_position(f.yaw, f.pitch, f.jaw)
            self.timbre_map.learn(pos, self._base.z,
                                  self._base.family if family is None else family)
            self._place(force=True)
            return pos

    def map_clear(self) -> None:
        with self._lock:
            if self.timbre_map is not None:
                self.timbre_map.clear()
                self._place(force=True)

    def _set_base(self, t: LatentTarget) -> None:
        """Call with the lock held: a new target; the played latent follows."""
        self._base = t
        self._place(force=True)

    def _place(self, force: bool = False) -> None:
        """Call with the lock held: the played latent from the target and the face's map
        position; a new version only when it moved (or ``force``)."""
        c, f = self._controls, self._face
        amount = c.map_amount if (c.mapping and f.found and self.timbre_map is not None) else 0.0
        base = self._base
        if amount <= 0.0:
            pos, z, family = None, base.z, base.family
            if not force and self._map_pos is None:
                return
        else:
            pos = face_position(f.yaw, f.pitch, f.jaw)
            if (not force and self._map_pos is not None
                    and float(np.max(np.abs(pos - self._map_pos))) < MAP_EPS):
                return
            z_map, mix = self.timbre_map.blend(pos)
            z = slerp(base.z, z_map, float(amount))
            family = _family_mix(base.family, mix, float(amount))
        self._map_pos = pos
        self._latent = LatentTarget(np.asarray(z, dtype=np.float32), dict(base.directions),
                                    self._latent.version + 1, family)
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
            self._apply_face(g, ENERGY_FIELDS + MAP_FIELDS)
            return True

    def _apply_face(self, f: FaceControls, changed) -> None:
        """Call with the lock held: store ``f``, drive the controls when the mapping is on."""
        self._face = f
        if set(MAP_FIELDS) & set(changed):
            self._place()
        if not self._controls.mapping or not (set(ENERGY_FIELDS) & set(changed)):
            return
        old = self._controls
        self._controls = mapping.apply_face(old, f, self.nyquist_hz)
        if (abs(old.entropy - self._controls.entropy) > 1e-6
                or abs(old.clarity - self._controls.clarity) > 1e-6):
            self._notify()

    # --- scenes ----------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """Everything a scene keeps: latent target, directions, controls, learned anchors."""
        with self._lock:
            c, b = self._controls, self._base
            anchors = self.timbre_map.to_json() if self.timbre_map is not None else []
        controls = {k: v for k, v in asdict(c).items() if k not in SCENE_SKIPS}
        return {"z_dim": self.z_dim, "z": [float(x) for x in b.z],
                "directions": {k: float(v) for k, v in b.directions.items()},
                "family": b.family, "controls": controls, "map_anchors": anchors}

    def restore(self, scene: dict, glide_s: float | None = None) -> None:
        """Apply a :meth:`snapshot` (already checked by :mod:`bridge.synth.scenes`) in one
        step; the latent glides over ``glide_s`` (default: the scene's own glide)."""
        z = np.asarray(scene["z"], dtype=np.float32)
        if z.shape != (self.z_dim,):
            raise ValueError(f"the scene's latent has {z.size} values, this checkpoint "
                             f"{self.z_dim}")
        known = {f.name for f in fields(Controls)} - SCENE_SKIPS
        kw = {k: v for k, v in scene.get("controls", {}).items() if k in known}
        if glide_s is not None:
            kw["glide_s"] = float(glide_s)
        with self._lock:
            if self.timbre_map is not None:
                self.timbre_map.load_json(scene.get("map_anchors", []), self.z_dim)
            self._controls = replace(self._controls, **kw)
            family = scene.get("family")
            self._set_base(LatentTarget(z, dict(scene.get("directions", {})),
                                        self._base.version + 1,
                                        family if isinstance(family, str) else None))


def _family_mix(target: str | None, mix: dict | None, amount: float) -> str | dict | None:
    """The family played at map ``amount``: the target's, blended toward the map's ``mix``
    (whose None key is the target's own family); a single name when one family has it all."""
    if mix is None or amount <= 0.0:
        return target
    out = {target: 1.0 - amount} if amount < 1.0 else {}
    for name, w in mix.items():
        key = target if name is None else name
        out[key] = out.get(key, 0.0) + amount * w
    if len(out) == 1:
        return next(iter(out))
    return out


#: controls a scene leaves alone: the face mapping switch and the mod wheel (a performer's
#: setup and hands, not the sound)
SCENE_SKIPS = frozenset({"mapping", "mod_entropy"})
