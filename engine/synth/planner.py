"""The latent planner: latent glide -> when a generator pass is due, and its inputs.

:class:`LatentGenerator` decides *when* a generator pass is due and runs it; it is clocked by
the caller, so the offline renderer (audio-time clock) and the daemon (wall clock, in
:class:`bridge.synth.generator_thread.GeneratorThread`) share it.  A pass runs only when
something it depends on moved: the latent target or a named direction, the glide still under
way, clarity/entropy (truncation and noise), or -- while entropy > 0 -- the latent jitter, which
is re-drawn ``JITTER_HZ`` times a second.  Passes are at most ``max_rate`` per second.

A conditioned generator (pitch, family, velocity: :mod:`engine.gan.labels`) is asked for the
state's family (one name, or the timbre map's blend of its anchors' families) -- a change
glides the family weights linearly over the glide time, as the latent glides -- at the drone's
default pitch; :meth:`LatentGenerator.note_job` asks it for one
played note's own image (the note's pitch and velocity, the drone's latent and family now).
"""

from __future__ import annotations

import time

import numpy as np

from engine.synth.glide import Glide
from engine.synth.mapping import entropy_jitter_scale, generator_inputs

#: how often the entropy jitter (a smooth random walk in latent space) moves, Hz
JITTER_HZ = 4.0
#: clarity/entropy changes smaller than this do not trigger a new pass
CONTROL_EPS = 0.02


def _entropy(c) -> float:
    """The entropy a controls snapshot asks for (``entropy_total`` where it has one: the
    face's entropy plus the mod wheel's)."""
    return getattr(c, "entropy_total", c.entropy)


