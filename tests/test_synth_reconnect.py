"""The JACK server dies under a running synth and comes back: the synth keeps running and
reconnects by itself.  Uses its own named server so the session's server is never touched."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from jack_capture import JackCapture
from synth_client import SynthClient
from conftest import start_jackd, stop_jackd
from synth_util import free_port, make_checkpoint, record, start_daemon, stop, wait_ports

pytestmark = [pytest.mark.jack, pytest.mark.timeout(120)]


def test_daemon_survives_jack_restart_and_reconnects(tmp_path):
    name = f"lr-reconnect-{os.getpid()}"
    server = start_jackd(name)
    assert server is not None
    ckpt = make_checkpoint(tmp_path / "t.pt")
    port = free_port()
    proc = start_daemon(ckpt, port, name)
    client = SynthClient(port)
    try:
        client.wait_ready(90, proc)
        wait_ports(name)
        # connected for real: a first activation a busy server refused has its retry pending
        connected = client.wait_output("connected", 20)
        assert connected and connected["output"] == "connected", \
            "the daemon never connected to JACK"
        stop_jackd(server)  # the server goes away under the daemon
        server = None
        time.sleep(1.0)
        assert proc.poll() is None, "daemon exited when JACK went away"
        deadline = time.monotonic() + 5  # OSC is still served (the 5 s: a busy CI machine)
        while (answer := client.status(timeout=0.5)) is None and time.monotonic() < deadline:
            pass
        if answer is None:  # show where the daemon is stuck
            proc.send_signal(signal.SIGUSR1)
            time.sleep(0.5)
            pytest.fail("no /lr/status reply after JACK went away\n" + stop(proc)[-4000:])
        # ...and says why there is no sound (a JACK-less daemon answers as soon as it notices)
        answer = client.wait_output("waiting-for-jack", deadline + 5 - time.monotonic(), answer)
        assert answer["output"] == "waiting-for-jack", answer
        server = start_jackd(name)  # ...and comes back
        wait_ports(name, timeout=20)
        cap = JackCapture(["latent-resonance:out_1"], seconds=5, name="lr-reconnect-cap",
                          server=name)
        try:
            time.sleep(0.3)
            x = record(cap, 0.5)
        finally:
            cap.close()
        assert float(np.sqrt(np.mean(x ** 2))) > 1e-3, "no audio after reconnecting"
    finally:
        log = stop(proc)
        stop_jackd(server)
    assert "went away" in log and "reconnected" in log, log[-2000:]
