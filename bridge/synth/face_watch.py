"""The face engine falling silent: when no face message has come for :data:`SILENCE_S`, the synth
treats the face as lost and glides the face values (and through the mapping, the controls) to
neutral, as the face engine itself does when it loses a face.  Without it, a face engine that
exits or crashes mid-gesture would leave the synth on its last frame for good.
"""

from __future__ import annotations

import logging
import threading
import time

from engine.face.tracker import TrackerConfig

log = logging.getLogger("latent_resonance.synth")

#: seconds without a face message after which the face counts as lost (the face engine sends a
#: bundle every frame, and at >= 1 Hz while the face is lost, so 0.5 s is many frames)
SILENCE_S = 0.5
#: time constant of the glide to neutral: the face engine's own default (``--lost-glide``)
GLIDE_S = TrackerConfig.lost_glide_s
TICK_S = 1.0 / 30


class FaceWatch:
    """A thread that steps :meth:`bridge.synth.state.SynthState.release_face` while the face
    engine is silent."""

    def __init__(self, state, silence_s: float = SILENCE_S, glide_s: float = GLIDE_S):
        self.state, self.silence_s, self.glide_s = state, silence_s, glide_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="face-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)

    def _run(self) -> None:
        releasing, last = False, time.monotonic()
        while not self._stop.wait(TICK_S):
            now = time.monotonic()
            dt, last = now - last, now
            silent = self.state.face_silence()
            if silent is None or silent < self.silence_s:
                releasing = False
                continue
            if self.state.release_face(dt, self.glide_s) and not releasing:
                log.info("no face messages for %.1f s: face lost, gliding to neutral",
                         self.silence_s)
                releasing = True
