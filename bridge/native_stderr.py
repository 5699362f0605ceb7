"""What native libraries print on file descriptor 2, kept off the performer's terminal.

MediaPipe's C++ threads write start-up chatter straight to fd 2 whenever a calculator opens --
asynchronously, and before any log level can be set from Python -- and alsa-lib or libjack
inside rtmidi print their own lines when a port cannot be opened.  Silencing stderr around a
call races with the asynchronous writers, so this is one pipe, read by one thread: while
anything holds it, fd 2 is the pipe's write end, and each line goes on to the real stderr,
except a line matching a held :func:`filtered` pattern (dropped) or one written inside
:func:`to_log` (logged at debug level).  Python's own output passes through the same pipe and
keeps its order.  (libjack's error and info callbacks are pointed at a C no-op instead, see
:mod:`bridge.jack.libjack`, so that no Python runs on libjack's threads.)

Hand-written because no library redirects a file descriptor with a live line filter.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import sys
import threading

log = logging.getLogger("latent_resonance.native")

#: MediaPipe's native info/warning lines (absl/glog format, and TFLite's delegate notice):
#: start-up chatter a performer should not see.  Errors (E/F) still pass.
MEDIAPIPE_CHATTER = re.compile(
    rb"^(?:[IW]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w.]+:\d+\]|INFO: Created TensorFlow Lite"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called)")

_MARK = b"\x00lr-native-stderr-sync\x00"


class _Pipe:
    """fd 2 redirected into a pipe while ``users`` > 0 (reference counted, one reader)."""

    lock = threading.Lock()
    users = 0
    saved = thread = None
    patterns: list = []
    diverting = 0  # to_log blocks open
    synced = threading.Event()

    @classmethod
    def acquire(cls) -> bool:
        with cls.lock:
            if cls.thread is None:
                try:
                    fd = sys.stderr.fileno()
                except (AttributeError, OSError, ValueError):  # no real stderr (captured)
                    return False
                sys.stderr.flush()
                r, w = os.pipe()
                cls.saved = os.dup(fd)
                os.dup2(w, fd)
                os.close(w)
                cls.thread = threading.Thread(target=cls._forward, args=(r, cls.saved),
                                              name="native-stderr", daemon=True)
                cls.thread.start()
                if not cls.users:
                    # at exit (even with a holder left open) restore fd 2 and drain the pipe,
                    # so the last lines -- a traceback, say -- still reach the terminal
                    atexit.register(cls.release, force=True)
            cls.users += 1
            return True

    @classmethod
    def release(cls, force: bool = False) -> None:
        with cls.lock:
            cls.users = 0 if force else max(0, cls.users - 1)
            if cls.users or cls.thread is None:
                return
            sys.stderr.flush()
            thread, saved = cls.thread, cls.saved
            os.dup2(saved, sys.stderr.fileno())  # closes the pipe's write end: reader at EOF
            thread.join(timeout=2.0)
            os.close(saved)
            cls.thread = cls.saved = None

    @classmethod
    def sync(cls) -> None:
        """Wait until the reader has handled everything written to fd 2 so far."""
        cls.synced.clear()
        try:
            sys.stderr.flush()
            os.write(sys.stderr.fileno(), _MARK + b"\n")
        except (OSError, ValueError):
            return
        cls.synced.wait(1.0)

    @classmethod
    def _line(cls, line: bytes, out: int) -> None:
        if line.rstrip(b"\n") == _MARK:
            cls.synced.set()
        elif cls.diverting:
            log.debug("native: %s", line.decode(errors="replace").rstrip())
        elif not any(p.match(line) for p in list(cls.patterns)):
            try:
                os.write(out, line)
            except OSError:  # the terminal is gone: drop, keep draining
                pass

    @classmethod
    def _forward(cls, r: int, out: int) -> None:
        """Lines from the pipe ``r`` to :meth:`_line` until EOF.  It never stops reading
        early: a full pipe would block every writer to stderr."""
        pending = b""
        with os.fdopen(r, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    cls._line(line + b"\n", out)
                if len(pending) > 1024:  # no newline coming (a progress bar): pass it on
                    cls._line(pending, out)
                    pending = b""
        if pending:
            cls._line(pending, out)


@contextlib.contextmanager
def filtered(pattern: re.Pattern):
    """While inside, native lines matching ``pattern`` (bytes regex) never reach stderr."""
    held = _Pipe.acquire()
    _Pipe.patterns.append(pattern)
    try:
        yield
    finally:
        _Pipe.patterns.remove(pattern)
        if held:
            _Pipe.release()


@contextlib.contextmanager
def to_log():
    """Everything written to fd 2 inside goes to the debug log instead: the user gets the
    caller's one-line error, not a C library's chatter."""
    held = _Pipe.acquire()
    _Pipe.diverting += 1
    try:
        yield
    finally:
        if held:
            _Pipe.sync()
        _Pipe.diverting -= 1
        if held:
            _Pipe.release()
