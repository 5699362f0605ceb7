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
