"""The dataset tool (origin CLI, alias, python -m) and SpectrogramDataset."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import soundfile as sf
import torch

from bridge.cli import main
from conftest import REPO
from engine.data.dataset import SpectrogramDataset, load_array, split_heldout
from engine.data.synth import sustained_partials


def _audio_dir(tmp_path, n=3, seconds=1.6):
    d = tmp_path / "audio"
    d.mkdir()
    for i in range(n):
        sf.write(d / f"tone{i}.wav", sustained_partials(45 + 7 * i, seconds), 22050)
    (d / "broken.wav").write_bytes(b"RIFF not really a wave file")
    return d


def test_dataset_cli_writes_pngs_and_skips_bad_files(tmp_path, capsys):
    src = _audio_dir(tmp_path)
    out = tmp_path / "spec"
    rc = main(["dataset", str(src), str(out), "--n-mels", "64", "--frames", "32",
               "--n-fft", "1024", "--hop-length", "256", "--no-progress"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "skipped 1 bad files" in printed
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) >= 3 and all(p.name.startswith("tone") for p in pngs)
    ds = SpectrogramDataset(out)
    x = ds[0]
    assert x.shape == (1, 64, 32) and x.dtype == torch.float32
    assert float(x.min()) >= -1 and float(x.max()) == 1.0
    # a harmonic tone: energy concentrated in the lower bands
    assert float(x[0, :16].mean()) > float(x[0, 48:].mean())


def test_python_module_invocation_and_per_file(tmp_path):
    src = _audio_dir(tmp_path, n=1, seconds=2.0)
    out = tmp_path / "spec"
    proc = subprocess.run([sys.executable, "-m", "bridge.dataset", str(src), str(out),
                           "--n-mels", "32", "--frames", "16", "--per-file", "3", "--no-progress"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert len(list(out.glob("tone0_*.png"))) == 3
    assert "broken.wav" in proc.stderr  # reported, not a traceback
    assert "Traceback" not in proc.stderr


def test_missing_input_is_a_user_error(tmp_path, capsys):
    assert main(["dataset", str(tmp_path / "nope"), str(tmp_path / "out")]) == 2
    assert "not found" in capsys.readouterr().err


def test_load_array_and_split(tmp_path):
    arr = np.random.default_rng(0).uniform(-1, 1, (20, 8, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", arr)
    got, names = load_array(tmp_path / "x.npy")
    assert got.shape == (20, 8, 4) and len(names) == 20
    tr, ho = split_heldout(names)
    assert len(ho) == 2 and not set(tr) & set(ho) and len(tr) + len(ho) == 20


def test_files_that_would_share_output_names_stay_distinct(tmp_path, capsys, caplog):
    """``x.wav`` beside ``x.flac`` keep both; ``a/b.wav`` beside ``a__b.wav`` is an error that
    names both, and nothing is written; a non-empty output folder is reported."""
    sr = 22050
    y = (0.3 * np.sin(2 * np.pi * 220 * np.arange(sr * 2) / sr)).astype(np.float32)
    src = tmp_path / "in"
    (src / "a").mkdir(parents=True)
    sf.write(src / "x.wav", y, sr)
    sf.write(src / "x.flac", y, sr)
    out = tmp_path / "out"
    args = ["dataset", str(src), str(out), "--n-mels", "64", "--frames", "32", "--no-progress"]
    assert main(args) == 0
    names = sorted(p.name for p in out.glob("*.png"))
    assert any(n.startswith("x.wav_") for n in names) and any(n.startswith("x.flac_") for n in
                                                               names)
    said = capsys.readouterr().out
    assert f"wrote {len(names)} spectrograms" in said
    with caplog.at_level("WARNING"):
        assert main(args) == 0
    assert f"already holds {len(names)} PNG" in caplog.text
    sf.write(src / "a" / "b.wav", y, sr)
    sf.write(src / "a__b.wav", y, sr)
    other = tmp_path / "out2"
    assert main(args[:2] + [str(other)] + args[3:]) == 2
    err = capsys.readouterr().err
    assert "a/b.wav" in err and "a__b.wav" in err and "Traceback" not in err
    assert not other.exists()
