"""One GAN training step at a time: non-saturating logistic loss, lazy R1, EMA generator,
adaptive (ADA-style) augmentation probability; for a conditioned generator (labels: pitch,
family, velocity, :mod:`engine.gan.labels`) auxiliary-classifier losses on the discriminator's
heads, for reals (D) and for fakes of the requested labels (G), GANSynth-style, and, with
``harmonic_weight``, a hinge that lifts a fake's harmonic-comb score for its pitch
(:mod:`engine.gan.harmonic`) to the training images' mean, and with ``timbre_weight`` one that
lifts a fixed family probe's score for the asked family (:mod:`engine.gan.timbre`) likewise,
and with ``timbre_match_weight`` a pull of each family's mean probe features onto the training
images' of that family.
Fakes are asked for labels drawn from the training set's own (pitch, family, velocity) triples,
so a family is never asked for a pitch it does not play.  Pure computation: the caller
(``latent-resonance train``) owns the loop, progress bar and files; :meth:`Trainer.state_dict`
/ :meth:`Trainer.load_state_dict` make resuming exact (weights, optimisers, RNG, ADA p,
counters).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from engine.gan.augment import augment
from engine.gan.harmonic import HarmonicComb
from engine.gan.model import Discriminator, GanConfig, Generator
from engine.gan.timbre import FamilyMoments, TimbreProbe


@dataclass
class TrainConfig:
    """Optimisation settings.  ``ema_kimg``: EMA half-life in thousands of images (ramped up by
    ``ema_rampup`` x images seen); ``ada_target``: wanted mean sign of D(real);
    ``ada_kimg``: images for ADA's p to move by 1; ``d_warmup``: first steps that train D
    alone (a generator started from a finished checkpoint meets a new D that first has to learn
    what to tell it, see :meth:`Trainer.init_generator`); ``harmonic_weight``: weight of the
    harmonic-comb hinge (conditioned generators; 0 = off); ``timbre_weight``: weight of the
    family-timbre hinge (conditioned generators; 0 = off); ``timbre_match_weight``: weight of
    the pull of each family's mean probe features onto the training images' (0 = off)."""

    batch: int = 8
    lr_g: float = 0.002
    lr_d: float = 0.002
    betas: tuple[float, float] = (0.0, 0.99)
    r1_gamma: float = 0.2
    r1_every: int = 16
    ema_kimg: float = 2.0
    ema_rampup: float = 0.05
    ada_target: float = 0.6
    ada_interval: int = 4
    ada_kimg: float = 20.0
    ada_p_max: float = 0.8
    aux_weight: float = 1.0
    d_warmup: int = 0
    harmonic_weight: float = 0.0
    timbre_weight: float = 0.0
    timbre_match_weight: float = 0.0
    seed: int = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = cls.__dataclass_fields__.keys()
        kw = {k: v for k, v in d.items() if k in names}
        if "betas" in kw:
            kw["betas"] = tuple(float(b) for b in kw["betas"])
        return cls(**kw)


class Trainer:
    """Holds G, D, the EMA generator ``G_ema``, optimisers and training data (N, 1, H, W)."""

    def __init__(self, data: torch.Tensor, gan: GanConfig, cfg: TrainConfig,
                 device: str | torch.device = "cpu", rank: int = 0, grad_sync=None,
                 labels: torch.Tensor | None = None,
                 mel_range: tuple[float, float] | None = None, codec=None):
        """``rank``: process index under torch.distributed (its own data/latent stream);
        ``grad_sync(module)``: called after each backward to average gradients across
        processes (None when training alone); ``labels``: (N, c_dim) label vectors of
        ``data`` (needed exactly when ``gan`` is conditioned); ``mel_range``: (fmin, fmax) Hz
        of the data's mel bins (needed for ``cfg.harmonic_weight``); ``codec``: the data's
        :class:`~engine.spectral.codec.CodecParams` (needed for ``cfg.timbre_weight`` and ``cfg.timbre_match_weight``)."""
        if data.ndim != 4 or data.shape[1] != 1 or tuple(data.shape[2:]) != gan.resolution:
            raise ValueError(f"training data must be (N, 1, {gan.resolution[0]}, "
                             f"{gan.resolution[1]}), got {tuple(data.shape)}")
        if gan.c_dim and (labels is None or tuple(labels.shape) != (len(data), gan.c_dim)):
            raise ValueError(f"a conditioned generator needs labels ({len(data)}, {gan.c_dim}), "
                             f"got {None if labels is None else tuple(labels.shape)}")
        if not gan.c_dim and labels is not None:
            raise ValueError("labels given for an unconditioned generator")
        self.gan, self.cfg, self.device = gan, cfg, torch.device(device)
        torch.manual_seed(cfg.seed)
        self.G = Generator(gan).to(self.device)
        self.D = Discriminator(gan).to(self.device)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
        r1_ratio = cfg.r1_every / (cfg.r1_every + 1)  # lazy-regularisation correction
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d * r1_ratio,
                                      betas=tuple(b ** r1_ratio for b in cfg.betas))
        self.data = data                      # kept on CPU (float16 or float32)
        self.labels = labels                  # (N, c_dim) float32 on CPU, or None
        self.space = gan.label_space
        # a frequency shift moves the pitch: a conditioned D would learn wrong pitch labels
        self._max_freq = 0.0 if self.space else 0.0625
        self.gen = torch.Generator().manual_seed(cfg.seed + 1_000_003 * rank)
        self.grad_sync = grad_sync
        self.step_count = 0
        self.nimg = 0
        self.ada_p = 0.0
        self._ada_acc: list[float] = []
        self.comb = None
        if cfg.harmonic_weight > 0:
            if self.space is None or mel_range is None:
                raise ValueError("the harmonic prior needs a conditioned generator and the "
                                 "data's mel range")
            self.comb = HarmonicComb(gan.resolution[0], mel_range, self.space, self.device)
            #: the training images' mean comb score: what the hinge lifts a fake's score to
            self.harmonic_target = self.comb.mean_score(data, labels)
        self.timbre = self.moments = None
        if cfg.timbre_weight > 0 or cfg.timbre_match_weight > 0:
            if self.space is None or codec is None:
                raise ValueError("the timbre prior needs a conditioned generator and the "
                                 "data's codec")
            self.timbre = TimbreProbe.for_codec(codec, self.space, self.device).fit(data, labels)
            self.moments = FamilyMoments(self.timbre)

    # -------------------------------------------------------------- one step
    def _batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        idx = torch.randint(0, self.data.shape[0], (self.cfg.batch,), generator=self.gen)
        return self.data[idx].to(self.device, torch.float32), self._labels(idx)

    def _labels(self, idx) -> torch.Tensor | None:
        return None if self.labels is None else self.labels[idx].to(self.device)

    def _fake_labels(self) -> torch.Tensor | None:
        if self.labels is None:
            return None
        return self._labels(torch.randint(0, self.labels.shape[0], (self.cfg.batch,),
                                          generator=self.gen))

    def _aux_loss(self, img, c) -> tuple[torch.Tensor, torch.Tensor]:
        """(adversarial logits, auxiliary loss) of ``img`` whose labels should be ``c``."""
        s = self.space
        logit, pitch, family, vel = self.D.heads(img)
        loss = (F.cross_entropy(pitch, c[:, s.pitch_slice].argmax(1))
                + F.cross_entropy(family, c[:, s.family_slice].argmax(1))
                + F.l1_loss(vel, c[:, s.velocity_index]))
        return logit, loss

    def _z(self) -> torch.Tensor:
        return torch.randn(self.cfg.batch, self.gan.z_dim, generator=self.gen).to(self.device)

    def step(self) -> dict[str, float]:
        """One D update (with lazy R1 every ``r1_every`` steps) and one G update; returns
        losses and the current augmentation probability."""
        cfg, g = self.cfg, self.gen
        self.G.train()
        self.D.train()
        # ---- discriminator
        real, c_real = self._batch()
        c_fake = self._fake_labels()
        with torch.no_grad():
            fake = self.G(self._z(), noise_gen=g, c=c_fake)
        real_aug = augment(real, self.ada_p, g, max_freq=self._max_freq)
        aux_d = 0.0
        if self.space is None:
            logits_real = self.D(real_aug)
        else:
            logits_real, aux_d = self._aux_loss(real_aug, c_real)
        logits_fake = self.D(augment(fake, self.ada_p, g, max_freq=self._max_freq))
        loss_d = (F.softplus(logits_fake).mean() + F.softplus(-logits_real).mean()
                  + cfg.aux_weight * aux_d)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        r1 = 0.0
        if cfg.r1_every > 0 and self.step_count % cfg.r1_every == 0:
            x = real_aug.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.D(x).sum(), x, create_graph=True)
            penalty = grad.square().sum(dim=(1, 2, 3)).mean()
            (penalty * (cfg.r1_gamma / 2) * cfg.r1_every).backward()
            r1 = float(penalty.detach())
        if self.grad_sync:
            self.grad_sync(self.D)
        self.opt_d.step()
        # ---- ADA: adjust p from the sign of D on reals
        self._ada_acc.append(float(torch.sign(logits_real.detach()).mean()))
        if len(self._ada_acc) >= cfg.ada_interval:
            rt = sum(self._ada_acc) / len(self._ada_acc)
            adjust = (1 if rt > cfg.ada_target else -1) * cfg.batch * cfg.ada_interval / (cfg.ada_kimg * 1000)
            self.ada_p = float(min(cfg.ada_p_max, max(0.0, self.ada_p + adjust)))
            self._ada_acc.clear()
        self.nimg += cfg.batch
        self.step_count += 1
        if self.step_count <= cfg.d_warmup:  # D alone: G and its EMA stay as they are
            return self._stats(loss_d, logits_real, logits_fake, r1, aux_d)
        # ---- generator
        self.D.requires_grad_(False)
        c_fake = self._fake_labels()
        fake = self.G(self._z(), noise_gen=g, update_w_avg=True, c=c_fake)
        aux_g = 0.0
        if self.space is None:
            logits_g = self.D(augment(fake, self.ada_p, g, max_freq=self._max_freq))
        else:
            logits_g, aux_g = self._aux_loss(
                augment(fake, self.ada_p, g, max_freq=self._max_freq), c_fake)
        loss_g = F.softplus(-logits_g).mean() + cfg.aux_weight * aux_g
        harm = None
        if self.comb is not None:
            harm = F.relu(self.harmonic_target - self.comb.score(fake, c_fake)).mean()
            loss_g = loss_g + cfg.harmonic_weight * harm
        timbre = match = None
        if self.timbre is not None:
            z = self.timbre.standardised(fake)
            timbre = F.relu(self.timbre.target - self.timbre.log_prob(fake, c_fake, z)).mean()
            match = self.moments.loss(z, c_fake)
            loss_g = loss_g + cfg.timbre_weight * timbre + cfg.timbre_match_weight * match
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        if self.grad_sync:
            self.grad_sync(self.G)
        self.opt_g.step()
        self.D.requires_grad_(True)
        # ---- EMA
        ema_nimg = cfg.ema_kimg * 1000
        if cfg.ema_rampup:
            ema_nimg = min(ema_nimg, self.nimg * cfg.ema_rampup)
        beta = 0.5 ** (cfg.batch / max(ema_nimg, 1e-8))
        with torch.no_grad():
            for pe, p in zip(self.G_ema.parameters(), self.G.parameters()):
                pe.copy_(p.lerp(pe, beta))
            for be, b in zip(self.G_ema.buffers(), self.G.buffers()):
                be.copy_(b)
        return self._stats(loss_d, logits_real, logits_fake, r1, aux_d, loss_g, aux_g, harm,
                           timbre, match)

    def _stats(self, loss_d, logits_real, logits_fake, r1, aux_d, loss_g=None, aux_g=None,
               harm=None, timbre=None, match=None) -> dict:
        out = {}
        if self.space is not None:
            out = {"aux_d": float(aux_d.detach())}
            if aux_g is not None:
                out["aux_g"] = float(aux_g.detach())
        if harm is not None:
            out["harmonic"] = float(harm.detach())
        if timbre is not None:
            out["timbre"] = float(timbre.detach())
            out["timbre_match"] = float(match.detach())
        if loss_g is not None:
            out["loss_g"] = float(loss_g.detach())
        return {**out, "loss_d": float(loss_d.detach()), "r1": r1,
                "d_real": float(logits_real.detach().mean()),
                "d_fake": float(logits_fake.detach().mean()), "ada_p": self.ada_p}

    def init_generator(self, state_dict: dict, nimg: int = 0) -> None:
        """Start G and ``G_ema`` from a finished generator's weights (``state_dict`` of a
        checkpoint with this run's GanConfig) and D from scratch: continuing a generator whose
        training state is gone, or fine-tuning it on other data.  ``nimg``: the images that
        generator has seen, so the EMA's warm-up ramp (meant for random weights) is not
        repeated."""
        self.G.load_state_dict(self.G.complete(state_dict))
        self.G_ema.load_state_dict(self.G_ema.complete(state_dict))
        self.nimg = int(nimg)

    # -------------------------------------------------------------- resume
    def state_dict(self) -> dict:
        """Everything needed to continue exactly: tensors and plain values only (a deep copy,
        so later steps do not change it)."""
        return copy.deepcopy({"G": self.G.state_dict(), "D": self.D.state_dict(),
                "G_ema": self.G_ema.state_dict(), "opt_g": self.opt_g.state_dict(),
                "opt_d": self.opt_d.state_dict(), "rng": self.gen.get_state(),
                "step": self.step_count, "nimg": self.nimg, "ada_p": self.ada_p,
                "ada_acc": list(self._ada_acc), "gan_config": self.gan.to_dict(),
                "train_config": self.cfg.to_dict(),
                **({"family_moments": self.moments.average} if self.moments else {})})

    def load_state_dict(self, sd: dict) -> None:
        self.G.load_state_dict(self.G.complete(sd["G"]))
        self.D.load_state_dict(sd["D"])
        self.G_ema.load_state_dict(self.G_ema.complete(sd["G_ema"]))
        self.opt_g.load_state_dict(sd["opt_g"])
        self.opt_d.load_state_dict(sd["opt_d"])
        self.gen.set_state(sd["rng"])
        self.step_count = int(sd["step"])
        self.nimg = int(sd["nimg"])
        self.ada_p = float(sd["ada_p"])
        self._ada_acc = [float(v) for v in sd.get("ada_acc", [])]
        if self.moments is not None and "family_moments" in sd:
            self.moments.average = sd["family_moments"].to(self.device, torch.float32).clone()
