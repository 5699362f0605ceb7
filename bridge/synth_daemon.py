"""The synth daemon: OSC in -> latent glide -> GAN -> streaming voice -> JACK out.

Threads (design.md "Synth daemon"):

* OSC server (:mod:`bridge.osc_server`): validates messages and changes :class:`SynthState`.
* generator (:mod:`bridge.generator_thread`): a GAN pass only when the latent moves, at most
  ``max_rate`` per second; the newest image goes into a one-slot mailbox.
* voice (:class:`VoiceRunner`): takes the newest image, sets the voice's controls, renders one
  hop at a time, resamples to the JACK rate (soxr, streaming) and keeps the ring buffer at its
  target fill.
* JACK (:mod:`bridge.jack_out`): the process callback copies from the ring; a supervisor
  reconnects when the server comes and goes.

:func:`render` runs the same generator and voice offline on an audio-time clock.
"""

from __future__ import annotations

import gc
import logging
import math
import sys
import threading
import time
from collections import deque
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bridge.errors import UserError
from bridge.jsonl import iter_jsonl
from bridge.generator_process import GeneratorProcess
from bridge.generator_thread import GeneratorThread, LatentGenerator, Mailbox
from bridge.jack_out import JackOutput
from bridge.osc_server import ErrorLog, OscContext, OscServer, apply_message
from bridge.rt_priority import make_thread_normal, make_thread_realtime, thread_policy
from bridge.synth_state import SynthState
from engine.synth.queue_target import DEFAULT_CEILING_MS, QueueTarget

log = logging.getLogger("latent_resonance.synth")


# --- loading ------------------------------------------------------------------------------
def load_synth_checkpoint(path: str | Path):
    """(checkpoint, CodecParams) from ``path``; a missing or bad file is a UserError."""
    p = Path(path)
    if not p.is_file():
        from bridge.paths import DEFAULT_CHECKPOINT

        hint = (" (the shipped default is missing: train one with `latent-resonance train` "
                "or pass --checkpoint)") if p == DEFAULT_CHECKPOINT else ""
        raise UserError(f"checkpoint not found: {p}{hint}")
    from engine.gan.runtime import CheckpointError, load_generator
    from engine.spectral.codec import CodecParams

    try:
        ckpt = load_generator(p)
    except CheckpointError as exc:
        raise UserError(f"cannot use checkpoint {p}: {exc}") from None
    return ckpt, CodecParams.from_dict(dict(ckpt.codec))


#: GIL switch interval (s) while the daemon or a render runs: the JACK callback, and the thread
#: waiting on the generator process, get the GIL back within this of needing it (default 5 ms)
SWITCH_INTERVAL_S = 0.0005


#: longest the voice thread works without sleeping (s): at realtime priority a machine too
#: slow to keep the ring filled must not lose a core to it for good
MAX_BUSY_S = 0.05

#: voice-loop iterations (about one JACK period each) a new image may wait for the ring to
#: hold half its target before it is converted and set anyway
INCOMING_MAX_WAIT = 4


@dataclass(frozen=True)
class VoiceSettings:
    """The daemon's voice (see docs/synth.md, "Latency").

    ``lookahead``: phase-reconstruction look-ahead in voice hops; it delays speed and clarity
    changes, not new images.  ``xfade_hops``: crossfade into a new image, started at the next
    output sample (frames still sounding are re-synthesised, each change fades over one hop).
    ``subhops``: voice hops per spectrogram hop; 2 halves the render granularity (new images
    and speed changes come sooner) for more voice CPU.  The Voice's own defaults (look-ahead 3,
    crossfade 8) favour smoothness over latency.
    """

    lookahead: int = 2
    xfade_hops: int = 1
    subhops: int = 1

    @classmethod
    def from_args(cls, args) -> "VoiceSettings":
        """From the synth flags; unset (None) flags keep the defaults."""
        given = {k: getattr(args, k, None) for k in ("lookahead", "xfade_hops", "subhops")}
        return cls(**{k: int(v) for k, v in given.items() if v is not None})


def make_voice(codec, seed: int, settings: VoiceSettings | None = None):
    from engine.spectral.voice import Voice

    s = settings or VoiceSettings()
    return VoiceChain(Voice(codec, lookahead=s.lookahead, seed=seed, xfade_hops=s.xfade_hops,
                            subhops=s.subhops))


