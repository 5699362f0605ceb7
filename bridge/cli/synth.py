"""``latent-resonance synth``: the GAN-synthesis daemon (OSC in, JACK out) or an offline render."""

from __future__ import annotations

import argparse
import faulthandler
import ipaddress
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from bridge.address_table import OSCQUERY_PORT, SYNTH_OSC_PORT
from bridge.errors import InputError, UserError
from bridge.paths import CHECKPOINT_HELP, checkpoint_arg
from engine.synth.queue_target import DEFAULT_CEILING_MS

HELP = ("GAN synth daemon: latent vectors and controls over OSC, streaming audio over JACK; "
        "--render writes a WAV offline")

log = logging.getLogger("latent_resonance.synth")

def voice_settings(args):
    """The voice settings of the synth flags; unset (None) flags keep the defaults."""
    from engine.synth.chain import VoiceSettings

    given = {k: getattr(args, k, None) for k in ("lookahead", "xfade_hops", "subhops")}
    return VoiceSettings(**{k: int(v) for k, v in given.items() if v is not None})


def add_synth_arguments(p, render: bool = True) -> None:
    """Options shared by ``synth`` and ``live``."""
    p.add_argument("--checkpoint", default=argparse.SUPPRESS, metavar="PATH",
                   help=CHECKPOINT_HELP)
    p.add_argument("--osc-port", type=int, default=SYNTH_OSC_PORT, help="UDP port for OSC in")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind the OSC port to (0.0.0.0 = all interfaces)")
    p.add_argument("--allow", action="append", default=[], metavar="CIDR",
                   help="with a wider --host: networks allowed to send OSC (repeatable); "
                        "loopback is always allowed")
    p.add_argument("--oscquery-port", type=int, default=OSCQUERY_PORT,
                   help="OSCQuery HTTP port (0 = off)")
    p.add_argument("--advertise", action="store_true",
                   help="advertise OSCQuery and OSC by zeroconf even when bound to loopback "
                        "(bound wider, the bound interfaces are always advertised)")
    p.add_argument("--no-connect", action="store_true",
                   help="do not auto-connect to system:playback_*")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the first latent, the voice's phases and the entropy jitter")
    p.add_argument("--max-rate", type=float, default=15.0,
                   help="most generator passes per second")
    p.add_argument("--face-timeout", type=float, default=0.5, metavar="SECONDS",
                   help="no face message for this long counts as the face lost: the face "
                        "values glide to neutral (0 = hold the last face)")
    p.add_argument("--glide-mode", choices=("slerp", "lerp"), default="slerp",
                   help="latent interpolation (slerp keeps the latent's norm)")
    p.add_argument("--buffer-ms", type=float, default=20.0,
                   help="audio queued ahead of JACK on top of one period (ms): lower = less "
                        "latency, more risk of underruns; the queue starts here and never "
                        "goes below")
    p.add_argument("--buffer-max-ms", type=float, default=None,
                   help="how far the queue may grow while the machine stalls (ms, default "
                        f"{DEFAULT_CEILING_MS:g}; it shrinks back to --buffer-ms after 20 s "
                        "without one); set it to --buffer-ms for a fixed queue")
    p.add_argument("--no-realtime", action="store_true",
                   help="keep the voice thread at normal priority even when the JACK server "
                        "runs realtime (by default it follows JACK, one step below)")
    p.add_argument("--lookahead", type=int, default=None,
                   help="phase-reconstruction look-ahead in voice hops (default 2; more = "
                        "smoother phase, later speed/clarity changes)")
    p.add_argument("--subhops", type=int, default=None,
                   help="voice hops per spectrogram hop (default 1; 2 = finer render steps, "
                        "lower latency, more voice CPU)")
    p.add_argument("--xfade-hops", type=int, default=None,
                   help="hops to crossfade into a new spectrogram, from the next output sample "
                        "(default 1)")
    g = p.add_argument_group("playing (docs/synth.md, docs/midi.md)")
    g.add_argument("--tuning", type=float, default=440.0, metavar="HZ",
                   help="the pitch of A4 for notes")
    g.add_argument("--no-midi", action="store_true", help="open no MIDI input port")
    g.add_argument("--midi-channel", type=int, default=None, metavar="N",
                   help="listen to MIDI channel N (1..16) only (default: all of them)")
    g.add_argument("--bend-range", type=float, default=2.0, metavar="SEMITONES",
                   help="what a full MIDI pitch bend moves")
    g.add_argument("--midi-map", metavar="FILE.json", default=None,
                   help='CC bindings {"cc": {"74": "/lr/synth/clarity"}}; /lr/midi/learn '
                        'adds to it and writes it back')
    g.add_argument("--scenes", metavar="DIR", default=None,
                   help="scene folder (default: ~/.local/share/latent-resonance/scenes)")
    g.add_argument("--map-seed", type=int, default=0,
                   help="seed of the face timbre map's anchor grid")
    g.add_argument("--map-families", action="store_true",
                   help="spread a conditioned checkpoint's instrument families over the face "
                        "map's anchor grid: turning the head and opening the jaw move between "
                        "named instruments, not only latents")


