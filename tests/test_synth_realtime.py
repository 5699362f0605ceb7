"""The voice thread follows a real JACK server's scheduling: one step below JACK's realtime
process thread while the server runs realtime (``jackd -R``), normal priority beside a server
without realtime -- across a server restart that changes it."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from bridge.generator_thread import Mailbox
from bridge.jack_out import JackOutput
from bridge.synth_daemon import VoiceRunner, make_voice
from bridge.synth_state import SynthState
from conftest import start_jackd, stop_jackd
from engine.spectral.codec import CodecParams
from synth_util import realtime_allowed

pytestmark = [pytest.mark.jack, pytest.mark.timeout(120)]


def _wait(pred, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_voice_thread_follows_jack_realtime_across_a_restart():
    name = f"lr-rt-{os.getpid()}"
    server = start_jackd(name, realtime=True)
    assert server is not None
    codec = CodecParams(n_mels=128, frames=64)
    voice = make_voice(codec, 0)
    voice.set_spectrogram(np.random.default_rng(0).uniform(-1, 1, (128, 64)).astype(np.float32))
    out = JackOutput(connect=False, server=name, retry_s=0.2)
    runner = VoiceRunner(voice, SynthState(np.zeros(4, np.float32)), Mailbox(), out, 20.0,
                         realtime=True)
    out.start()
    runner.start()
    try:
        _wait(lambda: out.process_priority is not None, 20, "the first JACK process callback")
        jack_prio = out.process_priority
        if realtime_allowed():
            assert jack_prio > 0, "jackd -R gave its client no realtime process thread"
        want = f"SCHED_FIFO {jack_prio - 1}" if jack_prio > 1 else "SCHED_OTHER 0"
        _wait(lambda: runner.scheduling == want, 10, f"the voice thread at {want}")
        hops = runner.hops
        _wait(lambda: runner.hops > hops + 20, 10, "the voice to render at realtime priority")

        stop_jackd(server)  # the server comes back without realtime
        server = start_jackd(name, realtime=False)
        _wait(lambda: out.connections == 2 and out.process_priority == 0, 20,
              "reconnection to the server without realtime")
        _wait(lambda: runner.scheduling == "SCHED_OTHER 0", 10,
              "the voice thread back at normal priority")
        hops = runner.hops
        _wait(lambda: runner.hops > hops + 20, 10, "the voice to render after reconnecting")
    finally:
        runner.stop()
        out.close()
        stop_jackd(server)
