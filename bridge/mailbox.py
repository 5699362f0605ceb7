"""A one-slot, newest-wins handoff between two threads (no queue builds up).

The camera thread hands frames to the face engine through one; the generator thread hands
images to the voice thread through another.  ``put`` overwrites (an item never taken counts as
``dropped``); ``take(since)`` polls without waiting (the voice thread must never block);
``get(timeout)`` waits for an item newer than the last one taken.
"""

from __future__ import annotations

import threading


class Mailbox:
    def __init__(self):
        self._cond = threading.Condition()
        self._item = None
        self._serial = 0  # items put so far
        self._taken = 0  # serial of the last item taken
        self.dropped = 0  #: items overwritten before anyone took them
        self.closed = False

    def put(self, item) -> None:
        with self._cond:
            if self._serial > self._taken:
                self.dropped += 1
            self._item, self._serial = item, self._serial + 1
            self._cond.notify_all()

    def take(self, since: int):
        """(item, serial) if something newer than ``since`` was put, else (None, since)."""
        with self._cond:
            if self._serial == since:
                return None, since
            self._taken = self._serial
            return self._item, self._serial

    def get(self, timeout: float):
        """The newest item not taken yet, or None after ``timeout`` s (or once closed)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._serial > self._taken or self.closed,
                                       timeout):
                return None
            if self._serial > self._taken:
                self._taken = self._serial
                return self._item
            return None

    def close(self) -> None:
        """Wake every waiting ``get``; what is in the slot can still be taken."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()
