"""``latent-resonance demo``: the bundled face performance steers the shipped synth's timbre
while the bundled MIDI phrase plays on it.

Renders both through the synth offline (deterministic, no JACK needed) into a WAV,
prints where it is, and plays it over JACK when a JACK server is running.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from bridge.errors import UserError
from bridge.jack.libjack import jack_running
from bridge.paths import CHECKPOINT_HELP, DEMO_PHRASE, DEMO_RECORDING, checkpoint_arg

HELP = ("the bundled face recording steers the synth while a MIDI phrase plays: writes a "
        "stereo WAV and its spectrogram PNG, plays it over JACK")
log = logging.getLogger("latent_resonance.demo")


def add_arguments(p) -> None:
    p.add_argument("--out", default="out/demo.wav", metavar="PATH", help="WAV file to write")
    p.add_argument("--checkpoint", default=argparse.SUPPRESS, metavar="PATH",
                   help=CHECKPOINT_HELP)
    p.add_argument("--recording", default=argparse.SUPPRESS, metavar="FILE.jsonl",
                   help="face recording that drives the synth (default: the bundled one)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first latent and phases")
    p.add_argument("--duration", type=float, default=None,
                   help="seconds (default: the whole recording)")
    p.add_argument("--no-play", action="store_true", help="only write the WAV")
    p.add_argument("--no-notes", action="store_true",
                   help="the face alone (without the bundled MIDI phrase)")
    p.add_argument("--no-connect", action="store_true",
                   help="do not connect to system:playback_* when playing")


def play_over_jack(audio, sr: int, connect: bool = True) -> bool:
    """Play float32 ``audio`` (n, 2) at ``sr`` Hz through the ``latent-resonance`` client (its
    name as JACK made it is printed once connected).

    Returns False when the server went away during playback.
    """
    import numpy as np
    import soxr

    from bridge.jack.audio_out import JackOutput

    out = JackOutput(connect=connect, ring_seconds=1.0, retry_s=0.5)
    out.start()
    t_end = time.monotonic() + 5.0
    while out.ring is None and time.monotonic() < t_end:
        time.sleep(0.05)
    ring = out.ring
    if ring is None:
        out.close()
        return False
    print(f"playing over JACK ({len(audio) / sr:.0f} s, client {out.client_name}); "
          f"Ctrl-C to stop", flush=True)
    audio = np.asarray(audio, dtype=np.float32).reshape(len(audio), -1)
    if audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    y = soxr.resample(audio, sr, ring.rate).astype(np.float32) if ring.rate != sr else audio
    pos, chunk = 0, 4096
    target = int(0.2 * ring.rate)
    try:
        while pos < len(y):
            if out.ring is not ring:
                return False
            if ring.fill < target:
                pos += ring.write(y[pos:pos + chunk])
                ring.primed = True
            else:
                time.sleep(0.01)
        while ring.fill > 0 and out.ring is ring:
            time.sleep(0.02)
        return True
    finally:
        out.close()


#: the demo's note settings: a soft pad envelope, a little stereo width
SETUP = [(0.0, "/lr/synth/envelope", (0.04, 0.5, 0.6, 0.9)), (0.0, "/lr/synth/width", (0.6,))]
PHRASE_START_S = 2.0


def write_spectrogram_png(wav, png, codec) -> None:
    """A magma mel spectrogram of ``wav`` (mono sum), 1200 x 256, low notes at the bottom."""
    import soundfile as sf

    from engine.spectral.codec import audio_to_spectrogram, spectrogram_to_image

    audio, sr = sf.read(str(wav), dtype="float32", always_2d=True)
    spec = audio_to_spectrogram(audio.mean(axis=1), codec.replace(sr=sr))
    try:
        spectrogram_to_image(spec, (1200, 256), colormap="magma").save(str(png))
    except OSError as exc:
        raise UserError(f"cannot write {png}: {exc.strerror or exc}") from None


def run(args) -> int:
    from bridge.synth.generator_process import load_synth_checkpoint
    from bridge.synth.render import load_face_events, load_midi, render

    rec = Path(getattr(args, "recording", None) or DEMO_RECORDING)
    if not rec.is_file():
        raise UserError(f"demo recording not found: {rec}")
    ckpt, codec = load_synth_checkpoint(checkpoint_arg(args))
    events = load_face_events(rec)
    face_end = events[-1][0] + 1.0
    if not args.no_notes:  # the phrase twice, from PHRASE_START_S, over the face's timbre
        phrase = load_midi(DEMO_PHRASE)
        length = 4 * 8 * 60.0 / 80
        events += SETUP + [(t + PHRASE_START_S + r * length, a, x)
                           for r in range(2) for t, a, x in phrase]
        events.sort(key=lambda e: e[0])
    duration = args.duration if args.duration is not None else max(face_end,
                                                                    events[-1][0] + 2.0)
    if not 0 < duration <= 3600:
        raise UserError("--duration must be between 0 and 3600 seconds")
    print(f"rendering {duration:.0f} s: {rec.name}"
          f"{'' if args.no_notes else ' + ' + DEMO_PHRASE.name} -> synth ({ckpt.name}) ...",
          flush=True)
    render(ckpt, codec, args.out, duration, events, seed=args.seed)
    png = Path(args.out).with_suffix(".png")
    write_spectrogram_png(args.out, png, codec)
    print(f"wrote {Path(args.out).resolve()} (stereo) and its spectrogram {png.resolve()}",
          flush=True)
    if args.no_play:
        return 0
    if not jack_running():
        print("JACK isn't running, so nothing plays live; open the WAV in any player "
              "(or start jackd and run the demo again)")
        return 0
    import soundfile as sf

    audio, sr = sf.read(args.out, dtype="float32", always_2d=True)
    if not play_over_jack(audio, sr, connect=not args.no_connect):
        print("JACK went away; playback stopped (the WAV is complete)")
    return 0
