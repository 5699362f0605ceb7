"""The offline render: the daemon's generator and voice on an audio-time clock, driven by a face
recording or an OSC script, into a WAV."""

from __future__ import annotations

import logging
import math
import sys
import time
from collections import deque
from contextlib import ExitStack, closing
from pathlib import Path

import numpy as np

from bridge.errors import BridgeError, InputError
from bridge.jsonl import iter_jsonl
from bridge.osc.out import face_messages
from bridge.osc.server import SCHEDULABLE, ErrorLog, OscContext, apply_message, run_scheduled
from bridge.synth.generator_process import SWITCH_INTERVAL_S, GeneratorProcess
from engine.synth.planner import LatentGenerator
from bridge.synth.scenes import SceneStore
from bridge.synth.state import SynthState
from engine.synth.chain import VoiceSettings, make_voice
from engine.synth.events import EventQueue, split_due
from engine.synth.notes import for_codec
from engine.synth.stereo import StereoMix
from engine.synth.timbre_map import TimbreMap

log = logging.getLogger("latent_resonance.synth")


def load_face_events(path) -> list[tuple[float, str, tuple]]:
    """A face recording as timed OSC messages, times from the first frame (seconds)."""
    from bridge.face.recording import load_recording

    frames = load_recording(path)
    t0 = frames[0].t
    return [(c.t - t0, p, a) for c in frames for p, a in face_messages(c)]


def load_script(path) -> list[tuple[float, str, tuple]]:
    """An OSC script: JSON lines ``{"t": s, "address": "/lr/...", "args": [...]}``.

    ``args`` items are numbers or strings; ``{"blob": [floats]}`` becomes a float32 blob.  A bad
    line is an InputError naming ``path:line``.  Events are sorted by time.
    """
    events = []
    for where, obj in iter_jsonl(path, "OSC script", "an object with t, address, args"):
        t, addr, args = obj.get("t"), obj.get("address"), obj.get("args", [])
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t < 0:
            raise InputError(f"{where}: 't' must be a finite number of seconds >= 0")
        if not isinstance(addr, str) or not addr.startswith("/"):
            raise InputError(f"{where}: 'address' must be an OSC address string")
        if not isinstance(args, list):
            raise InputError(f"{where}: 'args' must be a list")
        conv = []
        for a in args:
            if isinstance(a, dict) and isinstance(a.get("blob"), list):
                try:
                    conv.append(np.asarray(a["blob"], dtype="<f4").tobytes())
                except (TypeError, ValueError):
                    raise InputError(f"{where}: 'blob' must be a list of numbers") from None
            elif isinstance(a, (int, float, str)) and not isinstance(a, bool):
                conv.append(a)
            else:
                raise InputError(f"{where}: unsupported argument {a!r}")
        events.append((float(t), addr, tuple(conv)))
    events.sort(key=lambda e: e[0])
    return events


#: an offline render hands each generator pass to the voice this long after planning it, in
#: audio time (the live daemon's pass takes ~10 ms of its ~150 ms latent latency): a fixed
#: delay keeps the render deterministic while passes run in parallel with the voice
RENDER_GENERATOR_DELAY_S = 0.1


def load_midi(path, offset_s: float = 0.0) -> list[tuple[float, str, tuple]]:
    """A standard MIDI file as timed OSC messages (every channel): notes with velocity, pitch
    bend (±2 semitones), the sustain pedal applied to the note-offs.  InputError for a file
    that is not MIDI."""
    import mido

    try:
        mid = mido.MidiFile(str(path))
    except (OSError, ValueError, EOFError, KeyError, IndexError) as exc:
        raise InputError(f"{path} is not a readable MIDI file ({exc})") from None
    out, t, pedal, held = [], offset_s, False, []
    for msg in mid:  # (merged tracks, times in seconds)
        t += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            out.append((t, "/lr/note/on", (float(msg.note), msg.velocity / 127.0)))
        elif msg.type in ("note_on", "note_off"):
            if pedal:
                held.append(float(msg.note))
            else:
                out.append((t, "/lr/note/off", (float(msg.note),)))
        elif msg.type == "pitchwheel":
            out.append((t, "/lr/synth/bend", (msg.pitch / 8192.0 * 2.0,)))
        elif msg.type == "control_change" and msg.control == 64:
            pedal = msg.value >= 64
            if not pedal:
                out += [(t, "/lr/note/off", (n,)) for n in held]
                held = []
    return out


