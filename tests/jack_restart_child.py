"""Child process of ``test_synth_realtime``: a voice thread feeding a JackOutput while its named
JACK server is stopped and started ``restarts`` times, realtime (``-R``) on even starts and not
on odd ones.  One JSON line per connection on stdout: the connection count, JACK's process
thread priority, the voice thread's scheduling and whether the voice rendered.  Beside it, a
JACK MIDI port like the face engine's (``live --midi`` holds both in one process): it must
reconnect too, with its port back on the server.

A separate process because libjack's state is per process, and because a hang of the old kind
(a libjack thread cancelled inside Python) must fail one test, not stop the whole run.
Usage: python jack_restart_child.py SERVER_NAME RESTARTS
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

from bridge.mailbox import Mailbox
from bridge.midi.jack_port import JackMidiPort
from bridge.jack.audio_out import JackOutput
from bridge.synth.voice_runner import VoiceRunner
from engine.synth.chain import make_voice
from bridge.synth.state import SynthState
from conftest import start_jackd, stop_jackd
from engine.spectral.codec import CodecParams


def wait(pred, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _has_port(server: str, prefix: str) -> bool:
    """Whether a port starting with ``prefix`` is on ``server`` (asked by jack_lsp, a separate
    process, so this one opens no extra client)."""
    res = subprocess.run(["jack_lsp", "-s", server], capture_output=True, text=True, timeout=10)
    return any(line.startswith(prefix) for line in res.stdout.splitlines())


def main(name: str, restarts: int) -> int:
    server = start_jackd(name, realtime=True)
    codec = CodecParams(n_mels=128, frames=64)
    voice = make_voice(codec, 0)
    voice.set_spectrogram(np.random.default_rng(0).uniform(-1, 1, (128, 64)).astype(np.float32))
    out = JackOutput(connect=False, server=name, retry_s=0.2)
    runner = VoiceRunner(voice, SynthState(np.zeros(4, np.float32)), Mailbox(), out, 20.0,
                         realtime=True)
    os.environ["JACK_DEFAULT_SERVER"] = name  # the MIDI port (rtmidi) opens on the default
    midi = JackMidiPort("lr-restart-midi", retry_s=0.2)
    out.start()
    midi.start()
    runner.start()
    try:
        before = 0  # connections before this server started
        for i in range(restarts + 1):
            # (a connection whose process callback never runs is reopened: more than one)
            connected = wait(lambda: out.connections > before
                             and out.process_priority is not None, 20)
            prio = out.process_priority
            want = f"SCHED_FIFO {prio - 1}" if prio and prio > 1 else "SCHED_OTHER 0"
            followed = connected and wait(lambda: runner.scheduling == want, 10)
            hops = runner.hops
            rendered = followed and wait(lambda: runner.hops > hops + 20, 10)
            midi_ok = wait(lambda: midi.connections == i + 1 and midi.connected, 10)
            for n in range(8):
                midi.send([0xB0, 20, n])
            delivered = midi_ok and wait(lambda: _has_port(name, "lr-restart-midi:"), 5)
            period_followed = None
            if i == 0:  # the server changes its period while we run: the output follows it
                subprocess.run(["jack_bufsize", "1024"], env=dict(os.environ), timeout=10,
                               capture_output=True)
                hops = runner.hops
                period_followed = (wait(lambda: out.blocksize == 1024, 5)
                                   and wait(lambda: runner.hops > hops + 20, 10))
                subprocess.run(["jack_bufsize", "256"], env=dict(os.environ), timeout=10,
                               capture_output=True)
                period_followed = period_followed and wait(lambda: out.blocksize == 256, 5)
            print(json.dumps({"connections": out.connections, "jack_priority": prio,
                              "period_followed": period_followed,
                              "scheduling": runner.scheduling, "rendered": rendered,
                              "midi_connections": midi.connections, "midi_delivered": delivered,
                              "unclosed": len(out.unclosed) + len(midi.unclosed)}), flush=True)
            if not (rendered and delivered) or i == restarts:
                break
            before = out.connections
            stop_jackd(server)
            server = start_jackd(name, realtime=(i % 2 == 1))
    finally:
        runner.stop()
        midi.close()
        out.close()
        stop_jackd(server)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
