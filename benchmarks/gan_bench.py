"""Generator benchmark: generation time per image, how it sounds next to real instruments,
harmonicity, with in-process baselines.

    uv run python benchmarks/gan_bench.py [--checkpoint checkpoints/default.pt] [--threads 1]
        [--parts speed,quality,harmonicity] [--clips 120] [--classifier-notes 960]
        [--heldout heldout.npy --train train.npy]   # also recompute the Fréchet metric

Prints:
  * (quality) the bars of a default generator, on clips played by the live voice
    (:mod:`engine.gan.quality`), against held-out real notes of the training instruments
    (``sources`` with seeds the default was not trained on) and those real notes through the
    codec and the voice, all measured in this run: 1-NN two-sample accuracy (bar <= 0.75),
    pyin voiced probability (bar >= 90 % of real), set spread (bar 0.85..1.2 of real), a
    family classifier's ceiling and the families of the generated clips (each >= 5 %), and for
    a conditioned generator the family it was asked for (>= 80 % of the ceiling) and the pitch
    of images made for MIDI 36..84 (within 1 semitone for >= 80 %);
  * ms per image of ``Checkpoint.generate`` (single latent, median) against the 50 ms budget and
    against an origin-sized 512 x 512 generator of the same architecture (ratio);
  * harmonicity of generated audio against real audio of the same instruments, both through the
    same Griffin-Lim path (ratio; the card's claim is "within 25 %"), plus the raw real audio;
  * with --heldout/--train: Fréchet distance on audio descriptors, generated vs held-out, and
    the real-vs-real baseline.
Real audio comes from ``latent-resonance sources`` with a seed the default was not trained on.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.gan.checkpoint import load_checkpoint  # noqa: E402
from engine.gan.descriptors import harmonicity  # noqa: E402
from engine.gan.metrics import descriptor_fd, mean_harmonicity  # noqa: E402
from engine.gan.model import GanConfig, Generator  # noqa: E402


def median_ms(fn, n: int) -> float:
    fn()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))


def real_set(codec, notes: int, seed: int):
    """Render ``notes`` sustained notes (fluidsynth + synth) and cut codec-sized images."""
    import soundfile as sf

    from bridge.material.sources import render_sources
    from engine.data.windows import audio_windows

    c = codec
    specs, audios = [], []
    with tempfile.TemporaryDirectory() as tmp:
        rows = render_sources(Path(tmp), notes, seed, sr=c.sr, progress=False)
        for r in rows:
            y, _ = sf.read(Path(tmp) / r["file"], dtype="float32")
            specs.append(audio_windows(y, c, per_file=1)[0])
            audios.append(y)
    return np.stack(specs), audios


def runtime_vs_torch(path: str, zs, n: int) -> None:
    """The runtime's exported pass (onnxruntime, one thread) against the traced torch pass (one
    thread), on the same latents in this process: largest image difference, ms per image, and
    the import time of each back end in a fresh interpreter."""
    import subprocess

    from engine.gan.export import CHECK_TOLERANCE
    from engine.gan.runtime import companion_path, read_exported

    comp = companion_path(path)
    if not comp.is_file():
        print(f"runtime: no {comp.name} (latent-resonance export {path})")
        return
    traced = load_checkpoint(path)
    traced.trace_one_image()
    onnx = read_exported(comp)
    diff = max(float(np.abs(onnx.generate(z, truncation=0.7, noise=0.5)
                            - traced.generate(z, truncation=0.7, noise=0.5)).max()) for z in zs)
    it_t, it_o = iter(range(10 ** 9)), iter(range(10 ** 9))
    t_ms = median_ms(lambda: traced.generate(zs[next(it_t) % len(zs)]), n)
    o_ms = median_ms(lambda: onnx.generate(zs[next(it_o) % len(zs)]), n)

    def import_s(module: str) -> float:
        code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
        return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    check=True).stdout)

    ti, oi = import_s("torch"), import_s("onnxruntime")
    print(f"runtime (onnxruntime) vs traced torch, {len(zs)} latents: max |image difference| "
          f"{diff:.1e} (bar {CHECK_TOLERANCE:g}: {'OK' if diff <= CHECK_TOLERANCE else 'OVER'}); "
          f"{o_ms:.2f} vs {t_ms:.2f} "
          f"ms/image (ratio {o_ms / t_ms:.2f}); import {oi:.2f} s vs {ti:.2f} s "
          f"(ratio {oi / ti:.2f})")
    print(f"one generator pass, as the synth runs it (onnxruntime, one thread): {o_ms:.2f} ms "
          f"(bar <= 12 ms: {'OK' if o_ms <= 12 else 'OVER'})")


def labelled_real(codec, notes: int, seed: int):
    """``notes`` real notes (``sources``: fluidsynth GM + synthesised tones, like the training
    set): their raw audio clips, their middle codec image, MIDI note, family, velocity 0..1."""
    import soundfile as sf

    from bridge.material.sources import render_sources
    from engine.data.sources import family_of
    from engine.data.windows import audio_windows
    from engine.gan.quality import middle

    out = {"audio": [], "spec": [], "note": [], "family": [], "velocity": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in render_sources(Path(tmp), notes, seed, sr=codec.sr, progress=False):
            y, _ = sf.read(Path(tmp) / r["file"], dtype="float32")
            wins = audio_windows(y, codec, per_file=3)
            out["audio"].append(middle(y, codec.sr))
            out["spec"].append(wins[len(wins) // 2])
            out["note"].append(float(r["note"]))
            out["family"].append(family_of(int(r["program"])))
            out["velocity"].append(int(r["velocity"]) / 127.0)
    return out


def _mark(ok: bool) -> str:
    return "OK" if ok else "OVER"


def family_ranges() -> dict[str, list[tuple[int, int]]]:
    """Each family of the training instruments -> the (lowest, highest) MIDI notes of its
    instruments (``sources``' GM instruments and synthesised kinds)."""
    from engine.data.sources import GM_INSTRUMENTS, SYNTH_FAMILY, SYNTH_KINDS, family_of

    ranges: dict[str, list[tuple[int, int]]] = {}
    for p, lo, hi in GM_INSTRUMENTS.values():
        ranges.setdefault(family_of(p), []).append((lo, hi))
    ranges.setdefault(SYNTH_FAMILY, []).extend(SYNTH_KINDS.values())
    return ranges


def family_for_note(note: int, families: tuple[str, ...]) -> str | None:
    """A family (of ``families``) whose training instruments play ``note``, taking turns by note
    number among those that do."""
    cover = sorted(f for f, rs in family_ranges().items()
                   if f in families and any(lo <= note <= hi for lo, hi in rs))
    return cover[note % len(cover)] if cover else None


def even_family_asks(families: tuple[str, ...], n: int, seed: int) -> list[tuple[float, str, float]]:
    """``n`` (note, family, velocity) asks taking each of ``families`` in turn, each note one
    that an instrument of that family plays in the training set (velocity 0.5..1).  The real
    notes' own labels ask for families as often as the training set holds them (brass and
    synth_pad under 5 % of notes), so "every family present" is measured on these as well."""
    ranges = family_ranges()
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        f = families[i % len(families)]
        lo, hi = ranges[f][rng.integers(len(ranges[f]))]
        out.append((float(rng.integers(lo, hi + 1)), f, float(rng.uniform(0.5, 1.0))))
    return out


#: the family classifier's training notes: 120 gave it a ceiling of only 0.39-0.52 on
#: held-out notes (by seed), 960 about 0.7; with 120 the family bars measured noise
CLASSIFIER_NOTES = 960


def quality(ck, clips: int, seed: int, classifier_notes: int = CLASSIFIER_NOTES) -> dict:
    """The quality bars of ``ck`` against real notes, every baseline measured here;
    ``classifier_notes``: the family classifier's training notes."""
    from engine.gan import quality as q

    c = ck.codec
    sr = c.sr
    t0 = time.perf_counter()
    # Three sets of real notes, none trained on.  Every measure compares two sets of different
    # notes: a clip next to its own note through the codec (or a generated clip asked for its
    # labels) would find its twin as nearest neighbour and flatter the comparison.
    real = labelled_real(c, clips, seed)          # what everything is compared with
    real2 = labelled_real(c, clips, seed + 1)     # through codec + voice; the generated clips'
    #                                               labels; the raw real-vs-real floor
    train = labelled_real(c, classifier_notes, seed + 2)  # the family classifier's notes
    print(f"quality: {2 * clips + classifier_notes} real notes rendered "
          f"({time.perf_counter() - t0:.0f} s); "
          f"playing clips through the voice (generated at the synth's default clarity and "
          f"entropy) ...", flush=True)
    through = [q.voice_clip(s, c, seed=i) for i, s in enumerate(real2["spec"])]
    train_through = [q.voice_clip(s, c, seed=i) for i, s in enumerate(train["spec"])]
    labels = ck.labels
    # the synth's own generator inputs at its default clarity and entropy (psi 0.7)
    from bridge.address_table import FIELD_DEFAULTS
    from engine.synth.mapping import generator_inputs

    psi, noise = generator_inputs(FIELD_DEFAULTS["clarity"], FIELD_DEFAULTS["entropy"])
    kw = {"truncation": psi, "noise": noise}
    zs = np.stack([ck.random_latent(10_000 + i) for i in range(clips)])
    cs = None  # a conditioned generator is asked for real notes' labels (real2's)
    if labels is not None:
        cs = np.stack([ck.condition(n, f if f in labels.families else None, v) for n, f, v in
                       zip(real2["note"], real2["family"], real2["velocity"])])
    specs = ck.generate(zs, c=cs, **kw)
    gen = [q.voice_clip(s, c, seed=i) for i, s in enumerate(specs)]
    feat = lambda ys: np.stack([q.clip_features(y, sr) for y in ys])  # noqa: E731
    f_real, f_real2, f_through, f_gen = (feat(real["audio"]), feat(real2["audio"]),
                                         feat(through), feat(gen))
    std = q.standardiser(f_real)
    nn = {k: q.nn_accuracy(std(v), std(f_real)) for k, v in
          (("generated", f_gen), ("through", f_through), ("real2", f_real2))}
    s_real = q.spread(std(f_real))
    sp = {k: q.spread(std(v)) / s_real for k, v in
          (("generated", f_gen), ("through", f_through), ("real2", f_real2))}
    print(f"quality: measuring pyin on {3 * clips} clips ...", flush=True)
    vo = {k: float(np.mean([q.voiced_probability(y, sr) for y in ys])) for k, ys in
          (("generated", gen), ("through", through), ("real", real["audio"]))}
    clf = q.FamilyClassifier(feat(train_through), train["family"])
    ceiling = clf.accuracy(f_through, real2["family"])
    raw_acc = clf.accuracy(f_real, real["family"])
    pred = clf.predict(f_gen)
    fams = sorted(set(train["family"]))
    shares = lambda p: {f: float(np.mean(p == f)) for f in fams}  # noqa: E731
    share = shares(pred)
    share_through = shares(clf.predict(f_through))
    print(f"1-NN two-sample accuracy vs real (0.5 = indistinguishable): generated "
          f"{nn['generated']:.2f} (bar <= 0.75: {_mark(nn['generated'] <= 0.75)}; goal within "
          f"0.05 of real-through-codec: {_mark(nn['generated'] <= nn['through'] + 0.05)}); "
          f"real through codec + voice {nn['through']:.2f}; another real set {nn['real2']:.2f}")
    print(f"pyin voiced probability: generated {vo['generated']:.2f}, real through codec + "
          f"voice {vo['through']:.2f}, real {vo['real']:.2f}: generated/real "
          f"{vo['generated'] / vo['real']:.2f} (bar >= 0.90: "
          f"{_mark(vo['generated'] >= 0.9 * vo['real'])})")
    print(f"spread / real's: generated {sp['generated']:.2f} (bar 0.85..1.2: "
          f"{_mark(0.85 <= sp['generated'] <= 1.2)}), real through codec + voice "
          f"{sp['through']:.2f}, another real set {sp['real2']:.2f}")
    print(f"family classifier (logistic regression on MFCC mean+std, trained on "
          f"{classifier_notes} real notes through codec + voice): ceiling {ceiling:.2f} on "
          f"held-out real through codec + voice ({raw_acc:.2f} on the raw real clips); "
          f"generated clips by family: "
          + ", ".join(f"{f} {v:.0%}" for f, v in share.items())
          + f" (bar each >= 5 %: {_mark(min(share.values()) >= 0.05)}); real through codec + "
          f"voice, same labels: " + ", ".join(f"{f} {v:.0%}" for f, v in share_through.items()))
    out = {"nn": nn, "voiced": vo, "spread": sp, "ceiling": ceiling, "share": share,
           "share_through": share_through}
    if labels is None:
        print("conditioning: n/a (an unconditioned generator)")
        return out
    asks = even_family_asks(labels.families, clips, seed + 3)
    especs = ck.generate(np.stack([ck.random_latent(30_000 + i) for i in range(clips)]),
                         c=np.stack([ck.condition(n, f, v) for n, f, v in asks]), **kw)
    epred = clf.predict(feat([q.voice_clip(s, c, seed=i) for i, s in enumerate(especs)]))
    share_even = shares(epred)
    even_acc = float(np.mean([p == f for p, (_, f, _) in zip(epred, asks)]))
    print(f"every family asked for in turn ({clips} clips, notes each family's instruments "
          f"play): generated clips by family: "
          + ", ".join(f"{f} {v:.0%}" for f, v in share_even.items())
          + f" (bar each >= 5 %: {_mark(min(share_even.values()) >= 0.05)}); family asked "
          f"for = classifier's on {even_acc:.0%}")
    out.update({"share_even": share_even, "family_accuracy_even": even_acc})
    asked = [f if f in labels.families else None for f in real2["family"]]
    hit = [p == a for p, a in zip(pred, asked) if a is not None]
    fam_acc = float(np.mean(hit)) if hit else float("nan")
    notes = list(range(36, 85))
    fam_n = [family_for_note(n, labels.families) for n in notes]
    pspecs = ck.generate(np.stack([ck.random_latent(20_000 + n) for n in notes]),
                         c=np.stack([ck.condition(n, f, 0.8) for n, f in zip(notes, fam_n)]),
                         **kw)
    pitch = np.array([q.clip_pitch(q.voice_clip(s, c, seed=n), sr)
                      for n, s in zip(notes, pspecs)])
    within = np.abs(pitch - np.array(notes)) <= 1.0  # NaN (unvoiced) counts as a miss
    print(f"conditioning: family asked for = classifier's on {fam_acc:.0%} of generated clips "
          f"= {fam_acc / ceiling:.2f} of the ceiling (bar >= 0.80: "
          f"{_mark(fam_acc >= 0.8 * ceiling)}); pitch of images made for MIDI 36..84 within "
          f"1 semitone: {within.mean():.0%} (bar >= 80 %: {_mark(within.mean() >= 0.8)}); "
          f"misses at " + (", ".join(f"{n}->{p:.1f}" for n, p, w in zip(notes, pitch, within)
                                     if not w)[:400] or "none"))
    out.update({"family_accuracy": fam_acc, "pitch_within": float(within.mean())})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=str(REPO / "checkpoints" / "default.pt"))
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--n", type=int, default=30, help="timed generations")
    ap.add_argument("--notes", type=int, default=24, help="real notes for harmonicity")
    ap.add_argument("--seed", type=int, default=12345, help="sources seed for the real notes")
    ap.add_argument("--heldout", help="held-out .npy for the Fréchet metric")
    ap.add_argument("--train", help="training .npy for the real-vs-real baseline")
    ap.add_argument("--parts", default="speed,quality,harmonicity",
                    help="comma-separated: speed, quality, harmonicity")
    ap.add_argument("--clips", type=int, default=120,
                    help="real notes per set (and generated clips) for the quality bars")
    ap.add_argument("--classifier-notes", type=int, default=CLASSIFIER_NOTES,
                    help="real notes the family classifier is trained on")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    torch.set_num_threads(args.threads)
    ck = load_checkpoint(args.checkpoint)
    print(f"checkpoint {ck.name}: {ck.resolution[0]} mels x {ck.resolution[1]} frames, "
          f"z_dim {ck.z_dim}, torch threads {args.threads}")

    if "speed" in parts:
        zs = [ck.random_latent(i) for i in range(args.n)]
        it = iter(range(10 ** 9))
        ms = median_ms(lambda: ck.generate(zs[next(it) % len(zs)]), args.n)
        torch.manual_seed(0)
        big = Generator(GanConfig(z_dim=512, w_dim=512, mapping_layers=8, resolution=(512, 512),
                                  start=(4, 4), g_channels=[512, 512, 512, 512, 256, 128, 64, 32],
                                  d_channels=[32, 64, 128, 256, 512, 512, 512, 512])).eval()
        with torch.inference_mode():
            big_ms = median_ms(lambda: big(torch.randn(1, 512)), 3)
        print(f"generate (eager torch): {ms:.1f} ms/image (budget 50 ms: "
              f"{'OK' if ms <= 50 else 'OVER'}); origin-size 512x512 generator: {big_ms:.0f} "
              f"ms/image; ratio {big_ms / ms:.1f}x faster")
        runtime_vs_torch(args.checkpoint, zs, args.n)
    if "quality" in parts:
        quality(ck, args.clips, args.seed, args.classifier_notes)
    if "harmonicity" not in parts:
        return 0
    real_specs, real_audio = real_set(ck.codec, args.notes, args.seed)
    rng = np.random.default_rng(0)
    gen = ck.generate(rng.standard_normal((args.notes, ck.z_dim)).astype(np.float32))
    h_gen = mean_harmonicity(gen, ck.codec)
    h_real = mean_harmonicity(real_specs, ck.codec)
    h_raw = float(np.mean([harmonicity(a, ck.codec.sr) for a in real_audio]))
    noise = np.random.default_rng(1).standard_normal(ck.codec.sr * 2).astype(np.float32)
    print(f"harmonicity: generated {h_gen:.3f} vs real (same Griffin-Lim path) {h_real:.3f}: "
          f"ratio {h_gen / h_real:.2f} ({abs(h_gen - h_real) / h_real:.0%} apart; claim <= 25%); "
          f"raw real audio {h_raw:.3f}; white noise {harmonicity(noise, ck.codec.sr):.3f}")
    from engine.spectral import spectrogram_to_audio

    c = ck.codec
    h_gen_p = float(np.mean([harmonicity(spectrogram_to_audio(s, c), c.sr) for s in gen]))
    h_real_p = float(np.mean([harmonicity(spectrogram_to_audio(s, c), c.sr) for s in real_specs]))
    print(f"harmonicity through engine.spectral.spectrogram_to_audio (what `reconstruct` writes): "
          f"generated {h_gen_p:.3f} vs real {h_real_p:.3f} ({abs(h_gen_p - h_real_p) / h_real_p:.0%} "
          f"apart); vs the raw real audio {h_raw:.3f}: {abs(h_gen_p - h_raw) / h_raw:.0%} apart")
    if "harmonicity" in ck.card:
        print(f"card: harmonicity {ck.card['harmonicity']}")
    if args.heldout and args.train:
        held = np.load(args.heldout).astype(np.float32)
        train = np.load(args.train).astype(np.float32)
        g = np.concatenate([ck.generate(rng.standard_normal((32, ck.z_dim)).astype(np.float32))
                            for _ in range(-(-len(held) // 32))])[:len(held)]
        m = descriptor_fd(g, held, train, ck.codec)
        print(f"Fréchet (descriptors): generated {m['fd_generated_vs_heldout']:.2f} vs "
              f"real-vs-real baseline {m['fd_train_vs_heldout_baseline']:.2f} "
              f"(ratio {m['fd_generated_vs_heldout'] / m['fd_train_vs_heldout_baseline']:.1f})")
    elif "metric" in ck.card:
        print(f"card: metric {ck.card['metric']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
