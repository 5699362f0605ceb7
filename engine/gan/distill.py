"""Distillation: a lighter generator that reproduces a trained one, for live use on slow CPUs.

The student copies the teacher's mapping network and ``w_avg``, so a latent, a truncation and a
named direction mean the same thing in both; it learns its own (narrower) synthesis network to
reproduce the teacher's image for random latents, truncations, direction offsets and noise
strengths.  The loss is L1 on the image plus L1 on its differences along time and frequency
(which keeps harmonics and onsets sharp).  This is regression, not a GAN: the teacher gives the
target for every input, so no discriminator is needed and it converges in far fewer steps than
training from data.  Pure computation: ``latent-resonance distill`` owns the loop and files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from engine.gan.checkpoint import Checkpoint
from engine.gan.model import GanConfig, Generator


@dataclass
class DistillConfig:
    """``g_channels``: the student's channels per level, lowest resolution first (same number
    of levels as the teacher).  ``psi``: truncation range drawn per sample; ``noise``: range of
    the noise-input multiplier; ``direction_amount``: offsets along the teacher's named
    directions are drawn uniformly in +-this (standard deviations), for half of the samples."""

    g_channels: list[int] = field(default_factory=lambda: [64, 64, 32, 16, 16])
    batch: int = 16
    lr: float = 0.002
    lr_final: float = 0.0002
    steps: int = 4000
    psi: tuple[float, float] = (0.3, 1.05)
    noise: tuple[float, float] = (0.0, 2.0)
    direction_amount: float = 2.0
    grad_weight: float = 1.0
    seed: int = 0


def student_config(teacher: GanConfig, g_channels: list[int]) -> GanConfig:
    """The teacher's geometry and mapping with narrower synthesis channels."""
    g = [int(c) for c in g_channels]
    if len(g) != teacher.levels:
        raise ValueError(f"the student needs {teacher.levels} channel levels like the teacher, "
                         f"got {len(g)}")
    d = teacher.to_dict()
    d["g_channels"] = g
    return GanConfig.from_dict(d)


