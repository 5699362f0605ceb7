"""JACK output: client ``latent-resonance`` with ports ``out_1``/``out_2`` fed from a ring buffer.

The process callback only copies samples out of a preallocated ring buffer into the port
buffers.  It never allocates audio memory, never takes a lock and never waits; when the ring
holds too little it plays what there is, pads with silence and counts an underrun.  (Python
itself creates a few small objects per callback -- the port-buffer views JACK-Client returns --
which no Python JACK client can avoid.)

A supervisor thread owns the connection: no server -> one clear log line, then a quiet retry
every ``retry_s``; server gone mid-run (shutdown callback) -> close, keep the rest of the
daemon running, reconnect when the server is back.  Each connection gets a fresh ring sized for
that server's sample rate; the producer notices through :attr:`JackOutput.ring`.

Closing a client needs care: libjack's deactivate and close cancel the client's threads
(``pthread_cancel``, asynchronous), and a thread cancelled while it runs one of our Python
callbacks -- or waits for the interpreter lock to run one -- takes that lock with it and hangs
the whole process (seen about once in 25 server restarts).  So the supervisor closes a client
only when none of its threads can be in Python: the thread that delivered the shutdown callback
has exited, and the process callback has not run for :data:`QUIET_S` -- a dead server starts no
more cycles; a live one is first told to stop calling us (the process callback ends its own
thread with ``CallbackExit``).  libjack's own messages go to a C function for the same reason
(:mod:`bridge.libjack`).
"""

from __future__ import annotations

import logging
import os
import threading
import time

import numpy as np

from bridge.address_table import JACK_CLIENT_NAME
from bridge.libjack import quiet_libjack
from bridge.rt_priority import realtime_priority

log = logging.getLogger("latent_resonance.synth.jack")

#: how long the process callback must have been idle before a client is closed (seconds; a
#: period is 5.3 ms at 48 kHz / 256)
QUIET_S = 0.1
#: ... and how long to wait for that at most before leaving the client unclosed (seconds)
CLOSE_WAIT_S = 3.0


class RingBuffer:
    """Single-producer single-consumer float32 ring (mono).

    The producer calls :meth:`write`, the JACK callback :meth:`read_into`.  Indices are plain
    ints that only their owner writes; under the GIL each update is atomic, and the data is
    written before the index that publishes it, so no lock is needed.
    """

    def __init__(self, capacity: int, rate: int):
        size = 1 << max(10, int(capacity - 1).bit_length())
        self._buf = np.zeros(size, dtype=np.float32)
        self._mask = size - 1
        self.capacity = size
        self.rate = int(rate)  #: sample rate of what is stored (Hz)
        self._w = 0  # written by the producer only
        self._r = 0  # written by the consumer only
        self.underruns = 0  #: callbacks that found too little audio (after priming)
        self.primed = False  #: set by the producer once the ring first reached its target

    @property
    def fill(self) -> int:
        """Samples ready to be read."""
        return self._w - self._r

    def write(self, x: np.ndarray) -> int:
        """Append ``x`` (producer side); returns samples written (fewer when nearly full)."""
        n = min(len(x), self.capacity - self.fill)
        if n <= 0:
            return 0
        i = self._w & self._mask
        first = min(n, self.capacity - i)
        self._buf[i:i + first] = x[:first]
        if n > first:
            self._buf[:n - first] = x[first:n]
        self._w += n  # publish after the data is in place
        return n

    def read_into(self, out: np.ndarray) -> None:
        """Fill ``out`` (consumer side, real-time safe): copy, pad with zeros on underrun."""
        n = len(out)
        avail = self._w - self._r
        take = n if avail >= n else max(0, avail)
        i = self._r & self._mask
        first = min(take, self.capacity - i)
        out[:first] = self._buf[i:i + first]
        if take > first:
            out[first:take] = self._buf[:take - first]
        if take < n:
            out[take:] = 0.0
            if self.primed:
                self.underruns += 1
        self._r += take


