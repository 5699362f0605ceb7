"""Small-data augmentation for spectrogram GANs (DiffAugment/ADA-style, differentiable).

Never mirrors time or frequency (a reversed note or an upside-down spectrum is another sound).
Each op is applied per sample with probability ``p`` (ADA adapts ``p``): time translation and
frequency translation (integer shifts, vacated frames/bands repeat the edge) and cutout (a
rectangle set to 0).  Randomness comes only from the given ``torch.Generator`` so training
resumes exactly.
"""

from __future__ import annotations

import torch


def _shift(x: torch.Tensor, shift: torch.Tensor, dim: int) -> torch.Tensor:
    """Shift each sample of (N, C, H, W) by an integer along ``dim`` (2 = bands, 3 = frames),
    repeating the edge value; differentiable (gather)."""
    n, c, h, w = x.shape
    size = x.shape[dim]
    idx = (torch.arange(size, device=x.device)[None] - shift[:, None]).clamp(0, size - 1)  # (N, size)
    if dim == 3:
        idx = idx[:, None, None, :].expand(n, c, h, w)
    else:
        idx = idx[:, None, :, None].expand(n, c, h, w)
    return torch.gather(x, dim, idx)


def augment(x: torch.Tensor, p: float, gen: torch.Generator, *, max_time: float = 0.125,
            max_freq: float = 0.0625, cutout: float = 0.25) -> torch.Tensor:
    """Augment a batch (N, 1, H, W).  ``max_time``/``max_freq``: largest shift as a fraction of
    frames/bands; ``cutout``: rectangle side as a fraction of each side.  p = 0 returns ``x``."""
    if p <= 0:
        return x
    n, _, h, w = x.shape
    dev = x.device

    def chosen():
        return (torch.rand(n, generator=gen) < p).to(dev)

    mt = max(1, int(round(max_time * w)))
    st = torch.randint(-mt, mt + 1, (n,), generator=gen).to(dev) * chosen()
    x = _shift(x, st, 3)
    mf = max(1, int(round(max_freq * h))) if max_freq > 0 else 0  # 0: no frequency shift
    sf = torch.randint(-mf, mf + 1, (n,), generator=gen).to(dev) * chosen()
    x = _shift(x, sf, 2)
    ch, cw = max(1, int(cutout * h)), max(1, int(cutout * w))
    cy = torch.randint(0, h - ch + 1, (n,), generator=gen).to(dev)
    cx = torch.randint(0, w - cw + 1, (n,), generator=gen).to(dev)
    use = chosen()
    rows = torch.arange(h, device=dev)[None]
    cols = torch.arange(w, device=dev)[None]
    in_r = (rows >= cy[:, None]) & (rows < cy[:, None] + ch)            # (N, H)
    in_c = (cols >= cx[:, None]) & (cols < cx[:, None] + cw)            # (N, W)
    mask = (in_r[:, :, None] & in_c[:, None, :] & use[:, None, None])[:, None]
    return x.masked_fill(mask, 0.0)
