"""Playing bars of the synth daemon: note latency, scheduling error and jitter, JACK MIDI frame
accuracy, CPU at eight voices, and a soak of a note sequence.

Runs the real daemon (shipped default checkpoint) on a private dummy JACK server (48 kHz,
period 256) and records its ports:

* note-on -> onset in the JACK output (immediate ``/lr/note/on``; bar p95 <= 50 ms, goal 30);
* 12 notes in bundles 250 ms ahead: onset minus timetag, both on JACK's frame clock
  (bars |mean| <= 6 ms, std <= 2 ms; goal std 0.5 ms);
* JACK MIDI: 12 note-ons from a second JACK client at exact frame spacing (offsets inside the
  period): spacing error of the onsets (bar: jitter <= 1 ms);
* CPU: the daemon's process CPU time (user + system, /proc) over ``--cpu-seconds`` with the drone
  alone, then the drone plus 8 held notes; printed as % of one core and as a ratio (bar: the
  8-voice run <= 40 % of one core, goal 25 %);
* soak (``--soak-minutes``, 0 = skip): a 4-voice sequence at 8 notes/s; underruns at the end.

    uv run --no-sync python benchmarks/notes_bench.py [--cpu-seconds 60] [--soak-minutes 10]

``benchmarks/synth_bench.py --parts notes`` runs the same.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from jack_capture import JackCapture, onset  # noqa: E402
from synth_client import SynthClient, osc_bundle  # noqa: E402


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def note_latency(cap, client, trials=20):
    out = []
    for i in range(trials):
        frame = cap.frame_at_mono(time.monotonic())
        client.send("/lr/note/on", 60.0 + i % 12, 1.0)
        time.sleep(0.3)
        client.send("/lr/note/off", 60.0 + i % 12)
        time.sleep(0.25)
        out.append(onset(cap, frame, 0) / cap.rate * 1e3)
    return np.array(out)


def scheduled(cap, client, n=12, ahead=0.25):
    out = []
    for i in range(n):
        t = time.time() + ahead
        frame = cap.frame_at_mono(t - time.time() + time.monotonic())
        client.send_raw(osc_bundle(t, ("/lr/note/on", 64.0 + i % 5, 1.0)))
        time.sleep(ahead + 0.3)
        client.send("/lr/note/off", 64.0 + i % 5)
        time.sleep(0.25)
        out.append(onset(cap, frame, cap.rate // 10) / cap.rate * 1e3)
    return np.array(out)


def midi_jitter(cap, server, n=12, spacing_frames=12000):
    """Onset spacing error (ms) of note-ons sent from a JACK MIDI client at exact frames."""
    import jack

    sender = jack.Client("lr-bench-keyboard", no_start_server=True, servername=server)
    port = sender.midi_outports.register("out")
    plan = {}  # absolute frame -> bytes
    sent = []

    def process(frames):
        port.clear_buffer()
        f0 = sender.last_frame_time
        for f in [f for f in plan if f0 <= f < f0 + frames]:
            port.write_midi_event(f - f0, plan.pop(f))
            sent.append(f)

    sender.set_process_callback(process)
    sender.activate()
    sender.connect(port, "latent-resonance:Latent Resonance Synth")
    start = sender.frame_time + 24000 + 77  # an offset inside the period
    for i in range(n):
        plan[start + i * spacing_frames] = bytes([0x90, 60 + i % 7, 110])
        plan[start + i * spacing_frames + 6000] = bytes([0x80, 60 + i % 7, 0])
    time.sleep((24000 + n * spacing_frames) / 48000 + 1.0)
    sender.deactivate()
    sender.close()
    ons = sorted(f for f in sent if (f - start) % spacing_frames == 0)
    # (look from 2 ms before: the previous note's release is still audible 50 ms earlier)
    got = [f + onset(cap, f, cap.rate // 500) for f in ons]
    d = np.diff(got) - spacing_frames
    return d / cap.rate * 1e3


def cpu(cap, client, pid, seconds):
    client.send("/lr/synth/drone", 1)
    time.sleep(1.0)
    c0 = cpu_seconds(pid)
    time.sleep(seconds)
    drone = (cpu_seconds(pid) - c0) / seconds
    for n in (48, 52, 55, 59, 62, 64, 67, 71):
        client.send("/lr/note/on", float(n), 1.0)
    time.sleep(1.0)
    c0 = cpu_seconds(pid)
    time.sleep(seconds)
    eight = (cpu_seconds(pid) - c0) / seconds
    client.send("/lr/note/panic")
    return drone, eight


def soak(client, minutes):
    seq = [57, 60, 64, 69, 72, 69, 64, 60]
    t_end = time.monotonic() + 60 * minutes
    i = 0
    before = client.status()["underruns"]
    while time.monotonic() < t_end:
        n = float(seq[i % len(seq)])
        client.send("/lr/note/on", n, 0.8)
        time.sleep(0.125)
        if i >= 3:
            client.send("/lr/note/off", float(seq[(i - 3) % len(seq)]))  # 4 voices held
        i += 1
    return i, client.status()["underruns"] - before


PARTS = ("latency", "scheduled", "midi", "cpu", "soak")


def run_notes(server, port, daemon_pid, cpu_s=60.0, soak_minutes=0.0, parts=PARTS) -> None:
    cap = JackCapture(["latent-resonance:out_1", "latent-resonance:out_2"], seconds=30,
                      server=server, name="lr-bench-notes")
    client = SynthClient(port)
    try:
        for m in (("/lr/synth/mapping", 0), ("/lr/synth/drone", 0),
                  ("/lr/synth/envelope", 0.003, 0.2, 0.8, 0.1)):
            client.send(*m)
        time.sleep(0.5)
        if "latency" in parts:
            lat = note_latency(cap, client)
            print(f"note-on -> onset (20)           p50 {np.percentile(lat, 50):6.1f} ms  p95 "
                  f"{np.percentile(lat, 95):6.1f} ms  bar p95 <= 50: "
                  f"{'PASS' if np.percentile(lat, 95) <= 50 else 'FAIL'} (goal 30)")
        if "scheduled" in parts:
            err = scheduled(cap, client)
            print(f"bundles 250 ms ahead (12)       mean {err.mean():+6.2f} ms  std "
                  f"{err.std():5.2f} ms  max |err| {np.abs(err).max():5.2f} ms  bars |mean| "
                  f"<= 6, std <= 2: "
                  f"{'PASS' if abs(err.mean()) <= 6 and err.std() <= 2 else 'FAIL'}")
        if "midi" in parts:
            jit = midi_jitter(cap, server)
            print(f"JACK MIDI spacing error (11)    std {jit.std():5.3f} ms  max "
                  f"{np.abs(jit).max():5.3f} ms  bar <= 1 ms: "
                  f"{'PASS' if np.abs(jit).max() <= 1 else 'FAIL'}")
        if "cpu" in parts:
            drone, eight = cpu(cap, client, daemon_pid, cpu_s)
            print(f"CPU over {cpu_s:.0f} s (% of one core)   drone alone {100 * drone:5.1f} %  "
                  f"drone + 8 notes {100 * eight:5.1f} %  ratio {eight / drone:4.2f}  bar <= "
                  f"40 %: {'PASS' if eight <= 0.40 else 'FAIL'} (goal 25 %)")
        if soak_minutes > 0 and "soak" in parts:
            notes, under = soak(client, soak_minutes)
            print(f"soak {soak_minutes:g} min, 4 voices at 8 notes/s: {notes} notes, "
                  f"{under} underruns: {'PASS' if under == 0 else 'FAIL'}")
        s = client.status()
        print(f"status: underruns {s['underruns']}, late scheduled events {s['late']}; load "
              f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        cap.close()
        client.close()


def main() -> int:
    from bench_util import start_daemon, start_jackd

    from bridge.paths import DEFAULT_CHECKPOINT

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    ap.add_argument("--port", type=int, default=9471)
    ap.add_argument("--cpu-seconds", type=float, default=60.0)
    ap.add_argument("--soak-minutes", type=float, default=0.0)
    ap.add_argument("--parts", default=",".join(PARTS),
                    help=f"comma-separated subset of {','.join(PARTS)}")
    a = ap.parse_args()
    server = f"lr-notes-bench-{os.getpid()}"
    os.environ["JACK_DEFAULT_SERVER"] = server
    jackd = start_jackd(server)
    daemon = start_daemon(a.port, a.checkpoint)
    try:
        SynthClient(a.port).wait_ready(90, daemon)
        time.sleep(3.0)  # the port, the first sound
        run_notes(server, a.port, daemon.pid, a.cpu_seconds, a.soak_minutes,
                  a.parts.split(","))
    finally:
        daemon.terminate()
        daemon.wait(10)
        jackd.terminate()
        jackd.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
