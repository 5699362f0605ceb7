"""How much audio the live voice keeps queued ahead of the audio server: a floor that grows
when the machine stalls and shrinks back slowly when it is quiet again.

A fixed queue trades latency against dropouts once and for all.  On a shared or busy machine
the stalls come in bursts (seconds of a virtual CPU not being run, then quiet minutes), so the
queue follows them: a *near miss* (the queue found below :attr:`near_miss_fraction` of its
target: a stall almost ran it dry) raises the target by :attr:`step_ms`, an underrun by twice
that, up to ``ceiling_ms``; after :attr:`hold_s` without either, the target walks back down
by :attr:`decay_ms` every :attr:`decay_every_s` to ``floor_ms``.  The same idea as the
adaptive wakeup watermark of PulseAudio's timer-based scheduling.  ``ceiling_ms ==
floor_ms`` keeps the queue fixed.

Pure logic (times in seconds, sizes in ms) so it is tested without a clock or a server.
"""

from __future__ import annotations

#: default ceiling (ms): the longest stalls measured on a shared 2-core VM were ~50 ms
DEFAULT_CEILING_MS = 100.0


class QueueTarget:
    """Target queue length (ms) between ``floor_ms`` and ``ceiling_ms``.

    Call :meth:`observe` with the queue's length each time the voice looks at it, and
    :meth:`underrun` when the consumer found it empty; read :attr:`ms`.  ``raises`` counts the
    raises so far (near misses and underruns together).
    """

    near_miss_fraction = 1 / 3
    step_ms = 10.0
    hold_s = 20.0
    decay_ms = 1.0
    decay_every_s = 2.0
    #: one stall is one event: further lows within this are the same stall (s)
    debounce_s = 0.25

    def __init__(self, floor_ms: float, ceiling_ms: float):
        if not 0 <= floor_ms <= ceiling_ms:
            raise ValueError(f"need 0 <= floor ({floor_ms}) <= ceiling ({ceiling_ms})")
        self.floor_ms = float(floor_ms)
        self.ceiling_ms = float(ceiling_ms)
        self.ms = self.floor_ms
        self.raises = 0
        self._last_event = -1e18  # time of the last raise (s)
        self._last_decay = -1e18

    @property
    def adaptive(self) -> bool:
        return self.ceiling_ms > self.floor_ms

    def observe(self, queued_ms: float, now: float) -> float:
        """The queue holds ``queued_ms`` at time ``now`` (s); returns the target (ms)."""
        if not self.adaptive:
            return self.ms
        if queued_ms < self.near_miss_fraction * self.ms:
            self._raise(self.step_ms, now)
        elif now - self._last_event >= self.hold_s and self.ms > self.floor_ms:
            if now - self._last_decay >= self.decay_every_s:
                self.ms = max(self.floor_ms, self.ms - self.decay_ms)
                self._last_decay = now
        return self.ms

    def underrun(self, now: float) -> float:
        """The queue ran dry at ``now`` (s); returns the target (ms)."""
        if self.adaptive:
            self._raise(2 * self.step_ms, now)
        return self.ms

    def _raise(self, by_ms: float, now: float) -> None:
        if now - self._last_event < self.debounce_s:
            return
        self._last_event = now
        self._last_decay = now
        if self.ms < self.ceiling_ms:
            self.ms = min(self.ceiling_ms, self.ms + by_ms)
            self.raises += 1
