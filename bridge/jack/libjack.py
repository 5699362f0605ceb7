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
import functools
import os

_done: set[str] = set()  # libjack copies already silenced (paths, or the soname)


@functools.cache
def _system_libjack() -> str | None:
    """The system libjack's soname (``find_library`` runs ldconfig: ask once)."""
    return ctypes.util.find_library("jack")


def _loaded_copies() -> list[str]:
    """Paths of every libjack mapped into this process: python-rtmidi's wheel brings its own
    copy (``python_rtmidi.libs/libjack-*.so``) beside the system one JACK-Client uses."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            paths = {line.split(None, 5)[5].strip() for line in fh
                     if "/libjack" in line and len(line.split(None, 5)) == 6}
    except OSError:
        return []
    return sorted(p for p in paths if ".so" in p and not p.endswith("(deleted)"))


def quiet_libjack() -> None:
    """Make libjack's error and info messages go nowhere, in the system libjack and in every
    other copy loaded so far (call again after importing rtmidi; no-op without libjack)."""
    name = _system_libjack()
    for target in ([name] if name else []) + _loaded_copies():
        if target in _done:
            continue
        try:
            libjack = ctypes.CDLL(target)  # the instance already loaded, if it is
            silent = ctypes.cast(ctypes.CDLL(None).strlen, ctypes.c_void_p)
            setters = (libjack.jack_set_error_function, libjack.jack_set_info_function)
        except (OSError, AttributeError):
            continue
        for setter in setters:
            setter.argtypes, setter.restype = [ctypes.c_void_p], None
            setter(silent)
        _done.add(target)


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


def server_socket(server: str | None = None) -> str:
    """Where a JACK2 server named ``server`` (else ``$JACK_DEFAULT_SERVER``, else "default")
    of this user listens: ``$JACK_TMP_DIR`` (default ``/dev/shm``) ``/jack_NAME_UID_0``.
    jackd removes it when it exits; a new server makes a new one (a new inode)."""
    name = server or os.environ.get("JACK_DEFAULT_SERVER") or "default"
    tmp = os.environ.get("JACK_TMP_DIR", "/dev/shm")
    return os.path.join(tmp, f"jack_{name}_{os.getuid()}_0")


def server_identity(server: str | None = None) -> tuple[int, int] | None:
    """(device, inode) of the running server's socket, or None when there is none to see."""
    try:
        st = os.stat(server_socket(server))
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
