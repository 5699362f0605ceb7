"""The runtime's generator: the ONNX export makes the torch model's images, a stale or missing
companion is noticed, and the runtime path never imports torch."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bridge.paths import DEFAULT_CHECKPOINT
from engine.gan.checkpoint import Checkpoint, load_checkpoint, random_checkpoint
from engine.gan.config import GanConfig
from engine.gan.export import CHECK_TOLERANCE, export_checkpoint
from engine.gan.runtime import (CheckpointError, ExportedGenerator, companion_path, file_sha256,
                                load_generator, read_exported)

REPO = Path(__file__).resolve().parent.parent
SMALL = GanConfig(z_dim=16, w_dim=32, resolution=(32, 16), start=(4, 2), g_channels=[32, 16, 8, 8],
                  d_channels=[8, 8, 16, 32])

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("name", ["default.pt", "default-128.pt"])
def test_the_shipped_companions_make_the_torch_models_images(name):
    pt = DEFAULT_CHECKPOINT.parent / name
    torch_ck, exported = load_checkpoint(pt), load_generator(pt)
    assert isinstance(exported, ExportedGenerator), "the shipped companion was not used"
    assert exported.source_sha256 == file_sha256(pt), f"{name} changed: re-export it"
    assert (exported.name, exported.z_dim, exported.resolution, exported.codec) == \
        (torch_ck.name, torch_ck.z_dim, torch_ck.resolution, torch_ck.codec)
    assert sorted(exported.directions) == sorted(torch_ck.directions)
    worst = 0.0
    dirs = sorted(torch_ck.directions)
    for i in range(20):
        z = torch_ck.random_latent(i)
        kw = {"truncation": 0.3 + 0.05 * i, "noise": (0.0, 0.5, 1.0)[i % 3],
              "directions": {dirs[i % len(dirs)]: 1.5 - 0.2 * i} if dirs and i % 2 else None}
        worst = max(worst, float(np.abs(exported.generate(z, **kw)
                                        - torch_ck.generate(z, **kw)).max()))
    assert worst < CHECK_TOLERANCE
    batch = np.stack([torch_ck.random_latent(s) for s in range(3)])
    assert np.abs(exported.generate(batch) - torch_ck.generate(batch)).max() < CHECK_TOLERANCE


def test_a_stale_companion_falls_back_to_torch_and_export_renews_it(tmp_path):
    pt = tmp_path / "mine.pt"
    ck = random_checkpoint(SMALL, seed=3, name="mine")
    ck.directions = {"up": np.linspace(-1, 1, 32).astype(np.float32)}
    ck.save(pt)
    export_checkpoint(pt)
    assert isinstance(load_generator(pt), ExportedGenerator)
    random_checkpoint(SMALL, seed=4, name="mine").save(pt)  # retrained, not exported
    got = load_generator(pt)
    assert isinstance(got, Checkpoint), "a companion of another .pt was used"
    z = got.random_latent(0)
    export_checkpoint(pt)
    again = load_generator(pt)
    assert isinstance(again, ExportedGenerator)
    assert np.abs(again.generate(z) - got.generate(z)).max() < CHECK_TOLERANCE


_BLOCK_TORCH = """
import sys


class NoTorch:  # a runtime-only install: any import of torch fails
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, NoTorch)
"""

_NO_TORCH = _BLOCK_TORCH + """
from engine.gan.runtime import CheckpointError, load_generator
try:
    load_generator(sys.argv[1])
except CheckpointError as exc:
    print("ERR", exc)
"""


def test_a_pt_without_companion_on_a_runtime_install_names_the_export_command(tmp_path):
    pt = tmp_path / "mine.pt"
    random_checkpoint(SMALL, seed=3, name="mine").save(pt)
    res = subprocess.run([sys.executable, "-c", _NO_TORCH, str(pt)], capture_output=True,
                         text=True, cwd=REPO, timeout=60)
    line = res.stdout.strip()
    assert line.startswith("ERR") and "latent-resonance export" in line and str(pt) in line, \
        res.stdout + res.stderr
    assert "\n" not in line and "Traceback" not in res.stderr


def test_bad_exports_are_one_line_errors(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a graph")
    with pytest.raises(CheckpointError, match="not a readable ONNX graph"):
        read_exported(bad)
    with pytest.raises(CheckpointError, match="not found"):
        load_generator(tmp_path / "missing.pt")
    # a graph that is ONNX but not ours: the default's, with its metadata removed
    import onnx

    model = onnx.load(str(companion_path(DEFAULT_CHECKPOINT)))
    del model.metadata_props[:]
    foreign = tmp_path / "foreign.onnx"
    onnx.save(model, str(foreign))
    with pytest.raises(CheckpointError, match="not a latent-resonance export"):
        read_exported(foreign)


_DEMO_WITHOUT_TORCH = _BLOCK_TORCH + """
from bridge.cli import main
rc = main(["demo", "--no-play", "--out", sys.argv[1], "--duration", "3"])
print("RC", rc, "torch" in sys.modules)
"""


def test_demo_runs_without_torch(tmp_path):
    res = subprocess.run([sys.executable, "-c", _DEMO_WITHOUT_TORCH, str(tmp_path / "d.wav")],
                         capture_output=True, text=True, cwd=tmp_path, timeout=180,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert "RC 0 False" in res.stdout, res.stdout + res.stderr[-3000:]
    assert (tmp_path / "d.wav").stat().st_size > 10000


def test_copied_pair_loads_from_anywhere(tmp_path):
    for f in ("default.pt", "default.onnx"):
        shutil.copy(DEFAULT_CHECKPOINT.parent / f, tmp_path / f)
    assert isinstance(load_generator(tmp_path / "default.pt"), ExportedGenerator)


def test_a_sound_file_given_as_checkpoint_is_named_as_not_one(tmp_path):
    import soundfile as sf

    wav = tmp_path / "some.wav"
    sf.write(str(wav), np.zeros(2205, np.float32), 22050)
    for load in (load_generator, load_checkpoint):
        with pytest.raises(CheckpointError, match="some.wav is not a checkpoint"):
            load(wav)
