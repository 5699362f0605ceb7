"""The generator's child process: same images as in-process, survives its child dying."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.synth.generator_process import GeneratorProcess
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


def test_a_failed_restart_is_retried_with_back_off_and_said_once(ckpt, caplog, monkeypatch):
    """No descriptors left when the child dies: passes fail cleanly (no AttributeError, no
    traceback per pass) until a restart works again, and the latent follows again."""
    import subprocess
    import time

    import bridge.synth.generator_process as gpm

    gp = GeneratorProcess(ckpt)
    try:
        z = ckpt.random_latent(1)
        gp.generate(z)
        real_popen = subprocess.Popen

        def no_fds(*a, **kw):
            raise OSError(24, "Too many open files")

        monkeypatch.setattr(gpm.subprocess, "Popen", no_fds)
        monkeypatch.setattr(gpm, "RETRY_FIRST_S", 0.2)
        gp._retry_s = 0.2
        gp._proc.kill()
        gp._proc.wait()
        with pytest.raises(RuntimeError):
            gp.generate(z)  # the death is found, the restart fails
        for _ in range(20):  # passes keep coming: each fails at once, cleanly
            with pytest.raises(gpm.GeneratorUnavailable):
                gp.generate(z)
            time.sleep(0.05)
        assert caplog.text.count("could not be restarted") == 1
        assert "Too many open files" in caplog.text
        monkeypatch.setattr(gpm.subprocess, "Popen", real_popen)
        deadline = time.monotonic() + 15
        while True:
            try:
                img = gp.generate(z)
                break
            except gpm.GeneratorUnavailable:
                assert time.monotonic() < deadline, "the restart was never retried"
                time.sleep(0.1)
        np.testing.assert_allclose(img, ckpt.generate(z), atol=1e-5)
        assert "running again" in caplog.text
    finally:
        gp.close()


def test_close_with_a_hung_child_returns_at_once(ckpt):
    """A child that stopped answering (SIGSTOP stands in for a hang): close() does not wait for
    the pass's 60 s timeout, and the waiting pass ends with an error."""
    import os
    import signal
    import threading
    import time

    gp = GeneratorProcess(ckpt)
    z = ckpt.random_latent(2)
    gp.generate(z)
    os.kill(gp._proc.pid, signal.SIGSTOP)
    outcome = []

    def one_pass():
        try:
            gp.generate(z)
            outcome.append("image")
        except RuntimeError as exc:
            outcome.append(exc)

    t = threading.Thread(target=one_pass)
    t.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    gp.close()
    t.join(10)
    assert time.monotonic() - t0 < 5.0
    assert not t.is_alive() and isinstance(outcome[0], RuntimeError), outcome
    assert gp._proc is None