class VoiceChain:
    """The voice followed by the output stage (band-pass and gain on the audio; see
    :mod:`engine.synth.bandpass` for why they act there rather than on spectrogram frames).

    ``next_hop()`` runs both (offline render); the daemon calls ``voice_hop()`` and runs its own
    :class:`OutputStage` at the JACK rate, just before the ring buffer.
    """

    def __init__(self, voice):
        from engine.synth.bandpass import OutputStage

        self.voice = voice
        self.sample_rate, self.hop = voice.sample_rate, voice.hop
        self.stage = OutputStage(voice.sample_rate)

    @property
    def latency_samples(self) -> int:
        return int(self.voice.latency_samples)

    def set_spectrogram(self, spec, linear=None) -> None:
        self.voice.set_spectrogram(spec, linear)

    def incoming(self, spec):
        """An :class:`~engine.spectral.voice.IncomingSpectrogram` of ``spec`` for this voice."""
        from engine.spectral.voice import IncomingSpectrogram

        return IncomingSpectrogram(self.voice, spec)

    def apply(self, c, stage=None) -> None:
        """Push a :class:`~bridge.synth_state.Controls` snapshot into the voice and a stage."""
        self.voice.set_params(speed=c.speed, clarity=c.clarity)
        (stage or self.stage).set(c.band_low, c.band_high, c.gain_db)

    def voice_hop(self) -> np.ndarray:
        """One hop of the voice alone (float32, model rate)."""
        return self.voice.next_hop()

    def next_hop(self) -> np.ndarray:
        """One hop through voice and output stage (float32)."""
        return self.stage.process(self.voice.next_hop())


# --- the live voice -----------------------------------------------------------------------
class VoiceRunner:
    """Voice thread: newest image -> voice hops -> soxr -> the JACK ring at its target fill.

    ``buffer_ms``: audio kept queued ahead of JACK, on top of one JACK period (the main
    latency/safety trade-off); ``buffer_max_ms``: how far the queue may grow after stalls
    (:class:`engine.synth.queue_target.QueueTarget`; equal to ``buffer_ms``: fixed).
    ``realtime``: while the JACK server runs realtime, the thread runs at SCHED_FIFO one step
    below JACK's process thread (:mod:`bridge.rt_priority`); when the system refuses, it runs
    at normal priority and says why once.  ``scheduling`` names what it runs at
    (e.g. ``"SCHED_FIFO 4"``).
    """

    def __init__(self, voice, state: SynthState, mailbox: Mailbox, out: JackOutput,
                 buffer_ms: float, realtime: bool = True, buffer_max_ms: float | None = None):
        self.voice, self.state, self.mailbox, self.out = voice, state, mailbox, out
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
        import soxr

        from engine.synth.bandpass import OutputStage

        ring = resampler = stage = None
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
                stage, last_c = OutputStage(ring.rate), None
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
                    incoming = None
                    self.images += 1
            c = self.state.controls()
            if c is not last_c:
                self.voice.apply(c, stage)
                last_c = c
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
            ring.write(stage.process(pending[:n]))
            pending = pending[n:]
            if not ring.primed and ring.fill >= target:
                ring.primed = True
            self.busy_s += time.perf_counter() - t0


def _converted(incoming, ring, target: int, urgent: bool) -> bool:
    """Convert blocks of a new image while ``ring`` holds at least half of ``target``
    (whatever it holds when ``urgent``); True once the image needs nothing more."""
    while urgent or 2 * ring.fill >= target:
        if incoming.step():
            return True
    return False


