"""What the synth benchmarks share: a private dummy jackd and the daemon as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bridge.jack.libjack import quiet_libjack  # noqa: E402


def start_jackd(name: str, rate=48000, period=256, realtime=False) -> subprocess.Popen:
    """A dummy jackd; ``realtime``: ``-R`` (JACK's default, FIFO threads where allowed)."""
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1")
    p = subprocess.Popen(["jackd", "--realtime" if realtime else "--no-realtime", "-n", name,
                          "-d", "dummy", "-r", str(rate), "-p", str(period)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import jack

    quiet_libjack()
    for _ in range(100):
        try:
            jack.Client("probe", no_start_server=True, servername=name).close()
            return p
        except jack.JackError:
            time.sleep(0.1)
    p.kill()
    raise SystemExit("jackd did not start")


def start_daemon(port: int, checkpoint: str, extra=()) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "bridge", "synth", "--osc-port", str(port), "--oscquery-port",
           "0", "--no-connect", "--checkpoint", checkpoint, "-q", *extra]
    return subprocess.Popen(cmd, cwd=REPO)
