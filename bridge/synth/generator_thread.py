"""The generator thread: :class:`engine.synth.planner.LatentGenerator` on the wall clock, the
newest spectrogram into a :class:`bridge.mailbox.Mailbox` for the voice thread."""

from __future__ import annotations

import logging
import threading
import time

from bridge.mailbox import Mailbox
from engine.synth.planner import JITTER_HZ, LatentGenerator

log = logging.getLogger("latent_resonance.synth.generator")


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
            idle = 1.0 / JITTER_HZ if state.controls().entropy_total > 0.0 else 1.0
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
