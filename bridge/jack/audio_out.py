"""JACK output: client ``latent-resonance`` with ports ``out_1``/``out_2`` fed from a stereo ring
buffer, and (for the synth) a MIDI input port whose events keep their frames.

The process callback only copies samples out of a preallocated ring buffer into the port
buffers.  It never allocates audio memory, never takes a lock and never waits; when the ring
holds too little it plays what there is, pads with silence and counts an underrun.  (Python
itself creates a few small objects per callback -- the port-buffer views JACK-Client returns --
which no Python JACK client can avoid.)

The connection is kept by :class:`bridge.jack.client.KeptJackClient`: no server -> one clear
log line, then a quiet retry every ``retry_s``; server gone mid-run (shutdown callback) -> a
safe close, the rest of the daemon keeps running, reconnect when the server is back.  Each
connection gets a fresh ring sized for that server's sample rate; the producer notices through
:attr:`JackOutput.ring`.
"""

from __future__ import annotations

import logging
import time
from collections import deque

import numpy as np

from bridge.address_table import JACK_CLIENT_NAME, MIDI_IN_PORT_NAME
from bridge.jack.client import KeptJackClient

log = logging.getLogger("latent_resonance.synth.jack")

#: process cycles per window of the frame-clock estimate (~2 s at 256 frames / 48 kHz)
CLOCK_WINDOW = 400


class RingBuffer:
    """Single-producer single-consumer float32 ring of ``channels`` interleaved channels.

    The producer calls :meth:`write`, the JACK callback :meth:`read_into`.  Indices are plain
    ints (frames) that only their owner writes; under the GIL each update is atomic, and the
    data is written before the index that publishes it, so no lock is needed.

    ``clock``: (JACK frame, read index) of the last process cycle's start,
    set by the callback: the frame at which a sample written at index w is played is
    ``frame + w - read index`` (:meth:`frame_of`).
    """

    def __init__(self, capacity: int, rate: int, channels: int = 2):
        size = 1 << max(10, int(capacity - 1).bit_length())
        self._buf = np.zeros((size, channels), dtype=np.float32)
        self._mask = size - 1
        self.capacity = size
        self.channels = channels
        self.rate = int(rate)  #: sample rate of what is stored (Hz)
        self._w = 0  # written by the producer only
        self._r = 0  # written by the consumer only
        self.underruns = 0  #: callbacks that found too little audio (after priming)
        self.primed = False  #: set by the producer once the ring first reached its target
        self.clock: tuple[int, int, int] | None = None

    @property
    def fill(self) -> int:
        """Frames ready to be read."""
        return self._w - self._r

    @property
    def space(self) -> int:
        """Frames that can be written now without a short write."""
        return self.capacity - (self._w - self._r)

    @property
    def written(self) -> int:
        """Frames written so far (the index the next write starts at)."""
        return self._w

    def frame_of(self, index: int) -> int | None:
        """The JACK frame at which the sample at ring ``index`` plays (None before the first
        cycle); exact while the ring does not run dry."""
        c = self.clock
        return None if c is None else c[0] + index - c[1]

    def write(self, x: np.ndarray) -> int:
        """Append ``x`` (n, channels) (producer side); returns frames written (fewer when
        nearly full)."""
        x = x.reshape(len(x), -1)  # (a 1-D array for a mono ring)
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

    def read_into(self, outs) -> None:
        """Fill each array of ``outs`` (one per channel, consumer side, real-time safe: copy,
        pad with zeros on underrun; one array alone takes the first channel)."""
        if isinstance(outs, np.ndarray):
            outs = (outs,)
        n = len(outs[0])
        avail = self._w - self._r
        take = n if avail >= n else max(0, avail)
        i = self._r & self._mask
        first = min(take, self.capacity - i)
        for ch, out in enumerate(outs):
            out[:first] = self._buf[i:i + first, ch]
            if take > first:
                out[first:take] = self._buf[:take - first, ch]
            if take < n:
                out[take:] = 0.0
        if take < n and self.primed:
            self.underruns += 1
        self._r += take


