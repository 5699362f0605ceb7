"""OSC flood benchmark: the synth daemon's audio while a sender floods its OSC port.

Dummy JACK at 48 kHz, period 256.  A quiet phase (``--seconds``, well-behaved controls at 60 Hz)
is the baseline; then the same controls while a second process sends ``--rate`` datagrams a
second, each a ~64 KB bundle of ~2700 ``/lr/synth/gain`` messages (a flood far over the
per-sender budget in docs/osc.md).  Prints the daemon's underruns and the CPU time its process
used in each phase and their ratio, and whether ``/lr/status`` is answered mid-flood.

    uv run --frozen python benchmarks/osc_flood_bench.py [--seconds 10] [--rate 1000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))  # the test helpers synth_client, jack_capture

from synth_bench import start_daemon, start_jackd  # noqa: E402

from bridge.paths import DEFAULT_CHECKPOINT  # noqa: E402
from synth_client import SynthClient  # noqa: E402

_FLOODER = r"""
import socket, sys, time
from pythonosc.osc_bundle_builder import OscBundleBuilder, IMMEDIATELY
from pythonosc.osc_message_builder import OscMessageBuilder
port, rate, seconds = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
b = OscBundleBuilder(IMMEDIATELY)
m = OscMessageBuilder("/lr/synth/gain"); m.add_arg(-6.0); msg = m.build()
for _ in range(2700):
    b.add_content(msg)
data = b.build().dgram
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
t0 = time.monotonic(); n = 0
while time.monotonic() - t0 < seconds:
    try:
        s.sendto(data, ("127.0.0.1", port)); n += 1
    except OSError:
        pass
    time.sleep(max(0.0, t0 + n / rate - time.monotonic()))
print(n, len(data), flush=True)
"""


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def phase(c: SynthClient, daemon, seconds: float, flood: list | None):
    """Controls at 60 Hz for ``seconds``; returns (underruns, daemon CPU s, status at the end)."""
    before, cpu0 = c.status(), cpu_s(daemon.pid)
    proc = None
    if flood is not None:
        proc = subprocess.Popen([sys.executable, "-c", _FLOODER, *map(str, flood)],
                                stdout=subprocess.PIPE, text=True)
    t0, tick = time.monotonic(), 0
    mid_status = [None]
    while time.monotonic() - t0 < seconds:
        tick += 1
        c.send("/lr/synth/gain", -6.0 + (tick % 2))
        if proc is not None and tick == int(30 * seconds):  # halfway through the flood
            mid_status[0] = c.status(timeout=1.0)
        time.sleep(max(0.0, t0 + tick / 60.0 - time.monotonic()))
    sent = None
    if proc is not None:
        sent = proc.communicate(timeout=seconds + 30)[0].split()
    time.sleep(0.5)
    mid = c.status(timeout=2.0) if proc is None else mid_status[0]
    after = c.status(timeout=5.0)
    if after is None:
        raise SystemExit("the daemon did not answer /lr/status after the phase")
    return after["underruns"] - before["underruns"], cpu_s(daemon.pid) - cpu0, mid, sent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=1000.0, help="flood datagrams per second")
    ap.add_argument("--port", type=int, default=9490)
    a = ap.parse_args()

    name = f"lr-flood-{os.getpid()}"
    jackd = start_jackd(name)
    os.environ["JACK_DEFAULT_SERVER"] = name
    daemon = start_daemon(a.port, str(DEFAULT_CHECKPOINT))
    c = SynthClient(a.port)
    try:
        c.wait_ready(120, daemon)
        time.sleep(2.0)
        q_under, q_cpu, _, _ = phase(c, daemon, a.seconds, None)
        f_under, f_cpu, st, sent = phase(c, daemon, a.seconds, [a.port, a.rate, a.seconds])
        alive = daemon.poll() is None
        n, size = (int(sent[0]), int(sent[1])) if sent else (0, 0)
        print(f"quiet {a.seconds:g} s: underruns {q_under}, daemon CPU {q_cpu:.2f} s")
        print(f"flood {a.seconds:g} s: {n} datagrams of {size} B sent ({n / a.seconds:.0f}/s), "
              f"underruns {f_under}, daemon CPU {f_cpu:.2f} s, "
              f"OSC datagrams dropped over budget {st.get('osc_dropped', '?')}")
        print(f"ratio flood/quiet: daemon CPU x{f_cpu / max(q_cpu, 1e-3):.2f}, "
              f"underruns {f_under} vs {q_under}; daemon {'alive' if alive else 'DIED'}")
        ok = alive and f_under <= q_under
        print("PASS: the flood cost no extra underruns" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        c.close()
        daemon.terminate()
        daemon.wait(10)
        jackd.terminate()
        jackd.wait(10)


if __name__ == "__main__":
    sys.exit(main())
