"""The model card: a checkpoint's card dict (filled by :mod:`engine.gan.finalize`) as Markdown."""

from __future__ import annotations


def card_markdown(name: str, card: dict) -> str:
    """A human-readable model card from a checkpoint card dict."""
    g = card.get("gan_config", {})
    lines = [f"# Generator `{name}`", ""]
    if card.get("data_description"):
        lines += [f"**Data.** {card['data_description']}", ""]
    lines += [f"- training images: {card.get('train_images')}, held-out images: "
              f"{card.get('heldout_images')}",
              f"- steps: {card.get('steps')} ({card.get('images_seen')} images seen), "
              f"training time: {card.get('train_seconds', 0) / 60:.1f} min on {card.get('device')}"
              + (f" ({card['hardware']})" if card.get("hardware") else ""),
              *_init_line(card), *_average_line(card),
              f"- resolution: {g.get('resolution')} (mel bands x frames), z_dim {g.get('z_dim')}, "
              f"w_dim {g.get('w_dim')}, generator channels {g.get('g_channels')}"]
    labels = g.get("labels")
    if labels:
        lines.append(f"- conditioned on pitch (MIDI {labels['pitch_lo']}-{labels['pitch_hi']}), "
                     f"instrument family ({', '.join(labels['families'])}) and velocity")
    if "generation_ms_per_image" in card:
        lines.append(f"- generation: {card['generation_ms_per_image']} ms per image "
                     "(median, measured at the end of training; see benchmarks/gan_bench.py)")
    m = card.get("metric")
    if m:
        lines += ["", "**Metric** (Fréchet distance on standardised audio descriptors, lower is "
                      "better):", "",
                  f"- generated vs held-out: **{m['fd_generated_vs_heldout']}**",
                  f"- real-vs-real baseline (training subset vs held-out): "
                  f"{m['fd_train_vs_heldout_baseline']}",
                  f"- samples: {m['n_generated']} generated, {m['n_heldout']} held-out"]
    h = card.get("harmonicity")
    if h:
        lines += ["", f"**Harmonicity** ({h['method']}, n = {h['n']}): generated "
                      f"**{h['generated']}** vs held-out real {h['heldout_real']} "
                      f"({h['relative_difference']:.0%} apart).", ""]
    d = card.get("directions")
    if d:
        lines += ["**Named directions** (PCA in W; |correlation| with the descriptor):", ""]
        for k, v in d.items():
            if isinstance(v, dict):
                lines.append(f"- `{k}`: PC{v['pc']}, {v['descriptor']}, r = {v['corr']}")
        lines.append("- `pc1` ... `pc4`: the raw principal components")
    return "\n".join(lines) + "\n"


def _average_line(card: dict) -> list[str]:
    """The line naming the snapshots an averaged generator is the mean of (``average``)."""
    a = card.get("averaged_from")
    if not a:
        return []
    steps = ", ".join(str(x.get("steps")) for x in a)
    if any("weight" in x for x in a):
        shares = ", ".join(f"{x.get('weight', 0):.3g}" for x in a)
        return [f"- weights: the weighted mean of {len(a)} generators of this run (steps "
                f"{steps}; weights {shares}; `latent-resonance average --weights`)"]
    return [f"- weights: the mean of {len(a)} snapshots of this run (steps {steps}; "
            "`latent-resonance average`)"]


def _init_line(card: dict) -> list[str]:
    """The line naming the checkpoint a run's generator started from (``train --init-from``)."""
    i = card.get("init_from")
    if not i:
        return []
    total = (i.get("steps") or 0) + (card.get("steps") or 0)
    before = (i.get("train_seconds") or 0) / 60
    minutes = before + (card.get("train_seconds") or 0) / 60
    return [f"- the generator started from `{i.get('checkpoint')}` ({i.get('steps')} steps, "
            f"{before:.1f} min) with a new discriminator, trained "
            f"alone for this run's first {card.get('train_config', {}).get('d_warmup', 0)} "
            f"steps: {total} steps and {minutes:.1f} min in all"]
