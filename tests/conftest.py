"""Shared fixtures: real external programs, started by the tests.

A test that needs JACK, sclang or Pd skips with a clear reason when the program is not
installed, unless ``LR_REQUIRE_REAL=1`` (set by ``.ci/run``), where a missing program fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REQUIRE_REAL = os.environ.get("LR_REQUIRE_REAL", "") not in ("", "0")


def require_program(name: str, why: str) -> str:
    """Path of ``name``; skip (or fail under LR_REQUIRE_REAL=1) when it is not installed."""
    path = shutil.which(name)
    if path is None:
        msg = f"{name} not installed ({why}); install it or see .ci/run"
        if REQUIRE_REAL:
            pytest.fail(msg + " [LR_REQUIRE_REAL=1]")
        pytest.skip(msg)
    return path


def _jack_running(server: str | None = None) -> bool:
    """Whether the JACK server answers, asked by a separate process (``jack_wait -c``).

    Not an in-process client: libjack keeps one set of server mappings per process, and a
    probe that opens while the synth's JackOutput is still closing its client of a dead server
    points that client at the new server's memory (a crash, seen in a restart test)."""
    cmd = [shutil.which("jack_wait") or "jack_wait", "-c"] + (["-s", server] if server else [])
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return res.stdout.strip() == "running"


def _jack_lsp(server: str | None, *flags: str) -> list[str]:
    """``jack_lsp``'s lines, from a separate process (never an in-process client: libjack
    serialises opening and closing clients per process, so one close that JACK holds up
    -- a client it has zombified on a starved machine -- would block every later probe of the
    test run).  A server that does not answer within 10 s fails the test, not the run."""
    cmd = [shutil.which("jack_lsp") or "jack_lsp", *flags] + (["-s", server] if server else [])
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{' '.join(cmd)} did not answer within 10 s: the JACK server "
                             "hangs") from None
    if res.returncode != 0:
        raise ConnectionError(f"{' '.join(cmd)}: {res.stderr.strip().splitlines()[-1:]}")
    return res.stdout.splitlines()


def jack_ports(prefix: str = "", server: str | None = None) -> list[str]:
    """Names of the ports on the JACK server that start with ``prefix``."""
    return [p for p in _jack_lsp(server) if p.startswith(prefix)]


def jack_connections(port: str, server: str | None = None) -> list[str]:
    """The ports ``port`` is connected to."""
    out: dict[str, list[str]] = {}
    name = None
    for line in _jack_lsp(server, "-c"):
        if line.startswith((" ", "\t")):
            out[name].append(line.strip())
        else:
            name = line
            out[name] = []
    return out.get(port, [])


def start_jackd(server: str | None = None, rate: int = 48000, period: int = 256,
                timeout: float = 10.0, realtime: bool = False) -> subprocess.Popen | None:
    """Start a dummy-backend jackd (named ``server`` or the default); None if one already runs.
    ``realtime``: ``-R`` (JACK's own default; FIFO threads where the system allows them)."""
    jackd = require_program("jackd", "JACK audio tests")
    if _jack_running(server):
        return None
    cmd = [jackd, "--realtime" if realtime else "--no-realtime"]
    if server:
        cmd += ["-n", server]
    cmd += ["-d", "dummy", "-r", str(rate), "-p", str(period)]
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace")[-500:] if proc.stderr else ""
            pytest.fail(f"jackd exited at start: {err}")
        if _jack_running(server):
            return proc
        time.sleep(0.1)
    proc.kill()
    pytest.fail("jackd did not come up within %.0f s" % timeout)


def stop_jackd(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope="session")
def jack_server():
    """A private JACK server (dummy backend, 48 kHz, period 256) for this test session.

    Its name is unique to this pytest process and exported as ``JACK_DEFAULT_SERVER``, so every
    JACK client opened afterwards (in-process, rtmidi, child processes such as the daemons,
    scsynth) talks to it, and parallel test sessions never share or kill each other's server.
    Yields the server name.
    """
    name = f"lr-test-{os.getpid()}"
    os.environ["JACK_DEFAULT_SERVER"] = name
    proc = start_jackd(name)
    yield name
    stop_jackd(proc)


@pytest.fixture(scope="session")
def astronaut_rgb():
    """``skimage.data.astronaut()``: a real face photo (512x512 RGB uint8)."""
    from skimage import data

    return data.astronaut()


@pytest.fixture()
def one_torch_thread():
    """Torch tests on a shared 2-core CI box: one torch thread is faster than two."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