class Distiller:
    """Holds teacher (frozen), student and optimiser; :meth:`step` runs one batch."""

    def __init__(self, teacher: Checkpoint, cfg: DistillConfig, device: str = "cpu"):
        self.cfg, self.device = cfg, torch.device(device)
        self.teacher = teacher.generator.to(self.device).eval().requires_grad_(False)
        torch.manual_seed(int(cfg.seed))  # the student's initial weights
        self.student = Generator(student_config(teacher.config, cfg.g_channels)).to(self.device)
        self._init_from_teacher()
        self.params = [p for n, p in self.student.named_parameters()
                       if not n.startswith("mapping.")]
        self.student.mapping.requires_grad_(False)
        self.opt = torch.optim.Adam(self.params, lr=cfg.lr, betas=(0.9, 0.99))
        self.gen = torch.Generator().manual_seed(int(cfg.seed))
        dirs = [torch.from_numpy(np.asarray(v, np.float32)) for k, v in
                sorted(teacher.directions.items())]
        self.directions = torch.stack(dirs).to(self.device) if dirs else None
        self.step_count = 0

    def _init_from_teacher(self) -> None:
        """Copy every tensor whose name and shape match: the mapping and ``w_avg`` (needed),
        the per-layer noise maps and strengths, and whatever low-resolution layers are as wide
        as the teacher's (a head start)."""
        src = self.teacher.state_dict()
        dst = self.student.state_dict()
        for k, v in src.items():
            if k in dst and dst[k].shape == v.shape:
                dst[k] = v.clone()
        self.student.load_state_dict(dst)

    def _inputs(self, n: int):
        """Random (w, noise multiplier) for a batch, drawn like the live synth's inputs."""
        c, g = self.cfg, self.gen
        z = torch.randn(n, self.teacher.cfg.z_dim, generator=g).to(self.device)
        psi = torch.empty(n, 1).uniform_(*c.psi, generator=g).to(self.device)
        labels = self._labels(n)
        with torch.no_grad():
            w = self.teacher.mapping(z, labels)
            w = self.teacher.truncation_center(labels).lerp(w, psi)
            if self.directions is not None:
                k = len(self.directions)
                amt = torch.empty(n, k).uniform_(-c.direction_amount, c.direction_amount,
                                                 generator=g)
                amt *= (torch.rand(n, 1, generator=g) < 0.5)  # half the batch: no offset
                amt *= (torch.rand(n, k, generator=g) < 2.0 / k)  # about two directions each
                w = w + amt.to(self.device) @ self.directions
        noise = float(torch.empty(1).uniform_(*c.noise, generator=g))
        return w, noise

    def _labels(self, n: int) -> torch.Tensor | None:
        """A conditioned teacher: random labels over its whole space (any pitch in range, any
        family, velocity 0.2..1)."""
        space = self.teacher.cfg.label_space
        if space is None:
            return None
        g = self.gen
        notes = space.pitch_lo + torch.rand(n, generator=g) * (space.pitch_hi - space.pitch_lo)
        fam = torch.randint(0, space.n_family, (n,), generator=g)
        vel = 0.2 + 0.8 * torch.rand(n, generator=g)
        return torch.from_numpy(space.encode_many(notes.numpy(), fam.numpy(),
                                                  vel.numpy())).to(self.device)

    def lr_at(self, step: int) -> float:
        """Cosine decay from ``lr`` to ``lr_final`` over ``steps``."""
        c = self.cfg
        t = min(1.0, step / max(1, c.steps))
        return c.lr_final + 0.5 * (c.lr - c.lr_final) * (1.0 + np.cos(np.pi * t))

    def step(self) -> dict[str, float]:
        """One optimiser step; returns {"l1": image L1, "grad": difference L1, "lr"}."""
        w, noise = self._inputs(self.cfg.batch)
        with torch.no_grad():
            target = self.teacher.synthesize(w, noise).clamp(-1.0, 1.0)
        out = self.student.synthesize(w, noise)
        l1 = F.l1_loss(out, target)
        gl = (F.l1_loss(out.diff(dim=2), target.diff(dim=2))
              + F.l1_loss(out.diff(dim=3), target.diff(dim=3)))
        loss = l1 + self.cfg.grad_weight * gl
        lr = self.lr_at(self.step_count)
        for group in self.opt.param_groups:
            group["lr"] = lr
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.step_count += 1
        return {"l1": float(l1.detach()), "grad": float(gl.detach()), "lr": lr}

    @torch.no_grad()
    def evaluate(self, n: int = 64, seed: int = 12345) -> float:
        """Mean absolute image error (student vs teacher) on fixed latents at psi 0.7, noise 1."""
        z = torch.from_numpy(np.random.default_rng(seed).standard_normal(
            (n, self.teacher.cfg.z_dim)).astype(np.float32)).to(self.device)
        space, c = self.teacher.cfg.label_space, None
        if space is not None:  # fixed labels across the range and the families
            c = torch.from_numpy(np.stack([
                space.encode(space.pitch_lo + (space.pitch_hi - space.pitch_lo) * i / n,
                             space.families[i % space.n_family]) for i in range(n)]))
            c = c.to(self.device)
        w = self.teacher.map(z, 0.7, c=c)
        t = self.teacher.synthesize(w, 1.0).clamp(-1, 1)
        s = self.student.synthesize(w, 1.0).clamp(-1, 1)
        return float((t - s).abs().mean())

    def checkpoint(self, teacher: Checkpoint, name: str) -> Checkpoint:
        """The student as a loadable generator with the teacher's codec and directions."""
        card = {"distilled_from": teacher.name, "teacher_card": dict(teacher.card),
                "data": teacher.card.get("data"),
                "steps": self.step_count, "batch": self.cfg.batch,
                "g_channels": list(self.cfg.g_channels)}
        student = Generator(self.student.cfg)
        student.load_state_dict(self.student.state_dict())
        return Checkpoint(student, name, teacher.codec, card, dict(teacher.directions))
