"""The voice thread: the newest image -> voice hops -> soxr -> + note voices -> the JACK ring.

It reconnects with the JACK output (a new ring: new rate, fresh resampler and output stage),
follows JACK's realtime priority, keeps the adaptive queue target, converts new images block by
block while the ring allows and applies control changes.  Each block it writes knows the JACK
frame it will play at (:meth:`bridge.jack.audio_out.RingBuffer.frame_of`), so queued note events
start at their sample and scheduled messages apply at the block holding their time.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import soxr

from bridge.jack.audio_out import JackOutput
from bridge.jack.rt_priority import make_thread_normal, make_thread_realtime, thread_policy
from bridge.mailbox import Mailbox
from bridge.synth.state import SynthState
from engine.synth.events import EventQueue, split_due
from engine.synth.queue_target import QueueTarget
from engine.synth.stereo import StereoMix

log = logging.getLogger("latent_resonance.synth")

#: longest the voice thread works without sleeping (s): at realtime priority a machine too
#: slow to keep the ring filled must not lose a core to it for good
MAX_BUSY_S = 0.05

#: voice-loop iterations (about one JACK period each) a new image may wait for the ring to
#: hold half its target before it is converted and set anyway
INCOMING_MAX_WAIT = 4

#: a JACK MIDI event plays the ring's target fill plus this many periods after its frame: the
#: callback hands it over up to a period late and the voice thread wakes up to one later, and
#: an event whose block was already written would lose its place in time
MIDI_MARGIN_PERIODS = 2


class VoiceRunner:
    """Voice thread: newest image -> voice hops -> soxr -> the JACK ring at its target fill.

    ``buffer_ms``: audio kept queued ahead of JACK, on top of one JACK period (the main
    latency/safety trade-off); ``buffer_max_ms``: how far the queue may grow after stalls
    (:class:`engine.synth.queue_target.QueueTarget`; equal to ``buffer_ms``: fixed).
    ``realtime``: while the JACK server runs realtime, the thread runs at SCHED_FIFO one step
    below JACK's process thread (:mod:`bridge.jack.rt_priority`); when the system refuses, it runs
    at normal priority and says why once.  ``scheduling`` names what it runs at
    (e.g. ``"SCHED_FIFO 4"``).
    """

    def __init__(self, voice, state: SynthState, mailbox: Mailbox, out: JackOutput,
                 buffer_ms: float, realtime: bool = True, buffer_max_ms: float | None = None,
                 make_notes=None, events: EventQueue | None = None, call=None, midi=None,
                 image=None, note_images=None):
        self.voice, self.state, self.mailbox, self.out = voice, state, mailbox, out
        #: ``make_notes(rate)`` -> a NoteEngine at the JACK rate (None: no notes);
        #: ``events``: the queue of note events and scheduled messages on JACK's frame clock;
        #: ``call(path, args)`` applies a scheduled message; ``midi``: a
        #: :class:`bridge.midi.synth_in.MidiInput` fed with the JACK port's events
        self.make_notes, self.events, self.call, self.midi = make_notes, events, call, midi
        #: a deque of (note, image): notes' own images from a conditioned generator
        self.note_images = note_images
        self.notes = None
        self._image = image  # the newest image (a new note engine starts from it)
        self.queue = QueueTarget(buffer_ms, buffer_ms if buffer_max_ms is None
                                 else max(buffer_ms, buffer_max_ms))
        self.realtime = bool(realtime)
        self.scheduling = ""
        self._refused = False  # the system said no to realtime once (told the user)
        self.hops = 0
        self.busy_s = 0.0  # time spent rendering hops (for the bench)
        self.images = 0  # spectrograms handed to the voice
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voice", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    @property
    def buffer_ms(self) -> float:
        """Audio queued ahead of JACK now, on top of one period (ms)."""
        return self.queue.ms

    def target_fill(self, ring) -> int:
        return min(int(self.queue.ms * 1e-3 * ring.rate) + self.out.blocksize, ring.capacity)

    def _follow_jack(self, jack_priority: int) -> None:
        """Realtime one step below JACK's process thread while that one is realtime (and
        ``realtime`` is on), normal scheduling otherwise; on the voice thread."""
        want = jack_priority - 1 if self.realtime else 0
        why = make_thread_realtime(want) if want >= 1 else None
        if why and not self._refused:
            log.warning("voice thread runs at normal priority, realtime priority %d %s",
                        want, why)
            self._refused = True
        if want < 1 or why:  # also undoes a realtime priority an earlier server called for
            make_thread_normal()
        self.scheduling = thread_policy()
        log.info("voice thread: %s (JACK process thread: %s)", self.scheduling,
                 f"realtime, priority {jack_priority}" if jack_priority else "not realtime")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._loop()
            except Exception:  # noqa: BLE001 - the voice must keep going whatever happens
                log.exception("voice thread error; restarting the voice loop")
                self._stop.wait(0.2)

    def _loop(self) -> None:
        ring = resampler = mixer = None
        pending = np.zeros(0, dtype=np.float32)  # resampled voice audio not yet staged
        serial, last_c = 0, None
        incoming, waited = None, 0  # a new image being converted before it is set; iterations
        rested = time.perf_counter()  # when the thread last slept
        followed = None  # JACK process-thread priority the scheduling was last set for
        underruns = 0  # the ring's underrun count last seen
        sr = self.voice.sample_rate
        while not self._stop.is_set():
            r = self.out.ring
            if r is None:
                ring = None
                self._stop.wait(0.05)
                continue
            jack_priority = self.out.process_priority
            if jack_priority is not None and jack_priority != followed:
                followed = jack_priority
                self._follow_jack(jack_priority)
            if r is not ring:  # (re)connected: new rate, fresh resampler and output stage
                ring = r
                resampler = (soxr.ResampleStream(sr, ring.rate, 1, dtype="float32",
                                                 quality="HQ") if ring.rate != sr else None)
                mixer, last_c = StereoMix(ring.rate), None
                if self.make_notes is not None and (self.notes is None
                                                    or self.notes.sr != ring.rate):
                    self.notes = self.make_notes(ring.rate)
                    if self._image is not None:
                        self.notes.set_image(self._image)
                pending = np.zeros(0, dtype=np.float32)
                underruns = ring.underruns
            block = max(64, self.out.blocksize)  # (JACK may change its period at run time)
            fill = ring.fill
            t0 = time.perf_counter()
            if ring.primed:  # a stall that (almost) ran the ring dry raises the target
                if ring.underruns != underruns:
                    underruns = ring.underruns
                    self.queue.underrun(t0)
                self.queue.observe(1e3 * (fill - self.out.blocksize) / ring.rate, t0)
            target = self.target_fill(ring)  # (the queue's target moves: never keep a copy)
            if fill >= target or t0 - rested > MAX_BUSY_S:
                time.sleep(min(0.004, max(0.0005, (fill - target) / ring.rate)))
                rested = time.perf_counter()
                continue
            # A new image costs more than a hop (its first blocks' mel -> linear conversion,
            # ~1 ms each): convert it block by block while the ring holds at least half its
            # target, going back to the ring whenever it runs lower; a newer image replaces
            # it.  After INCOMING_MAX_WAIT iterations it is set regardless, so a machine that
            # cannot keep the ring up still follows the latent.
            spec, serial = self.mailbox.take(serial)
            if spec is not None:
                incoming, waited = self.voice.incoming(spec), 0
            if incoming is not None:
                waited += 1
                if _converted(incoming, ring, target, urgent=waited > INCOMING_MAX_WAIT):
                    self.voice.set_spectrogram(incoming.spec, incoming.linear)
                    self._image = incoming.spec
                    if self.notes is not None:
                        self.notes.set_image(incoming.spec)
                    incoming = None
                    self.images += 1
            if len(pending) < block:
                y = self.voice.voice_hop()
                if resampler is not None:
                    y = resampler.resample_chunk(y)
                pending = np.concatenate([pending, np.asarray(y, dtype=np.float32)])
                self.hops += 1
                if len(pending) == 0:  # the resampler's start-up delay
                    continue
            # band and gain act here, one JACK period at a time, just before the ring; never
            # more than the ring has room for (a short write would drop samples)
            n = min(block, len(pending), ring.space)
            if n <= 0:
                time.sleep(0.001)
                rested = time.perf_counter()
                continue
            # events of this block: MIDI from the JACK port (its frames, played a fixed
            # latency later, so their spacing is kept), then what is due in the queue
            start = ring.frame_of(ring.written)
            if self.midi is not None:
                self.midi.drain(self.out.midi_events, target + MIDI_MARGIN_PERIODS * block)
            note_events = ()
            if self.events is not None:
                due = (self.events.due(start, start + n) if start is not None
                       else self.events.due(-1, 0))
                if due:
                    note_events = split_due(due, self.notes or _NO_NOTES, self.call)
            while self.notes is not None and self.note_images:
                self.notes.set_note_image(*self.note_images.popleft())
            c = self.state.controls()
            if c is not last_c:
                self.voice.apply(c, mixer)
                mixer.apply(c)
                if self.notes is not None:
                    self.notes.apply(c)
                last_c = c
            notes = self.notes.render(n, note_events) if self.notes is not None else None
            ring.write(mixer.process(pending[:n], notes))
            pending = pending[n:]
            if not ring.primed and ring.fill >= target:
                ring.primed = True
            self.busy_s += time.perf_counter() - t0


class _NoNotes:
    """Stands in for a note engine where there is none (events for it are dropped)."""

    def __getattr__(self, name):
        return lambda *a: None


_NO_NOTES = _NoNotes()


def _converted(incoming, ring, target: int, urgent: bool) -> bool:
    """Convert blocks of a new image while ``ring`` holds at least half of ``target``
    (whatever it holds when ``urgent``); True once the image needs nothing more."""
    while urgent or 2 * ring.fill >= target:
        if incoming.step():
            return True
    return False