class SynthDaemon:
    """All threads of the daemon, started by :meth:`start`, stopped by :meth:`close`."""

    def __init__(self, ckpt, codec, *, host="127.0.0.1", osc_port=9000, allow=(),
                 connect=True, seed=0, max_rate=15.0, glide_mode="slerp", buffer_ms=20.0,
                 buffer_max_ms: float = DEFAULT_CEILING_MS,
                 voice: VoiceSettings | None = None, oscquery_port=0, jack_server=None,
                 realtime: bool = True, advertise: bool | None = None):
        self.ckpt, self.codec = ckpt, codec
        self.voice = make_voice(codec, seed, voice)
        self.state = SynthState(ckpt.random_latent(seed), nyquist_hz=self.voice.sample_rate / 2)
        self.mailbox = Mailbox()
        self.gen_process = GeneratorProcess(ckpt)
        self.gen = LatentGenerator(self.gen_process, self.state, max_rate=max_rate, seed=seed,
                                   glide_mode=glide_mode)
        # first image before any thread starts: the voice always has something to play
        self.voice.set_spectrogram(self.gen.step(time.monotonic()))
        self.out = JackOutput(connect=connect, server=jack_server)
        self.runner = VoiceRunner(self.voice, self.state, self.mailbox, self.out, buffer_ms,
                                  realtime, buffer_max_ms)
        self.gen_thread = GeneratorThread(self.gen, self.mailbox)
        ctx = OscContext(self.state, ckpt.random_latent, self.status,
                         frozenset(getattr(ckpt, "directions", {}) or {}))
        self.osc = OscServer(ctx, host, osc_port, allow)
        self.oscquery = None
        if oscquery_port:
            self.oscquery = _start_oscquery(oscquery_port, self.osc.port, self.state.values,
                                            host=host, allow=allow, advertise=advertise)

    def status(self) -> tuple:
        """(z_dim, checkpoint name, sample rate Hz, underruns, latency ms) for ``/lr/status``."""
        ring = self.out.ring  # read once: the JACK supervisor swaps it on (re)connection
        rate = ring.rate if ring is not None else 0
        ring_ms = self.runner.target_fill(ring) / rate * 1e3 if rate else 0.0
        latency = ring_ms + 1e3 * float(self.voice.latency_samples) / self.voice.sample_rate
        return (int(self.state.z_dim), str(self.ckpt.name), int(rate or self.voice.sample_rate),
                int(self.out.underruns), float(round(latency, 2)))

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

    def close(self) -> None:
        for part in (self.osc, self.oscquery):
            if part is not None:
                try:
                    part.close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    pass
        self.gen_process.close()  # first: a pass waiting on a hung child ends at once
        self.gen_thread.stop()
        self.runner.stop()
        self.out.close()


def _start_oscquery(port: int, osc_port: int, values, host: str = "127.0.0.1", allow=(),
                    advertise: bool | None = None):
    """OSCQuery HTTP server when :mod:`bridge.oscquery` is available; None otherwise."""
    try:
        from bridge.oscquery import start_oscquery
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


# --- offline render -----------------------------------------------------------------------
def face_messages(c) -> list[tuple[str, tuple]]:
    """The OSC messages the face engine sends for one :class:`FaceControls` frame."""
    return [("/lr/face/found", (int(c.found),)),
            ("/lr/face/energy", (c.rotation, c.jaw, c.brow, c.stillness)),
            ("/lr/face/pose", (c.yaw, c.pitch, c.roll)),
            ("/lr/face/yaw_velocity", (c.yaw_velocity,))]


def load_face_events(path) -> list[tuple[float, str, tuple]]:
    """A face recording as timed OSC messages, times from the first frame (seconds)."""
    from bridge.recording import load_recording

    frames = load_recording(path)
    t0 = frames[0].t
    return [(c.t - t0, p, a) for c in frames for p, a in face_messages(c)]


def load_script(path) -> list[tuple[float, str, tuple]]:
    """An OSC script: JSON lines ``{"t": s, "address": "/lr/...", "args": [...]}``.

    ``args`` items are numbers or strings; ``{"blob": [floats]}`` becomes a float32 blob.  A bad
    line is a UserError naming ``path:line``.  Events are sorted by time.
    """
    events = []
    for where, obj in iter_jsonl(path, "OSC script", "an object with t, address, args"):
        t, addr, args = obj.get("t"), obj.get("address"), obj.get("args", [])
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t < 0:
            raise UserError(f"{where}: 't' must be a finite number of seconds >= 0")
        if not isinstance(addr, str) or not addr.startswith("/"):
            raise UserError(f"{where}: 'address' must be an OSC address string")
        if not isinstance(args, list):
            raise UserError(f"{where}: 'args' must be a list")
        conv = []
        for a in args:
            if isinstance(a, dict) and isinstance(a.get("blob"), list):
                try:
                    conv.append(np.asarray(a["blob"], dtype="<f4").tobytes())
                except (TypeError, ValueError):
                    raise UserError(f"{where}: 'blob' must be a list of numbers") from None
            elif isinstance(a, (int, float, str)) and not isinstance(a, bool):
                conv.append(a)
            else:
                raise UserError(f"{where}: unsupported argument {a!r}")
        events.append((float(t), addr, tuple(conv)))
    events.sort(key=lambda e: e[0])
    return events


#: an offline render hands each generator pass to the voice this long after planning it, in
#: audio time (the live daemon's pass takes ~10 ms of its ~150 ms latent latency): a fixed
#: delay keeps the render deterministic while passes run in parallel with the voice
RENDER_GENERATOR_DELAY_S = 0.1


