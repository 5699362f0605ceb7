"""JackOutput closes a JACK client only when none of libjack's threads can be inside Python.

libjack's deactivate/close cancel the client's threads; one cancelled while it waits for
Python's interpreter lock hangs the whole process (a restart stress test hung so about once in
25 restarts; ``test_synth_realtime`` restarts a real server many times).  These tests pin the
rule itself, deterministically, with a real thread standing in for libjack's and a client
object that records when it is closed."""

from __future__ import annotations

import threading
import time

import pytest

import bridge.jack.client as jack_client
from bridge.jack.client import QUIET_S, KeptJackClient
from bridge.jack.audio_out import JackOutput


class _Client:
    """Records deactivate/close calls (the libjack client is what is being protected)."""

    def __init__(self):
        self.closed_at = None

    def deactivate(self):
        pass

    def close(self):
        self.closed_at = time.monotonic()


def _libjack_thread(release: threading.Event) -> threading.Thread:
    t = threading.Thread(target=release.wait, daemon=True)
    t.start()
    return t


def _retire_in_background(out: JackOutput, client, server_gone: bool) -> threading.Thread:
    t = threading.Thread(target=out._retire, args=(client, server_gone), daemon=True)
    t.start()
    return t


def test_dead_server_client_waits_for_the_shutdown_thread_to_end():
    out, client, release = JackOutput(), _Client(), threading.Event()
    out._shutdown_tids.add(_libjack_thread(release).native_id)
    retire = _retire_in_background(out, client, server_gone=True)
    time.sleep(4 * QUIET_S)
    assert client.closed_at is None, "closed while the shutdown thread could still run Python"
    released = time.monotonic()
    release.set()
    retire.join(5)
    assert client.closed_at is not None and client.closed_at - released < QUIET_S + 1.0
    assert out.unclosed == []


def test_client_is_not_closed_while_process_callbacks_still_run():
    out, client = JackOutput(), _Client()
    retire = _retire_in_background(out, client, server_gone=True)
    for _ in range(30):  # a callback every 10 ms for 0.3 s
        last = time.monotonic()  # (before the callback: the supervisor cannot see it earlier)
        out._cycles += 1
        time.sleep(0.01)
        assert client.closed_at is None, "closed between two process callbacks"
    retire.join(5)
    assert client.closed_at is not None and client.closed_at - last >= QUIET_S


def test_live_server_client_is_told_to_stop_and_its_process_thread_awaited():
    out, client, release = JackOutput(), _Client(), threading.Event()
    out._process_tid = _libjack_thread(release).native_id
    retire = _retire_in_background(out, client, server_gone=False)
    time.sleep(4 * QUIET_S)
    assert out._end_cycles, "the process callback was not told to end its thread"
    assert client.closed_at is None, "closed while the process thread could still run Python"
    release.set()
    retire.join(5)
    assert client.closed_at is not None


def test_a_client_that_never_goes_quiet_is_kept_open_not_closed(monkeypatch):
    monkeypatch.setattr(jack_client, "CLOSE_WAIT_S", 0.4)
    out, client, release = JackOutput(), _Client(), threading.Event()
    out._shutdown_tids.add(_libjack_thread(release).native_id)
    try:
        out._retire(client, server_gone=True)
    finally:
        release.set()
    assert client.closed_at is None
    assert out.unclosed == [client]


def test_no_kept_client_opens_while_another_is_being_retired():
    """``live`` keeps two clients (synth audio, face MIDI) in one process; libjack keeps one
    set of server mappings per process, so one must not open beside the other's dead one."""
    out, client, release = JackOutput(), _Client(), threading.Event()
    out._shutdown_tids.add(_libjack_thread(release).native_id)
    retire = _retire_in_background(out, client, server_gone=True)
    time.sleep(0.05)
    opened = []

    class Other(KeptJackClient):
        def _open(self):
            opened.append(time.monotonic())
            self._stop.set()
            raise OSError("stand-in: no server")

    other = Other("lr-test-other", "the test", retry_s=0.05)
    other.start()
    time.sleep(4 * QUIET_S)
    assert opened == [], "opened while another client of a dead server was being closed"
    released = time.monotonic()
    release.set()
    retire.join(5)
    other._thread.join(5)
    assert client.closed_at is not None
    assert opened and opened[0] >= released


@pytest.mark.parametrize("alive", [True, False])
def test_thread_alive_reads_this_process_threads(alive):
    release = threading.Event()
    t = _libjack_thread(release)
    if not alive:
        release.set()
        t.join(5)  # returns just before the OS thread itself exits: give it a moment
        deadline = time.monotonic() + 2
        while jack_client._thread_alive(t.native_id) and time.monotonic() < deadline:
            time.sleep(0.01)
    try:
        assert jack_client._thread_alive(t.native_id) is alive
    finally:
        release.set()


@pytest.mark.jack
def test_a_client_whose_set_up_fails_leaves_no_ports_on_the_server(jack_server):
    """A busy server can refuse an activation after the ports are registered; the failed
    client is closed, so no port is left looking like a live synth (a test once waited for
    the daemon's ports, found the failed client's and went on as if it were connected)."""
    import jack

    from conftest import jack_ports

    class Refused(JackOutput):
        def _register(self, client):
            super()._register(client)
            assert jack_ports("lr-refused:out", jack_server)  # the ports were there
            raise jack.JackError("Error activating JACK client (-1)")

    out = Refused(name="lr-refused", connect=False)
    with pytest.raises(jack.JackError):
        out._open()
    assert jack_ports("lr-refused", jack_server) == []