def add_arguments(p) -> None:
    add_synth_arguments(p)
    g = p.add_argument_group("offline render (no JACK needed)")
    g.add_argument("--render", metavar="OUT.wav", help="render to a WAV file instead of JACK")
    g.add_argument("--duration", type=float, default=None,
                   help="seconds to render (default: the --face/--script length, else 10)")
    src = g.add_mutually_exclusive_group()
    src.add_argument("--face", metavar="REC.jsonl", help="drive the render by a face recording")
    src.add_argument("--script", metavar="OSC.jsonl",
                     help='drive the render by timed OSC messages, one JSON per line: '
                          '{"t": 1.5, "address": "/lr/synth/speed", "args": [2.0]}')


def check_network_args(args) -> list:
    """Validate host/ports/--allow; returns the allowed networks."""
    from bridge.osc.access import parse_allow

    for name in ("osc_port", "oscquery_port"):
        v = getattr(args, name)
        if not 0 <= v <= 65535 or (name == "osc_port" and v == 0):
            raise UserError(f"--{name.replace('_', '-')} must be a port number 1..65535")
    try:
        allow = parse_allow(args.allow)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    try:
        wide = not ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        wide = args.host not in ("localhost",)
    if wide and not allow:
        log.warning("OSC bound to %s but no --allow given: only this machine may send", args.host)
    return allow


def check_voice_args(args) -> None:
    if not args.max_rate > 0 or not args.buffer_ms >= 0:
        raise UserError("--max-rate must be > 0 and --buffer-ms >= 0")
    if not 0 <= args.face_timeout <= 3600:
        raise UserError("--face-timeout must be 0..3600 seconds")
    if args.buffer_max_ms is None:
        args.buffer_max_ms = max(DEFAULT_CEILING_MS, args.buffer_ms)
    if not args.buffer_ms <= args.buffer_max_ms <= 400:
        raise UserError("--buffer-max-ms must be at least --buffer-ms and at most 400")
    if args.lookahead is not None and not 0 <= args.lookahead <= 16:
        raise UserError("--lookahead must be 0..16 hops")
    if args.xfade_hops is not None and not 1 <= args.xfade_hops <= 64:
        raise UserError("--xfade-hops must be 1..64")
    if args.subhops is not None and args.subhops not in (1, 2, 4):
        raise UserError("--subhops must be 1, 2 or 4")
    if not 300.0 <= args.tuning <= 600.0:
        raise UserError("--tuning must be 300..600 Hz (the pitch of A4)")
    if args.midi_channel is not None and not 1 <= args.midi_channel <= 16:
        raise UserError("--midi-channel must be 1..16")
    if not 0 < args.bend_range <= 24:
        raise UserError("--bend-range must be more than 0 and at most 24 semitones")


