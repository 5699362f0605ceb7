"""A JACK client kept connected: one clear line when there is no server, a quiet retry, a safe
close when the server goes away, and a reconnect when it comes back.

The synth's audio output (:mod:`bridge.jack.audio_out`) and the face engine's JACK MIDI port
(:mod:`bridge.midi.jack_port`) are subclasses; each registers its ports and says what one
process cycle does.

Closing a client needs care: libjack's deactivate and close cancel the client's threads
(``pthread_cancel``, asynchronous), and a thread cancelled while it runs one of our Python
callbacks -- or waits for the interpreter lock to run one -- takes that lock with it and hangs
the whole process (seen about once in 25 server restarts).  So the supervisor closes a client
only when none of its threads can be in Python: the thread that delivered the shutdown callback
has exited, and the process callback has not run for :data:`QUIET_S` -- a dead server starts no
more cycles; a live one is first told to stop calling us (the process callback ends its own
thread with ``CallbackExit``).  libjack's own messages go to a C function for the same reason
(:mod:`bridge.jack.libjack`).

libjack also keeps one set of server mappings per process: a client opened while another
client of the same process still belongs to a dead server points that old client at the new
server's memory (a crash, seen in a restart test).  ``live`` holds two kept clients (synth
audio, face MIDI), so no kept client opens while another one is being retired.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from bridge.jack.libjack import quiet_libjack
from bridge.jack.rt_priority import realtime_priority

log = logging.getLogger("latent_resonance.jack")

#: how long the process callback must have been idle before a client is closed (seconds; a
#: period is 5.3 ms at 48 kHz / 256)
QUIET_S = 0.1
#: ... and how long to wait for that at most before leaving the client unclosed (seconds)
CLOSE_WAIT_S = 3.0
#: a connection whose process callback has not run for this long is reopened (seconds)
STALLED_S = 3.0

_retiring = 0  # kept clients of this process being retired right now
_retiring_changed = threading.Condition()


class KeptJackClient:
    """Keeps one JACK client open and active, reopening it after the server comes back.

    Subclasses implement :meth:`_register` (ports, and the work of one process cycle) and may
    extend :meth:`_connected` / :meth:`_disconnected`.  ``who``: how log lines name the program
    that keeps running ("the synth").  ``server`` overrides ``$JACK_DEFAULT_SERVER``.
    """

    def __init__(self, name: str, who: str, retry_s: float = 2.0, server: str | None = None):
        self.name, self.who, self.retry_s, self.server = name, who, retry_s, server
        #: the name JACK gave the newest connection's client (None before the first one)
        self.client_name: str | None = None
        self.connections = 0  #: successful (re)connections so far
        #: realtime priority of JACK's process thread (0: not realtime), known from the first
        #: process callback of the current connection; None until then
        self.process_priority: int | None = None
        self.unclosed = []  #: clients whose threads never went quiet (kept, never closed)
        self._cycles = 0  # process callbacks run (all connections)
        self._process_tid: int | None = None  # libjack's process thread (this connection)
        self._shutdown_tids: set[int] = set()  # libjack threads that ran the shutdown callback
        self._end_cycles = False  # the process callback ends libjack's process thread
        self._has_process = False  # the current client has a process callback
        self._gone = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name=f"jack-{name}",
                                        daemon=True)

    # -- subclass hooks ----------------------------------------------------------------------

    def _register(self, client):
        """Register ports on ``client``; return ``cycle(frames)``, the work of one process
        cycle (real-time: copy, no locks, no waiting), or None for no process callback."""
        raise NotImplementedError

    def _connected(self, client) -> None:
        """Called on the supervisor thread once ``client`` is active."""

    def _tick(self, client) -> None:
        """Called on the supervisor thread about every 0.25 s while connected."""

    def _disconnected(self) -> None:
        """Called on the supervisor thread when the connection ends, at once: stop using
        what belongs to the old server (no blocking, no calls into libjack)."""

    def _release(self, quiet: bool, server_gone: bool) -> None:
        """Called on the supervisor thread after :meth:`_disconnected`, once the old server
        connection is quiet (``quiet``; its server is gone or has let us go, so a libjack call
        fails fast instead of waiting for an answer) or after :data:`CLOSE_WAIT_S` without
        (``quiet`` False: keep what would need the server to close), while no other kept
        client of this process may open.  ``server_gone``: the server went away (else we are
        closing)."""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._gone.set()
        self._thread.join(CLOSE_WAIT_S + 2)

    def _open(self):
        import jack

        client = jack.Client(self.name, no_start_server=True, servername=self.server)
        try:
            return self._set_up(client)
        except Exception:
            # a client whose activation failed (a server too busy to answer in time) still
            # holds its registered ports on the server: close it, or they stay there looking
            # like a live synth until the retry's client takes over
            try:
                client.close()
            except Exception:  # noqa: BLE001 - best effort: the server may be gone
                pass
            raise

    def _set_up(self, client):
        import jack

        cycle = self._register(client)

        def process(frames: int) -> None:
            """JACK process callback: bookkeeping, then the subclass's copy-only cycle."""
            if self.process_priority is None:  # once per connection: two non-blocking syscalls
                self.process_priority = realtime_priority()
                self._process_tid = threading.get_native_id()
            if self._end_cycles:
                raise jack.CallbackExit  # libjack deactivates us and ends this thread itself
            self._cycles += 1
            cycle(frames)

        def shutdown(status, reason) -> None:
            """Server shut us down: only note this thread and set a flag."""
            self._shutdown_tids.add(threading.get_native_id())
            self._gone.set()

        self._has_process = cycle is not None
        if cycle is not None:
            client.set_process_callback(process)
        client.set_shutdown_callback(shutdown)
        self._process_tid = None
        self._shutdown_tids.clear()
        self._end_cycles = False
        self._gone.clear()
        self.process_priority = None
        client.activate()
        return client

    def _supervise(self) -> None:
        import jack

        quiet_libjack()  # libjack prints three lines to stderr on every failed attempt
        told = False
        while not self._stop.is_set():
            # Never open beside a client of a dead server, however long its retiring takes:
            # libjack would give the new client the old server's graph (its process callback
            # then never runs -- seen when a 4 s limit here ran out during a slow retire).
            with _retiring_changed:
                while _retiring and not self._stop.is_set():
                    _retiring_changed.wait(0.5)
            if self._stop.is_set():
                break
            try:
                client = self._open()
            except (jack.JackError, OSError) as exc:
                if not told:
                    log.warning("JACK server not running (%s); %s keeps running and retries "
                                "every %g s -- start one with e.g. `jackd -d dummy` or "
                                "qjackctl", str(exc).split(":")[0], self.who, self.retry_s)
                    told = True
                self._stop.wait(self.retry_s)
                continue
            told = False
            self.client_name = client.name  # JACK may have made it unique (name-01)
            self._connected(client)
            self.connections += 1
            log.info("JACK: client %s at %d Hz, period %d%s", client.name, client.samplerate,
                     client.blocksize, " (reconnected)" if self.connections > 1 else "")
            since, cycles = time.monotonic(), self._cycles
            stalled = False
            while not self._stop.is_set() and not self._gone.is_set():
                self._gone.wait(0.25)
                if self._gone.is_set():
                    break
                self._tick(client)
                if (self._has_process and self._cycles == cycles
                        and time.monotonic() - since > STALLED_S):
                    # libjack sometimes hands a reconnected client a dead server's graph, and
                    # its process callback never runs: a silent synth; a fresh client works
                    log.warning("JACK never ran the process callback of %s; reconnecting",
                                client.name)
                    stalled = True
                    break
            server_gone = (self._gone.is_set() or stalled) and not self._stop.is_set()
            if server_gone:
                log.warning("JACK server went away; %s keeps running and reconnects when it "
                            "returns", self.who)
            self._retire(client, server_gone)

    def _retire(self, client, server_gone: bool) -> None:
        """Close ``client`` once none of its libjack threads can be running Python (see the
        module docstring); if that never happens, keep it unclosed rather than risk a hang.
        ``server_gone``: its server went away (else it is asked to stop calling us first)."""
        global _retiring
        with _retiring_changed:
            _retiring += 1
        try:
            self._disconnected()
            quiet = self._close_when_quiet(client, server_gone)
            self._release(quiet, server_gone)
        finally:
            with _retiring_changed:
                _retiring -= 1
                _retiring_changed.notify_all()

    def _close_when_quiet(self, client, server_gone: bool) -> bool:
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
                # each step on its own: deactivating on a dead server fails, and a client
                # left open then keeps libjack's mappings of that server for the next client
                # of this process (whose process callback then never runs)
                for step in (client.deactivate, client.close):
                    try:
                        step()
                    except Exception:  # noqa: BLE001 - best effort: the server may be gone
                        pass
                log.debug("JACK: client %s closed", self.name)
                return True
        log.warning("JACK client %s stayed busy; left it open (it holds a little memory)",
                    self.name)
        self.unclosed.append(client)  # a reference, so garbage collection never closes it
        return False


def _thread_alive(native_id: int) -> bool:
    """True while the thread ``native_id`` of this process exists (Linux: /proc/self/task)."""
    return os.path.exists(f"/proc/self/task/{native_id}")
