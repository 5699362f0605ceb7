"""JACK MIDI output port that survives the JACK server going away and coming back.

python-rtmidi carries the MIDI: its JACK process callback is C, so it never waits for Python's
interpreter lock (a Python callback here, in the face engine's process, made the JACK server
log about 10 xruns a second while MediaPipe ran -- measured).  But rtmidi's JACK backend (RtMidi
5.0 in python-rtmidi 1.5) gets no notice when its server goes away, and ``send_message`` then
fills rtmidi's queue and blocks for good: after about 2300 messages, some 15 s of face frames,
the face engine's whole loop (OSC included) stopped.

So a second, port-less JACK client watches the server (:class:`JackMidiPort`, kept by
:class:`bridge.jack.client.KeptJackClient`, with no process callback at all): while it is
connected the rtmidi port exists and messages go out; when the server goes away, sending stops
at once and the rtmidi client is closed (inside the retire gate of :mod:`bridge.jack.client`;
rtmidi's wheel brings its own copy of libjack, so its client never shares server mappings with
JACK-Client's); when the server is back, a new rtmidi port is opened.  Each time something new connects to the port (the DAW, a patchbay after a
restart) the sender is asked to resend its state (``new_listeners`` changes), so the receiver
has every control's current value at once even though values are sent only on change.
"""

from __future__ import annotations

import logging
import threading
import time

from bridge.jack.client import KeptJackClient
from bridge.jack.libjack import quiet_libjack, server_identity

#: how long to wait for a stopping JACK server to exit before rtmidi's client is closed
#: (seconds); after that the client is left unclosed
SERVER_EXIT_WAIT_S = 10.0

log = logging.getLogger("latent_resonance.midi")


class JackMidiPort(KeptJackClient):
    """A virtual JACK MIDI output ``port`` (client and port both named so) that follows the
    server; :meth:`send` never blocks and drops messages while no server is connected.  The
    watching client is named ``<port> (watch)``.  Both open on $JACK_DEFAULT_SERVER (rtmidi
    takes no server name)."""

    def __init__(self, port: str, retry_s: float = 2.0):
        super().__init__(f"{port} (watch)"[:63], "the face engine", retry_s=retry_s)
        self.port_name = port
        self._out = None  # the rtmidi MidiOut while connected
        self._closing = None  # the rtmidi MidiOut of a connection that ended, until released
        self._server_id = None  # the socket identity of the server rtmidi's client is on
        self._lock = threading.Lock()  # send() against the supervisor swapping _out
        #: times a new connection was made to the port (a DAW, a patchbay, after a restart):
        #: the sender resends its state when this changes
        self.new_listeners = 0
        self._listeners: set[str] = set()

    @property
    def connected(self) -> bool:
        return self._out is not None

    def send(self, message: list[int]) -> None:
        """Send one MIDI message (status byte first) now; dropped while not connected."""
        with self._lock:
            if self._out is not None:
                self._out.send_message(message)

    def _register(self, client):
        return None  # no ports, no process callback: this client only watches the server

    def _connected(self, client) -> None:
        import rtmidi

        quiet_libjack()  # rtmidi's own copy of libjack, too
        try:
            out = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name=self.port_name)
            out.open_virtual_port(self.port_name)
        except (rtmidi.RtMidiError, SystemError, RuntimeError) as exc:
            log.warning("JACK MIDI port '%s' could not be opened: %s", self.port_name, exc)
            return
        with self._lock:
            self._out = out
        self._server_id = server_identity()
        log.info("JACK MIDI: port '%s' is on the server", self.port_name)

    def _tick(self, client) -> None:
        """Notice new connections to the port by looking at the graph (no callback: a Python
        callback on libjack's notification thread could be cancelled inside Python)."""
        import jack

        try:
            now = {p.name for p in client.get_all_connections(
                f"{self.port_name}:{self.port_name}")}
        except (jack.JackError, ValueError):  # port not (yet) there
            return
        if now - self._listeners:
            self.new_listeners += 1
        self._listeners = now

    def _disconnected(self) -> None:
        self._listeners = set()
        with self._lock:  # from now on send() drops messages; the port is closed later
            self._closing, self._out = self._out, None

    def _release(self, quiet: bool, server_gone: bool) -> None:
        """Close rtmidi's client once its server has exited.  rtmidi's calls hold Python's
        interpreter lock while libjack waits for the server's answer: closing the port while
        jackd was still shutting down (it lets the watching client go before rtmidi's) blocked
        there for good, and with it every thread of the process -- the synth's voice and OSC
        in ``live``, and the code that would have killed jackd -- seen about one restart in
        ten.  Once the server is gone the same calls fail at once.  The server is known gone
        when its socket (see :func:`bridge.jack.libjack.server_identity`) is no longer the one
        rtmidi's client connected to; a server that never exits leaves the client unclosed."""
        out, self._closing = self._closing, None
        if out is None:
            return
        if not server_gone:  # our own close: the server is alive and answers
            gone = True
        else:
            deadline = time.monotonic() + SERVER_EXIT_WAIT_S
            while self._server_id is not None and server_identity() == self._server_id:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            gone = self._server_id is None or server_identity() != self._server_id
        if not (quiet and gone):  # the server still holds us: a close could wait forever
            log.warning("JACK MIDI: the old server has not exited; its port is left open")
            self.unclosed.append(out)
            return
        try:
            out.close_port()  # waits at most 1 s for rtmidi's (C) thread to drain
        finally:
            out.delete()  # closes rtmidi's JACK client
