"""The family-timbre prior: a fixed probe that tells instrument families apart the way a
listener's spectral envelope does, and a hinge that lifts a fake's probe score for its asked
family to what the training images score for theirs.

The discriminator's auxiliary family head learns whatever tells its families apart in the
image, and the generator satisfies it with its own seven timbres: on the shipped default an
image-domain classifier found the asked family in 79 % of generated images, but a classifier
on the *heard* clips' MFCC statistics (trained on real notes) found it in 41 %, most of the
loss in how the envelope moves over time.  This probe looks at what survives into the sound:

    image (dB) -> mel power -> linear power (the voice's own mel inverse) -> 128-band mel power
    (librosa's MFCC filterbank) -> dB clipped 80 below the peak -> DCT (20) -> mean and
    standard deviation over the frames = 40 features

and a logistic regression on them, fitted once on the training images (so it is fixed: the
generator cannot move its decision boundaries, only its own sounds).  The hinge
``relu(target - log p(family | fake))`` stops at the training images' mean log probability, so
it asks a fake to be as recognisable as a real note, not more.  Hand-written (torch) because
the features must be differentiable through the generator; librosa's MFCC is numpy.

A fake can satisfy a linear probe by going far along its family's direction while sounding
like no real instrument of the family: on the first prior's run the probe called 100 % of the
organ fakes organ and the bench's classifier on the heard clips 0 %, their MFCC standard
deviations over time 0.8-1.9 real-organ standard deviations too high (the fakes' envelopes
waver, a real organ's is steady).  :class:`FamilyMoments` therefore also pulls each family's
mean feature vector over the fakes onto the training images' of that family.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

#: bands and coefficients of the MFCC the probe mirrors (librosa.feature.mfcc's defaults)
N_BANDS, N_COEF = 128, 20
_AMIN_DB = -100.0  # librosa's amin 1e-10 as dB


def measure_bands(codec) -> np.ndarray:
    """(N_BANDS, n_mels) float32: an image column's mel power -> the 128-band mel power of the
    audio the voice plays for it (the voice's non-negative mel inverse, then librosa's
    filterbank)."""
    from engine.spectral.codec import mel_basis
    from engine.spectral.melinv import mel_inverse

    m128 = mel_basis(codec.replace(n_mels=N_BANDS))
    inverse = mel_inverse(codec).inverse.toarray()
    return (m128 @ inverse).astype(np.float32)


def _dct_matrix(n: int, k: int) -> torch.Tensor:
    """(k, n): the first k rows of the orthonormal DCT-II (librosa's MFCC transform) as a
    matrix, so torch can differentiate through it."""
    import scipy.fft

    return torch.from_numpy(scipy.fft.dct(np.eye(n), type=2, norm="ortho", axis=0)[:k]).float()


class TimbreProbe:
    """Fixed features and a fixed family classifier for images of one codec and label space."""

    def __init__(self, bands: np.ndarray, top_db: float, space, device="cpu"):
        self.space, self.top_db, self.device = space, float(top_db), torch.device(device)
        self.bands = torch.as_tensor(bands, dtype=torch.float32, device=self.device)
        self.dct = _dct_matrix(self.bands.shape[0], N_COEF).to(self.device)
        self.mu = self.sd = self.weight = self.bias = None
        #: the training images' mean log probability of their own family (the hinge's target)
        self.target = None
        #: the fitted probe's accuracy on the images it was fitted on
        self.accuracy = None

    @classmethod
    def for_codec(cls, codec, space, device="cpu") -> "TimbreProbe":
        return cls(measure_bands(codec), codec.top_db, space, device)

    def features(self, img: torch.Tensor) -> torch.Tensor:
        """(N, 1, n_mels, frames) in [-1, 1] -> (N, 2 * N_COEF) MFCC mean and std over time."""
        # codec.to_db's mapping, in torch; the voice plays an image clipped to [-1, 1], and a
        # fake's overshoot must not overflow 10^(dB/10)
        db = (img[:, 0].float().clamp(-1.0, 1.0) + 1.0) * (self.top_db / 2.0) - self.top_db
        power = torch.einsum("bm,nmt->nbt", self.bands, torch.pow(10.0, db / 10.0))
        db = 10.0 * torch.log10(power.clamp_min(10.0 ** (_AMIN_DB / 10.0)))
        peak = db.amax(dim=(1, 2), keepdim=True).detach()
        db = torch.maximum(db, peak - 80.0)
        coef = torch.einsum("kb,nbt->nkt", self.dct, db)
        # the standard deviation with an epsilon inside the root: a coefficient constant over
        # the frames (a fake all at the floor) has sqrt(0)'s infinite gradient otherwise
        std = (coef.var(2, correction=0) + 1e-4).sqrt()
        return torch.cat([coef.mean(2), std], dim=1)

    def families(self, c: torch.Tensor) -> torch.Tensor:
        """(N,) the asked family of each label vector (its largest family weight)."""
        return c[:, self.space.family_slice].argmax(1)

    def standardised(self, img: torch.Tensor) -> torch.Tensor:
        """(N, 2 * N_COEF) features scaled by the training images' mean and deviation."""
        return (self.features(img) - self.mu) / self.sd

    def logits(self, img: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """Family logits of ``img`` (or of its :meth:`standardised` features ``z``)."""
        return (self.standardised(img) if z is None else z) @ self.weight + self.bias

    def log_prob(self, img: torch.Tensor, c: torch.Tensor,
                 z: torch.Tensor | None = None) -> torch.Tensor:
        """(N,) log probability of each image's asked family (``c``'s largest family weight)."""
        return F.log_softmax(self.logits(img, z), 1).gather(1, self.families(c)[:, None])[:, 0]

    @torch.no_grad()
    def _all_features(self, data: torch.Tensor, chunk: int = 256) -> torch.Tensor:
        return torch.cat([self.features(data[i:i + chunk].to(self.device, torch.float32))
                          for i in range(0, len(data), chunk)])

    def fit(self, data: torch.Tensor, labels: torch.Tensor, l2: float = 1e-3,
            max_iter: int = 300) -> "TimbreProbe":
        """Fit the logistic regression on ``data`` (N, 1, n_mels, frames) and their labels
        (L-BFGS, full batch, deterministic); sets :attr:`target`."""
        x = self._all_features(data)
        y = self.families(labels.to(self.device))
        if len(torch.unique(y)) < 2:
            raise ValueError("the timbre prior needs training images of at least two families")
        self.mu, self.sd = x.mean(0), x.std(0) + 1e-6
        xs = (x - self.mu) / self.sd
        w = torch.zeros(xs.shape[1], self.space.n_family, device=self.device, requires_grad=True)
        b = torch.zeros(self.space.n_family, device=self.device, requires_grad=True)
        opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = F.cross_entropy(xs @ w + b, y) + l2 * w.square().sum()
            loss.backward()
            return loss

        opt.step(closure)
        self.weight, self.bias = w.detach(), b.detach()
        logits = xs @ self.weight + self.bias
        self.target = float(F.log_softmax(logits, 1).gather(1, y[:, None]).mean())
        self.accuracy = float((logits.argmax(1) == y).float().mean())
        #: (n_family, 2 * N_COEF) each family's mean standardised features (NaN: no images)
        self.family_mean = torch.stack([xs[y == f].mean(0) for f in range(self.space.n_family)])
        return self


class FamilyMoments:
    """Pulls each family's mean probe features over the generated images onto the training
    images' of that family: ``loss(z, c)`` on a batch's :meth:`TimbreProbe.standardised`
    features.

    A batch of 8 holds about one image per family, and a per-batch mean matched to a target
    would also punish the spread within a family (the batch mean's variance) and so narrow the
    family's sounds.  So each family's fake mean is a moving average over the batches
    (``rate`` per image of the family), and a batch moves only its own images, along that
    average's error: the gradient is ``2 (average - target) / dims`` per image, its value the
    average's mean squared error in training-image standard deviations.  The averages start
    from a family's first batch and are part of the trainer's state, so a resumed run
    continues them."""

    def __init__(self, probe: TimbreProbe, rate: float = 0.02):
        self.probe, self.rate = probe, float(rate)
        self.average = torch.full_like(probe.family_mean, float("nan"))

    def loss(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        fam = self.probe.families(c)
        total = z.new_zeros(())
        for f in torch.unique(fam).tolist():
            target = self.probe.family_mean[f]
            if not bool(torch.isfinite(target).all()):
                continue  # a family the training images lack: nothing to match
            zf = z[fam == f]
            n = len(zf)
            mean = zf.mean(0)
            old = self.average[f]
            a = 1.0 - (1.0 - self.rate) ** n  # n images at ``rate`` each
            new = mean.detach() if not bool(torch.isfinite(old).all()) else (
                old.lerp(mean.detach(), a))
            self.average[f] = new
            # value: the moving average's error; gradient: along it, through this batch's mean
            moved = new + (mean - mean.detach())
            total = total + (n / len(z)) * (moved - target).square().mean()
        return total
