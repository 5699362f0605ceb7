"""Training: a few steps move the generator toward the data; resume is exact; the CLI writes
its files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from bridge.cli import main
from engine.gan.config import preset_config
from engine.gan.checkpoint import load_checkpoint, load_training_state
from engine.gan.train import Trainer, TrainConfig


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def stripes(n=32, h=16, w=8, seed=0):
    """Tiny harmonic-looking images: bright rows at multiples of a random fundamental."""
    rng = np.random.default_rng(seed)
    out = np.full((n, h, w), -1.0, np.float32)
    for i in range(n):
        f0 = int(rng.integers(2, 5))
        out[i, f0::f0] = 1.0
    return out


def _trainer(data, seed=0):
    torch.manual_seed(0)
    return Trainer(torch.from_numpy(data)[:, None], preset_config("tiny", data.shape[1:]),
                   TrainConfig(batch=8, seed=seed, lr_g=0.005, lr_d=0.005))


def test_few_steps_reduce_the_gap_to_the_data():
    data = stripes()
    tr = _trainer(data)
    real_mean = data.mean(0)
    z = torch.randn(64, tr.gan.z_dim, generator=torch.Generator().manual_seed(1))

    def gap():
        with torch.no_grad():
            fake = tr.G(z)[:, 0].numpy()
        return float(np.abs(fake.mean(0) - real_mean).mean())

    before = gap()
    losses = [tr.step()["loss_d"] for _ in range(40)]
    assert gap() < 0.75 * before
    assert np.mean(losses[-10:]) < np.mean(losses[:10])  # D learns to tell them apart


def test_resume_is_exact():
    data = stripes()
    a = _trainer(data)
    for _ in range(3):
        a.step()
    state = a.state_dict()
    for _ in range(3):
        a.step()
    b = _trainer(data, seed=0)
    b.load_state_dict(state)
    for _ in range(3):
        b.step()
    for (k, pa), pb in zip(a.G_ema.state_dict().items(), b.G_ema.state_dict().values()):
        assert torch.equal(pa, pb), k
    for pa, pb in zip(a.D.parameters(), b.D.parameters()):
        assert torch.equal(pa, pb)
    assert a.ada_p == b.ada_p and a.nimg == b.nimg


def test_train_cli_writes_and_resumes(tmp_path):
    data = stripes(40)
    np.save(tmp_path / "d.npy", data)
    out = tmp_path / "run"
    args = ["train", str(tmp_path / "d.npy"), "--out", str(out), "--preset", "tiny",
            "--steps", "4", "--snapshot-every", "2", "--no-progress", "--no-final"]
    assert main(args) == 0
    for name in ("state.pt", "generator.pt", "log.jsonl", "samples/grid_000002.png",
                 "samples/sample_000004.wav"):
        assert (out / name).is_file(), name
    assert main([*args[:7], "6", *args[8:], "--resume"]) == 0
    ck = load_checkpoint(out / "generator.pt")
    assert ck.card["steps"] == 6 and ck.resolution == (16, 8)
    # --steps at or below where the run is: refused, generator.pt untouched
    before = (out / "generator.pt").read_bytes()
    assert main([*args[:7], "5", *args[8:], "--resume"]) == 2
    assert (out / "generator.pt").read_bytes() == before
    assert load_checkpoint(out / "state.pt").resolution == (16, 8)  # a state loads too


def test_train_cli_final_pass_fills_the_card(tmp_path):
    np.save(tmp_path / "d.npy", stripes(30))
    out = tmp_path / "run"
    assert main(["train", str(tmp_path / "d.npy"), "--out", str(out), "--preset", "tiny",
                 "--steps", "2", "--no-progress", "--sr", "22050", "--n-fft", "256",
                 "--hop-length", "64"]) == 0
    card = json.loads((out / "card.json").read_text())
    m = card["metric"]
    assert m["fd_generated_vs_heldout"] >= 0 and m["fd_train_vs_heldout_baseline"] >= 0
    assert set(card["directions"]) >= {"brightness", "pitch", "noisiness"}
    ck = load_checkpoint(out / "generator.pt")
    assert set(ck.directions) >= {"brightness", "pitch", "noisiness"}
    assert ck.codec.n_fft == 256


def test_train_cli_bad_data(tmp_path, capsys):
    (tmp_path / "x.npy").write_bytes(b"junk")
    assert main(["train", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    assert "not found" in capsys.readouterr().err


def test_train_cli_refuses_a_loss_weight_that_is_not_one(tmp_path, capsys):
    np.save(tmp_path / "d.npy", stripes(30))
    for flag, value in (("--harmonic-weight", "-1"), ("--timbre-weight", "nan"),
                        ("--aux-weight", "inf"), ("--timbre-match-weight", "-0.5")):
        assert main(["train", str(tmp_path / "d.npy"), "--out", str(tmp_path / "o"),
                     flag, value, "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert f"{flag} must be a finite weight >= 0" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_train_cli_never_mixes_two_runs(tmp_path, capsys):
    """Without --resume an OUT that holds a run is refused (nothing touched); --force starts
    over with a fresh log."""
    np.save(tmp_path / "d.npy", stripes(30))
    out = tmp_path / "run"
    args = ["train", str(tmp_path / "d.npy"), "--out", str(out), "--preset", "tiny",
            "--steps", "2", "--no-progress", "--no-final"]
    assert main(args) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "already holds a training run" in err and "--resume" in err and "--force" in err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert main(args + ["--force"]) == 0
    steps = [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()]
    assert steps == sorted(set(steps)), steps  # one run's log, not two


def test_a_diverging_run_stops_and_keeps_its_last_snapshot(tmp_path, capsys, monkeypatch):
    """Weights gone NaN (a loss weight or learning rate too large): the run stops in one line
    at the first non-finite loss, and the last snapshot on disk is not overwritten by NaNs."""
    np.save(tmp_path / "d.npy", stripes(30))
    out = tmp_path / "run"
    step = Trainer.step

    def diverging(self):
        stats = step(self)
        if self.step_count == 3:  # what a blown-up update leaves behind
            with torch.no_grad():
                for p in self.G.parameters():
                    p.fill_(float("nan"))
        return stats

    monkeypatch.setattr(Trainer, "step", diverging)
    assert main(["train", str(tmp_path / "d.npy"), "--out", str(out), "--preset", "tiny",
                 "--steps", "8", "--snapshot-every", "2", "--no-progress", "--no-final"]) == 2
    err = capsys.readouterr().err
    assert "training diverged at step 4" in err and "still holds step 2" in err, err
    assert "Traceback" not in err
    ck = load_checkpoint(out / "generator.pt")
    assert ck.card["steps"] == 2
    assert all(torch.isfinite(p).all() for p in ck.generator.parameters())
    assert load_training_state(out / "state.pt")["trainer"]["step"] == 2


def test_sigterm_saves_a_snapshot_like_ctrl_c(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from conftest import REPO

    np.save(tmp_path / "d.npy", stripes(30))
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "bridge", "train", str(tmp_path / "d.npy"),
                             "--out", str(out), "--preset", "tiny", "--steps", "100000",
                             "--snapshot-every", "100000", "--no-progress", "--no-final"],
                            cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "log.jsonl").is_file() or not (out / "log.jsonl").read_text():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    err = proc.stderr.read()
    assert "saving a snapshot" in err and "Traceback" not in err
    ck = load_checkpoint(out / "generator.pt")
    assert ck.card["steps"] >= 10
