"""Synth daemon quality bars: control->sound latency, latent->sound latency, real-time factor.

Runs the real daemon (subprocess) on a private dummy JACK server (48 kHz, period 256), records
its ports with a JACK capture client and measures, from the moment an OSC message is sent
(JACK frame time) to the moment the change shows in the captured audio:

* ``/lr/synth/band`` -> spectral centroid past the midpoint between old and new  (bar: p95 <= 50 ms)
* ``/lr/synth/gain`` -> level past the midpoint (in dB)
* ``/lr/latent``     -> spectrum closer to the new image's than the old one's (bar: p95 <= 150 ms)
  next to the origin's equivalent: a new image through the whole-image ``spectrogram_to_audio``
  (it must finish before the first sample can play).
* playing (``--parts notes``, :mod:`notes_bench`): note latency, scheduled-bundle error and
  jitter, JACK MIDI frame accuracy, CPU at eight voices, a soak.
* launch -> sound: from starting ``synth`` to its JACK port and to its first non-silent block
  (bar: <= 3 s).
* real-time factor of generator + voice with 10 latent changes per second (bar: >= 10x): the
  offline renderer, which runs generator passes on their own thread like the daemon does, in
  wall-clock time; the single-core serial figure (generator + voice CPU time) is printed too.
  Next to it the origin (generate + whole-image reconstruction per change).

Midpoint crossings are conservative: "changed" means half-way there, measured at the end of
the analysis window.  The playhead is frozen (speed 0) during latency trials so the spectrum is
stationary and only the control moves it.

    uv run --frozen python benchmarks/synth_bench.py [--trials 20] [--jack-realtime]
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
sys.path.insert(0, str(REPO / "tests"))  # the test helpers synth_client, jack_capture
sys.path.insert(0, str(REPO / "benchmarks"))

from jack_capture import JackCapture  # noqa: E402
from bridge.paths import DEFAULT_CHECKPOINT  # noqa: E402
from synth_client import SynthClient  # noqa: E402
from bench_util import start_daemon, start_jackd  # noqa: E402


def launch_to_sound(server: str, port: str, t0: float, daemon, timeout: float = 60.0):
    """(capture of ``port``, seconds from ``t0`` to the port's registration, to its first
    non-silent block): a probe client polls the graph every 5 ms, then a capture watches."""
    import jack

    probe = jack.Client("lr-launch-probe", no_start_server=True, servername=server)
    try:
        while not probe.get_ports(port):
            if daemon.poll() is not None or time.monotonic() - t0 > timeout:
                raise SystemExit("the daemon never registered its JACK port")
            time.sleep(0.005)
        t_port = time.monotonic() - t0
    finally:
        probe.close()
    cap = JackCapture([port], seconds=30, server=server)
    while not np.any(np.abs(cap.audio(0, max(0, cap.written - 4096))) > 1e-4):
        if time.monotonic() - t0 > timeout:
            raise SystemExit("the daemon's port stayed silent")
        time.sleep(0.005)
    return cap, t_port, time.monotonic() - t0


def pct(x, q):
    return float(np.percentile(np.asarray(x), q))


def summary(name, ms, bar=None):
    s = f"{name:<34} p50 {pct(ms, 50):6.1f} ms  p95 {pct(ms, 95):6.1f} ms  max {max(ms):6.1f} ms"
    if bar is not None:
        s += f"   bar <= {bar:.0f} ms: {'PASS' if pct(ms, 95) <= bar else 'FAIL'}"
    print(s, flush=True)


def frames_stft(x, n=512, hop=64):
    """Magnitude frames (T, n/2+1) and the end sample of each frame."""
    idx = np.arange(0, len(x) - n, hop)
    win = np.hanning(n).astype(np.float32)
    fr = np.stack([x[i:i + n] * win for i in idx])
    return np.abs(np.fft.rfft(fr, axis=1)), idx + n


def crossing(track, ends, send_idx, before, after, hold):
    """Samples from send to the first frame past the midpoint between ``before`` and ``after``
    that stays past it: 80 % of the frames ending in the next ``hold`` samples are past it too.
    A glitch of a few ms (a dummy-server xrun in the capture) is not a change of sound."""
    mid = 0.5 * (before + after)
    past = (track >= mid) if after > before else (track <= mid)
    for i in np.flatnonzero(past & (ends > send_idx)):
        ahead = past[(ends > ends[i]) & (ends <= ends[i] + hold)]
        if len(ahead) and ahead.mean() >= 0.8:
            return ends[i] - send_idx
    return None


def trial(cap, client, send, settle=0.35, watch=0.5):
    """Send a control, record around it; returns (audio, index of the send in it)."""
    time.sleep(settle)
    f0 = cap.now_frames()
    send()
    time.sleep(watch)
    start = cap.index_of(f0) - int(0.25 * cap.rate)
    return cap.audio(0, start), int(0.25 * cap.rate)


def band_latency(cap, client, trials):
    out = []
    for k in range(trials):
        lo_band, hi_band = ((100.0, 500.0), (2500.0, 8000.0))[::1 if k % 2 == 0 else -1]
        client.send("/lr/synth/band", *lo_band)
        x, s = trial(cap, client, lambda: client.send("/lr/synth/band", *hi_band))
        mag, ends = frames_stft(x)
        f = np.fft.rfftfreq(512, 1 / cap.rate)
        cen = (mag * f).sum(1) / (mag.sum(1) + 1e-12)
        b = np.median(cen[ends < s])
        a = np.median(cen[ends > s + int(0.3 * cap.rate)])
        d = crossing(cen, ends, s, b, a, hold=int(0.03 * cap.rate))
        if d is not None:
            out.append(1e3 * d / cap.rate)
    return out


def gain_latency(cap, client, trials):
    out = []
    for k in range(trials):
        g0, g1 = (-20.0, 0.0) if k % 2 == 0 else (0.0, -20.0)
        client.send("/lr/synth/gain", g0)
        x, s = trial(cap, client, lambda: client.send("/lr/synth/gain", g1))
        n, hop = 256, 32
        idx = np.arange(0, len(x) - n, hop)
        lev = np.array([10 * np.log10(np.mean(x[i:i + n] ** 2) + 1e-12) for i in idx])
        ends = idx + n
        b = np.median(lev[ends < s])
        a = np.median(lev[ends > s + int(0.3 * cap.rate)])
        d = crossing(lev, ends, s, b, a, hold=int(0.03 * cap.rate))
        if d is not None:
            out.append(1e3 * d / cap.rate)
    return out


def latent_latency(cap, client, trials, z_a, z_b, onset):
    """Half-way crossings (ms); ``onset`` gets the quarter-way ones (first clearly audible)."""
    out = []
    for k in range(trials):
        za, zb = (z_a, z_b) if k % 2 == 0 else (z_b, z_a)
        client.send("/lr/latent", *map(float, za))
        x, s = trial(cap, client, lambda: client.send("/lr/latent", *map(float, zb)),
                     settle=0.5, watch=0.8)
        mag, ends = frames_stft(x, n=2048, hop=128)
        lm = np.log(mag + 1e-6)
        # medians: a dummy-server xrun drops a few ms of the capture (a 40 ms hole in the log
        # spectrum) about once in four trials; a mean reference would move with it
        before = np.median(lm[ends < s], axis=0)
        after = np.median(lm[ends > s + int(0.4 * cap.rate)], axis=0)
        # position along the line before -> after: 0 = old sound, 1 = new sound
        d = after - before
        proj = (lm - before) @ d / (d @ d + 1e-12)
        hold = int(0.06 * cap.rate)  # longer than the 43 ms analysis window
        c = crossing(proj, ends, s, 0.0, 1.0, hold)
        o = crossing(proj, ends, s, 0.0, 0.5, hold)
        if c is not None and o is not None:
            out.append(1e3 * c / cap.rate)
            onset.append(1e3 * o / cap.rate)
    return out


def origin_latency(ckpt, codec, trials):
    from engine.spectral.reference import origin_spectrogram_to_audio

    out = []
    for k in range(trials):
        t = time.perf_counter()
        spec = ckpt.generate(ckpt.random_latent(100 + k), truncation=0.7)
        origin_spectrogram_to_audio(spec, codec)
        out.append(1e3 * (time.perf_counter() - t))
    return out


def rtf(ckpt, codec, seconds=20.0, rate=10.0):
    from bridge.synth.render import render

    events = [(0.0, "/lr/latent/glide", (0.0,))]
    events += [(k / rate, "/lr/latent/seed", (k + 1,)) for k in range(int(seconds * rate))]
    from bridge.synth.generator_process import GeneratorProcess

    # warm-up, untimed: starting the generator process, one-off JIT compiles (numba in
    # librosa's filters) and torch's first passes happen once at daemon start-up
    gen = GeneratorProcess(ckpt)
    try:
        render(ckpt, codec, None, 2.0, events[:21], max_rate=rate * 1.5, generator=gen)
        t = time.perf_counter()
        st = render(ckpt, codec, None, seconds, events, max_rate=rate * 1.5, generator=gen)
        wall = time.perf_counter() - t
    finally:
        gen.close()
    return seconds / wall, st


def origin_rtf(ckpt, codec, changes=6, rate=10.0):
    """The origin at 10 changes/s: each change = generate + whole-image reconstruction."""
    ms = origin_latency(ckpt, codec, changes)
    return (1.0 / rate) / (np.mean(ms) / 1e3)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    ap.add_argument("--port", type=int, default=9470)
    ap.add_argument("--daemon-args", default="", help="extra synth flags, e.g. '--buffer-ms 20'")
    ap.add_argument("--jack-realtime", action="store_true",
                    help="run jackd with -R (JACK's own default) instead of --no-realtime")
    ap.add_argument("--parts", default="band,gain,latent,origin,rtf,notes",
                    help="comma-separated subset of band,gain,latent,origin,rtf,notes "
                         "(notes: benchmarks/notes_bench.py)")
    ap.add_argument("--cpu-seconds", type=float, default=60.0,
                    help="notes: seconds of CPU time measured per configuration")
    ap.add_argument("--soak-minutes", type=float, default=0.0,
                    help="notes: minutes of the 4-voice soak (0 = skip)")
    a = ap.parse_args()
    parts = set(a.parts.split(","))

    import torch

    torch.set_num_threads(1)
    from bridge.synth.generator_process import load_synth_checkpoint

    ckpt, codec = load_synth_checkpoint(a.checkpoint)
    print(f"checkpoint {ckpt.name}: z_dim {ckpt.z_dim}, image {codec.n_mels}x{codec.frames}, "
          f"{codec.sr} Hz, hop {codec.hop_length}; CPU cores {os.cpu_count()}", flush=True)

    name = f"lr-bench-{os.getpid()}"
    jackd = start_jackd(name, realtime=a.jack_realtime)
    os.environ["JACK_DEFAULT_SERVER"] = name
    t_launch = time.monotonic()
    daemon = start_daemon(a.port, a.checkpoint, a.daemon_args.split())
    client = SynthClient(a.port)
    cap = None
    try:
        cap, t_port, t_sound = launch_to_sound(name, "latent-resonance:out_1", t_launch, daemon)
        print(f"launch -> JACK port {t_port:.2f} s, -> first non-silent block {t_sound:.2f} s "
              f"(bar <= 3 s: {'PASS' if t_sound <= 3 else 'FAIL'})", flush=True)
        st = client.wait_ready(90, daemon)
        print(f"daemon: {st}", flush=True)
        for addr, args in (("/lr/synth/mapping", (0,)), ("/lr/synth/speed", (0.0,)),
                           ("/lr/latent/glide", (0.0,)), ("/lr/synth/clarity", (0.5,))):
            client.send(addr, *args)
        time.sleep(0.5)
        print(f"\n-- control -> sound, captured JACK output ({a.trials} trials each)")
        if "band" in parts:
            summary("/lr/synth/band -> centroid", band_latency(cap, client, a.trials), 50)
        if "gain" in parts:
            summary("/lr/synth/gain -> level", gain_latency(cap, client, a.trials), 50)
        if "latent" in parts:
            onset = []
            zl = latent_latency(cap, client, a.trials, ckpt.random_latent(11),
                                ckpt.random_latent(12), onset)
            summary("/lr/latent -> new spectrum (1/2)", zl, 150)
            print("   trials (ms):", " ".join(f"{v:.0f}" for v in zl))
            summary("/lr/latent -> onset (1/4 way)", onset)
        if "origin" in parts:
            ol = origin_latency(ckpt, codec, max(4, a.trials // 4))
            summary("origin: generate + whole image", ol)
            if "latent" in parts:
                print(f"{'latent latency ratio origin/daemon':<34} p50 "
                      f"{pct(ol, 50) / pct(zl, 50):.1f}x")
        if "notes" in parts:
            from notes_bench import run_notes

            print("\n-- playing: notes, scheduled bundles, JACK MIDI, CPU")
            run_notes(name, a.port, daemon.pid, a.cpu_seconds, a.soak_minutes)
        s = client.status()
        print(f"daemon status after trials: underruns {s['underruns']}, "
              f"reported latency {s['latency_ms']:.1f} ms; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        if cap is not None:
            cap.close()
        daemon.terminate()
        daemon.wait(10)
        jackd.terminate()
        jackd.wait(10)

    if "rtf" not in parts:
        return 0
    print("\n-- real-time factor, 10 latent changes per second (offline render: generator and "
          "voice on their own threads, one torch thread, as in the daemon)")
    r, st = rtf(ckpt, codec)
    serial = st["seconds"] / (st["generator_s"] + st["voice_s"])
    print(f"daemon voice + generator       {r:6.1f}x real time (wall)   bar >= 10x: "
          f"{'PASS' if r >= 10 else 'FAIL'}")
    print(f"  {st['generator_passes']} passes: generator {st['generator_s']:.2f} s "
          f"({1e3 * st['generator_s'] / max(1, st['generator_passes']):.1f} ms/pass), voice "
          f"{st['voice_s']:.2f} s, voice waiting for the generator {st['wait_s']:.2f} s, for "
          f"{st['seconds']:.0f} s of audio; both on one core, serially: {serial:.1f}x")
    o = origin_rtf(ckpt, codec)
    print(f"origin whole-image per change  {o:6.2f}x real time")
    print(f"ratio daemon/origin            {r / o:6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
