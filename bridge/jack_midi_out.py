"""JACK MIDI output port that survives the JACK server going away and coming back.

The face engine's MIDI on JACK goes through JACK-Client, like the synth's audio, not through
python-rtmidi: rtmidi's JACK backend (RtMidi 5.0 in python-rtmidi 1.5) has no shutdown
notice, and once its server is gone ``send_message`` fills rtmidi's queue and then blocks
forever -- measured: about 2300 messages, some 15 s of face frames, after which the face
engine's whole loop (OSC included) stopped.  Here the connection is kept by
:class:`bridge.jack_client.KeptJackClient`; messages sent while no server is connected are
dropped, and every reconnection asks the sender to resend its current state.
"""

from __future__ import annotations

import logging
from collections import deque

from bridge.jack_client import KeptJackClient

log = logging.getLogger("latent_resonance.midi")

#: messages waiting for the next process cycle at most; the oldest go first when full (a CC
#: stream is state: the newest value is the one that matters)
QUEUE_MAX = 4096


class JackMidiPort(KeptJackClient):
    """Client ``name`` with one MIDI output port ``port``; :meth:`send` queues a message for
    the next process cycle (never blocks).  ``connections`` counts (re)connections: a sender
    resends its state when it changes."""

    def __init__(self, name: str, port: str | None = None, retry_s: float = 2.0,
                 server: str | None = None):
        super().__init__(name, "the face engine", retry_s=retry_s, server=server)
        self.port_name = port or name
        self._queue: deque[bytes] = deque(maxlen=QUEUE_MAX)
        self._live = False

    @property
    def connected(self) -> bool:
        return self._live

    def send(self, message: list[int] | bytes) -> None:
        """Queue one MIDI message (status byte first); dropped while no server is connected."""
        if self._live:
            self._queue.append(bytes(message))

    def _register(self, client):
        port = client.midi_outports.register(self.port_name)
        queue = self._queue
        queue.clear()

        def cycle(frames: int) -> None:
            """Move queued messages into this period's port buffer, all at offset 0 (in
            order); what does not fit waits for the next period."""
            port.clear_buffer()
            while queue:
                message = queue[0]
                buf = port.reserve_midi_event(0, len(message))
                if len(buf) == 0:  # this period's buffer is full
                    return
                buf[:] = message
                queue.popleft()

        return cycle

    def _connected(self, client) -> None:
        self._live = True

    def _disconnected(self) -> None:
        self._live = False
        self._queue.clear()
