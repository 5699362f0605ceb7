"""The face engine on real face images: each motion moves the right control the right way.

Clips are the astronaut photo warped with known motion (tests/fixtures/face/facesynth.py,
written by make_clips.py), tracked by the real MediaPipe Face Mesh.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from face_util import facesynth, track_clip
from engine.face.calibration import AdaptiveRange, Calibration
from engine.face.filters import OneEuroFilter
from engine.face.pose import RIGID

STILL_S = facesynth.STILL_S


def test_still_face_reads_still():
    out, _ = track_clip("still")
    assert all(c.found == 1 for c in out)
    late = out[10:]
    assert min(c.stillness for c in late) > 0.9
    assert max(c.rotation for c in late) < 0.05
    assert max(c.jaw for c in late) < 0.05
    assert max(c.brow for c in late) < 0.05


@pytest.mark.parametrize("clip,direction", [("turn_right", 1), ("turn_left", -1)])
def test_turning_moves_rotation_and_signed_yaw(clip, direction):
    out, _ = track_clip(clip)
    moving = [c for c in out if STILL_S + 0.1 <= c.t <= STILL_S + 0.5]
    held = out[-1]
    assert max(c.rotation for c in moving) > 0.25, "turning the head must raise rotation"
    assert np.sign(np.mean([c.yaw_velocity for c in moving])) == direction
    assert direction * held.yaw > 10, "the pose must follow the turn"
    assert held.rotation < 0.1, "holding still after the turn lets rotation fall"
    assert max(c.jaw for c in out) < 0.2, "a turn is not a mouth opening"


def test_mouth_opening_moves_jaw():
    out, _ = track_clip("mouth")
    before = [c for c in out if c.t < STILL_S]
    assert max(c.jaw for c in before) < 0.05
    assert out[-1].jaw > 0.35, "an open mouth must read as jaw"
    opening = [c.jaw for c in out if STILL_S <= c.t <= STILL_S + 0.3]
    assert opening[-1] > opening[0] + 0.2, "jaw rises while the mouth opens"
    assert max(c.rotation for c in out) < 0.15, "opening the mouth is not a head turn"
    assert max(c.brow for c in out) < 0.3


def test_brow_raise_moves_brow():
    out, _ = track_clip("brow")
    before = [c for c in out if c.t < STILL_S]
    assert max(c.brow for c in before) < 0.05
    assert out[-1].brow > 0.5, "raised brows must read as brow tension"
    assert max(c.jaw for c in out) < 0.15


def test_face_leaving_drops_found_glides_to_neutral_and_resumes():
    out, truth = track_clip("leave")  # mouth open from 0.5 s, out of frame 1.0-2.0 s
    gone = [c for c in out if 1.0 <= c.t < 2.0]
    assert all(c.found == 0 for c in gone), "found must drop to 0 on the first frame out"
    jaw = [c.jaw for c in gone]
    assert jaw[0] > 0.3 and jaw[-1] < 0.1, "jaw must glide toward neutral while lost"
    assert all(b <= a + 1e-9 for a, b in zip(jaw, jaw[1:])), "the glide must not jump back"
    assert gone[-1].stillness > 0.8
    back = [c for c in out if c.t >= 2.1]
    assert back and all(c.found == 1 for c in back), "tracking resumes by itself"
    assert back[-1].jaw > 0.4


def test_one_euro_filter_still_and_step():
    f = OneEuroFilter(1, min_cutoff=1.0, beta=1.0, d_cutoff=2.0)
    rng = np.random.default_rng(1)
    noisy = 0.5 + rng.normal(0, 0.01, 120)
    out = np.array([f(np.array([x]), 1 / 30)[0] for x in noisy])
    assert out[30:].std() < noisy[30:].std() / 2
    step = [f(np.array([1.0]), 1 / 30)[0] for _ in range(10)]
    start = out[-1]
    reached = next(i for i, y in enumerate(step, 1) if y - start >= 0.9 * (1.0 - start))
    assert reached <= 3


def test_adaptive_range_grows_smoothly_never_jumps():
    r = AdaptiveRange(0.5, grow_s=2.0)
    spans = []
    for _ in range(90):
        r.update(1.5, 1 / 30)
        spans.append(r.span)
    steps = np.diff([0.5] + spans)
    assert spans[-1] > 0.7 and max(steps) < 0.05


def test_calibration_round_trip_and_rejects_garbage():
    cal = Calibration(seconds=0.1)
    for _ in range(5):
        cal.observe(np.array([0.2, 0.3, 0.5, 1.0, -2.0, 0.5]), 1 / 30)
    cal.reference = np.arange(len(RIGID) * 3, dtype=float).reshape(-1, 3)
    back = Calibration.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert math.isclose(back.neutral.jaw, cal.neutral.jaw)
    assert np.allclose(back.reference, cal.reference)
    with pytest.raises(ValueError):
        Calibration.from_dict(dict(cal.to_dict(), reference=[[1, 2]]))
    with pytest.raises(ValueError):
        Calibration.from_dict({"neutral": {"jaw": "x"}})


@pytest.mark.parametrize("close", [True, False])
def test_mediapipe_chatter_is_filtered_but_python_output_and_errors_are_not(close):
    """While the face engine holds the filter, MediaPipe's info/warning lines on fd 2 are dropped; Python's own
    stderr and native error lines still reach the terminal, in order, and a crash with the mesh
    still open loses nothing written before it."""
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "import numpy as np\n"
        "from bridge.native_stderr import MEDIAPIPE_CHATTER, filtered\n"
        "from engine.face.landmarks import FaceMesh\n"
        "held = filtered(MEDIAPIPE_CHATTER)\n"
        "held.__enter__()\n"
        "m = FaceMesh()\n"
        "m.detect(np.zeros((120, 160, 3), np.uint8))\n"
        "print('before', file=sys.stderr, flush=True)\n"
        "os.write(2, b'W0000 00:00:1795634957.561321    1878 x.cc:114] chatter\\n')\n"
        "os.write(2, b'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n')\n"
        "os.write(2, b'E0000 00:00:1795634957.561321    1878 x.cc:9] a real error\\n')\n"
        "print('after', file=sys.stderr, flush=True)\n"
        + ("m.close()\nheld.__exit__(None, None, None)\n" if close else "") +
        "raise SystemExit('fatal: ' + 'x' * 10)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=60, cwd=str(Path(__file__).resolve().parent.parent))
    assert r.returncode == 1
    err = r.stderr
    assert err.index("before") < err.index("a real error") < err.index("after") \
        < err.index("fatal: xxxxxxxxxx"), err
    if close:
        assert "chatter" not in err and "TensorFlow Lite" not in err and "W0000" not in err, err
    else:  # (MediaPipe may still print while it is torn down after the filter is gone)
        assert "chatter" not in err, err


@pytest.mark.jack
def test_face_engine_exits_cleanly_after_the_jack_server_went_away(tmp_path):
    """mediapipe imports sounddevice, whose PortAudio opened a JACK client in the face engine's
    process and aborted it at exit (pa_jack.c assertion, exit 134) once that server was gone."""
    import os
    import subprocess
    import sys

    from conftest import REPO, start_jackd, stop_jackd

    name = f"lr-face-pa-{os.getpid()}"
    server = start_jackd(name)
    child = ("import sys\n"
             "from engine.face.landmarks import FaceMesh\n"
             "mesh = FaceMesh()\n"
             "print('ready', flush=True)\n"
             "sys.stdin.readline()\n"
             "mesh.close()\n")
    env = dict(os.environ, JACK_DEFAULT_SERVER=name, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", child], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()[-2000:]
    finally:
        stop_jackd(server)  # the JACK server goes away while the face engine runs
    out, err = proc.communicate("\n", timeout=60)
    assert proc.returncode == 0, err[-2000:]