def make_daemon(args, ckpt, codec, allow, generator=None):
    """A :class:`SynthDaemon` from the synth flags (not started); a busy port is a UserError.
    ``generator``: its GeneratorProcess, started early by the caller."""
    from bridge.midi.synth_in import load_midi_map
    from bridge.synth.daemon import SynthDaemon

    midi_map = None
    if args.midi_map and Path(args.midi_map).exists():
        try:
            midi_map = load_midi_map(args.midi_map)
        except InputError as exc:
            raise UserError(str(exc)) from None
    try:
        return SynthDaemon(ckpt, codec, host=args.host, osc_port=args.osc_port, allow=allow,
                           connect=not args.no_connect, seed=args.seed, max_rate=args.max_rate,
                           glide_mode=args.glide_mode, buffer_ms=args.buffer_ms,
                           buffer_max_ms=args.buffer_max_ms, voice=voice_settings(args),
                           oscquery_port=args.oscquery_port, realtime=not args.no_realtime,
                           advertise=True if args.advertise else None, generator=generator,
                           face_timeout_s=args.face_timeout, tuning=args.tuning,
                           midi=not args.no_midi, midi_channel=args.midi_channel,
                           bend_range=args.bend_range, midi_map=midi_map,
                           midi_map_path=args.midi_map, scenes_dir=args.scenes,
                           map_seed=args.map_seed, map_families=args.map_families)
    except OSError as exc:
        raise UserError(f"cannot listen for OSC on {args.host}:{args.osc_port}: "
                        f"{exc.strerror or exc}") from None


def stop_or_exit(stop: threading.Event) -> None:
    """Signal handler: the first Ctrl-C (or SIGTERM) asks for a clean stop; a second one,
    while the daemon is still closing, ends the process at once."""
    if stop.is_set():
        print("latent-resonance: stopping now", file=sys.stderr, flush=True)
        os._exit(130)
    stop.set()


def run_daemon(args, ckpt, codec, allow, stop: threading.Event | None = None,
               generator=None) -> int:
    """Run the daemon until SIGINT/SIGTERM (or ``stop``); ``allow``: from check_network_args."""
    d = make_daemon(args, ckpt, codec, allow, generator)
    stop = stop or threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, lambda *_: stop_or_exit(stop))
        except ValueError:  # not the main thread (e.g. `live` runs us elsewhere)
            pass
    if hasattr(signal, "SIGUSR1"):
        try:  # `kill -USR1 PID`: every thread's Python stack to stderr, for a stuck daemon
            faulthandler.register(signal.SIGUSR1, all_threads=True)
        except ValueError:  # not the main thread
            pass
    d.start()
    z_dim, name = d.status()[:2]
    print(f"latent-resonance synth: checkpoint {name} (z_dim {z_dim}), OSC on "
          f"{args.host}:{d.osc.port}, JACK client latent-resonance; Ctrl-C to stop", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        print(stopped_line(d), flush=True)
        d.close()
    return 0


def stopped_line(d) -> str:
    """The one line ``synth`` and ``live`` print when they stop."""
    underruns = d.status()[3]
    return f"latent-resonance synth: stopped ({underruns} underrun{'s' * (underruns != 1)})"


def run(args) -> int:
    # everything cheap is checked before the checkpoint is loaded
    if args.render is None and (args.face or args.script or args.duration is not None):
        raise UserError("--face, --script and --duration go with --render OUT.wav")
    check_voice_args(args)
    if args.render is None:
        allow = check_network_args(args)
    elif args.duration is not None and not 0 < args.duration <= 3600:
        raise UserError("--duration must be between 0 and 3600 seconds")
    from bridge.synth.generator_process import GeneratorProcess, load_synth_checkpoint

    ckpt, codec = load_synth_checkpoint(checkpoint_arg(args))
    # started first: the child's start-up (Python, onnxruntime, the model) overlaps the rest
    gen = GeneratorProcess(ckpt)
    try:
        if args.render is None:
            return run_daemon(args, ckpt, codec, allow, generator=gen)
        from bridge.synth.render import load_face_events, load_script, render

        events = []
        if args.face:
            events = load_face_events(args.face)
        elif args.script:
            events = load_script(args.script)
        duration = args.duration
        if duration is None:
            duration = min(3600.0, (events[-1][0] + 0.5) if events else 10.0)
        stats = render(ckpt, codec, args.render, duration, events, seed=args.seed,
                       max_rate=args.max_rate, glide_mode=args.glide_mode,
                       voice_settings=voice_settings(args), generator=gen,
                       tuning=args.tuning, map_seed=args.map_seed,
                       map_families=args.map_families, scenes_dir=args.scenes)
    finally:
        gen.close()
    print(f"wrote {args.render} ({duration:.1f} s at {stats['sample_rate']} Hz, "
          f"{stats['generator_passes']} generator passes)")
    if stats["bad_messages"]:
        print(f"note: {stats['bad_messages']} script message(s) were invalid and ignored "
              f"(see the log)")
    return 0
