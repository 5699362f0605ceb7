"""Soak test: the synth daemon under steady OSC load on a dummy JACK server, counting underruns.

Dummy JACK at 48 kHz, period 256 (5.3 ms); OSC controls (speed, band, gain) at 60 Hz and new
latents (glide 0.1 s) at 10 Hz for ``--minutes``.  ``--jack-realtime`` runs jackd realtime (as
on stage); ``--hogs N`` adds N busy-looping processes (other programs competing for the CPU).
Prints the daemon's underrun counter (ring buffer ran dry in the process callback), the
server's xruns and the latency ``/lr/status`` reports (the queue grows after stalls, see
``--buffer-max-ms``) every 30 s; exits 1 if any underrun happened.

    uv run --frozen python benchmarks/synth_soak.py --minutes 10 [--jack-realtime] [--hogs 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))  # the test helpers synth_client, jack_capture

from synth_bench import start_daemon, start_jackd  # noqa: E402

from bridge.paths import DEFAULT_CHECKPOINT  # noqa: E402
from synth_client import SynthClient  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    ap.add_argument("--port", type=int, default=9480)
    ap.add_argument("--daemon-args", default="", help="extra synth flags, e.g. '--buffer-ms 20'")
    ap.add_argument("--jack-realtime", action="store_true",
                    help="run jackd with -R (JACK's own default, as on stage) instead of "
                         "--no-realtime; the daemon's voice thread then runs realtime too")
    ap.add_argument("--hogs", type=int, default=0,
                    help="busy-looping processes at normal priority beside the daemon, standing "
                         "in for other programs (a browser, a DAW's GUI)")
    a = ap.parse_args()

    import jack

    name = f"lr-soak-{os.getpid()}"
    jackd = start_jackd(name, realtime=a.jack_realtime)
    os.environ["JACK_DEFAULT_SERVER"] = name
    xruns = [0]
    mon = jack.Client("lr-soak-monitor", no_start_server=True, servername=name)
    mon.set_xrun_callback(lambda delay: xruns.__setitem__(0, xruns[0] + 1))
    mon.activate()
    daemon = start_daemon(a.port, a.checkpoint, a.daemon_args.split())
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(a.hogs)]
    c = SynthClient(a.port)
    rng = np.random.default_rng(0)
    try:
        st = c.wait_ready(120, daemon)
        print(f"daemon up: {st}; soaking {a.minutes:g} min", flush=True)
        time.sleep(1.0)
        c.send("/lr/synth/mapping", 0)
        c.send("/lr/latent/glide", 0.1)
        base = c.status()["underruns"]
        z_dim = st["z_dim"]
        t0 = time.monotonic()
        end = t0 + 60 * a.minutes
        tick, n_ctrl, n_lat, last_report, last_poll = 0, 0, 0, t0, t0
        lat_max = st["latency_ms"]  # ring target + look-ahead: grows while the queue does
        while time.monotonic() < end:
            tick += 1
            ph = tick / 60.0
            c.send("/lr/synth/speed", float(1.0 + 0.9 * np.sin(ph * 0.7)))
            lo = float(200 + 150 * np.sin(ph * 0.3))
            c.send("/lr/synth/band", lo, float(lo * (4.5 + 3 * np.sin(ph * 0.5))))
            c.send("/lr/synth/gain", float(-6 + 3 * np.sin(ph)))
            n_ctrl += 3
            if tick % 6 == 0:
                c.send("/lr/latent", rng.standard_normal(z_dim).astype(np.float32))
                n_lat += 1
            if daemon.poll() is not None:
                print("daemon died", flush=True)
                return 1
            now = time.monotonic()
            if now - last_poll >= 1.0:
                s = c.status(timeout=0.2)
                if s is not None:
                    lat_max = max(lat_max, s["latency_ms"])
                last_poll = now
            if now - last_report >= 30:
                s = c.status()
                print(f"{(now - t0) / 60:5.1f} min: underruns {s['underruns'] - base if s else '?'}"
                      f", server xruns {xruns[0]}, messages {n_ctrl} controls + {n_lat} latents"
                      f", latency {s['latency_ms'] if s else '?'} ms", flush=True)
                last_report = now
            time.sleep(max(0.0, t0 + tick / 60.0 - time.monotonic()))
        s = c.status()
        under = s["underruns"] - base
        dur = (time.monotonic() - t0) / 60
        mode = "realtime" if a.jack_realtime else "no-realtime"
        print(f"\nsoak {dur:.1f} min at 48 kHz / 256 ({mode} jackd, {a.hogs} hogs): "
              f"underruns {under}, server xruns {xruns[0]}, "
              f"{n_ctrl / (dur * 60):.0f} control msgs/s, {n_lat / (dur * 60):.1f} latents/s, "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
              f"latency (queue + look-ahead) {s['latency_ms']:.1f} ms at the end, "
              f"{lat_max:.1f} ms at most")
        print("PASS: zero underruns" if under == 0 else "FAIL: underruns")
        return 0 if under == 0 else 1
    finally:
        for h in hogs:
            h.kill()
        daemon.terminate()
        daemon.wait(10)
        mon.deactivate()
        mon.close()
        jackd.terminate()
        jackd.wait(10)


if __name__ == "__main__":
    sys.exit(main())
