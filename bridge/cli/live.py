"""``latent-resonance live``: the face engine and the synth daemon in one command.

The synth daemon runs in background threads; the face engine runs in the foreground exactly as
``latent-resonance face`` (same options), sending its OSC to the synth and to any ``--osc``
targets you add (a DAW, Max, SuperCollider), and MIDI CC with ``--midi``.  When the face
source ends (a ``--replay`` or ``--video`` file, ``--duration``) or on Ctrl-C, both stop.
"""

from __future__ import annotations

import logging

from bridge.cli import face as face_cmd
from bridge.paths import checkpoint_arg
from bridge.cli import synth as synth_cmd

HELP = ("face engine + synth daemon in one command: your face plays the GAN synth over JACK "
        "(and still sends OSC/MIDI to your DAW)")
log = logging.getLogger("latent_resonance.live")


def add_arguments(p) -> None:
    face_cmd.add_arguments(p)
    g = p.add_argument_group("synth")
    synth_cmd.add_synth_arguments(g)


def run(args) -> int:
    from bridge.synth.generator_process import GeneratorProcess, load_synth_checkpoint

    synth_cmd.check_voice_args(args)
    allow = synth_cmd.check_network_args(args)
    if args.no_osc:
        log.warning("--no-osc: the synth still gets the face over its own OSC port; other "
                    "targets are off")
    ckpt, codec = load_synth_checkpoint(checkpoint_arg(args))
    synth_target = f"127.0.0.1:{args.osc_port}"
    osc = [synth_target] + ([] if args.no_osc else
                            [t for t in (args.osc or []) if t != synth_target])
    d = synth_cmd.make_daemon(args, ckpt, codec, allow, GeneratorProcess(ckpt))
    d.start()
    print(f"latent-resonance live: synth on OSC {args.host}:{d.osc.port} ({ckpt.name}), "
          f"face -> {', '.join(osc)}; Ctrl-C to stop", flush=True)
    try:
        return face_cmd.run(args, osc)
    finally:
        print(synth_cmd.stopped_line(d), flush=True)
        d.close()
