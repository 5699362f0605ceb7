"""Offline training material: deterministic plans, synthesised tones, fluidsynth renders."""

from __future__ import annotations

import csv
import hashlib

import numpy as np

from bridge.cli import main
from conftest import require_program
from engine.data import sources as plans
from engine.data.synth import reese_bass, sustained_partials


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_plan_is_deterministic_and_varied():
    a, b = plans.plan(200, seed=3), plans.plan(200, seed=3)
    assert a == b
    assert plans.plan(200, seed=4) != a
    assert len({s.instrument for s in a}) >= 12
    assert len({s.note for s in a}) >= 30
    assert {s.source for s in a} == {"fluidsynth", "synth"}


def test_synth_tones_are_harmonic():
    sr = 22050
    for y in (reese_bass(40, 1.0, sr), sustained_partials(57, 1.0, sr)):
        assert y.dtype == np.float32 and np.abs(y).max() <= 0.81
        spec = np.abs(np.fft.rfft(y[2048:2048 + 16384] * np.hanning(16384)))
        freqs = np.fft.rfftfreq(16384, 1 / sr)
        peak = freqs[np.argmax(spec)]
        assert 40 < peak < 1000  # energy sits on low harmonics, not spread like noise
        flatness = np.exp(np.mean(np.log(spec + 1e-9))) / np.mean(spec)
        assert flatness < 0.05


def test_synth_only_cli_is_deterministic(tmp_path):
    for d in ("a", "b"):
        assert main(["sources", str(tmp_path / d), "--count", "4", "--synth-only", "--seed", "5",
                     "--duration", "0.6", "--no-progress"]) == 0
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    rows = list(csv.DictReader(open(tmp_path / "a" / "labels.csv")))
    assert len(rows) == 4
    assert {r["instrument"] for r in rows} == {"reese_bass", "partials"}
    for r in rows:
        assert (tmp_path / "a" / r["file"]).is_file()
        assert float(r["f0_hz"]) > 20


def test_fluidsynth_render_labels_and_determinism(tmp_path):
    require_program("fluidsynth", "renders General MIDI notes")
    for d in ("a", "b"):
        assert main(["sources", str(tmp_path / d), "--count", "6", "--seed", "1",
                     "--synth-fraction", "0.0", "--duration", "0.8", "--no-progress"]) == 0
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    rows = list(csv.DictReader(open(tmp_path / "a" / "labels.csv")))
    assert [r["instrument"] for r in rows] == list(plans.GM_INSTRUMENTS)[:6]
    import soundfile as sf

    for r in rows:
        y, sr = sf.read(tmp_path / "a" / r["file"])
        assert sr == 22050 and np.sqrt(np.mean(y ** 2)) > 0.02  # a note, not silence


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert main(["sources", str(tmp_path), "--count", "0"]) == 2
    assert "count" in capsys.readouterr().err
