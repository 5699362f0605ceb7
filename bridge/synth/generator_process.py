"""Generator passes in a child process, so the synth's audio threads never wait for them.

In one process, a generator pass (torch plus a few hundred Python calls per image) shares the
GIL with the voice thread and the JACK process callback: measured on the 2-core development
machine, the voice ran ~40 % slower beside it and a pass took 10 ms instead of 7.  In a child
process each gets its own core.  The parent keeps all decisions (:class:`LatentGenerator`
plans every pass); the child (``python -m bridge.synth.generator_worker``) only turns
(z, truncation, noise, directions) into an image.

A plain subprocess with a socket pair, not ``multiprocessing``: spawn re-imports the caller's
main module, which breaks scripts without a ``__main__`` guard, and fork is unsafe once the
daemon's threads run.  :class:`GeneratorProcess` has a checkpoint's ``generate``, so it stands
in for one where only images are needed (:class:`LatentGenerator`).  A child that dies or hangs
is restarted on the next pass (that pass raises; the voice keeps the previous image).  A restart
that fails (no file descriptors left, no memory for a new process) is retried with back-off,
from 0.5 s up to 10 s, and said once until a child runs again; meanwhile passes raise at once.
:meth:`GeneratorProcess.close` kills a child that does not exit at once, and a pass waiting
on it returns at once.  The child ignores SIGINT and exits when the parent goes.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

log = logging.getLogger("latent_resonance.synth.generator")

#: seconds a pass may take before the child is presumed stuck (start-up included)
TIMEOUT_S = 60.0
#: seconds before the first retry of a failed restart, doubling up to the second figure
RETRY_FIRST_S, RETRY_MAX_S = 0.5, 10.0
#: GIL switch interval (s) while the daemon or a render runs: the JACK callback, and the thread
#: waiting on the generator process, get the GIL back within this of needing it (default 5 ms)
SWITCH_INTERVAL_S = 0.0005


class GeneratorUnavailable(RuntimeError):
    """No generator child runs right now (its restart failed); the pass is skipped."""


class GeneratorProcess:
    """``generate(z, truncation, noise, directions)`` of ``ckpt``, run in a child process."""

    def __init__(self, ckpt):
        self._payload = ckpt.to_payload()  # plain data: the ONNX graph, or numpy weights
        #: a conditioned generator's label space (None: unconditioned), read in this process
        self.labels = getattr(ckpt, "labels", None)
        self.condition = getattr(ckpt, "condition", lambda *a, **k: None)
        self._lock = threading.Lock()
        self._proc = self._conn = None
        self._closed = False
        self._retry_at = 0.0  # monotonic time of the next restart attempt
        self._retry_s = RETRY_FIRST_S
        self._failing = False  # a restart failed and was reported (until one works)
        self._start()  # the first start's failure is the caller's to report

    def _start(self) -> None:
        parent, child = socket.socketpair()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "bridge.synth.generator_worker", str(child.fileno())],
                pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL)
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        self._conn = Connection(parent.detach())
        try:
            self._conn.send(self._payload)
        except OSError:
            self._stop()
            raise

    def _ensure_started(self) -> None:
        """A running child, or GeneratorUnavailable (restarts retried with back-off)."""
        if self._conn is not None:
            return
        if self._closed:
            raise GeneratorUnavailable("generator process closed")
        now = time.monotonic()
        if now < self._retry_at:
            raise GeneratorUnavailable("generator process not running; retrying")
        try:
            self._start()
        except OSError as exc:
            self._retry_at = now + self._retry_s
            if not self._failing:
                log.error("generator process could not be restarted (%s); the voice keeps its "
                          "last image and the restart is retried with back-off up to %g s",
                          exc.strerror or exc, RETRY_MAX_S)
                self._failing = True
            self._retry_s = min(RETRY_MAX_S, 2 * self._retry_s)
            raise GeneratorUnavailable(f"generator process not running ({exc})") from None
        if self._failing:
            log.warning("generator process running again")
        self._failing, self._retry_s = False, RETRY_FIRST_S

    def _restart(self, why: str) -> None:
        if self._closed:
            return
        log.warning("generator process %s; restarting it", why)
        self._stop()
        try:
            self._ensure_started()
        except GeneratorUnavailable:
            pass  # said once; the next passes retry

    def generate(self, z, truncation: float = 1.0, noise: float = 1.0, directions=None, c=None):
        """The image (n_mels, frames) float32, as ``Checkpoint.generate`` would make it (``c``:
        a conditioned generator's labels).

        Raises ValueError for bad inputs (as the checkpoint would), RuntimeError when the
        child had to be restarted, GeneratorUnavailable (a RuntimeError) while none runs."""
        job = (np.asarray(z, np.float32), float(truncation), float(noise),
               dict(directions) if directions else None,
               None if c is None else np.asarray(c, np.float32))
        with self._lock:
            self._ensure_started()
            conn = self._conn
            try:
                conn.send(job)
                if not conn.poll(TIMEOUT_S):
                    self._restart(f"gave no image in {TIMEOUT_S:.0f} s")
                    raise RuntimeError("generator pass timed out")
                kind, value = conn.recv()
            except (EOFError, OSError):
                self._restart("died")
                raise RuntimeError("generator process restarted; this pass is skipped") from None
        if kind == "error":
            raise ValueError(value)
        return value

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)  # it exits when its socket closes
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def close(self) -> None:
        """Stop the child now: a hung one is killed at once (a pass waiting on it then ends
        with an error), without waiting for the pass's lock."""
        self._closed = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                proc.kill()  # the child holds nothing worth a graceful exit
            except OSError:
                pass
        with self._lock:
            self._stop()


def load_synth_checkpoint(path: str | Path):
    """(checkpoint, CodecParams) from ``path``; a missing or bad file is an InputError."""
    from bridge.errors import InputError

    p = Path(path)
    if not p.is_file():
        from bridge.paths import DEFAULT_CHECKPOINT

        hint = (" (the shipped default is missing: train one with `latent-resonance train` "
                "or pass --checkpoint)") if p == DEFAULT_CHECKPOINT else ""
        raise InputError(f"checkpoint not found: {p}{hint}")
    from engine.gan.runtime import CheckpointError, load_generator

    try:
        ckpt = load_generator(p)
    except CheckpointError as exc:
        raise InputError(f"cannot use checkpoint {p}: {exc}") from None
    return ckpt, ckpt.codec
