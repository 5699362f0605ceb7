"""Weight averaging of one training run's generators (Polyak averaging over snapshots).

Late in a GAN run the EMA generator still wanders around a good region from snapshot to snapshot
(one snapshot's partials are cleaner, the next one's families are): the mean of the weights of
several snapshots of the same run sits nearer the middle of that region than any one of them (the
idea of stochastic weight averaging, Izmailov et al. 2018, and of post-hoc EMA, Karras et al.
2024).  Only generators of one run average meaningfully: the same architecture, label space and
codec, started from the same weights; :func:`average_generators` refuses any other mix.  A
weighted mean (``weights``) blends such averages: the mean of one stretch of the run with a
share of an earlier stretch's mean.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Sequence

from engine.gan.checkpoint import Checkpoint

#: card entries that describe one generator's measured output; an average measures its own
MEASURED = ("metric", "harmonicity", "generation_ms_per_image", "directions")


def average_generators(ckpts: Sequence[Checkpoint], name: str,
                       weights: Sequence[float] | None = None) -> Checkpoint:
    """The generator whose weights and buffers (``w_avg``, truncation probes, constant noise)
    are the mean of ``ckpts``', equal-weight or by ``weights`` (one positive number each,
    normalised to sum 1); its card is the latest one's (the most images seen, else the most
    steps; of equals, the last) without the measured entries, plus ``averaged_from`` (each input's name, steps and, when
    weighted, weight).  Named directions are left empty (the averaged W space needs its own).
    Raises ValueError for fewer than two generators, a mix of architectures, label spaces or
    codecs, or weights that are not one positive finite number per generator."""
    from torch.optim.swa_utils import AveragedModel

    if len(ckpts) < 2:
        raise ValueError(f"averaging needs at least 2 generators, got {len(ckpts)}")
    first = ckpts[0]
    for ck in ckpts[1:]:
        if ck.config.to_dict() != first.config.to_dict():
            raise ValueError(f"{ck.name}: another architecture or label space than {first.name}'s "
                             "(only snapshots of one training run average)")
        if ck.codec.to_dict() != first.codec.to_dict():
            raise ValueError(f"{ck.name}: another codec than {first.name}'s")
    given = [1.0] * len(ckpts) if weights is None else [float(w) for w in weights]
    if len(given) != len(ckpts) or not all(math.isfinite(w) and w > 0 for w in given):
        raise ValueError(f"weights: one positive number per generator ({len(ckpts)}), got "
                         f"{', '.join(f'{w:g}' for w in given)}")
    share = [w / sum(given) for w in given]
    folded = list(itertools.accumulate(share))

    # update k (the first is a copy) moves the running mean by share k / the shares folded in
    # so far (equal shares: AveragedModel's own 1 / (k + 1)); use_buffers averages w_avg, the
    # truncation probes and the constant noise maps with the weights
    def avg_fn(mean_p, p, k):
        k = int(k)
        return mean_p + (p - mean_p) * (share[k] / folded[k])

    mean = AveragedModel(first.generator, avg_fn=avg_fn, use_buffers=True)
    for ck in ckpts:  # (the first update copies, each later one folds into the mean)
        mean.update_parameters(ck.generator)
    generator = copy.deepcopy(mean.module)
    # the latest input's card (inputs may come in any order when weighted): images seen count
    # the whole lineage (an --init-from run carries its parent's on, its steps start at 0)
    latest = max(reversed(ckpts), key=lambda ck: (ck.card.get("images_seen") or 0,
                                                  ck.card.get("steps") or 0))
    card = {k: v for k, v in latest.card.items() if k not in MEASURED}
    card["averaged_from"] = [{"name": ck.name, "steps": ck.card.get("steps")} for ck in ckpts]
    if weights is not None:
        for entry, w in zip(card["averaged_from"], share):
            entry["weight"] = round(w, 6)
    return Checkpoint(generator, name, first.codec, card, device=str(first.device))
