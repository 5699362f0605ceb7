"""The face engine's run loop: source -> FaceTracker -> OSC / MIDI / recording.

One thread runs the loop (capture has its own thread in ``bridge.face.camera``).  SIGINT/SIGTERM
end the run cleanly: the source stops, ports close, the recording is flushed.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from engine.face.controls import FaceControls

log = logging.getLogger("latent_resonance.face")


@dataclass
class RunStats:
    """What a run did: frames out, frames with a face, stream seconds, and the capture->send
    latency (ms) of the last 10 000 frames."""

    frames: int = 0
    found: int = 0
    seconds: float = 0.0
    latency_ms: deque = field(default_factory=lambda: deque(maxlen=10_000))

    def summary(self) -> str:
        s = f"{self.frames} frames, face found in {self.found}"
        if self.latency_ms:
            lat = np.array(self.latency_ms)
            s += (f", capture->send latency p50 {np.percentile(lat, 50):.1f} ms, "
                  f"p95 {np.percentile(lat, 95):.1f} ms")
        return s


class FaceDaemon:
    """Wires a source to the outputs.

    ``source``: a ``bridge.face.camera`` source (frames) or a list of recorded FaceControls;
    ``tracker``: a FaceTracker for frame sources; ``osc``: an OscOut (``send(controls,
    timetag)``) or None; ``midi``: a MidiOut (``send(controls)``) or None; ``recorder``: a
    RecordingWriter or None;
    ``printer``: a text stream to print one JSON line per frame to, or None.
    """

    def __init__(self, source, tracker=None, osc=None, midi=None, recorder=None,
                 duration: float | None = None, fast: bool = False, printer=None):
        self.source, self.tracker = source, tracker
        self.osc, self.midi, self.recorder = osc, midi, recorder
        self.duration, self.fast, self.printer = duration, fast, printer
        self.stop_event = threading.Event()
        self.stats = RunStats()
        self._last: FaceControls | None = None  # the last frame sent

    def stop(self, *_args) -> None:
        self.stop_event.set()

    def _emit(self, c: FaceControls, wall: float) -> None:
        if self.osc is not None:
            self.osc.send(c, wall)
        if self.midi is not None:
            self.midi.send(c)
        sent = time.time()
        if self.recorder is not None:
            self.recorder.write(c)
        if self.printer is not None:
            from bridge.face.recording import format_line

            print(format_line(c), file=self.printer, flush=False)
        self._last = c
        st = self.stats
        st.frames += 1
        st.found += c.found
        st.seconds = c.t
        st.latency_ms.append((sent - wall) * 1000.0)

    def _frames(self):
        self.tracker.warm_up()  # before the source starts its clock
        for frame in self.source:
            if self.stop_event.is_set():
                return
            if self.duration is not None and frame.t >= self.duration:
                return
            if frame.image is None:
                c = self.tracker.process_landmarks(None, frame.t)
            else:
                c = self.tracker.process(frame.image, frame.t)
            self._emit(c, frame.wall)

    def _replay(self):
        frames = self.source
        t0 = frames[0].t if frames else 0.0
        start = time.monotonic()
        for c in frames:
            rel = c.t - t0
            if self.stop_event.is_set() or (self.duration is not None and rel >= self.duration):
                return
            if not self.fast:  # play at the recording's own times
                delay = start + rel - time.monotonic()
                if delay > 0 and self.stop_event.wait(delay):
                    return
            self._emit(c, time.time())  # timetag: when the frame is "captured" again

    def run(self) -> RunStats:
        """Run until the source ends, ``duration`` stream seconds pass, or a signal arrives."""
        handlers = {}
        if threading.current_thread() is threading.main_thread():
            # SIGHUP too: a closed terminal or ssh session ends the run with the recording
            # flushed, like Ctrl-C and SIGTERM
            for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
                if sig is None:
                    continue
                handlers[sig] = signal.signal(sig, self.stop)
        try:
            if isinstance(self.source, list):
                self._replay()
            else:
                self._frames()
        finally:
            for sig, h in handlers.items():
                signal.signal(sig, h)
            self.close()
        return self.stats

    def close(self) -> None:
        """Say goodbye (one last bundle with ``found`` 0: the synth then glides to neutral
        instead of holding the last face), stop the source, close ports, flush the recording
        (safe to call twice)."""
        last, self._last = self._last, None
        if last is not None and last.found and self.osc is not None:
            try:
                self.osc.send(replace(last, found=0), time.time())
            except Exception as exc:  # noqa: BLE001 - shutdown must finish
                log.warning("while saying goodbye over OSC: %s", exc)
        for obj in (self.source, self.tracker, self.osc, self.midi, self.recorder):
            close = getattr(obj, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as exc:  # noqa: BLE001 - shutdown must finish
                    log.warning("while closing %s: %s", type(obj).__name__, exc)
        if self.printer is not None:
            self.printer.flush()


def save_calibration(path, calibration) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(calibration.to_dict(), fh, indent=2)
