"""``latent-resonance face`` on the command line: bad input, video runs, clean shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from bridge.cli import main
from bridge.paths import DEMO_RECORDING
from bridge.face.recording import load_recording
from face_util import clip_path, facesynth

REPO = DEMO_RECORDING.parents[2]


def one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("latent-resonance: error: ") and "Traceback" not in err[0]
    return err[0]


def test_missing_video_file(capsys, tmp_path):
    msg = one_line_error(capsys, ["face", "--video", str(tmp_path / "nope.mp4")])
    assert "not found" in msg


def test_unreadable_video_file(capsys, tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    assert "cannot read video" in one_line_error(capsys, ["face", "--video", str(junk)])
    assert "directory" in one_line_error(capsys, ["face", "--video", str(tmp_path)])


def test_camera_that_does_not_exist(capsys):
    msg = one_line_error(capsys, ["face", "--camera", "97", "--no-osc"])
    assert "camera 97 cannot be opened" in msg


@pytest.mark.parametrize("target", ["localhost", "127.0.0.1:notaport", "127.0.0.1:70000",
                                    ":9000", "no-such-host.invalid:9000"])
def test_bad_osc_target(capsys, target):
    msg = one_line_error(capsys, ["face", "--replay", str(DEMO_RECORDING), "--osc", target])
    assert "bad --osc target" in msg


def test_unknown_midi_api(capsys):
    msg = one_line_error(capsys, ["face", "--replay", str(DEMO_RECORDING), "--midi",
                                  "--midi-api", "beos"])
    assert "unknown MIDI API 'beos'" in msg


def test_bad_filter_value_and_cc_map(capsys, tmp_path):
    assert "--min-cutoff" in one_line_error(
        capsys, ["face", "--video", str(clip_path("still")), "--min-cutoff", "-1"])
    bad = tmp_path / "map.toml"
    bad.write_text("jaw = 300\n")
    assert "CC map" in one_line_error(capsys, ["face", "--replay", str(DEMO_RECORDING),
                                               "--cc-map", str(bad)])


def test_video_fast_records_every_frame(tmp_path):
    out = tmp_path / "turn.jsonl"
    r = subprocess.run([sys.executable, "-m", "bridge", "face", "--video",
                        str(clip_path("turn_right")), "--fast", "--no-osc", "--record",
                        str(out), "--calibrate", "0.5"],
                       cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    frames = load_recording(out)
    seconds = facesynth.CLIPS["turn_right"][0]
    assert len(frames) == round(seconds * facesynth.FPS)
    assert all(c.found for c in frames)
    assert frames[-1].yaw > 10 and max(c.rotation for c in frames) > 0.25
    assert "Traceback" not in r.stderr and "W0000" not in r.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_signal_stops_cleanly_and_flushes_the_recording(tmp_path, sig):
    out = tmp_path / "part.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "bridge", "face", "--replay",
                             str(DEMO_RECORDING), "--osc", "127.0.0.1:9", "--record", str(out)],
                            cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while (not out.exists() or out.stat().st_size == 0) and time.monotonic() < deadline:
        time.sleep(0.1)  # the first flush happens after 30 frames
    time.sleep(0.3)
    proc.send_signal(sig)
    assert proc.wait(5) == 0
    err = proc.stderr.read()
    assert "Traceback" not in err and "stopped" in err
    frames = load_recording(out)  # every line complete and valid
    assert 30 <= len(frames) < 600
    assert os.path.getsize(out) == len(out.read_bytes())


def test_video_plays_in_real_time_and_ends_with_the_file():
    seconds = facesynth.CLIPS["turn_left"][0]
    start = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "bridge", "face", "--video",
                        str(clip_path("turn_left")), "--no-osc", "--print", "-q"],
                       cwd=REPO, capture_output=True, text=True, timeout=60)
    took = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # newest frame wins: a slow machine may drop frames, never queue them
    assert 0.5 * seconds * facesynth.FPS <= len(lines) <= seconds * facesynth.FPS
    assert took >= seconds
    assert '"found":1' in lines[-1]


def test_midi_without_a_jack_server_says_so_once_and_keeps_running(tmp_path):
    """JACK MIDI asked for, no server: one line, and the face engine runs on (its port appears
    when a server starts: test_face_midi)."""
    env = dict(os.environ, JACK_DEFAULT_SERVER=f"lr-absent-{os.getpid()}")
    r = subprocess.run([sys.executable, "-m", "bridge", "face", "--replay", str(DEMO_RECORDING),
                        "--fast", "--no-osc", "--midi", "--midi-api", "jack", "--print", "-q"],
                       cwd=REPO, capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "JACK server not running" in lines[0] and "keeps running" in lines[0]
    assert len(r.stdout.splitlines()) == 1440, "every frame of the recording was processed"


def test_saved_calibration_is_loaded_by_the_next_run(tmp_path, capsys):
    cal = tmp_path / "cal.json"
    assert main(["face", "--video", str(clip_path("still")), "--fast", "--no-osc", "-q",
                 "--save-calibration", str(cal)]) == 0
    rec = tmp_path / "mouth.jsonl"
    assert main(["face", "--video", str(clip_path("mouth")), "--fast", "--no-osc", "-q",
                 "--calibration", str(cal), "--record", str(rec)]) == 0
    frames = load_recording(rec)
    assert frames[0].jaw < 0.05 and abs(frames[0].yaw) < 3, "neutral comes from the file"
    assert frames[-1].jaw > 0.3
    bad = tmp_path / "bad.json"
    bad.write_text('{"neutral": 3}')
    assert "malformed calibration" in one_line_error(
        capsys, ["face", "--video", str(clip_path("mouth")), "--calibration", str(bad)])


@pytest.mark.parametrize("command", ["face", "synth", "live", "demo", "train", "dataset",
                                     "reconstruct", "export"])
def test_help_states_defaults_once_and_truthfully(command, capsys):
    """No "(default: None)", no build-machine path, no default stated twice."""
    from bridge.cli import main
    from bridge.paths import REPO_ROOT

    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert "None" not in text and str(REPO_ROOT) not in text, text
    flat = " ".join(text.split())
    for opt in flat.split(" --")[1:]:
        assert opt.count("(default") <= 1, opt


def test_verbose_logs_ours_not_the_libraries(tmp_path):
    import logging

    from bridge.cli import setup_logging

    root = logging.getLogger()
    saved = (root.level, list(root.handlers), logging.getLogger("latent_resonance").level)
    try:
        root.handlers.clear()
        setup_logging("debug")
        assert logging.getLogger("latent_resonance.synth").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("PIL.PngImagePlugin").isEnabledFor(logging.DEBUG)
        assert logging.getLogger("numba").isEnabledFor(logging.WARNING)
        root.handlers.clear()
        setup_logging("debug-all")
        assert logging.getLogger("PIL.PngImagePlugin").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        logging.getLogger("latent_resonance").setLevel(saved[2])
