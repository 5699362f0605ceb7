"""Realtime (SCHED_FIFO) scheduling for the calling thread, where the system allows it.

An audio thread at normal priority waits in the run queue behind whatever else the machine
runs (the generator process, a browser, the DAW's GUI); a FIFO thread runs as soon as it is
ready.  A realtime JACK server (``jackd -R``, JACK's default) runs its clients' process threads
at FIFO priority (5 with jackd2's defaults); the daemon's voice thread, which keeps the ring
those threads read filled, follows one step below, so it never delays the JACK graph.  Beside a
server without realtime it stays at normal priority: above a JACK graph at normal priority it
would delay the graph instead (the soak measured 5x the server's xruns).

Linux needs CAP_SYS_NICE or an ``rtprio`` limit (``ulimit -r``, e.g. the ``audio`` group of
``/etc/security/limits.d/audio.conf`` that the jackd2 package installs).  The standard library
does the work (``os.sched_setscheduler`` on pid 0 acts on the calling thread on Linux).
"""

from __future__ import annotations

import os

_HAVE_SCHED = hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_FIFO")


def realtime_priority() -> int:
    """The calling thread's FIFO/RR priority (1..99), 0 when it is not realtime."""
    if not _HAVE_SCHED:
        return 0
    if os.sched_getscheduler(0) not in (os.SCHED_FIFO, os.SCHED_RR):
        return 0
    return os.sched_getparam(0).sched_priority


def make_thread_realtime(priority: int) -> str | None:
    """Give the calling thread SCHED_FIFO ``priority`` (1..99); None on success, otherwise a
    one-line reason (not supported here, or refused by the system)."""
    if not 1 <= priority <= 99:
        raise ValueError(f"realtime priority must be 1..99, got {priority}")
    if not _HAVE_SCHED:
        return "this system has no SCHED_FIFO scheduling"
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except PermissionError:
        return ("not permitted: allow realtime priority for this user (e.g. the audio group "
                "and an rtprio limit in /etc/security/limits.d)")
    except OSError as exc:
        return f"refused by the system ({exc.strerror or exc})"
    return None


def make_thread_normal() -> None:
    """Back to normal (SCHED_OTHER) scheduling for the calling thread; always allowed."""
    if _HAVE_SCHED and os.sched_getscheduler(0) != os.SCHED_OTHER:
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


def thread_policy() -> str:
    """The calling thread's scheduling policy and priority, e.g. ``"SCHED_FIFO 4"``."""
    if not hasattr(os, "sched_getscheduler"):
        return "unknown"
    names = {getattr(os, n): n for n in ("SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH",
                                         "SCHED_IDLE") if hasattr(os, n)}
    policy = os.sched_getscheduler(0)
    return f"{names.get(policy, policy)} {os.sched_getparam(0).sched_priority}"
