"""Generator passes in a child process, so the synth's audio threads never wait for them.

In one process, a generator pass (torch plus a few hundred Python calls per image) shares the
GIL with the voice thread and the JACK process callback: measured on the 2-core development
machine, the voice ran ~40 % slower beside it and a pass took 10 ms instead of 7.  In a child
process each gets its own core.  The parent keeps all decisions (:class:`LatentGenerator`
plans every pass); the child (``python -m bridge.generator_worker``) only turns
(z, truncation, noise, directions) into an image.

A plain subprocess with a socket pair, not ``multiprocessing``: spawn re-imports the caller's
main module, which breaks scripts without a ``__main__`` guard, and fork is unsafe once the
daemon's threads run.  :class:`GeneratorProcess` has a checkpoint's ``generate``, so it stands
in for one where only images are needed (:class:`LatentGenerator`).  A child that dies or hangs is restarted on the next pass (that pass raises; the
voice keeps the previous image).  The child ignores SIGINT and exits when the parent goes.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection

import numpy as np

log = logging.getLogger("latent_resonance.synth.generator")

#: seconds a pass may take before the child is presumed stuck (start-up included)
TIMEOUT_S = 60.0


class GeneratorProcess:
    """``generate(z, truncation, noise, directions)`` of ``ckpt``, run in a child process."""

    def __init__(self, ckpt):
        # plain numpy across the process boundary: the worker turns them back into tensors
        # (pickled tensors would travel as shared-memory handles)
        d = ckpt.to_dict()
        for key in ("state_dict", "directions"):
            d[key] = {k: v.numpy() for k, v in d[key].items()}
        self._payload = d
        self._lock = threading.Lock()
        self._proc = self._conn = None
        self._start()

    def _start(self) -> None:
        parent, child = socket.socketpair()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bridge.generator_worker", str(child.fileno())],
            pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL)
        child.close()
        self._conn = Connection(parent.detach())
        self._conn.send(self._payload)

    def _restart(self, why: str) -> None:
        log.warning("generator process %s; restarting it", why)
        self._stop()
        self._start()

    def generate(self, z, truncation: float = 1.0, noise: float = 1.0, directions=None):
        """The image (n_mels, frames) float32, as ``Checkpoint.generate`` would make it.

        Raises ValueError for bad inputs (as the checkpoint would) and RuntimeError when the
        child had to be restarted."""
        job = (np.asarray(z, np.float32), float(truncation), float(noise),
               dict(directions) if directions else None)
        with self._lock:
            try:
                self._conn.send(job)
                if not self._conn.poll(TIMEOUT_S):
                    self._restart(f"gave no image in {TIMEOUT_S:.0f} s")
                    raise RuntimeError("generator pass timed out")
                kind, value = self._conn.recv()
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
        with self._lock:
            self._stop()
