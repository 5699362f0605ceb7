"""The event queue on the output's sample clock: what happens at which output frame.

Notes, and controls from scheduled OSC bundles, are queued at an absolute frame of the output
(JACK's frame clock live, the sample count offline); the voice thread takes what falls inside
each block it renders and applies note events at their sample within the block
(:meth:`engine.synth.notes.NoteEngine.render`), other controls at the block's start.  An event
without a frame ("now") is due at the next block.  ``CAPACITY`` events may wait; one more is
refused (:class:`QueueFull`), so a flood of future bundles cannot grow memory without bound.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from functools import partial

#: most events that may wait at once
CAPACITY = 4096


class QueueFull(Exception):
    """The queue holds ``CAPACITY`` events already."""


class EventQueue:
    """Events at output frames; any thread pushes, the voice thread takes them (one lock, held
    for a heap operation)."""

    def __init__(self, capacity: int = CAPACITY):
        self.capacity = int(capacity)
        self._heap: list = []
        self._seq = itertools.count()  # keeps events of one frame in arrival order
        self._lock = threading.Lock()
        self.late = 0  #: scheduled events that came due before the block they were meant for

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, frame: int | None, item) -> None:
        """Queue ``item`` at output ``frame`` (None: at the next block); QueueFull when full."""
        with self._lock:
            if len(self._heap) >= self.capacity:
                raise QueueFull(f"{self.capacity} events are already waiting")
            heapq.heappush(self._heap, (-1 if frame is None else int(frame), next(self._seq),
                                        frame is not None, item))

    def due(self, start: int, end: int) -> list[tuple[int, object]]:
        """Take every event before frame ``end``, as (offset from ``start`` >= 0, item) in time
        order; scheduled events before ``start`` are counted in :attr:`late` (offset 0)."""
        out = []
        with self._lock:
            heap = self._heap
            while heap and heap[0][0] < end:
                frame, _, scheduled, item = heapq.heappop(heap)
                if frame < start and scheduled:
                    self.late += 1
                out.append((max(0, frame - start), item))
        return out

    def clear(self) -> None:
        with self._lock:
            self._heap.clear()


def split_due(due, notes, call) -> list:
    """Due events (from :meth:`EventQueue.due`) as ``(offset, fn)`` for
    :meth:`engine.synth.notes.NoteEngine.render`; ``("call", path, args)`` items run at once
    through ``call(path, args)`` (controls act from the block's start)."""
    out = []
    for offset, item in due:
        kind = item[0]
        if kind == "call":
            call(item[1], item[2])
        elif kind == "on":
            out.append((offset, partial(notes.note_on, item[1], item[2])))
        elif kind == "off":
            out.append((offset, partial(notes.note_off, item[1])))
        elif kind == "panic":
            out.append((offset, notes.panic))
        elif kind == "sustain":
            out.append((offset, partial(notes.set_sustain, item[1])))
        elif kind == "bend":
            out.append((offset, partial(notes.set_bend, item[1])))
    return out
