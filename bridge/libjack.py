"""libjack helpers: silence its own messages (without running Python on its threads), and ask
whether a JACK server runs.

libjack prints every failed connection attempt ("Cannot connect to server socket ...", three
lines each time the synth retries); the bridge says what matters once, in its own words.
JACK-Client can route those messages to a Python function, but libjack calls that function on
its own threads, and ``jack_client_close()`` ends those threads with ``pthread_cancel``
(asynchronous cancellation): a thread cancelled while it waits for Python's interpreter lock
dies holding the lock's mutex, and every thread of the process then waits forever.  A restart
stress test of the synth hung exactly so (jack2 issue #395 shows the same hang in C clients).

So the replacement is a C function.  libjack has no silent one to offer, and no library
provides one, so the standard C library's ``strlen`` stands in: it takes the message pointer
libjack passes (``void f(const char *)``), reads it and has no other effect; its return value
lands in a register libjack ignores.  Hand-written because nothing else does this.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_done = False


def quiet_libjack() -> None:
    """Make libjack's error and info messages go nowhere (once per process; no-op without
    libjack)."""
    global _done
    if _done:
        return
    name = ctypes.util.find_library("jack")
    if name is None:
        return
    try:
        libjack = ctypes.CDLL(name)  # the same library instance JACK-Client loaded
        silent = ctypes.cast(ctypes.CDLL(None).strlen, ctypes.c_void_p)
    except (OSError, AttributeError):
        return
    for setter in (libjack.jack_set_error_function, libjack.jack_set_info_function):
        setter.argtypes, setter.restype = [ctypes.c_void_p], None
        setter(silent)
    _done = True


def jack_running() -> bool:
    """True when a JACK server (``JACK_DEFAULT_SERVER`` or the default) answers; never starts
    one."""
    quiet_libjack()
    try:
        import jack

        client = jack.Client("latent-resonance-probe", no_start_server=True)
    except Exception:  # noqa: BLE001 - no libjack, no server: both mean "not running"
        return False
    client.close()
    return True
