"""``synth --render`` and ``demo`` from the command line, as real subprocesses (no JACK)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from synth_util import REPO, make_checkpoint

pytestmark = pytest.mark.timeout(150)


def cli(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "bridge", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp("render") / "t.pt")


def test_render_is_deterministic_and_follows_the_script(ckpt, tmp_path):
    script = tmp_path / "s.jsonl"
    lines = [{"t": 0.0, "address": "/lr/synth/mapping", "args": [0]},
             {"t": 0.0, "address": "/lr/synth/band", "args": [80.0, 600.0]},
             {"t": 1.0, "address": "/lr/latent/seed", "args": [7]},
             {"t": 1.0, "address": "/lr/synth/band", "args": [3000.0, 10000.0]},
             {"t": 1.5, "address": "/lr/synth/speed", "args": ["bad"]}]
    script.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    outs = [tmp_path / f"r{i}.wav" for i in range(2)]
    args = ["synth", "--checkpoint", str(ckpt), "--duration", "2", "--script", str(script),
            "--seed", "4"]
    procs = [cli(*args, "--render", str(o)) for o in outs]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "1 script message(s) were invalid" in out
    a, sr = sf.read(outs[0], dtype="float32")
    assert sr == 22050 and a.shape == (2 * sr, 2)  # stereo
    a = a.mean(axis=1)
    assert outs[0].read_bytes() == outs[1].read_bytes()  # same seed: identical file
    # another seed (same code path, in-process): another sound
    from bridge.synth.generator_process import load_synth_checkpoint
    from bridge.synth.render import load_script, render
    from engine.synth.chain import VoiceSettings

    ck, codec = load_synth_checkpoint(ckpt)
    other = render(ck, codec, None, 2.0, load_script(script), seed=5)["audio"].mean(axis=1)
    assert float(np.max(np.abs(a - other))) > 1e-2
    f = np.fft.rfftfreq(sr // 2, 1 / sr)

    def cen(x):
        p = np.abs(np.fft.rfft(x[: sr // 2])) ** 2
        return (p * f).sum() / p.sum()
    assert cen(a[sr // 4:]) < 1000 < 2500 < cen(a[sr + sr // 4:])  # the script's band moves
    # the voice flags reach the renderer: finer voice hops change the samples, not the sound
    fine = render(ck, codec, None, 2.0, load_script(script), seed=4,
                  voice_settings=VoiceSettings(lookahead=3, subhops=2))["audio"].mean(axis=1)
    assert len(fine) == len(a) and float(np.max(np.abs(fine - a))) > 1e-3
    assert cen(fine[sr // 4:]) < 1000 < 2500 < cen(fine[sr + sr // 4:])


def test_render_bad_inputs_are_one_line_errors(ckpt, tmp_path):
    bad_ckpt = tmp_path / "bad.pt"
    bad_ckpt.write_bytes(b"not a checkpoint")
    bad_script = tmp_path / "bad.jsonl"
    bad_script.write_text('{"t": "soon", "address": "/lr/synth/speed"}\n')
    cases = [(["synth", "--checkpoint", str(bad_ckpt), "--render", str(tmp_path / "x.wav")],
              "cannot use checkpoint"),
             (["synth", "--checkpoint", str(tmp_path / "missing.pt"), "--render", "x.wav"],
              "checkpoint not found"),
             (["synth", "--checkpoint", str(ckpt), "--render", str(tmp_path / "x.wav"),
               "--script", str(bad_script)], "bad.jsonl:1"),
             (["synth", "--checkpoint", str(ckpt), "--face", "nope.jsonl"], "go with --render"),
             (["synth", "--checkpoint", str(ckpt), "--osc-port", "0"], "port number"),
             (["synth", "--checkpoint", str(ckpt), "--subhops", "3"], "--subhops must be")]
    procs = [(cli(*a), want) for a, want in cases]
    for p, want in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 2, (want, err)
        assert want in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1, err


def test_demo_without_jack_writes_the_wav_and_says_so(ckpt, tmp_path):
    out = tmp_path / "demo.wav"
    env = dict(os.environ, JACK_DEFAULT_SERVER=f"lr-no-such-server-{os.getpid()}")
    p = cli("demo", "--checkpoint", str(ckpt), "--out", str(out), "--duration", "3", env=env)
    stdout, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert str(out.resolve()) in stdout
    assert "JACK isn't running" in stdout
    x, sr = sf.read(out, dtype="float32")
    assert len(x) == 3 * sr and float(np.sqrt(np.mean(x ** 2))) > 1e-3


def test_live_runs_face_and_synth_together(ckpt, tmp_path):
    from synth_util import free_port

    rec = tmp_path / "short.jsonl"
    lines = (REPO / "bridge" / "data" / "face_performance.jsonl").read_text().splitlines()[:60]
    rec.write_text("\n".join(lines) + "\n")
    env = dict(os.environ, JACK_DEFAULT_SERVER=f"lr-no-such-server-{os.getpid()}")
    p = cli("live", "--replay", str(rec), "--checkpoint", str(ckpt), "--osc-port",
            str(free_port()), "--oscquery-port", "0", "--no-connect", env=env)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert "face ->" in out and "JACK server not running" in err
    assert "60 frames" in err and "Traceback" not in err
    assert "latent-resonance synth: stopped (0 underruns)" in out, out


@pytest.mark.jack
def test_demo_names_the_jack_client_it_really_plays_on(jack_server, tmp_path):
    """Another client already called latent-resonance: JACK names the demo's one
    latent-resonance-01, and that is the name the demo prints."""
    import jack

    squatter = jack.Client("latent-resonance", no_start_server=True, servername=jack_server)
    try:
        env = dict(os.environ, JACK_DEFAULT_SERVER=jack_server)
        p = cli("demo", "--duration", "1", "--out", str(tmp_path / "d.wav"), "--no-connect",
                env=env)
        out, err = p.communicate(timeout=180)
    finally:
        squatter.close()
    assert p.returncode == 0, err
    assert "client latent-resonance-01" in out, out
