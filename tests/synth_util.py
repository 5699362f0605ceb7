"""Helpers shared by the synth tests: a small fixed checkpoint, the daemon as a subprocess,
a JACK recorder of its ports and spectral measures."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def make_checkpoint(path: Path) -> Path:
    """A small untrained generator (fixed seed) with one named direction, saved to ``path``."""
    from engine.gan.checkpoint import Checkpoint, random_checkpoint
    from engine.gan.model import GanConfig

    cfg = GanConfig(z_dim=32, w_dim=64, resolution=(128, 64), start=(8, 4),
                    g_channels=[64, 64, 32, 16, 8], d_channels=[8, 16, 32, 64, 64])
    ck = random_checkpoint(cfg, seed=3, name="test-synth")
    direction = np.random.default_rng(0).standard_normal(cfg.w_dim).astype(np.float32)
    ck = Checkpoint(ck.generator, ck.name, ck.codec, ck.card, {"bright": direction})
    ck.save(path)
    return path


def free_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_daemon(checkpoint: Path, port: int, env_server: str | None = None, *extra: str):
    """``python -m bridge synth`` as a subprocess; its log goes to a temporary file (a pipe
    nobody reads would fill up and block the daemon's logging)."""
    env = dict(os.environ)
    if env_server:
        env["JACK_DEFAULT_SERVER"] = env_server
    cmd = [sys.executable, "-m", "bridge", "synth", "--checkpoint", str(checkpoint),
           "--osc-port", str(port), "--oscquery-port", "0", "--no-connect", *extra]
    log = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                            text=True)
    proc.log_file = log
    return proc


def stop(proc: subprocess.Popen) -> str:
    """Terminate ``proc``; returns its output (log); "" when already stopped this way."""
    if proc.log_file.closed:
        return ""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    proc.log_file.seek(0)
    out = proc.log_file.read()
    proc.log_file.close()
    return out


def wait_ports(server: str | None, timeout: float = 30.0) -> None:
    """Until ``latent-resonance:out_1`` exists on the JACK server."""
    from conftest import jack_ports

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if "latent-resonance:out_1" in jack_ports("latent-resonance:out", server):
                return
        except ConnectionError:  # the server is not up yet
            pass
        time.sleep(0.2)
    raise AssertionError("latent-resonance:out_1 did not appear on the JACK server")


def record(cap, seconds: float) -> np.ndarray:
    """The next ``seconds`` of captured audio."""
    start = cap.written
    time.sleep(seconds)
    return cap.audio(0, start)


def log_spectrum(x: np.ndarray, n: int = 2048) -> np.ndarray:
    """Mean log-magnitude spectrum over frames of ``n`` samples."""
    idx = range(0, len(x) - n, n // 2)
    win = np.hanning(n)
    return np.mean([np.log(np.abs(np.fft.rfft(x[i:i + n] * win)) + 1e-6) for i in idx], axis=0)


def centroid(x: np.ndarray, rate: int, n: int = 2048) -> float:
    """Power-weighted spectral centroid (Hz)."""
    idx = range(0, len(x) - n, n // 2)
    win = np.hanning(n)
    p = np.sum([np.abs(np.fft.rfft(x[i:i + n] * win)) ** 2 for i in idx], axis=0)
    f = np.fft.rfftfreq(n, 1 / rate)
    return float((p * f).sum() / (p.sum() + 1e-20))


def spectral_flux(x: np.ndarray, rate: int, segment_s: float = 0.15, n: int = 1024) -> float:
    """How fast the sound moves: change of the log spectrum between consecutive segments of
    ``segment_s`` seconds (frame-to-frame noise of phase reconstruction averages out), the
    median over segment pairs: a capture dropout on a busy machine (a few ms of silence)
    throws off the two pairs around it, not the reading."""
    win = np.hanning(n)
    frames = np.array([np.log(np.abs(np.fft.rfft(x[i:i + n] * win)) + 1e-4)
                       for i in range(0, len(x) - n, n // 2)])
    per = max(1, int(segment_s * rate / (n // 2)))
    segs = np.array([frames[i:i + per].mean(0) for i in range(0, len(frames) - per + 1, per)])
    return float(np.median(np.mean(np.abs(np.diff(segs, axis=0)), axis=1)))


def realtime_allowed() -> bool:
    """Whether this process may make a thread SCHED_FIFO (root, CAP_SYS_NICE or rtprio)."""
    from bridge.jack.rt_priority import make_thread_realtime

    got = []
    t = threading.Thread(target=lambda: got.append(make_thread_realtime(1) is None))
    t.start()
    t.join()
    return got[0]