def render(ckpt, codec, out_path, duration: float, events=(), seed: int = 0,
           max_rate: float = 15.0, glide_mode: str = "slerp",
           voice_settings: VoiceSettings | None = None, progress=None,
           generator: GeneratorProcess | None = None, tuning: float = 440.0,
           map_seed: int = 0, map_families: bool = False, scenes_dir=None) -> dict:
    """Render ``duration`` seconds offline with the daemon's generator and voice.

    ``events``: (t seconds, address, args) applied through the same validation and handlers as
    OSC.  The clock is audio time, so the result is the same on any machine; with a fixed
    ``seed`` it is bit-identical.  Like the daemon, generator passes run in their own process
    (:mod:`bridge.synth.generator_process`) while the voice renders: a pass planned at audio time t
    (inputs read from the state then) is handed to the voice at t +
    ``RENDER_GENERATOR_DELAY_S``, always, so the output does not depend on timing.
    ``generator``: a running :class:`GeneratorProcess` of ``ckpt`` to use (and leave running),
    e.g. for several renders.  Notes start at their own sample (``t`` × rate), other synth
    messages apply at the start of the hop holding their time, face messages at the hop.
    Writes a stereo 24-bit WAV at the model rate; returns stats.
    """
    from concurrent.futures import ThreadPoolExecutor

    import soundfile as sf

    voice = make_voice(codec, seed, voice_settings)
    sr, hop = int(voice.sample_rate), int(voice.hop)
    state = SynthState(ckpt.random_latent(seed), nyquist_hz=sr / 2,
                       timbre_map=TimbreMap.for_generator(ckpt, map_seed, map_families))
    errors = ErrorLog()
    queue = EventQueue()
    ctx = OscContext(state, ckpt.random_latent,
                     lambda: (state.z_dim, str(ckpt.name), sr, 0, 0.0, "rendering", 0),
                     frozenset(getattr(ckpt, "directions", {}) or {}), play=queue.push,
                     scenes=SceneStore(scenes_dir, str(ckpt.name)),
                     timbres=tuple(getattr(ckpt, "families", ()) or ()))
    notes = for_codec(codec, sr, tuning)
    mixer = StereoMix(sr)

    def call(path, args):
        run_scheduled(ctx, path, args, errors)

    n_hops = int(math.ceil(duration * sr / hop))
    out = np.zeros((n_hops * hop, 2), dtype=np.float32)
    events = list(events)
    k_ev, last_c, note_images = 0, None, 0
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
        first = gen.step(0.0)  # the first image, as the daemon has it at start
        voice.set_spectrogram(first)
        notes.set_image(first)
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
                notes.set_image(spec)
            end = (k + 1) * hop
            while k_ev < len(events) and events[k_ev][0] * sr < end:
                t, path, args = events[k_ev]
                frame = int(round(t * sr)) if path in SCHEDULABLE else None
                apply_message(ctx, path, args, errors, frame)
                k_ev += 1
            for note, velocity in state.take_note_requests():  # a conditioned generator:
                job = gen.note_job(note, velocity, now)  # the note's own image, made now
                if job is not None:
                    spec = gen.run(job)
                    t_gen += gen.last_seconds
                    notes.set_note_image(note, spec)
                    note_images += 1
            note_events = split_due(queue.due(k * hop, end), notes, call)
            job = gen.plan(now)
            if job is not None:
                pending.append((k + delay, pool.submit(timed_run, job)))
            c = state.controls()
            if c is not last_c:
                voice.apply(c, mixer)
                mixer.apply(c)
                notes.apply(c)
                last_c = c
            out[k * hop:end] = mixer.process(voice.voice_hop(), notes.render(hop, note_events))
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
             "bad_messages": errors.count, "notes": notes.started, "note_images": note_images,
             "peak": peak}
    if out_path is None:
        return {**stats, "audio": out}
    try:
        Path(out_path).parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(out_path), out, sr, subtype="PCM_24")  # FLOAT would add a time-stamped PEAK chunk
    except (OSError, RuntimeError) as exc:
        raise BridgeError(f"cannot write {out_path}: {exc}") from None
    return stats
