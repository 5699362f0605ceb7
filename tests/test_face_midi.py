"""MIDI CC out through a real (dummy) JACK server: a second rtmidi client receives the CCs."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from bridge.address_table import MIDI_CC
from bridge.midi.out import MidiOut
from bridge.paths import DEMO_RECORDING
from engine.face.controls import FaceControls

pytestmark = pytest.mark.jack
REPO = DEMO_RECORDING.parents[2]


class Receiver:
    """An rtmidi JACK input connected to the port whose name contains ``port``."""

    def __init__(self, port: str, timeout: float = 5.0, out: MidiOut | None = None):
        """``out``: the sending MidiOut in this process; wait until it has noticed this new
        listener (it then resends every control), instead of a fixed pause."""
        import rtmidi

        heard = out.new_listeners if out is not None else 0

        self.midi = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name="lr-test-receiver")
        deadline = time.monotonic() + timeout
        while True:
            ports = self.midi.get_ports()
            match = [i for i, p in enumerate(ports) if port in p]
            if match:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"port {port!r} not among {ports}")
            time.sleep(0.05)
        self.midi.open_port(match[0])
        self._wait_connected(ports[match[0]], time.monotonic() + timeout)
        if out is None:
            time.sleep(0.4)  # the face engine notices a new listener within 0.25 s
            return
        deadline = time.monotonic() + timeout
        while out.new_listeners == heard:
            if time.monotonic() > deadline:
                raise AssertionError("the MIDI port never noticed its new listener")
            time.sleep(0.01)

    def _wait_connected(self, port: str, deadline: float) -> None:
        """JACK connects asynchronously: wait until the graph shows the connection."""
        from conftest import jack_connections

        while not jack_connections(port):
            if time.monotonic() > deadline:
                raise AssertionError(f"{port} never got connected")
            time.sleep(0.02)

    def messages(self, settle: float = 0.15, wait: float = 2.0) -> list[list[int]]:
        """Everything received until nothing new came for ``settle`` s (waiting up to
        ``wait`` s for the first message: JACK delivers once per process cycle)."""
        out = []
        deadline = time.monotonic() + wait
        quiet_since = time.monotonic()
        while True:
            m = self.midi.get_message()
            now = time.monotonic()
            if m is not None:
                out.append(m[0])
                quiet_since = now
            elif now - quiet_since >= settle and (out or now >= deadline):
                return out
            else:
                time.sleep(0.005)

    def close(self):
        self.midi.close_port()
        self.midi.delete()


@pytest.fixture
def port_name(request):
    return f"lr-face-{request.node.name[:20]}-{time.monotonic_ns() % 100000}"


def frame(**kw) -> FaceControls:
    base = dict(t=0.0, found=1, rotation=0.0, jaw=0.0, brow=0.0, stillness=0.0)
    base.update(kw)
    return FaceControls(**base)


def test_seven_bit_cc_numbers_values_and_send_on_change(jack_server, port_name):
    out = MidiOut(port_name, api="jack")
    rx = Receiver(port_name, out=out)
    try:
        out.send(frame(rotation=0.5, jaw=1.0, brow=0.25, stillness=0.0))
        got = rx.messages()
        assert sorted(got) == sorted([[0xB0, 20, 64], [0xB0, 21, 127], [0xB0, 22, 32],
                                      [0xB0, 23, 0], [0xB0, 24, 127]])
        out.send(frame(rotation=0.5, jaw=1.0, brow=0.25, stillness=0.0))
        assert rx.messages(wait=0.3) == [], "nothing is sent when nothing changed"
        out.send(frame(rotation=0.5, jaw=0.5, brow=0.25, stillness=0.0, found=0))
        assert sorted(rx.messages()) == [[0xB0, 21, 64], [0xB0, 24, 0]]
    finally:
        out.close()
        rx.close()


def test_a_receiver_that_connects_late_gets_every_control_at_once(jack_server, port_name):
    """CCs go out only on change; a DAW connecting while the face holds still must not wait
    for it to move: the port notices the new connection and the next frame resends all."""
    out = MidiOut(port_name, api="jack")
    first = Receiver(port_name, out=out)
    try:
        held = frame(rotation=0.5, jaw=1.0, brow=0.25, stillness=0.0)
        out.send(held)
        assert len(first.messages()) == 5
        late = Receiver(port_name, out=out)
        try:
            out.send(held)  # nothing changed...
            got = late.messages()
            assert sorted(got) == sorted([[0xB0, 20, 64], [0xB0, 21, 127], [0xB0, 22, 32],
                                          [0xB0, 23, 0], [0xB0, 24, 127]]), got
        finally:
            late.close()
        assert len(first.messages()) == 5, "(the port sends to every listener)"
        out.send(held)
        assert first.messages(wait=0.3) == [], "...and then nothing again"
    finally:
        out.close()
        first.close()


def test_fourteen_bit_sends_msb_then_lsb(jack_server, port_name):
    out = MidiOut(port_name, api="jack", fourteen_bit=True)
    rx = Receiver(port_name, out=out)
    try:
        out.send(frame(jaw=0.3))  # 0.3 * 16383 = 4915 -> MSB 38, LSB 51
        got = rx.messages()
        i = got.index([0xB0, 21, 38])
        assert got[i + 1] == [0xB0, 53, 51]
        assert [0xB0, 24, 127] in got and [0xB0, 56, 127] in got  # found
        assert {m[1] for m in got} == {20, 21, 22, 23, 24, 52, 53, 54, 55, 56}
    finally:
        out.close()
        rx.close()


def test_learn_mode_sends_only_the_chosen_control(jack_server, port_name):
    out = MidiOut(port_name, api="jack", learn="brow")
    rx = Receiver(port_name, out=out)
    try:
        for i in range(20):
            out.send(frame(t=i * 0.1, rotation=i / 20, jaw=i / 20, stillness=1 - i / 20))
        got = rx.messages()
        assert len(got) >= 10
        assert {m[1] for m in got} == {MIDI_CC["brow"]}
        values = [m[2] for m in got]
        assert max(values) - min(values) > 60, "learn mode sweeps the control"
    finally:
        out.close()
        rx.close()


def test_cc_map_file_changes_numbers_and_channel(jack_server, port_name, tmp_path):
    from bridge.midi.out import load_cc_map

    p = tmp_path / "map.toml"
    p.write_text("channel = 3\njaw = 70\n")
    cc, channel = load_cc_map(p)
    out = MidiOut(port_name, api="jack", cc_map=cc, channel=channel)
    rx = Receiver(port_name, out=out)
    try:
        out.send(frame(jaw=1.0))
        got = rx.messages()
        assert [0xB2, 70, 127] in got and all(m[0] == 0xB2 for m in got)
    finally:
        out.close()
        rx.close()


def test_cc_map_mistakes_name_what_to_fix(tmp_path):
    from bridge.errors import InputError
    from bridge.midi.out import load_cc_map

    p = tmp_path / "map.toml"
    p.write_text("jaw = 20\n")  # rotation's default number
    with pytest.raises(InputError, match="'rotation' and 'jaw' both use controller 20"):
        load_cc_map(p)
    with pytest.raises(InputError, match=f"CC map not found: {tmp_path / 'missing.toml'}"):
        load_cc_map(tmp_path / "missing.toml")


def test_cli_replay_to_midi(jack_server, port_name):
    proc = subprocess.Popen([sys.executable, "-m", "bridge", "face", "--replay",
                             str(DEMO_RECORDING), "--no-osc", "--midi", port_name,
                             "--midi-api", "jack", "--duration", "3"], cwd=REPO,
                            stderr=subprocess.PIPE, text=True)
    try:
        rx = Receiver(port_name, timeout=15)
        got = rx.messages(settle=1.5)
        rx.close()
    finally:
        rc = proc.wait(20)
    assert rc == 0, proc.stderr.read()
    assert got and {m[1] for m in got} <= set(MIDI_CC.values())
    assert all(m[0] == 0xB0 and 0 <= m[2] <= 127 for m in got)


@pytest.mark.timeout(120)
def test_midi_port_waits_for_jack_and_returns_after_a_restart(jack_server, monkeypatch,
                                                              tmp_path):
    """The face engine starts before its JACK server, and that server later dies and comes
    back: the face engine keeps running, its port appears each time the server does, and after
    a reconnection it resends every control (the DAW gets the current state, found = 127)."""
    from conftest import start_jackd, stop_jackd

    name = f"lr-midi-restart-{time.monotonic_ns() % 100000}"
    port = "lr-face-restart"
    monkeypatch.setenv("JACK_DEFAULT_SERVER", name)  # child, receiver and probe all use it
    log = open(tmp_path / "face.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "bridge", "face", "--replay",
                             str(DEMO_RECORDING), "--no-osc", "--midi", port,
                             "--midi-api", "jack", "--duration", "45"], cwd=REPO,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
    server = None
    try:
        time.sleep(3.0)  # no server yet: the face engine says so and keeps running
        assert proc.poll() is None, _tail(log)
        for attempt in ("first start", "after restart"):
            server = start_jackd(name)
            assert server is not None
            rx = Receiver(port, timeout=15)
            try:
                got = rx.messages(settle=0.5)
            finally:
                rx.close()
            assert [0xB0, 24, 127] in got, f"{attempt}: no 'found' CC in {got[:10]}"
            assert proc.poll() is None, f"{attempt}: face engine exited\n{_tail(log)}"
            stop_jackd(server)  # the server goes away under the face engine
            server = None
            time.sleep(2.0)
        assert proc.poll() is None, "face engine exited when JACK went away\n" + _tail(log)
    finally:
        proc.terminate()
        rc = proc.wait(20)
        stop_jackd(server)
    text = _tail(log)
    assert rc == 0, text
    assert "JACK server not running" in text and "went away" in text, text
    assert "reconnected" in text, text


def _tail(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()[-3000:]


@pytest.mark.timeout(60)
def test_sending_while_the_server_is_gone_never_blocks(jack_server, monkeypatch):
    """rtmidi's JACK backend blocks for good after ~2300 messages with its server gone (the
    face engine froze, OSC included); the port stops sending as soon as the server goes."""
    from bridge.midi.jack_port import JackMidiPort
    from conftest import start_jackd, stop_jackd

    name = f"lr-midi-gone-{time.monotonic_ns() % 100000}"
    server = start_jackd(name)
    monkeypatch.setenv("JACK_DEFAULT_SERVER", name)
    port = JackMidiPort("lr-test-midi-gone", retry_s=0.2)
    port.start()
    try:
        deadline = time.monotonic() + 10
        while not port.connected and time.monotonic() < deadline:
            time.sleep(0.01)
        assert port.connected
        stop_jackd(server)
        server = None
        while port.connected and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not port.connected, "the port did not notice the server going away"
        start = time.monotonic()
        for i in range(20_000):
            port.send([0xB0, 20, i % 128])
        assert time.monotonic() - start < 5.0, "send() waited for a server that is gone"
    finally:
        port.close()
        stop_jackd(server)


def test_midi_without_jack_says_what_happened_and_what_to_do(tmp_path):
    """Started before JACK: the face engine falls back to ALSA and says so; where ALSA's
    sequencer is missing too, one line says what to do instead of rtmidi's own text."""
    env = dict(os.environ, JACK_DEFAULT_SERVER=f"lr-no-such-server-{os.getpid()}")
    p = subprocess.run([sys.executable, "-m", "bridge", "face", "--replay", str(DEMO_RECORDING),
                        "--fast", "--no-osc", "--midi", "lr-test-nojack", "--duration", "1"],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    err = p.stderr
    assert "Traceback" not in err, err
    if p.returncode == 0:  # ALSA's sequencer is there: the port is on ALSA, and we say why
        assert "no JACK server runs, so the port is on ALSA" in err, err
    else:
        assert p.returncode == 2 and "start JACK first" in err and "--midi-api" in err, err
        assert len([l for l in err.splitlines() if "error" in l]) == 1, err
