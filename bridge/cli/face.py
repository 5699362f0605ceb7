"""``latent-resonance face``: camera, video or recording -> energy states over OSC and MIDI CC."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from bridge.address_table import MIDI_CC, MIDI_PORT_NAME, SYNTH_OSC_PORT
from bridge.errors import UserError

HELP = "headless face engine: camera/video/recording -> OSC bundles and MIDI CC"
log = logging.getLogger("latent_resonance.face")


def _camera(text: str) -> int | str:
    """A camera index (digits) or a device path."""
    return int(text) if text.isdigit() else text


def add_arguments(p: argparse.ArgumentParser) -> None:
    from engine.face.tracker import TrackerConfig

    d = TrackerConfig()
    src = p.add_argument_group("source (one of)")
    ex = src.add_mutually_exclusive_group()
    ex.add_argument("--camera", type=_camera, metavar="N", default=None,
                    help="camera index, or a device path such as /dev/video2 (default 0 when "
                         "no other source is given)")
    ex.add_argument("--video", metavar="PATH", help="a video file OpenCV can read; plays at "
                    "its own frame rate and the run ends with it")
    ex.add_argument("--replay", metavar="FILE.jsonl", help="play a recording made with "
                    "--record (no camera, no Face Mesh)")
    src.add_argument("--fast", action="store_true", help="video/replay: every frame, as fast "
                     "as possible, instead of in real time")
    src.add_argument("--duration", type=float, metavar="S", help="stop after S seconds "
                     "(stream time)")

    out = p.add_argument_group("outputs")
    out.add_argument("--osc", action="append", metavar="HOST:PORT",
                     help=f"send OSC bundles here (repeatable; default 127.0.0.1:"
                          f"{SYNTH_OSC_PORT}, the synth)")
    out.add_argument("--no-osc", action="store_true", help="send no OSC")
    out.add_argument("--midi", nargs="?", const=MIDI_PORT_NAME, metavar="NAME",
                     help=f"open a virtual MIDI port (default name '{MIDI_PORT_NAME}')")
    out.add_argument("--midi-api", metavar="API", help="jack, alsa, macos or windows "
                     "(default: JACK when a JACK server runs on Linux, else ALSA)")
    out.add_argument("--14bit", dest="fourteen_bit", action="store_true",
                     help="14-bit CC: MSB on 20-24, LSB on 52-56")
    out.add_argument("--cc-map", metavar="FILE", help="TOML/JSON file overriding CC numbers "
                     "and channel (keys: channel, " + ", ".join(MIDI_CC) + ")")
    out.add_argument("--learn", metavar="NAME", help="MIDI learn: send only this control as a "
                     "slow sweep (one of " + ", ".join(MIDI_CC) + ")")
    out.add_argument("--record", metavar="FILE.jsonl", help="write one JSON line per frame "
                     "(an existing file is kept unless --force)")
    out.add_argument("--force", action="store_true",
                     help="let --record replace an existing file")
    out.add_argument("--print", dest="print_controls", action="store_true",
                     help="print one JSON line of controls per frame to stdout")

    cal = p.add_argument_group("calibration and filters")
    cal.add_argument("--calibrate", type=float, default=d.calibrate_s, metavar="SECONDS",
                     help="seconds of tracked face captured as the neutral pose at start")
    cal.add_argument("--calibration", metavar="FILE.json", help="load a saved calibration "
                     "instead of capturing one")
    cal.add_argument("--save-calibration", metavar="FILE.json",
                     help="save the calibration at the end of the run")
    cal.add_argument("--min-cutoff", type=float, default=d.min_cutoff, metavar="HZ",
                     help="One Euro filter: cutoff of a still signal (lower = less jitter)")
    cal.add_argument("--beta", type=float, default=d.beta,
                     help="One Euro filter: speed coefficient (higher = less lag)")
    cal.add_argument("--d-cutoff", type=float, default=d.d_cutoff, metavar="HZ",
                     help="One Euro filter: cutoff of the speed estimate")
    cal.add_argument("--lost-glide", type=float, default=d.lost_glide_s, metavar="S",
                     help="time constant of the glide to neutral when the face is lost")


def _positive(name: str, value: float, allow_zero: bool = False) -> None:
    import math

    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise UserError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} "
                        f"number, got {value}")


def _tracker(args):
    from engine.face.calibration import Calibration
    from engine.face.tracker import FaceTracker, TrackerConfig

    for name in ("min_cutoff", "d_cutoff"):
        _positive("--" + name.replace("_", "-"), getattr(args, name))
    _positive("--beta", args.beta, allow_zero=True)
    _positive("--calibrate", args.calibrate, allow_zero=True)
    _positive("--lost-glide", args.lost_glide, allow_zero=True)
    calibration = None
    if args.calibration:
        try:
            with open(args.calibration, encoding="utf-8") as fh:
                calibration = Calibration.from_dict(json.load(fh))
        except FileNotFoundError:
            raise UserError(f"calibration file not found: {args.calibration}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
            raise UserError(f"cannot read calibration {args.calibration}: {exc}") from None
    cfg = TrackerConfig(min_cutoff=args.min_cutoff, beta=args.beta, d_cutoff=args.d_cutoff,
                        calibrate_s=args.calibrate, lost_glide_s=args.lost_glide)
    return FaceTracker(cfg, calibration)


def run(args, osc: list[str] | None = None) -> int:
    """The face engine; ``osc``: the OSC targets (``HOST:PORT``) instead of ``--osc`` and
    ``--no-osc`` (``live`` passes its synth's)."""
    from bridge.native_stderr import MEDIAPIPE_CHATTER, filtered

    # MediaPipe's C++ start-up chatter stays off the terminal while the engine runs
    with filtered(MEDIAPIPE_CHATTER):
        return _run(args, osc)


def _run(args, osc: list[str] | None) -> int:
    from bridge.face.daemon import FaceDaemon, save_calibration
    from bridge.osc.out import OscOut, parse_target

    if args.duration is not None:
        _positive("--duration", args.duration)
    # validate everything cheap before opening devices
    if osc is None:
        osc = [] if args.no_osc else (args.osc or [f"127.0.0.1:{SYNTH_OSC_PORT}"])
    targets = [parse_target(t) for t in osc]
    cc_map = channel = None
    if args.cc_map:
        from bridge.midi.out import load_cc_map

        cc_map, channel = load_cc_map(args.cc_map)
    if args.midi is None and (args.learn or args.fourteen_bit or args.cc_map or args.midi_api):
        args.midi = MIDI_PORT_NAME  # a MIDI option implies --midi
    if args.midi_api is not None:
        from bridge.midi.out import resolve_api

        resolve_api(args.midi_api)

    tracker = None
    if args.replay:
        from bridge.face.recording import load_recording

        source = load_recording(args.replay)
        log.info("replaying %s: %d frames, %.1f s%s", args.replay, len(source),
                 source[-1].t - source[0].t, " (fast)" if args.fast else "")
    elif args.video:
        from bridge.face.camera import VideoSource

        source = VideoSource(args.video, fast=args.fast)
        log.info("video %s at %.2f fps%s", args.video, source.fps, " (fast)" if args.fast else "")
    else:
        from bridge.face.camera import CameraSource

        source = CameraSource(0 if args.camera is None else args.camera)
    osc = midi = recorder = None
    try:
        if not args.replay:
            tracker = _tracker(args)
        osc = OscOut(targets)
        if args.midi is not None:
            from bridge.midi.out import MidiOut

            kwargs = {"cc_map": cc_map, "channel": channel} if cc_map else {}
            midi = MidiOut(args.midi, args.midi_api, args.fourteen_bit, learn=args.learn,
                           **kwargs)
        if args.record:
            from bridge.face.recording import RecordingWriter

            recorder = RecordingWriter(args.record, overwrite=args.force)
    except BaseException:
        for obj in (source, tracker, osc, midi):
            if hasattr(obj, "close"):
                obj.close()
        raise
    if targets:
        log.info("OSC to %s", ", ".join(f"{h}:{p}" for h, p in targets))
    daemon = FaceDaemon(source, tracker, osc, midi, recorder, duration=args.duration,
                        fast=args.fast, printer=sys.stdout if args.print_controls else None)
    stats = daemon.run()
    log.info("face engine stopped: %s", stats.summary())
    if args.save_calibration and tracker is not None:
        save_calibration(args.save_calibration, tracker.calibration)
        log.info("calibration saved to %s", args.save_calibration)
    return 0
