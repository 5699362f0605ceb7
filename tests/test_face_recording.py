"""Recordings: round trip, clear errors with line numbers, the bundled performance, replay."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bridge.cli import main
from bridge.paths import DEMO_RECORDING
from bridge.face.recording import (RecordingError, format_line, load_recording, read_recording,
                              write_recording)
from engine.face.controls import RECORD_FIELDS, FaceControls

REPO = DEMO_RECORDING.parents[2]
GOOD = format_line(FaceControls(t=0.0, found=1, jaw=0.5))


def test_round_trip(tmp_path):
    frames = [FaceControls(t=i / 30, found=i % 2, rotation=0.1, jaw=0.2, brow=0.3,
                           stillness=0.4, yaw=5.5, pitch=-3.25, roll=1.0, yaw_velocity=-12.5)
              for i in range(10)]
    p = tmp_path / "r.jsonl"
    assert write_recording(p, frames) == 10
    back = load_recording(p)
    assert [c.found for c in back] == [c.found for c in frames]
    assert back[3].yaw_velocity == -12.5 and back[9].t == pytest.approx(9 / 30, abs=1e-5)
    assert list(json.loads(p.read_text().splitlines()[0])) == list(RECORD_FIELDS)


@pytest.mark.parametrize("bad,why", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"t": 0.1}', "missing field"),
    (GOOD.replace('"jaw":0.5', '"jaw":"wide"'), "'jaw' must be a finite number"),
    (GOOD.replace('"jaw":0.5', '"jaw":7'), "'jaw' must be in [0, 1]"),
    (GOOD.replace('"found":1', '"found":3'), "'found' must be 0 or 1"),
    (GOOD.replace('"t":0.0', '"t":-5'), "goes backwards"),
])
def test_malformed_line_names_file_and_line(tmp_path, bad, why):
    p = tmp_path / "bad.jsonl"
    p.write_text(GOOD + "\n\n" + GOOD + "\n" + bad + "\n" + GOOD + "\n")
    with pytest.raises(RecordingError) as err:
        list(read_recording(p))
    assert f"{p}:4:" in str(err.value) and why in str(err.value)


def test_malformed_recording_on_the_cli_is_one_line_exit_2(tmp_path, capsys):
    p = tmp_path / "bad.jsonl"
    p.write_text(GOOD + "\n" + "{oops\n")
    assert main(["face", "--replay", str(p), "--fast", "--no-osc"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{p}:2:" in err[0] and "Traceback" not in err[0]


def test_bundled_performance_is_a_real_varied_recording():
    assert DEMO_RECORDING.stat().st_size < 1_000_000
    frames = load_recording(DEMO_RECORDING)
    duration = frames[-1].t - frames[0].t
    assert 30 <= duration <= 60
    found = [c.found for c in frames]
    assert 0 in found and found.count(1) > 0.8 * len(found), "face leaves and comes back"
    for name in ("rotation", "jaw", "brow"):
        values = [getattr(c, name) for c in frames]
        assert max(values) > 0.5 and min(values) < 0.05, f"{name} spans its range"
    assert min(c.stillness for c in frames) < 0.6
    assert max(c.yaw for c in frames) > 10 and min(c.yaw for c in frames) < -10


def test_replay_reproduces_the_recording(tmp_path):
    out = tmp_path / "again.jsonl"
    r = subprocess.run([sys.executable, "-m", "bridge", "face", "--replay", str(DEMO_RECORDING),
                        "--fast", "--no-osc", "--record", str(out), "-q"], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert out.read_text() == DEMO_RECORDING.read_text()


def test_replay_plays_in_real_time_and_duration_stops_it(tmp_path):
    import time

    out = tmp_path / "part.jsonl"
    start = time.monotonic()
    assert main(["face", "--replay", str(DEMO_RECORDING), "--duration", "0.5", "--no-osc",
                 "--record", str(out)]) == 0
    took = time.monotonic() - start
    n = len(load_recording(out))
    assert 0.4 <= took < 2.0
    assert 13 <= n <= 16  # 0.5 s at 30 fps


def test_a_last_line_cut_short_is_dropped_with_a_warning(tmp_path, caplog):
    """Power loss, a full disk or SIGKILL mid-write: everything before the cut plays."""
    p = tmp_path / "cut.jsonl"
    full = DEMO_RECORDING.read_text().splitlines(keepends=True)
    p.write_text("".join(full[:100]) + full[100][:37])
    with caplog.at_level("WARNING"):
        frames = load_recording(p)
    assert len(frames) == 100
    assert f"{p}:101" in caplog.text and "cut short" in caplog.text
    # a bad line anywhere else is still an error naming FILE:LINE
    p.write_text("".join(full[:10]) + full[10][:37] + "\n" + "".join(full[11:20]))
    with pytest.raises(RecordingError, match=f"{p}:11: not valid JSON"):
        load_recording(p)


def test_record_never_replaces_a_file_unless_forced(tmp_path, capsys):
    out = tmp_path / "take.jsonl"
    out.write_text("keep me\n")
    argv = ["face", "--replay", str(DEMO_RECORDING), "--duration", "0.2", "--no-osc",
            "--record", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "exists" in err and "--force" in err and err.count("\n") == 1, err
    assert out.read_text() == "keep me\n"
    assert main(argv + ["--force"]) == 0
    assert len(load_recording(out)) >= 3
