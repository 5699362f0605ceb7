"""A compact StyleGAN2-style generator and discriminator for spectrogram images.

Written here (not vendored), after Karras et al. 2020 ("Analyzing and Improving the Image Quality
of StyleGAN") and StyleGAN2-ADA's ``networks.py``: mapping network z -> w, a learned constant,
modulated/demodulated 3x3 convolutions, per-layer noise inputs with learned strengths, skip
"toRGB" (here to-one-channel) outputs, equalised learning rate, a residual discriminator with
minibatch standard deviation.  Truncation toward the tracked mean ``w_avg`` is built in.

Images are ``(N, 1, H, W)`` with H = mel bands (row 0 lowest), W = frames, values ~[-1, 1].
The modulated convolution uses the non-fused form (scale inputs, shared conv, scale outputs),
which is mathematically the same as per-sample weights and faster on CPU.
"""

from __future__ import annotations

import math
import torch
import torch.nn.functional as F
from torch import nn

from engine.gan.config import GanConfig

#: fixed latents per label that estimate a conditioned generator's truncation centre
TRUNCATION_PROBES = 64


# ---------------------------------------------------------------- equalised-lr building blocks

class EqLinear(nn.Module):
    """Linear layer with weights scaled at run time by 1/sqrt(fan_in) (equalised lr)."""

    def __init__(self, cin: int, cout: int, bias_init: float = 0.0, lr_mult: float = 1.0,
                 act: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin) / lr_mult)
        self.bias = nn.Parameter(torch.full((cout,), float(bias_init) / lr_mult))
        self.w_gain = lr_mult / math.sqrt(cin)
        self.b_gain = lr_mult
        self.act = act

    def forward(self, x):
        x = F.linear(x, self.weight * self.w_gain, self.bias * self.b_gain)
        return F.leaky_relu(x, 0.2) * math.sqrt(2) if self.act else x


class EqConv(nn.Module):
    """Plain conv (discriminator) with equalised lr and optional lrelu."""

    def __init__(self, cin: int, cout: int, k: int, act: bool = True, bias: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.bias = nn.Parameter(torch.zeros(cout)) if bias else None
        self.gain = 1.0 / math.sqrt(cin * k * k)
        self.act = act
        self.pad = k // 2

    def forward(self, x):
        x = F.conv2d(x, self.weight * self.gain, self.bias, padding=self.pad)
        return F.leaky_relu(x, 0.2) * math.sqrt(2) if self.act else x


def _pixel_norm(x):
    return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + 1e-8)


class MappingNetwork(nn.Module):
    """z (N, z_dim) [+ labels c (N, c_dim)] -> w (N, w_dim): pixel-norm then an MLP with lrelu
    (lr multiplier 0.01).  A conditioned network embeds c (one linear layer), normalises the
    embedding like z and joins the two before the MLP (StyleGAN2-ADA's conditional mapping)."""

    def __init__(self, cfg: GanConfig):
        super().__init__()
        self.c_dim = cfg.c_dim
        dims = [cfg.z_dim + (cfg.w_dim if self.c_dim else 0)] + [cfg.w_dim] * cfg.mapping_layers
        self.embed = EqLinear(self.c_dim, cfg.w_dim) if self.c_dim else None
        self.layers = nn.ModuleList(EqLinear(a, b, lr_mult=cfg.mapping_lr_mult, act=True)
                                    for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, z, c=None):
        x = _pixel_norm(z)
        if self.embed is not None:
            if c is None:
                raise ValueError("this generator is conditioned: it needs labels c")
            x = torch.cat([x, _pixel_norm(self.embed(c))], dim=1)
        for layer in self.layers:
            x = layer(x)
        return x


