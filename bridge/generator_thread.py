"""The generator side of the synth: latent glide -> GAN pass -> newest spectrogram.

:class:`LatentGenerator` decides *when* a generator pass is due and runs it; it is clocked by
the caller, so the offline renderer (audio-time clock) and the daemon (wall clock, in
:class:`GeneratorThread`) share it.  A pass runs only when something it depends on moved: the
latent target or a named direction, the glide still under way, clarity/entropy (truncation and
noise), or -- while entropy > 0 -- the latent jitter, which is re-drawn ``JITTER_HZ`` times a
second.  Passes are at most ``max_rate`` per second.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from bridge.synth_state import SynthState
from engine.synth.glide import Glide
from engine.synth.mapping import entropy_jitter_scale, generator_inputs

log = logging.getLogger("latent_resonance.synth.generator")

#: how often the entropy jitter (a smooth random walk in latent space) moves, Hz
JITTER_HZ = 4.0
#: clarity/entropy changes smaller than this do not trigger a new pass
CONTROL_EPS = 0.02


class Mailbox:
    """A one-slot, newest-wins handoff between two threads (no queue build-up)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._item = None
        self._serial = 0

    def put(self, item) -> None:
        with self._lock:
            self._item = item
            self._serial += 1

    def take(self, since: int):
        """(item, serial) if something newer than ``since`` was put, else (None, since)."""
        with self._lock:
            if self._serial == since:
                return None, since
            return self._item, self._serial


class LatentGenerator:
    """Turns the state's latent target into spectrograms, only when needed.

    ``ckpt`` is a loaded checkpoint (``generate(z, truncation, noise, directions)``);
    ``seed`` seeds the entropy jitter so offline renders repeat exactly.
    """

    def __init__(self, ckpt, state: SynthState, max_rate: float = 15.0, seed: int = 0,
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

    def _due(self, now: float) -> bool:
        z, directions, version = self.state.latent()
        c = self.state.controls()
        if version != self._seen_version:
            self._seen_version = version
            self.glide.set_target(z, now, c.glide_s)
            self._directions = directions
            return True
        if self.glide.moving(now) or self._last_inputs is None:
            return True
        if not self._at_target:  # a glide shorter than the pass interval ended between passes
            return True
        if c.entropy > 0.0 and now - self._jitter_t >= 1.0 / JITTER_HZ:
            return True
        le, lc = self._last_inputs
        return abs(c.entropy - le) > CONTROL_EPS or abs(c.clarity - lc) > CONTROL_EPS

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
        scale = entropy_jitter_scale(c.entropy)
        if scale > 0.0:
            if now - self._jitter_t >= 1.0 / JITTER_HZ:
                # Ornstein-Uhlenbeck step: a smooth walk with unit stationary variance
                self._jitter = (0.8 * self._jitter + 0.6 * self._rng.standard_normal(
                    self.state.z_dim)).astype(np.float32)
                self._jitter_t = now
            z = z + scale * self._jitter
        psi, noise = generator_inputs(c.clarity, c.entropy)
        self._last_pass = now
        self._last_inputs = (c.entropy, c.clarity)
        self.passes += 1
        return z, psi, noise, dict(self._directions) or None

    def run(self, job: tuple) -> np.ndarray:
        """The generator pass for a :meth:`plan` (n_mels, frames) float32."""
        z, psi, noise, directions = job
        t0 = time.perf_counter()
        spec = self.ckpt.generate(z, truncation=psi, noise=noise, directions=directions)
        self.last_seconds = time.perf_counter() - t0
        return np.asarray(spec, dtype=np.float32)


class GeneratorThread:
    """Runs :class:`LatentGenerator` on the wall clock and posts images to ``mailbox``.

    Sleeps on the state's Condition until something changes (or a glide/jitter tick is due),
    so an idle synth costs no generator time.
    """

    def __init__(self, gen: LatentGenerator, mailbox: Mailbox):
        self.gen, self.mailbox = gen, mailbox
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="generator", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        state = self.gen.state
        while not self._stop.is_set():
            with state.changed:
                serial = state.change_serial
            now = time.monotonic()
            wait = self.gen.wait_s(now)
            if wait > 0.0:
                self._stop.wait(wait)
                continue
            try:
                spec = self.gen.step(now)
            except RuntimeError as exc:  # the child process was restarted or is not running:
                log.debug("generator pass skipped: %s", exc)  # (it said so itself, once)
                spec = None
                self._stop.wait(0.5)
            except Exception:  # noqa: BLE001 - a generator failure must not kill the daemon
                log.exception("generator pass failed; keeping the previous sound")
                spec = None
                self._stop.wait(0.5)
            if spec is not None:
                self.mailbox.put(spec)
                continue
            idle = 1.0 / JITTER_HZ if state.controls().entropy > 0.0 else 1.0
            if self.gen.glide.moving(time.monotonic()):
                idle = self.gen.min_interval
            with state.changed:
                if state.change_serial == serial and not self._stop.is_set():
                    state.changed.wait(idle)

    def stop(self) -> None:
        self._stop.set()
        with self.gen.state.changed:
            self.gen.state.changed.notify_all()
        self._thread.join(5)
