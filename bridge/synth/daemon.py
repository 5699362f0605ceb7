"""The synth daemon: OSC in -> latent glide -> GAN -> streaming voice -> JACK out.

Threads:

* OSC server (:mod:`bridge.osc.server`): validates messages and changes :class:`SynthState`.
* generator (:mod:`bridge.synth.generator_thread`): a GAN pass only when the latent moves, at
  most ``max_rate`` per second, in a child process (:mod:`bridge.synth.generator_process`); the
  newest image goes into a one-slot mailbox.
* voice (:mod:`bridge.synth.voice_runner`): takes the newest image, sets the voice's controls,
  renders one hop at a time, resamples to the JACK rate and keeps the ring at its target fill.
* JACK (:mod:`bridge.jack.audio_out`): the process callback copies from the ring; a supervisor
  reconnects when the server comes and goes.

:mod:`bridge.synth.render` runs the same generator and voice offline on an audio-time clock.
"""

from __future__ import annotations

import gc
import logging
import sys
import time

from bridge.address_table import STATUS
from bridge.jack.audio_out import JackOutput
from bridge.mailbox import Mailbox
from bridge.jack.libjack import jack_running
from bridge.midi.synth_in import MidiInput
from bridge.osc.server import ErrorLog, OscContext, OscServer, apply_message, run_scheduled
from bridge.synth.scenes import SceneStore
from bridge.synth.face_watch import SILENCE_S, FaceWatch
from bridge.synth.generator_process import SWITCH_INTERVAL_S, GeneratorProcess
from bridge.synth.generator_thread import GeneratorThread
from bridge.synth.state import SynthState
from bridge.synth.voice_runner import VoiceRunner
from engine.synth.chain import VoiceSettings, make_voice
from engine.synth.events import EventQueue
from engine.synth.notes import for_codec
from engine.synth.planner import LatentGenerator
from engine.synth.timbre_map import TimbreMap
from engine.synth.queue_target import DEFAULT_CEILING_MS

log = logging.getLogger("latent_resonance.synth")