class ModulatedConv(nn.Module):
    """Style-modulated 3x3 conv with demodulation, optional 2x upsampling, noise input, lrelu.

    (N, cin, H, W) -> (N, cout, H', W'), H' = 2H when ``up``.  The noise input is a per-pixel
    N(0, 1) map scaled by a learned strength (init 0) and the caller's ``noise`` multiplier; a
    fixed noise map (``const_noise`` buffer) keeps generation deterministic.
    """

    def __init__(self, cin: int, cout: int, w_dim: int, size: tuple[int, int], up: bool = False,
                 demod: bool = True, k: int = 3):
        super().__init__()
        self.affine = EqLinear(w_dim, cin, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.up, self.demod, self.pad = up, demod, k // 2
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.register_buffer("const_noise", torch.randn(1, 1, *size))

    def forward(self, x, w, noise: float = 1.0, noise_gen: torch.Generator | None = None):
        s = self.affine(w)                                     # (N, cin)
        weight = self.weight / math.sqrt(self.weight[0].numel())
        if x.shape[0] == 1 and not torch.is_grad_enabled():
            return self._forward_one(x, s[0], weight, noise, noise_gen)
        x = x * s[:, :, None, None]
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = F.conv2d(x, weight, padding=self.pad)             # (N, cout, H, W)
        if self.demod:
            # d[n, o] = 1 / sqrt(sum_{i,k} (weight[o, i, k] * s[n, i])^2)
            wsq = weight.square().sum(dim=(2, 3))              # (cout, cin)
            d = torch.rsqrt(s.square() @ wsq.t() + 1e-8)       # (N, cout)
            x = x * d[:, :, None, None]
        x = self._add_noise(x, noise, noise_gen)
        return F.leaky_relu(x + self.bias[None, :, None, None], 0.2) * math.sqrt(2)

    def _forward_one(self, x, s, weight, noise, noise_gen):
        """One image without autograd (the live synth's case): style and demodulation folded
        into the (small) weight instead of scaling the (large) activations twice -- the same
        result, about a third less time on CPU."""
        wt = weight * s[None, :, None, None]
        if self.demod:
            wt = wt * torch.rsqrt(wt.square().sum(dim=(1, 2, 3)) + 1e-8)[:, None, None, None]
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        # channels-last: oneDNN's fast path for these small convolutions (~1.4x on CPU)
        cl = torch.channels_last
        x = F.conv2d(x.contiguous(memory_format=cl), wt.contiguous(memory_format=cl), self.bias,
                     padding=self.pad)
        x = self._add_noise(x, noise, noise_gen)
        return F.leaky_relu(x, 0.2, inplace=True).mul_(math.sqrt(2))

    def _add_noise(self, x, noise, noise_gen: torch.Generator | None):
        """``x`` plus the per-pixel noise input (fixed map, or fresh from ``noise_gen``);
        ``noise`` a float or a 0-d tensor (an input of the traced pass)."""
        if not torch.is_tensor(noise) and not noise:
            return x
        if noise_gen is None:
            n = self.const_noise
        else:
            n = torch.randn(x.shape[0], 1, *x.shape[2:], generator=noise_gen, device=x.device)
        return x + n * (self.noise_strength * noise)


class ToImage(nn.Module):
    """Modulated 1x1 conv to one channel, no demodulation (StyleGAN2 toRGB)."""

    def __init__(self, cin: int, w_dim: int):
        super().__init__()
        self.affine = EqLinear(w_dim, cin, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(1, cin, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x, w):
        s = self.affine(w) / math.sqrt(x.shape[1])
        # a 1x1 conv to one channel is a weighted channel sum: einsum (a batched matmul) is
        # several times faster on CPU than conv2d's slow path for 1x1 kernels
        img = torch.einsum("nc,nchw->nhw", s * self.weight[:, :, 0, 0], x)
        return img[:, None] + self.bias[None, :, None, None]


class SynthesisNetwork(nn.Module):
    """w (N, num_ws, w_dim) -> image (N, 1, H, W).  Skip architecture: each level adds its
    toImage output to the bilinearly upsampled image of the level below."""

    def __init__(self, cfg: GanConfig):
        super().__init__()
        ch = cfg.g_channels
        h, w = cfg.start
        self.const = nn.Parameter(torch.randn(ch[0], h, w))
        self.convs = nn.ModuleList()
        self.to_images = nn.ModuleList()
        self.convs.append(ModulatedConv(ch[0], ch[0], cfg.w_dim, (h, w)))
        self.to_images.append(ToImage(ch[0], cfg.w_dim))
        for i in range(1, cfg.levels):
            h, w = h * 2, w * 2
            self.convs.append(ModulatedConv(ch[i - 1], ch[i], cfg.w_dim, (h, w), up=True))
            self.convs.append(ModulatedConv(ch[i], ch[i], cfg.w_dim, (h, w)))
            self.to_images.append(ToImage(ch[i], cfg.w_dim))
        self.num_ws = len(self.convs) + 1

    def forward(self, ws, noise: float = 1.0, noise_gen: torch.Generator | None = None):
        x = self.const[None].expand(ws.shape[0], -1, -1, -1)
        x = self.convs[0](x, ws[:, 0], noise, noise_gen)
        img = self.to_images[0](x, ws[:, 1])
        j = 1
        for i in range(1, len(self.to_images)):
            x = self.convs[j](x, ws[:, j], noise, noise_gen)
            x = self.convs[j + 1](x, ws[:, j + 1], noise, noise_gen)
            img = F.interpolate(img, scale_factor=2, mode="bilinear", align_corners=False)
            img = img + self.to_images[i](x, ws[:, j + 2])
            j += 2
        return img


class Generator(nn.Module):
    """z -> spectrogram image; keeps ``w_avg`` (moving mean of w) for truncation."""

    def __init__(self, cfg: GanConfig):
        super().__init__()
        self.cfg = cfg
        self.mapping = MappingNetwork(cfg)
        self.synthesis = SynthesisNetwork(cfg)
        self.num_ws = self.synthesis.num_ws
        self.register_buffer("w_avg", torch.zeros(cfg.w_dim))
        if cfg.c_dim:
            # fixed latents whose mean w for a label is that label's truncation centre
            probe = torch.randn(TRUNCATION_PROBES, cfg.z_dim,
                                generator=torch.Generator().manual_seed(20240611))
            self.register_buffer("trunc_probe", probe)

    def complete(self, state_dict: dict) -> dict:
        """``state_dict`` with this generator's fixed truncation probes added where it has none
        (weights saved before the probes existed; they are the same fixed numbers)."""
        if self.cfg.c_dim and "trunc_probe" not in state_dict:
            state_dict = {**state_dict, "trunc_probe": self.trunc_probe.clone()}
        return state_dict

    def truncation_center(self, c=None):
        """Where truncation pulls w: ``w_avg`` (1, w_dim); for a conditioned generator the mean
        w of labels ``c`` (N, c_dim) over :data:`TRUNCATION_PROBES` fixed latents (N, w_dim),
        so that a truncated note keeps its pitch and family (the global ``w_avg`` is the mean
        over every label, an instrument nobody asked for)."""
        if c is None or not self.cfg.c_dim:
            return self.w_avg[None]
        n, k = c.shape[0], self.trunc_probe.shape[0]
        w = self.mapping(self.trunc_probe.repeat(n, 1), c.repeat_interleave(k, dim=0))
        return w.reshape(n, k, -1).mean(1)

    def map(self, z, truncation: float = 1.0, update_w_avg: bool = False, beta: float = 0.995,
            c=None):
        """z (N, z_dim) [, labels c (N, c_dim)] -> w (N, w_dim), truncated toward ``w_avg`` by
        ``truncation`` (psi), toward :meth:`truncation_center`."""
        w = self.mapping(z, c)
        if update_w_avg:
            self.w_avg.copy_(w.detach().mean(0).lerp(self.w_avg, beta))
        if truncation != 1.0:
            w = self.truncation_center(c).lerp(w, truncation)
        return w

    def synthesize(self, w, noise: float = 1.0, noise_gen: torch.Generator | None = None):
        """w (N, w_dim) or (N, num_ws, w_dim) -> image (N, 1, H, W)."""
        if w.ndim == 2:
            w = w[:, None].expand(-1, self.num_ws, -1)
        return self.synthesis(w, noise, noise_gen)

    def forward(self, z, truncation: float = 1.0, noise: float = 1.0,
                noise_gen: torch.Generator | None = None, update_w_avg: bool = False, c=None):
        return self.synthesize(self.map(z, truncation, update_w_avg, c=c), noise, noise_gen)


class DBlock(nn.Module):
    """Residual discriminator block: two convs + 2x average-pool down, skip 1x1."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv0 = EqConv(cin, cin, 3)
        self.conv1 = EqConv(cin, cout, 3)
        self.skip = EqConv(cin, cout, 1, act=False, bias=False)

    def forward(self, x):
        y = F.avg_pool2d(self.skip(x), 2)
        x = F.avg_pool2d(self.conv1(self.conv0(x)), 2)
        return (x + y) * (1 / math.sqrt(2))


class Discriminator(nn.Module):
    """Image (N, 1, H, W) -> logit (N,).  ResNet with minibatch-stddev at the 4x4-ish end.

    A conditioned discriminator also has auxiliary heads on its last features (GANSynth's
    AC-GAN style): :meth:`heads` returns the logit with pitch logits (N, n_pitch), family logits
    (N, n_family) and a velocity estimate (N,)."""

    def __init__(self, cfg: GanConfig):
        super().__init__()
        ch = cfg.d_channels
        self.from_image = EqConv(1, ch[0], 1)
        self.blocks = nn.ModuleList(DBlock(ch[i], ch[i + 1]) for i in range(len(ch) - 1))
        self.mbstd_group = cfg.mbstd_group
        self.conv = EqConv(ch[-1] + 1, ch[-1], 3)
        self.fc = EqLinear(ch[-1] * cfg.start[0] * cfg.start[1], ch[-1], act=True)
        self.out = EqLinear(ch[-1], 1)
        space = cfg.label_space
        self.aux = EqLinear(ch[-1], space.dim) if space else None
        self.space = space

    def _mbstd(self, x):
        n, c, h, w = x.shape
        g = min(self.mbstd_group, n)
        while n % g:
            g -= 1
        y = x.reshape(g, -1, c, h, w)
        y = (y - y.mean(0)).square().mean(0).add(1e-8).sqrt()    # (n/g, c, h, w)
        y = y.mean(dim=(1, 2, 3)).reshape(-1, 1, 1, 1).repeat(g, 1, h, w)
        return torch.cat([x, y], dim=1)

    def _features(self, img):
        x = self.from_image(img)
        for b in self.blocks:
            x = b(x)
        x = self.conv(self._mbstd(x))
        return self.fc(x.flatten(1))

    def forward(self, img):
        return self.out(self._features(img)).squeeze(1)

    def heads(self, img):
        """(logit (N,), pitch logits, family logits, velocity (N,)) of a conditioned D."""
        f = self._features(img)
        a = self.aux(f)
        s = self.space
        return (self.out(f).squeeze(1), a[:, s.pitch_slice], a[:, s.family_slice],
                torch.sigmoid(a[:, s.velocity_index]))
