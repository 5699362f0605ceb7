"""Pure Data patches against the real Pd: the receiver prints what the real face engine sends;
the sender puts every synth address on the wire with the documented types."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from pythonosc.osc_packet import OscPacket

from bridge.address_table import SYNTH_ADDRESSES
from bridge.paths import DEMO_RECORDING
from conftest import require_program
from hosts_util import (
    REPO,
    HostProcess,
    expected_face_rows,
    free_port,
    is_subsequence,
    parse_values,
    read_recording,
    run_face_replay,
)

pytestmark = [pytest.mark.pd]

PD_DIR = REPO / "puredata"
BAD = ("couldn't create", "connection failed", "error:", "bad arguments", "no method")


def start_pd(patch: Path, tmp_path: Path, *sends: str) -> HostProcess:
    pd = require_program("pd", "Pure Data host tests")
    argv = [pd, "-nogui", "-noaudio", "-nomidi", "-stderr"]
    for s in sends:
        argv += ["-send", s]
    return HostProcess(argv + ["-open", str(patch)], tmp_path / f"{patch.stem}.pd.log",
                       name="pd")


def _bound(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def _wait_bound(proc: HostProcess, port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not _bound(port):
        if proc.proc.poll() is not None or time.monotonic() > deadline:
            proc.fail(f"pd is not listening on UDP {port}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def recording():
    if not DEMO_RECORDING.exists():
        pytest.fail(f"the bundled face recording is missing: {DEMO_RECORDING}")
    return DEMO_RECORDING


def test_pd_receiver_prints_the_face_engines_values(tmp_path, recording):
    port = free_port()
    pd = start_pd(PD_DIR / "lr_face_receive.pd", tmp_path, f"lr-face-listen {port}",
                  "lr-face-print 1")
    try:
        _wait_bound(pd, port)
        run_face_replay(recording, f"127.0.0.1:{port}")
        rec = read_recording(recording)
        deadline = time.monotonic() + 10
        while pd.text().count("lr-face-yaw_velocity:") < len(rec) // 4:
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        time.sleep(0.3)
    finally:
        pd.stop()
    log = pd.text()
    # the default port (9003) may be taken on a busy machine before -send moves it: harmless
    checked = "\n".join(line for line in log.lower().splitlines()
                        if "listen failed: address already in use" not in line)
    assert not [b for b in BAD if b in checked], log[-2000:]
    got = parse_values(log.replace("lr-face-", "lrface "), "lrface")
    want = expected_face_rows(rec)
    for name, rows in want.items():
        seen = got.get(name, [])
        # UDP may drop bursts of the as-fast-as-possible replay on a loaded machine; a tenth of
        # the recording keeps the in-order match specific
        assert len(seen) >= max(1, len(rec) // 10), f"{name}: {len(seen)} of {len(rec)} printed"
        # Pd prints 6 significant digits
        assert is_subsequence(seen, rows, tol=1e-4), (name, seen[:3], rows[:3])


def _receive_all(sock: socket.socket, seconds: float) -> list:
    msgs = []
    sock.settimeout(0.2)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data, _ = sock.recvfrom(65536)
        except TimeoutError:
            continue
        msgs += [m.message for m in OscPacket(data).messages]
    return msgs


def test_pd_sender_puts_every_synth_address_on_the_wire(tmp_path):
    # one value per address, sent into the patch's [r lr-...] receivers from the command line
    values = {
        "/lr/latent": ("0.5 -1 2", [0.5, -1.0, 2.0], "fff"),
        "/lr/latent/set": ("3 1.5", [3, 1.5], "if"),
        "/lr/latent/seed": ("42", [42], "i"),
        "/lr/latent/glide": ("2", [2.0], "f"),
        "/lr/latent/direction": ("brightness 0.25", ["brightness", 0.25], "sf"),
        "/lr/synth/speed": ("1.5", [1.5], "f"),
        "/lr/synth/band": ("100 3000", [100.0, 3000.0], "ff"),
        "/lr/synth/entropy": ("0.25", [0.25], "f"),
        "/lr/synth/clarity": ("0.75", [0.75], "f"),
        "/lr/synth/gain": ("-6", [-6.0], "f"),
        "/lr/synth/mapping": ("0", [0], "i"),
        "/lr/note/on": ("60.5 0.8", [60.5, 0.8], "ff"),
        "/lr/note/off": ("60.5", [60.5], "f"),
        "/lr/note/panic": ("bang", [], ""),
        "/lr/synth/bend": ("-0.5", [-0.5], "f"),
        "/lr/synth/envelope": ("0.01 0.2 0.7 0.5", [0.01, 0.2, 0.7, 0.5], "ffff"),
        "/lr/synth/voices": ("6", [6], "i"),
        "/lr/synth/drone": ("0", [0], "i"),
        "/lr/synth/width": ("0.75", [0.75], "f"),
        "/lr/map/anchor": ("bang", [], ""),
        "/lr/map/clear": ("bang", [], ""),
        "/lr/map/amount": ("0.5", [0.5], "f"),
        "/lr/scene/save": ("verse", ["verse"], "s"),
        "/lr/scene/recall": ("verse", ["verse"], "s"),
        "/lr/scene/list": ("bang", [], ""),
        "/lr/midi/learn": ("/lr/synth/clarity", ["/lr/synth/clarity"], "s"),
        "/lr/latent/timbre": ("cello", ["cello"], "s"),
        "/lr/status": ("bang", [], ""),
        "/lr/state": ("bang", [], ""),
    }
    assert set(values) == {a.path for a in SYNTH_ADDRESSES}, "update this test with the table"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sends = [f"lr-send-connect 127.0.0.1 {port}"]
        sends += [f"{path.strip('/').replace('/', '-')} {text}"
                  for path, (text, _, _) in values.items()]
        pd = start_pd(PD_DIR / "lr_synth_send.pd", tmp_path, *sends)
        try:
            msgs = _receive_all(sock, 4.0)
        finally:
            pd.stop()
    log = pd.text()
    assert not [b for b in BAD if b in log.lower()], log[-2000:]
    by_path = {m.address: m for m in msgs}
    for path, (_, args, types) in values.items():
        assert path in by_path, f"{path} never arrived; got {sorted(by_path)}\n{log[-1500:]}"
        m = by_path[path]
        assert m.params == pytest.approx(args), path
        tags = "".join("i" if isinstance(p, int) else "s" if isinstance(p, str) else "f"
                       for p in m.params)
        assert tags == types, f"{path}: type tags {tags!r}, the table says {types!r}"


def test_pd_play_example_plays_an_arpeggio(tmp_path):
    """puredata/lr_play.pd, started by its [r lr-play]: notes on and off on the wire."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        pd = start_pd(PD_DIR / "lr_play.pd", tmp_path, f"lr-send-connect 127.0.0.1 {port}",
                      "lr-play 1")
        try:
            msgs = _receive_all(sock, 3.0)
        finally:
            pd.stop()
    log = pd.text()
    assert not [b for b in BAD if b in log.lower()], log[-2000:]
    ons = [m.params for m in msgs if m.address == "/lr/note/on"]
    offs = [m.params[0] for m in msgs if m.address == "/lr/note/off"]
    assert len(ons) >= 6, (ons, log[-1500:])
    assert {n for n, _ in ons} <= {57.0, 60.0, 64.0, 69.0} and offs
    assert all(v == pytest.approx(0.8) for _, v in ons)
