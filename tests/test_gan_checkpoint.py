"""Checkpoint round trip, bad files, the shipped default, and inversion."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pytest
import torch

from bridge.cli import main
from bridge.paths import DEFAULT_CHECKPOINT
from engine.gan.checkpoint import CheckpointError, load_checkpoint, random_checkpoint
from engine.gan.invert import invert, spectral_loss
from engine.gan.model import GanConfig

SMALL = GanConfig(z_dim=16, w_dim=32, resolution=(32, 16), start=(4, 2), g_channels=[32, 16, 8, 8],
                  d_channels=[8, 8, 16, 32])


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def default():
    return load_checkpoint(DEFAULT_CHECKPOINT)


def test_round_trip(tmp_path):
    ck = random_checkpoint(SMALL, seed=4, name="rt")
    ck.directions = {"brightness": np.arange(32, dtype=np.float32) / 32}
    ck.card = {"steps": 3, "metric": {"fd": 1.5}}
    ck.save(tmp_path / "a.pt")
    back = load_checkpoint(tmp_path / "a.pt")
    z = np.stack([ck.random_latent(s) for s in range(3)])
    assert np.array_equal(back.generate(z), ck.generate(z))
    assert back.name == "rt" and back.z_dim == 16 and back.resolution == (32, 16)
    assert back.card == ck.card and back.codec == ck.codec
    assert np.array_equal(back.directions["brightness"], ck.directions["brightness"])


@pytest.mark.parametrize("kind", ["missing", "garbage", "truncated", "foreign", "code", "mismatch"])
def test_bad_files_raise_one_line(tmp_path, kind):
    path = tmp_path / "bad.pt"
    good = tmp_path / "good.pt"
    random_checkpoint(SMALL).save(good)
    if kind == "garbage":
        path.write_bytes(b"this is not a checkpoint at all")
    elif kind == "truncated":
        path.write_bytes(good.read_bytes()[:5000])
    elif kind == "foreign":
        torch.save({"state_dict": {"w": torch.zeros(2)}, "epoch": 3}, path)
    elif kind == "code":
        path.write_bytes(pickle.dumps(print))  # a pickle that would call code: refused
    elif kind == "mismatch":
        d = torch.load(good, weights_only=True)
        d["gan_config"]["g_channels"] = [64, 64, 64, 64]
        torch.save(d, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    msg = str(info.value)
    assert "\n" not in msg and "bad.pt" in msg
    assert isinstance(info.value, ValueError)


def test_cli_reports_bad_checkpoint(tmp_path, capsys):
    (tmp_path / "x.pt").write_bytes(b"nope")
    assert main(["reconstruct", str(tmp_path / "x.pt"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "x.pt" in err and "Traceback" not in err


def test_shipped_default_loads_and_generates(default):
    assert default.z_dim > 0 and default.resolution == (default.codec.n_mels,
                                                         default.codec.frames)
    x = default.generate(default.random_latent(0))
    assert x.shape == default.resolution and x.dtype == np.float32
    assert -1 <= x.min() and x.max() <= 1 and x.std() > 0.05
    batch = default.generate(np.stack([default.random_latent(s) for s in range(4)]),
                             truncation=0.7, noise=0.5, directions={"brightness": 1.0})
    assert batch.shape == (4, *default.resolution)
    card = default.card
    for key in ("data", "steps", "train_seconds", "metric", "harmonicity"):
        assert key in card, key
    assert "fd_train_vs_heldout_baseline" in card["metric"]
    assert {"brightness", "pitch", "noisiness"} <= set(default.directions)
    # a loose sanity bound only; the <= 50 ms claim is measured in benchmarks/gan_bench.py
    t = time.perf_counter()
    for s in range(5):
        default.generate(default.random_latent(s))
    assert (time.perf_counter() - t) / 5 < 1.0


def test_traced_one_image_pass_gives_the_same_images(default):
    """The live synth's traced pass: bit-identical to the eager one for any truncation, noise
    level (0 skips the noise inputs in eager mode) and named direction; batches stay eager."""
    ckpt = load_checkpoint(DEFAULT_CHECKPOINT)
    cases = [(ckpt.random_latent(s), psi, noise, dirs) for s in range(2) for psi in (0.5, 1.0)
             for noise in (0.0, 0.4, 1.0) for dirs in (None, {"brightness": -1.3})]
    eager = [ckpt.generate(z, truncation=p, noise=n, directions=d) for z, p, n, d in cases]
    assert ckpt.trace_one_image()
    for (z, p, n, d), want in zip(cases, eager):
        np.testing.assert_array_equal(ckpt.generate(z, truncation=p, noise=n, directions=d), want)
    batch = np.stack([c[0] for c in cases[:3]])
    np.testing.assert_array_equal(ckpt.generate(batch), default.generate(batch))


def test_invert_recovers_a_generated_latent(default):
    z_true = default.random_latent(11)
    target = default.generate(z_true)
    z0 = default.random_latent(99)
    z_hat, loss = invert(default, target, steps=40, starts=1, z_init=z0)
    assert loss < 0.6 * spectral_loss(default, z0, target)
    assert spectral_loss(default, z_hat, target) == pytest.approx(loss, abs=1e-4)


def test_reconstruct_and_invert_cli(tmp_path, capsys):
    out = tmp_path / "rec"
    assert main(["reconstruct", "--n", "2", "--out", str(out), "--seed", "3", "--n-iter", "4"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["grid.png", "sample_0003.png", "sample_0003.wav", "sample_0004.png",
                     "sample_0004.wav"]
    capsys.readouterr()
    assert main(["invert", str(out / "sample_0003.wav"), "--steps", "6", "--starts", "2",
                 "--out", str(tmp_path / "z.npy")]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    z = np.load(tmp_path / "z.npy")
    ck = load_checkpoint(DEFAULT_CHECKPOINT)
    assert z.shape == (ck.z_dim,)
    parts = printed[-1].split()
    assert parts[0] == "/lr/latent" and len(parts) == ck.z_dim + 1


def _crafted(kind: str) -> dict:
    """The shipped default's dict with one field replaced as a crafted file would have it;
    every such file passes ``torch.load(weights_only=True)``."""
    d = torch.load(str(DEFAULT_CHECKPOINT), weights_only=True)
    w_dim = d["gan_config"]["w_dim"]
    changes = {
        "version list": ("version", [1]),
        "directions list": ("directions", [1.0]),
        "codec list": ("codec", [128]),
        "gan_config str": ("gan_config", "big"),
        "name int": ("name", 7),
        "card list": ("card", [1]),
        "state_dict of ints": ("state_dict", {"w_avg": 1}),
        "short direction": ("directions", {"bright": torch.zeros(3)}),
        "nan direction": ("directions", {"bright": torch.full((w_dim,), float("nan"))}),
        "codec of another size": ("codec", {**d["codec"], "n_mels": 64}),
        "codec not numbers": ("codec", {**d["codec"], "sr": "fast"}),
    }
    key, value = changes[kind]
    d[key] = value
    return d


@pytest.mark.parametrize("kind", ["version list", "directions list", "codec list",
                                  "gan_config str", "name int", "card list",
                                  "state_dict of ints", "short direction", "nan direction",
                                  "codec of another size", "codec not numbers"])
def test_crafted_checkpoints_are_refused_in_one_line(tmp_path, kind, capsys):
    path = tmp_path / "crafted.pt"
    torch.save(_crafted(kind), path)
    with pytest.raises(CheckpointError) as exc:
        load_checkpoint(path)
    assert "\n" not in str(exc.value) and "crafted.pt" in str(exc.value)
    code = main(["reconstruct", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1, err
