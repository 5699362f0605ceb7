"""Helpers for the host tests: run sclang / pd / the daemons as real subprocesses.

Every process starts in its own process group (sclang starts scsynth as a child), logs to a
file, and is stopped by killing that group, so a hung host never outlives its test.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SC_DIR = REPO / "supercollider"
SC_HARNESS = Path(__file__).resolve().parent / "sc"


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port that is free for UDP (or TCP with SOCK_STREAM) on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HostProcess:
    """A subprocess with its output in ``log_path`` and helpers to wait for lines."""

    def __init__(self, argv: list[str], log_path: Path, env: dict | None = None,
                 cwd: Path | None = None, name: str = ""):
        self.name = name or Path(argv[0]).name
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                     start_new_session=True)

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.text().splitlines()[-n:])

    def fail(self, why: str):
        pytest.fail(f"{why}\n--- last lines of the {self.name} log ({self.log_path}) ---\n"
                    f"{self.tail()}")

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        """The first match of regex ``pattern`` in the log; fails with the log tail on timeout."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.text())
            if m:
                return m
            if self.proc.poll() is not None:
                m = rx.search(self.text())
                if m:
                    return m
                self.fail(f"{self.name} exited (code {self.proc.returncode}) before printing "
                          f"/{pattern}/")
            if time.monotonic() > deadline:
                self.fail(f"{self.name} did not print /{pattern}/ within {timeout:.0f} s")
            time.sleep(0.1)

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the whole process group (then kill it if it lingers)."""
        if self.proc.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout)
                    break
                except subprocess.TimeoutExpired:
                    continue
        else:  # the leader exited: make sure no child (scsynth) is left in its group
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._log.close()


def sclang_env(**extra: str) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QTWEBENGINE_DISABLE_SANDBOX="1",
               LR_REPO=str(REPO))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_sclang(script: Path, tmp_path: Path, **env: str) -> HostProcess:
    """Run ``sclang script`` headless (no GUI; works as root) with ``env`` added."""
    from conftest import require_program

    sclang = require_program("sclang", "SuperCollider host tests")
    return HostProcess([sclang, str(script)], tmp_path / f"{script.stem}.sclang.log",
                       env=sclang_env(**env), cwd=tmp_path, name="sclang")


def cli(*args: str) -> list[str]:
    """argv running ``latent-resonance ARGS`` with this interpreter."""
    return [sys.executable, "-m", "bridge", *args]


def run_face_replay(recording: Path, *targets: str, timeout: float = 120) -> None:
    """Run the real face engine replaying ``recording`` as fast as possible to ``targets``."""
    argv = cli("face", "--replay", str(recording), "--fast")
    for t in targets:
        argv += ["--osc", t]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    if r.returncode != 0:
        pytest.fail(f"face engine failed (exit {r.returncode}): {r.stderr[-1500:]}")


def read_recording(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def expected_face_rows(rec: list[dict]) -> dict[str, list[tuple]]:
    """What each /lr/face/* address carries, frame by frame, for a replay of a recording: every
    frame, then (when the last frame had a face) the face engine's goodbye, found 0."""
    if rec and rec[-1]["found"]:
        rec = rec + [dict(rec[-1], found=0)]
    return {
        "found": [(r["found"],) for r in rec],
        "rotation": [(r["rotation"],) for r in rec],
        "jaw": [(r["jaw"],) for r in rec],
        "brow": [(r["brow"],) for r in rec],
        "stillness": [(r["stillness"],) for r in rec],
        "energy": [(r["rotation"], r["jaw"], r["brow"], r["stillness"]) for r in rec],
        "pose": [(r["yaw"], r["pitch"], r["roll"]) for r in rec],
        "yaw_velocity": [(r["yaw_velocity"],) for r in rec],
    }


def close(a: tuple, b: tuple, tol: float = 2e-4) -> bool:
    return len(a) == len(b) and all(
        math.isclose(x, y, rel_tol=tol, abs_tol=tol) for x, y in zip(a, b, strict=True))


def is_subsequence(got: list[tuple], want: list[tuple], tol: float = 2e-4) -> bool:
    """True when every item of ``got`` appears in ``want`` in the same order (UDP may drop)."""
    i = 0
    for g in got:
        while i < len(want) and not close(g, want[i], tol):
            i += 1
        if i == len(want):
            return False
        i += 1
    return True


def parse_values(text: str, prefix: str) -> dict[str, list[tuple]]:
    """Lines ``PREFIX name v1 v2 ...`` → {name: [(v1, v2, ...), ...]} in order."""
    out: dict[str, list[tuple]] = {}
    rx = re.compile(rf"^{re.escape(prefix)}[ :]+(\w+):? (.*)$", re.M)
    for m in rx.finditer(text):
        try:
            vals = tuple(float(v) for v in m.group(2).split())
        except ValueError:
            continue
        out.setdefault(m.group(1), []).append(vals)
    return out