class JackOutput(KeptJackClient):
    """Keeps a JACK client with two output ports connected, reconnecting when needed.

    ``ring_seconds``: ring capacity (at least; it holds a power of two samples); ``connect``: auto-connect to the first two physical
    playback ports (``system:playback_*``).  ``ring`` is None while no server is connected.
    ``server`` overrides ``$JACK_DEFAULT_SERVER``.
    """

    def __init__(self, name: str = JACK_CLIENT_NAME, connect: bool = True,
                 ring_seconds: float = 0.5, retry_s: float = 2.0, server: str | None = None,
                 midi_in: bool = False):
        super().__init__(name, "the synth", retry_s=retry_s, server=server)
        self.auto_connect = connect
        self.ring_seconds = ring_seconds
        self.ring: RingBuffer | None = None
        #: JACK period in frames (follows a change made while connected)
        self.blocksize = 0
        self._told_blocksize = 0
        self.underruns_before = 0  #: underruns counted by rings of earlier connections
        self._next_ring: RingBuffer | None = None
        #: a JACK MIDI input port on this client (``MIDI_IN_PORT_NAME``)
        self.midi_in = midi_in
        #: (JACK frame, MIDI bytes) from that port, newest last (the process callback appends)
        self.midi_events: deque = deque(maxlen=4096)
        self._epoch = [float("inf")]  # monotonic time of JACK frame 0 (the callback's estimate)

    def frame_at(self, unix_time: float) -> int | None:
        """The JACK frame at wall-clock ``unix_time`` (None while not connected).

        Only the process callback touches libjack (a call from another thread into a client
        whose server just died can crash), so the callback keeps the monotonic time of frame
        0, estimated from when its cycles start (the earliest start of the last 2-4 s wins: a
        cycle is never early); wall clock -> monotonic -> frame.
        """
        ring = self.ring
        epoch = self._epoch[0]
        if ring is None or ring.clock is None or epoch == float("inf"):
            return None
        mono = unix_time - time.time() + time.monotonic()
        return int(round((mono - epoch) * ring.rate))

    @property
    def underruns(self) -> int:
        ring = self.ring
        return self.underruns_before + (ring.underruns if ring is not None else 0)

    @property
    def rate(self) -> int:
        ring = self.ring
        return ring.rate if ring is not None else 0

    def _register(self, client):
        ring = RingBuffer(int(client.samplerate * self.ring_seconds), client.samplerate, 2)
        out1 = client.outports.register("out_1")
        out2 = client.outports.register("out_2")
        midi_in = client.midi_inports.register(MIDI_IN_PORT_NAME) if self.midi_in else None
        self._next_ring = ring
        midi = self.midi_events
        wrap = [0, 0]  # JACK's frame counter is 32 bits: (high part, last low part)
        epoch = self._epoch = [float("inf")]
        rate = float(client.samplerate)
        span = [float("inf"), float("inf"), 0]  # (min of this window, of the last, cycles)

        def cycle(frames: int) -> None:
            """Copy only -- no allocation of audio memory, no locks.  Notes the period, which
            the server may change at run time (the voice thread follows it), the clock, and
            the MIDI events with their frames."""
            self.blocksize = frames
            low = client.last_frame_time
            if low < wrap[1]:
                wrap[0] += 1 << 32
            wrap[1] = low
            frame = wrap[0] + low
            # the monotonic time of frame 0: a cycle starts on time or late, never early, so
            # the earliest estimate of the last CLOCK_WINDOW..2 x CLOCK_WINDOW cycles wins (a
            # stray early-looking cycle ages out, and so does clock drift)
            est = time.monotonic() - frame / rate
            if est < span[0]:
                span[0] = est
            span[2] += 1
            if span[2] >= CLOCK_WINDOW:
                span[1], span[0], span[2] = span[0], float("inf"), 0
            epoch[0] = span[0] if span[0] < span[1] else span[1]
            ring.clock = (frame, ring._r)
            ring.read_into((out1.get_array(), out2.get_array()))
            if midi_in is not None:
                for offset, data in midi_in.incoming_midi_events():
                    midi.append((frame + offset, bytes(data)))

        return cycle
    def _connected(self, client) -> None:
        import jack

        out1, out2 = client.outports[0], client.outports[1]
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
        self.blocksize = self._told_blocksize = client.blocksize
        self.ring = self._next_ring

    def _tick(self, client) -> None:
        if self.blocksize != self._told_blocksize:
            log.info("JACK: period is now %d frames", self.blocksize)
            self._told_blocksize = self.blocksize

    def _disconnected(self) -> None:
        ring, self.ring = self.ring, None
        if ring is not None:
            self.underruns_before += ring.underruns