class LatentGenerator:
    """Turns the state's latent target into spectrograms, only when needed.

    ``ckpt`` is a loaded generator (``generate(z, truncation, noise, directions)``);
    ``state`` gives ``latent()`` (z, directions, version) and ``controls()`` (a snapshot with
    ``glide_s``, ``entropy``, ``clarity``), e.g. :class:`bridge.synth.state.SynthState`;
    ``seed`` seeds the entropy jitter so offline renders repeat exactly.
    """

    def __init__(self, ckpt, state, max_rate: float = 15.0, seed: int = 0,
                 glide_mode: str = "slerp"):
        self.ckpt, self.state = ckpt, state
        self.min_interval = 1.0 / max(0.1, float(max_rate))
        z, _, _ = state.latent()
        self.glide = Glide(z, glide_mode)
        self._rng = np.random.default_rng(seed)
        self._jitter = np.zeros(state.z_dim, dtype=np.float32)
        self._jitter_t = -1e9
        self._seen_version = None
        self._directions: dict = {}
        self._last_pass = -1e9
        self._last_inputs = None
        self._at_target = True  # the last pass rendered the glide's end point
        self.passes = 0
        self.last_seconds = 0.0  # duration of the last generator pass (wall clock)
        # a conditioned generator: its label space, the family glide (weights, from -> to)
        self.labels = getattr(ckpt, "labels", None)
        self._fam_from = self._fam_to = None
        self._fam_t0, self._fam_s = 0.0, 0.0
        self._last_job = None  # inputs of the last drone pass (what a note image starts from)
        self._family_name = None

    # ---------------------------------------------------------------- family (conditioned)
    def _family_weights(self, family) -> np.ndarray:
        """Weights for the state's family: a name, a {name: weight} blend (the timbre map's)
        or None; None and names the generator does not know stand for its default family."""
        space = self.labels

        def known(name):
            return name if name in space.families else space.default_family

        if isinstance(family, dict):  # None and the default family may both be keys
            return space.family_weights(sum(w * space.family_weights(known(name))
                                            for name, w in family.items()))
        return space.family_weights(known(family))

    def _set_family(self, name, now: float, glide_s: float) -> None:
        to = self._family_weights(name)
        self._fam_from = self.family_now(now) if self._fam_to is not None else to
        self._fam_to, self._fam_t0, self._fam_s = to, now, max(0.0, float(glide_s))

    def family_now(self, now: float) -> np.ndarray | None:
        """The family weights the generator is asked for at ``now`` (None: unconditioned)."""
        if self._fam_to is None:
            return None
        if self._fam_s <= 0.0 or now >= self._fam_t0 + self._fam_s:
            return self._fam_to
        a = (now - self._fam_t0) / self._fam_s
        return (1.0 - a) * self._fam_from + a * self._fam_to

    def _family_moving(self, now: float) -> bool:
        return self._fam_to is not None and now < self._fam_t0 + self._fam_s

    def _c(self, now: float, note: float | None = None, velocity: float | None = None):
        if self.labels is None:
            return None
        return self.ckpt.condition(note, self.family_now(now), velocity)

    def _due(self, now: float) -> bool:
        z, directions, version = self.state.latent()
        c = self.state.controls()
        if version != self._seen_version:
            self._seen_version = version
            self.glide.set_target(z, now, c.glide_s)
            self._directions = directions
            if self.labels is not None:
                family = self.state.family()
                if self._fam_to is None or family != self._family_name:
                    self._set_family(family, now, c.glide_s if self._fam_to is not None else 0)
                self._family_name = family
            return True
        if self.glide.moving(now) or self._family_moving(now) or self._last_inputs is None:
            return True
        if not self._at_target:  # a glide shorter than the pass interval ended between passes
            return True
        if _entropy(c) > 0.0 and now - self._jitter_t >= 1.0 / JITTER_HZ:
            return True
        le, lc = self._last_inputs
        return abs(_entropy(c) - le) > CONTROL_EPS or abs(c.clarity - lc) > CONTROL_EPS

    def wait_s(self, now: float) -> float:
        """Seconds until a pass may run (0 when allowed now)."""
        return max(0.0, self._last_pass + self.min_interval - now)

    def step(self, now: float) -> np.ndarray | None:
        """Run a generator pass if one is due and allowed at ``now`` (seconds); the image or None."""
        job = self.plan(now)
        return None if job is None else self.run(job)

    def plan(self, now: float) -> tuple | None:
        """Decide whether a pass is due at ``now`` and snapshot its inputs (cheap; reads the
        state).  ``run(plan)`` then does the heavy part, on any thread."""
        if self.wait_s(now) > 0.0 or not self._due(now):
            return None
        c = self.state.controls()
        z = self.glide.position(now)
        self._at_target = not self.glide.moving(now)
        scale = entropy_jitter_scale(_entropy(c))
        if scale > 0.0:
            if now - self._jitter_t >= 1.0 / JITTER_HZ:
                # Ornstein-Uhlenbeck step: a smooth walk with unit stationary variance
                self._jitter = (0.8 * self._jitter + 0.6 * self._rng.standard_normal(
                    self.state.z_dim)).astype(np.float32)
                self._jitter_t = now
            z = z + scale * self._jitter
        psi, noise = generator_inputs(c.clarity, _entropy(c))
        self._last_pass = now
        self._last_inputs = (_entropy(c), c.clarity)
        self.passes += 1
        self._last_job = (z, psi, noise, dict(self._directions) or None, self._c(now))
        return self._last_job

    def note_job(self, note: float, velocity: float, now: float) -> tuple | None:
        """The inputs of ``note``'s own image at ``velocity`` (the last drone pass's latent,
        clarity and entropy; the family now); None for an unconditioned generator or before
        the first pass."""
        if self.labels is None or self._last_job is None:
            return None
        z, psi, noise, directions, _ = self._last_job
        return z, psi, noise, directions, self._c(now, note, velocity)

    def run(self, job: tuple) -> np.ndarray:
        """The generator pass for a :meth:`plan` or :meth:`note_job` (n_mels, frames) float32."""
        z, psi, noise, directions, c = job
        t0 = time.perf_counter()
        kw = {} if c is None else {"c": c}
        spec = self.ckpt.generate(z, truncation=psi, noise=noise, directions=directions, **kw)
        self.last_seconds = time.perf_counter() - t0
        return np.asarray(spec, dtype=np.float32)
