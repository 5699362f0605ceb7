"""The generator's child process: same images as in-process, survives its child dying."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.generator_process import GeneratorProcess
from engine.gan.checkpoint import load_checkpoint
from synth_util import make_checkpoint

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return load_checkpoint(make_checkpoint(tmp_path_factory.mktemp("gp") / "t.pt"))


def test_child_makes_the_same_images_and_restarts_when_killed(ckpt, caplog):
    gp = GeneratorProcess(ckpt)
    try:
        z = ckpt.random_latent(5)
        for kw in ({}, {"truncation": 0.6, "noise": 0.3, "directions": {"bright": 1.5}}):
            here = ckpt.generate(z, **kw)
            there = gp.generate(z, **kw)
            assert there.dtype == np.float32 and there.shape == here.shape
            np.testing.assert_allclose(there, here, atol=1e-5)
        with pytest.raises(ValueError, match="unknown direction"):
            gp.generate(z, directions={"nope": 1.0})
        assert gp.generate(z).shape == here.shape  # a bad request leaves the child working
        gp._proc.kill()
        gp._proc.wait()
        with pytest.raises(RuntimeError):
            gp.generate(z)
        assert "restarting" in caplog.text
        np.testing.assert_allclose(gp.generate(z), ckpt.generate(z), atol=1e-5)
    finally:
        gp.close()
    assert gp._proc is None
