"""Generator/discriminator shapes, truncation and noise inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.gan.augment import augment
from engine.gan.checkpoint import random_checkpoint
from engine.gan.model import Discriminator, GanConfig, Generator

CFG = GanConfig(z_dim=16, w_dim=32, resolution=(32, 16), start=(4, 2), g_channels=[32, 16, 8, 8],
                d_channels=[8, 8, 16, 32])


def test_shapes():
    torch.manual_seed(0)
    g, d = Generator(CFG), Discriminator(CFG)
    img = g(torch.randn(5, 16))
    assert img.shape == (5, 1, 32, 16)
    assert d(img).shape == (5,)
    assert g.num_ws == 2 * 4  # 1 + 2 per upsampling level (convs) + 1 (last toImage)


def test_bad_config_is_rejected():
    with pytest.raises(ValueError):
        GanConfig(resolution=(30, 16), start=(4, 2), g_channels=[8, 8, 8, 8], d_channels=[8] * 4)


def test_truncation_zero_gives_the_mean_latent_image():
    ck = random_checkpoint(CFG, seed=1)
    ck.generator.w_avg.copy_(torch.randn(32))
    zs = np.stack([ck.random_latent(s) for s in range(4)])
    at_mean = ck.generate(zs, truncation=0.0)
    assert np.allclose(at_mean, at_mean[0], atol=1e-5)       # all samples collapse to one
    free = ck.generate(zs, truncation=1.0)
    half = ck.generate(zs, truncation=0.5)
    spread = lambda x: float(np.std(x, axis=0).mean())  # noqa: E731
    assert spread(free) > spread(half) > spread(at_mean)
    assert free.shape == (4, 32, 16) and free.dtype == np.float32
    assert free.min() >= -1 and free.max() <= 1


def test_noise_inputs():
    ck = random_checkpoint(CFG, seed=2)
    for m in ck.generator.modules():
        if hasattr(m, "noise_strength"):
            m.noise_strength.data.fill_(0.5)
    z = ck.random_latent(7)
    a, b = ck.generate(z, noise=1.0), ck.generate(z, noise=1.0)
    assert np.array_equal(a, b)                               # fixed noise maps: deterministic
    quiet = ck.generate(z, noise=0.0)
    assert np.abs(a - quiet).mean() > 1e-3                    # noise changes the image
    assert np.abs(ck.generate(z, noise=0.5) - quiet).mean() < np.abs(a - quiet).mean()
    fresh1 = ck.generate(z, noise=1.0, noise_seed=1)
    fresh2 = ck.generate(z, noise=1.0, noise_seed=2)
    assert not np.array_equal(fresh1, fresh2)


def test_directions_and_bad_latents():
    ck = random_checkpoint(CFG, seed=3)
    ck.directions = {"brightness": np.ones(32, np.float32)}
    z = ck.random_latent(0)
    assert not np.array_equal(ck.generate(z, directions={"brightness": 2.0}), ck.generate(z))
    with pytest.raises(ValueError, match="unknown direction"):
        ck.generate(z, directions={"nope": 1.0})
    with pytest.raises(ValueError):
        ck.generate(np.zeros(3, np.float32))
    with pytest.raises(ValueError):
        ck.generate(np.full(16, np.nan, np.float32))


def test_augment_never_mirrors_and_keeps_shape():
    x = torch.linspace(-1, 1, 32)[None, None, :, None].expand(4, 1, 32, 16).contiguous()
    g = torch.Generator().manual_seed(0)
    y = augment(x, 1.0, g, cutout=0.0)
    assert y.shape == x.shape
    # rows still rise from low to high band (a shift, never a flip)
    assert bool((y[:, 0, -1].mean(-1) > y[:, 0, 0].mean(-1)).all())
    assert torch.equal(augment(x, 0.0, g), x)


@pytest.mark.parametrize("noise", [0.0, 1.0])
def test_single_image_fast_path_matches_the_batched_training_path(noise):
    """The live synth's one-image path (style folded into the weights, channels-last) makes the
    same image as the batched path used in training, and as the autograd path."""
    torch.manual_seed(1)
    g = Generator(CFG).eval()
    with torch.no_grad():
        for name, p in g.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.5)
    z = torch.randn(3, 16)
    with torch.inference_mode():
        batched = g(z, truncation=0.8, noise=noise)
        single = torch.cat([g(z[i:i + 1], truncation=0.8, noise=noise) for i in range(3)])
    graded = g(z[:1], truncation=0.8, noise=noise)  # grad enabled: the training path
    torch.testing.assert_close(single, batched, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(single[:1], graded.detach(), atol=1e-5, rtol=1e-4)
    assert float((batched[0] - batched[1]).abs().mean()) > 0.01  # the latents do matter