class SynthDaemon:
    """All threads of the daemon, started by :meth:`start`, stopped by :meth:`close`."""

    def __init__(self, ckpt, codec, *, host="127.0.0.1", osc_port=9000, allow=(),
                 connect=True, seed=0, max_rate=15.0, glide_mode="slerp", buffer_ms=20.0,
                 buffer_max_ms: float = DEFAULT_CEILING_MS,
                 voice: VoiceSettings | None = None, oscquery_port=0, jack_server=None,
                 realtime: bool = True, advertise: bool | None = None,
                 generator: GeneratorProcess | None = None, face_timeout_s: float = SILENCE_S,
                 tuning: float = 440.0, midi: bool = True, midi_channel: int | None = None,
                 bend_range: float = 2.0, midi_map: dict | None = None, midi_map_path=None,
                 scenes_dir=None, map_seed: int = 0, map_families: bool = False):
        self.ckpt, self.codec = ckpt, codec
        self.voice = make_voice(codec, seed, voice)
        self.state = SynthState(ckpt.random_latent(seed), nyquist_hz=self.voice.sample_rate / 2,
                                timbre_map=TimbreMap.for_generator(ckpt, map_seed, map_families))
        self.events = EventQueue()
        self.mailbox = Mailbox()
        # ``generator``: a GeneratorProcess the caller started early (its start-up overlaps ours)
        self.gen_process = generator or GeneratorProcess(ckpt)
        self.gen = LatentGenerator(self.gen_process, self.state, max_rate=max_rate, seed=seed,
                                   glide_mode=glide_mode)
        # first image before any thread starts: the voice always has something to play
        first = self.gen.step(time.monotonic())
        self.voice.set_spectrogram(first)
        self.out = JackOutput(connect=connect, server=jack_server, midi_in=midi)
        self.scenes = SceneStore(scenes_dir, str(ckpt.name))
        self.midi = None
        if midi:
            self.midi = MidiInput(self.events, self.state, recall=self._recall,
                                  channel=midi_channel, bend_range=bend_range, cc_map=midi_map,
                                  map_path=midi_map_path)
            if not jack_running():
                self.midi.open_alsa()
        errors = ErrorLog()
        self.gen_thread = GeneratorThread(self.gen, self.mailbox)
        self.runner = VoiceRunner(
            self.voice, self.state, self.mailbox, self.out, buffer_ms, realtime, buffer_max_ms,
            make_notes=lambda rate: for_codec(codec, rate, tuning), events=self.events,
            call=lambda path, args: run_scheduled(self.ctx, path, args, errors), midi=self.midi,
            image=first, note_images=self.gen_thread.note_images)
        # a silent face engine counts as a lost face after face_timeout_s (0: never)
        self.face_watch = FaceWatch(self.state, face_timeout_s) if face_timeout_s > 0 else None
        ctx = OscContext(self.state, ckpt.random_latent, self.status,
                         frozenset(getattr(ckpt, "directions", {}) or {}),
                         play=self.events.push, frame_at=self.out.frame_at, scenes=self.scenes,
                         timbres=tuple(getattr(ckpt, "families", ()) or ()),
                         midi_learn=self.midi.learn if self.midi is not None else None)
        self.ctx = ctx
        self.osc = OscServer(ctx, host, osc_port, allow)
        self.oscquery = None
        if oscquery_port:
            self.oscquery = _start_oscquery(oscquery_port, self.osc.port, self.values,
                                            host=host, allow=allow, advertise=advertise)

    def _recall(self, name: str) -> None:
        """Recall scene ``name`` (MIDI program change), on the calling thread."""
        reply = apply_message(self.ctx, "/lr/scene/recall", (name,), self.osc.errors)
        if reply is not None:
            log.warning("program change: %s", reply[1])

    def status(self) -> tuple:
        """(z_dim, checkpoint name, sample rate Hz, underruns, latency ms, output, late) for
        ``/lr/status``; output ``connected`` (playing on JACK) or ``waiting-for-jack``; late:
        scheduled events that came due before the block they were meant for."""
        ring = self.out.ring  # read once: the JACK supervisor swaps it on (re)connection
        rate = ring.rate if ring is not None else 0
        ring_ms = self.runner.target_fill(ring) / rate * 1e3 if rate else 0.0
        latency = ring_ms + 1e3 * float(self.voice.latency_samples) / self.voice.sample_rate
        return (int(self.state.z_dim), str(self.ckpt.name), int(rate or self.voice.sample_rate),
                int(self.out.underruns), float(round(latency, 2)),
                "connected" if ring is not None else "waiting-for-jack", int(self.events.late))

    def values(self) -> dict:
        """Every current value for OSCQuery: the state's, and the status reply's."""
        return {**self.state.values(), STATUS: self.status()}

    def start(self) -> None:
        # The JACK callback is Python: it needs the GIL every period (5.3 ms at 256/48k).  The
        # default switch interval lets another thread keep the GIL for 5 ms; 0.5 ms bounds it.
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        # Everything loaded so far (torch, the model, numpy, scipy) lives for the whole run:
        # moving it out of the cyclic collector's reach keeps its full collections -- which
        # stop every thread, the JACK callback included -- short.
        gc.collect()
        gc.freeze()
        self.out.start()
        self.gen_thread.start()
        self.runner.start()
        if self.face_watch is not None:
            self.face_watch.start()

    def close(self) -> None:
        for part in (self.osc, self.oscquery):
            if part is not None:
                try:
                    part.close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    pass
        if self.face_watch is not None:
            self.face_watch.stop()
        self.gen_process.close()  # first: a pass waiting on a hung child ends at once
        self.gen_thread.stop()
        self.runner.stop()
        if self.midi is not None:
            self.midi.close()
        self.out.close()


def _start_oscquery(port: int, osc_port: int, values, host: str = "127.0.0.1", allow=(),
                    advertise: bool | None = None):
    """OSCQuery HTTP server when :mod:`bridge.osc.oscquery` is available; None otherwise."""
    try:
        from bridge.osc.oscquery import start_oscquery
    except ImportError as exc:
        log.info("OSCQuery not available (%s); continuing without it", exc)
        return None
    try:
        return start_oscquery(port, osc_port, values, name="latent-resonance", host=host,
                              allow=allow, advertise=advertise)
    except OSError as exc:
        log.warning("OSCQuery server not started on port %d: %s (use --oscquery-port 0 to "
                    "turn it off)", port, exc.strerror or exc)
        return None
