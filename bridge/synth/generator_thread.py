"""The generator thread: :class:`engine.synth.planner.LatentGenerator` on the wall clock, the
newest spectrogram into a :class:`bridge.mailbox.Mailbox` for the voice thread.

With a conditioned generator it also makes the played notes' own images (a low cello note gets
a low cello's timbre): note-on requests (:meth:`SynthState.request_note`, on arrival) come
first, before the next drone pass; after every drone pass the images of up to
``REFRESH_PER_PASS`` recently played notes are remade from the new latent, so sustained notes
follow the drone's timbre.  Results go to ``note_images`` (a deque of (note, image)), which
the voice thread drains into its note engine.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from bridge.mailbox import Mailbox
from engine.synth.planner import JITTER_HZ, LatentGenerator

log = logging.getLogger("latent_resonance.synth.generator")

#: note images remade after each drone pass, at most, and how long (s) a played note is kept
#: up to date after its note-on
REFRESH_PER_PASS = 2
NOTE_KEEP_S = 8.0
#: note images waiting for the voice thread, at most (the oldest give way)
NOTE_IMAGES_MAX = 64


class GeneratorThread:
    """Runs :class:`LatentGenerator` on the wall clock and posts images to ``mailbox``.

    Sleeps on the state's Condition until something changes (or a glide/jitter tick is due),
    so an idle synth costs no generator time.
    """

    def __init__(self, gen: LatentGenerator, mailbox: Mailbox):
        self.gen, self.mailbox = gen, mailbox
        #: (note, image) for the voice thread's note engine (conditioned generators only)
        self.note_images: deque = deque(maxlen=NOTE_IMAGES_MAX)
        self._played: dict[float, tuple[float, float]] = {}  # note -> (velocity, note-on time)
        self._refresh_at = 0  # round-robin position among the played notes
        self.note_passes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="generator", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _note_pass(self, note: float, velocity: float, now: float) -> None:
        job = self.gen.note_job(note, velocity, now)
        if job is not None:
            self.note_images.append((note, self.gen.run(job)))
            self.note_passes += 1

    def _serve_notes(self, now: float, drone_pass: bool) -> None:
        """Requested note images first; after a drone pass, refresh a few played ones."""
        gen = self.gen
        if gen.labels is None:
            gen.state.take_note_requests()  # an unconditioned generator: the drone's image
            return
        for note, velocity in gen.state.take_note_requests():
            self._played[note] = (velocity, now)
            self._note_pass(note, velocity, now)
        if not drone_pass:
            return
        for note in [n for n, (_, t) in self._played.items() if now - t > NOTE_KEEP_S]:
            del self._played[note]
        notes = sorted(self._played)
        for k in range(min(REFRESH_PER_PASS, len(notes))):
            note = notes[(self._refresh_at + k) % len(notes)]
            self._note_pass(note, self._played[note][0], now)
        self._refresh_at += REFRESH_PER_PASS

    def _serve_notes_safely(self, drone_pass: bool) -> None:
        try:
            self._serve_notes(time.monotonic(), drone_pass)
        except RuntimeError as exc:  # the child process was restarted or is not running
            log.debug("note image skipped: %s", exc)
        except Exception:  # noqa: BLE001 - a generator failure must not kill the daemon
            log.exception("note image failed; the note keeps the drone's image")

    def _run(self) -> None:
        state = self.gen.state
        while not self._stop.is_set():
            with state.changed:
                serial = state.change_serial
            self._serve_notes_safely(drone_pass=False)
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
                self._serve_notes_safely(drone_pass=True)
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
