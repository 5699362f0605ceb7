"""A JACK recorder for tests and benchmarks: capture another client's ports into memory.

``JackCapture(["latent-resonance:out_1"])`` registers one input port per source, connects
them, and records into a preallocated buffer (the process callback only copies).  Every block
is stamped with JACK's frame time, so a caller can map a moment (``now_frames()``) to a sample
index in the recording -- that is how the benchmarks measure control-to-sound latency.
"""

from __future__ import annotations

import threading
import time
import warnings

import numpy as np


class JackCapture:
    """Record ``sources`` (port names) for up to ``seconds``; the newest audio wins when full."""

    def __init__(self, sources: list[str], seconds: float = 30.0, name: str = "lr-capture",
                 server: str | None = None):
        import jack

        self.client = jack.Client(name, no_start_server=True, servername=server)
        self.rate = self.client.samplerate
        self.capacity = int(seconds * self.rate)
        n = len(sources)
        self._buf = np.zeros((n, self.capacity), dtype=np.float32)
        self._ports = [self.client.inports.register(f"in_{i + 1}") for i in range(n)]
        self.written = 0  #: samples recorded so far
        # (JACK frame time, samples written) at the start of every callback: cycles this client
        # missed (xruns under load) leave gaps in frame time that the mapping must skip
        self._stamps = np.zeros((1 << 16, 2), dtype=np.int64)
        self._n_stamps = 0
        self._epoch = float("inf")  # monotonic time of frame 0: the earliest cycle start wins
        self._window = [float("inf"), float("inf"), 0]  # (this window's min, the last's, n)
        buf, ports, cap, stamps = self._buf, self._ports, self.capacity, self._stamps

        def process(frames: int) -> None:
            """Copy the port buffers into the preallocated recording (no allocation of audio)."""
            k = self._n_stamps & 0xFFFF
            lft = self.client.last_frame_time
            est = time.monotonic() - lft / self.rate  # the earliest of the last 2-4 s wins
            w = self._window
            w[0] = min(w[0], est)
            w[2] += 1
            if w[2] >= 400:
                w[1], w[0], w[2] = w[0], float("inf"), 0
            self._epoch = min(w[0], w[1])
            stamps[k, 0] = lft
            stamps[k, 1] = self.written
            self._n_stamps += 1
            i = self.written % cap
            m = min(frames, cap - i)
            for k, p in enumerate(ports):
                a = p.get_array()
                buf[k, i:i + m] = a[:m]
                if m < frames:
                    buf[k, :frames - m] = a[m:]
            self.written += frames

        self.client.set_process_callback(process)
        self.client.activate()
        for port, src in zip(self._ports, sources):
            self.client.connect(src, port)

    def now_frames(self) -> int:
        """JACK's current frame time (an estimate between callbacks)."""
        return self.client.frame_time

    def frame_at_mono(self, mono: float) -> int:
        """The JACK frame at ``time.monotonic()`` value ``mono`` (from this client's cycles)."""
        return int(round((mono - self._epoch) * self.rate))

    def index_of(self, frame_time: int) -> int:
        """Sample index in the recording of JACK frame time ``frame_time``."""
        n = min(self._n_stamps, len(self._stamps))
        st = self._stamps[:n] if self._n_stamps <= len(self._stamps) else np.roll(
            self._stamps, -(self._n_stamps & 0xFFFF), axis=0)
        k = int(np.searchsorted(st[:, 0], frame_time, side="right")) - 1
        k = max(0, k)
        return int(st[k, 1] + (frame_time - st[k, 0]))

    def audio(self, channel: int = 0, start: int = 0) -> np.ndarray:
        """A copy of the recording of ``channel`` from sample ``start`` (absolute index)."""
        w = self.written
        start = max(start, w - self.capacity)
        idx = np.arange(start, w) % self.capacity
        return self._buf[channel, idx].copy()

    def close(self, timeout: float = 10.0) -> None:
        """Deactivate and close the client, waiting at most ``timeout`` s: a client JACK has
        zombified (a badly overloaded machine) can block in deactivate, and that must never
        hang the test run (the probes run in their own processes, so they are not held up)."""

        def _close():
            try:
                self.client.deactivate()
                self.client.close()
            except Exception:  # noqa: BLE001 - the server may already be gone
                pass

        t = threading.Thread(target=_close, daemon=True)
        t.start()
        t.join(timeout)
        if t.is_alive():
            warnings.warn(f"JACK did not close the capture client {self.client.name!r} "
                          f"within {timeout:.0f} s", RuntimeWarning, stacklevel=2)


def onset(cap, frame: int, before: int) -> float:
    """Samples from ``frame`` to the first sample above 2 % of the peak in the capture
    (``before`` samples ahead of ``frame`` are searched too)."""
    idx = cap.index_of(frame)
    y = np.abs(cap.audio(0, idx - before)[:before + cap.rate // 2])
    return float(np.argmax(y > 0.02 * y.max()) - before)
