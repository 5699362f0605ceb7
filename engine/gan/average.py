"""Weight averaging of one training run's generators (Polyak averaging over snapshots).

Late in a GAN run the EMA generator still wanders around a good region from snapshot to snapshot
(one snapshot's partials are cleaner, the next one's families are): the mean of the weights of
several snapshots of the same run sits nearer the middle of that region than any one of them (the
idea of stochastic weight averaging, Izmailov et al. 2018, and of post-hoc EMA, Karras et al.
2024).  Only generators of one run average meaningfully: the same architecture, label space and
codec, started from the same weights; :func:`average_generators` refuses any other mix.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from engine.gan.checkpoint import Checkpoint

#: card entries that describe one generator's measured output; an average measures its own
MEASURED = ("metric", "harmonicity", "generation_ms_per_image", "directions")


def average_generators(ckpts: Sequence[Checkpoint], name: str) -> Checkpoint:
    """The generator whose weights and buffers (``w_avg``, truncation probes, constant noise)
    are the equal-weight mean of ``ckpts``'; its card is the last one's (the latest snapshot)
    without the measured entries, plus ``averaged_from`` (each input's name and steps).  Named
    directions are left empty (the averaged W space needs its own).  Raises ValueError for
    fewer than two generators or a mix of architectures, label spaces or codecs."""
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
    # AveragedModel's default update is the running equal-weight mean; use_buffers averages
    # w_avg, the truncation probes and the constant noise maps with the weights
    mean = AveragedModel(first.generator, use_buffers=True)
    for ck in ckpts:  # (the first update copies, each later one folds into the mean)
        mean.update_parameters(ck.generator)
    generator = copy.deepcopy(mean.module)
    card = {k: v for k, v in ckpts[-1].card.items() if k not in MEASURED}
    card["averaged_from"] = [{"name": ck.name, "steps": ck.card.get("steps")} for ck in ckpts]
    return Checkpoint(generator, name, first.codec, card, device=str(first.device))