class JackOutput:
    """Keeps a JACK client with two output ports connected, reconnecting when needed.

    ``ring_seconds``: ring capacity; ``connect``: auto-connect to the first two physical
    playback ports (``system:playback_*``).  ``ring`` is None while no server is connected.
    ``server`` overrides ``$JACK_DEFAULT_SERVER``.
    """

    def __init__(self, name: str = JACK_CLIENT_NAME, connect: bool = True,
                 ring_seconds: float = 0.5, retry_s: float = 2.0, server: str | None = None):
        self.name, self.auto_connect, self.retry_s = name, connect, retry_s
        self.ring_seconds = ring_seconds
        self.server = server
        self.ring: RingBuffer | None = None
        self.blocksize = 0
        self.connections = 0  #: successful (re)connections so far
        #: realtime priority of JACK's process thread (0: not realtime), known from the first
        #: process callback of the current connection; None until then
        self.process_priority: int | None = None
        self.underruns_before = 0  #: underruns counted by rings of earlier connections
        self.unclosed = []  #: clients whose threads never went quiet (kept, never closed)
        self._cycles = 0  # process callbacks run (all connections)
        self._process_tid: int | None = None  # libjack's process thread (this connection)
        self._shutdown_tids: set[int] = set()  # libjack threads that ran the shutdown callback
        self._end_cycles = False  # the process callback ends libjack's process thread
        self._gone = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="jack-supervisor",
                                        daemon=True)

    @property
    def underruns(self) -> int:
        ring = self.ring
        return self.underruns_before + (ring.underruns if ring is not None else 0)

    @property
    def rate(self) -> int:
        ring = self.ring
        return ring.rate if ring is not None else 0

    def start(self) -> None:
        self._thread.start()

    def _open(self):
        import jack

        client = jack.Client(self.name, no_start_server=True, servername=self.server)
        ring = RingBuffer(int(client.samplerate * self.ring_seconds), client.samplerate)
        out1 = client.outports.register("out_1")
        out2 = client.outports.register("out_2")

        def process(frames: int) -> None:
            """JACK process callback: copy only -- no allocation of audio memory, no locks."""
            if self.process_priority is None:  # once per connection: two non-blocking syscalls
                self.process_priority = realtime_priority()
                self._process_tid = threading.get_native_id()
            if self._end_cycles:
                raise jack.CallbackExit  # libjack deactivates us and ends this thread itself
            self._cycles += 1
            a = out1.get_array()
            ring.read_into(a)
            out2.get_array()[:] = a

        def shutdown(status, reason) -> None:
            """Server shut us down: only note this thread and set a flag."""
            self._shutdown_tids.add(threading.get_native_id())
            self._gone.set()

        client.set_process_callback(process)
        client.set_shutdown_callback(shutdown)
        self._process_tid = None
        self._shutdown_tids.clear()
        self._end_cycles = False
        self._gone.clear()
        self.process_priority = None
        client.activate()
        if self.auto_connect:
            playback = client.get_ports(is_physical=True, is_input=True, is_audio=True)
            for port, dest in zip((out1, out2), playback * 2 if len(playback) == 1 else playback):
                try:
                    client.connect(port, dest)
                except jack.JackError as exc:
                    log.warning("could not connect %s to %s: %s", port.name, dest.name, exc)
            if not playback:
                log.info("no physical playback ports to connect to; connect %s:out_1/out_2 "
                         "by hand", client.name)
        return client, ring

    def _supervise(self) -> None:
        import jack

        quiet_libjack()  # libjack prints three lines to stderr on every failed attempt
        told = False
        while not self._stop.is_set():
            try:
                client, ring = self._open()
            except (jack.JackError, OSError) as exc:
                if not told:
                    log.warning("JACK server not running (%s); the synth keeps running and "
                                "retries every %g s -- start one with e.g. `jackd -d dummy` "
                                "or qjackctl", str(exc).split(":")[0], self.retry_s)
                    told = True
                self._stop.wait(self.retry_s)
                continue
            told = False
            self.blocksize = client.blocksize
            self.connections += 1
            self.ring = ring
            log.info("JACK: client %s at %d Hz, period %d%s", client.name, client.samplerate,
                     client.blocksize, " (reconnected)" if self.connections > 1 else "")
            while not self._stop.is_set() and not self._gone.is_set():
                self._gone.wait(0.25)
            self.ring = None
            self.underruns_before += ring.underruns
            server_gone = self._gone.is_set() and not self._stop.is_set()
            if server_gone:
                log.warning("JACK server went away; the synth keeps running and reconnects "
                            "when it returns")
            self._retire(client, server_gone)

    def _retire(self, client, server_gone: bool) -> None:
        """Close ``client`` once none of its libjack threads can be running Python (see the
        module docstring); if that never happens, keep it unclosed rather than risk a hang.
        ``server_gone``: its server went away (else it is asked to stop calling us first)."""
        # after the server went away, libjack's process thread may wait forever in libjack,
        # outside Python: only the thread(s) that ran the shutdown callback must have ended
        waited_for = set(self._shutdown_tids)
        if not server_gone:
            self._end_cycles = True
            if self._process_tid is not None:
                waited_for.add(self._process_tid)
        deadline = time.monotonic() + CLOSE_WAIT_S
        cycles, idle_since = self._cycles, time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.01)
            now = time.monotonic()
            if self._cycles != cycles:
                cycles, idle_since = self._cycles, now
            elif now - idle_since >= QUIET_S and not any(map(_thread_alive, waited_for)):
                try:
                    client.deactivate()
                    client.close()
                except Exception:  # noqa: BLE001 - closing is best effort (server may be gone)
                    pass
                return
        log.warning("JACK client %s stayed busy; left it open (it holds a little memory)",
                    self.name)
        self.unclosed.append(client)  # a reference, so garbage collection never closes it

    def close(self) -> None:
        self._stop.set()
        self._gone.set()
        self._thread.join(CLOSE_WAIT_S + 2)


def _thread_alive(native_id: int) -> bool:
    """True while the thread ``native_id`` of this process exists (Linux: /proc/self/task)."""
    return os.path.exists(f"/proc/self/task/{native_id}")
