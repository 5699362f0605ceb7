"""Distillation: a narrower student learns to reproduce its teacher and keeps its latent space."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bridge.cli import main
from engine.gan.checkpoint import load_checkpoint, random_checkpoint
from engine.gan.distill import DistillConfig, Distiller
from engine.gan.model import GanConfig

TEACHER = GanConfig(z_dim=16, w_dim=32, resolution=(32, 16), start=(4, 2),
                    g_channels=[32, 32, 16, 8], d_channels=[8, 16, 32, 32])


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture()
def teacher(tmp_path):
    ck = random_checkpoint(TEACHER, seed=3, name="teacher")
    with torch.no_grad():  # untrained noise strengths are 0; give the noise inputs a role
        for name, p in ck.generator.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.3)
    ck.directions = {"brightness": np.random.default_rng(0).standard_normal(32).astype(
        np.float32)}
    ck.save(tmp_path / "teacher.pt")
    return load_checkpoint(tmp_path / "teacher.pt")


def test_student_approaches_the_teacher_and_shares_its_latent_space(teacher):
    d = Distiller(teacher, DistillConfig(g_channels=[16, 16, 8, 8], batch=8, steps=200,
                                         lr=0.01))
    before = d.evaluate(n=32)
    for _ in range(200):
        d.step()
    after = d.evaluate(n=32)
    # (a random teacher is mostly pixel noise that a narrower net cannot copy: ~0.6 here)
    assert after < 0.75 * before, (before, after)
    student = d.checkpoint(teacher, "student")
    assert student.config.g_channels == [16, 16, 8, 8]
    z = teacher.random_latent(7)
    np.testing.assert_allclose(student.mapped(z, 0.7).numpy(), teacher.mapped(z, 0.7).numpy(),
                               atol=1e-6)
    assert set(student.directions) == {"brightness"}
    a = teacher.generate(z, truncation=0.7, directions={"brightness": 1.0})
    b = student.generate(z, truncation=0.7, directions={"brightness": 1.0})
    assert np.abs(a - b).mean() < before


def test_distill_command_writes_a_loadable_faster_generator(teacher, tmp_path, capsys):
    out = tmp_path / "small"
    rc = main(["distill", str(tmp_path / "teacher.pt"), "--out", str(out), "--channels",
               "16,16,8,8", "--steps", "20", "--snapshot-every", "10", "--no-progress",
               "--threads", "1"])
    assert rc == 0
    ck = load_checkpoint(out / "generator.pt")
    assert ck.config.g_channels == [16, 16, 8, 8]
    assert ck.card["distilled_from"] == "teacher" and ck.card["steps"] == 20
    assert ck.generate(ck.random_latent(1)).shape == (32, 16)
    assert (out / "log.jsonl").read_text().count("eval_l1") == 2


@pytest.mark.parametrize("channels, message", [("16,16,8", "4 channel levels"),
                                               ("16,x,8,8", "comma-separated"),
                                               ("16,0,8,8", "positive")])
def test_distill_bad_channels_is_one_line(teacher, tmp_path, capsys, channels, message):
    rc = main(["distill", str(tmp_path / "teacher.pt"), "--out", str(tmp_path / "o"),
               "--channels", channels, "--steps", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and "Traceback" not in err


def test_distill_missing_teacher_is_one_line(tmp_path, capsys):
    rc = main(["distill", str(tmp_path / "nope.pt"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "not found" in err and err.count("\n") == 1