def render(ckpt, codec, out_path, duration: float, events=(), seed: int = 0,
           max_rate: float = 15.0, glide_mode: str = "slerp",
           voice_settings: VoiceSettings | None = None, progress=None,
           generator: GeneratorProcess | None = None) -> dict:
    """Render ``duration`` seconds offline with the daemon's generator and voice.

    ``events``: (t seconds, address, args) applied through the same validation and handlers as
    OSC.  The clock is audio time, so the result is the same on any machine; with a fixed
    ``seed`` it is bit-identical.  Like the daemon, generator passes run in their own process
    (:mod:`bridge.generator_process`) while the voice renders: a pass planned at audio time t
    (inputs read from the state then) is handed to the voice at t +
    ``RENDER_GENERATOR_DELAY_S``, always, so the output does not depend on timing.
    ``generator``: a running :class:`GeneratorProcess` of ``ckpt`` to use (and leave running),
    e.g. for several renders.  Writes a 24-bit WAV at the model rate; returns stats.
    """
    from concurrent.futures import ThreadPoolExecutor

    import soundfile as sf

    voice = make_voice(codec, seed, voice_settings)
    sr, hop = int(voice.sample_rate), int(voice.hop)
    state = SynthState(ckpt.random_latent(seed), nyquist_hz=sr / 2)
    errors = ErrorLog()
    ctx = OscContext(state, ckpt.random_latent,
                     lambda: (state.z_dim, str(ckpt.name), sr, 0, 0.0),
                     frozenset(getattr(ckpt, "directions", {}) or {}))
    n_hops = int(math.ceil(duration * sr / hop))
    out = np.zeros(n_hops * hop, dtype=np.float32)
    events = list(events)
    k_ev, last_c = 0, None
    t_gen = t_voice = t_wait = 0.0  # generator, voice, voice waiting for the generator (s)
    delay = max(1, int(math.ceil(RENDER_GENERATOR_DELAY_S * sr / hop)))
    pending: deque = deque()  # (hop to apply at, future of (image, pass seconds)) under way
    with ExitStack() as stack:
        # as in the daemon: the thread that waits on the generator process gets the GIL back
        # within 0.5 ms of the reply, not after the voice thread's default 5 ms slice
        stack.callback(sys.setswitchinterval, sys.getswitchinterval())
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        process = generator or stack.enter_context(closing(GeneratorProcess(ckpt)))
        gen = LatentGenerator(process, state, max_rate=max_rate, seed=seed,
                              glide_mode=glide_mode)

        def timed_run(job):  # on the pool's one thread: passes run one at a time
            return gen.run(job), gen.last_seconds

        # (the pool only waits on the child process, so the voice renders meanwhile)
        pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="generator"))
        voice.set_spectrogram(gen.step(0.0))  # the first image, as the daemon has it at start
        t_gen += gen.last_seconds
        for k in range(n_hops):
            now = k * hop / sr
            t0, waited = time.perf_counter(), 0.0
            while pending and pending[0][0] <= k:
                tw = time.perf_counter()
                spec, seconds = pending.popleft()[1].result()
                waited += time.perf_counter() - tw
                t_gen += seconds
                voice.set_spectrogram(spec)
            while k_ev < len(events) and events[k_ev][0] <= now:
                _, path, args = events[k_ev]
                apply_message(ctx, path, args, errors)
                k_ev += 1
            job = gen.plan(now)
            if job is not None:
                pending.append((k + delay, pool.submit(timed_run, job)))
            c = state.controls()
            if c is not last_c:
                voice.apply(c)
                last_c = c
            out[k * hop:(k + 1) * hop] = voice.next_hop()
            t_voice += time.perf_counter() - t0 - waited
            t_wait += waited
            if progress is not None:
                progress(k + 1, n_hops)
        t_gen += sum(future.result()[1] for _, future in pending)
    out = out[: int(round(duration * sr))]
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 1.0:
        log.warning("render peaks at %.2f (%.1f dB over full scale); lower /lr/synth/gain",
                    peak, 20 * math.log10(peak))
    stats = {"seconds": duration, "sample_rate": sr, "generator_passes": gen.passes,
             "generator_s": t_gen, "voice_s": t_voice, "wait_s": t_wait,
             "bad_messages": errors.count,
             "peak": peak}
    if out_path is None:
        return {**stats, "audio": out}
    try:
        Path(out_path).parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(out_path), out, sr, subtype="PCM_24")  # FLOAT would add a time-stamped PEAK chunk
    except (OSError, RuntimeError) as exc:
        raise UserError(f"cannot write {out_path}: {exc}") from None
    return stats
