"""Generator benchmark: generation time per image and harmonicity, with in-process baselines.

    uv run python benchmarks/gan_bench.py [--checkpoint checkpoints/default.pt] [--threads 1]
        [--heldout heldout.npy --train train.npy]   # also recompute the Fréchet metric

Prints:
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
          f"{diff:.1e} (bar 1e-5: {'OK' if diff <= 1e-5 else 'OVER'}); {o_ms:.2f} vs {t_ms:.2f} "
          f"ms/image (ratio {o_ms / t_ms:.2f}); import {oi:.2f} s vs {ti:.2f} s "
          f"(ratio {oi / ti:.2f})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=str(REPO / "checkpoints" / "default.pt"))
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--n", type=int, default=30, help="timed generations")
    ap.add_argument("--notes", type=int, default=24, help="real notes for harmonicity")
    ap.add_argument("--seed", type=int, default=12345, help="sources seed for the real notes")
    ap.add_argument("--heldout", help="held-out .npy for the Fréchet metric")
    ap.add_argument("--train", help="training .npy for the real-vs-real baseline")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ck = load_checkpoint(args.checkpoint)
    print(f"checkpoint {ck.name}: {ck.resolution[0]} mels x {ck.resolution[1]} frames, "
          f"z_dim {ck.z_dim}, torch threads {args.threads}")

    zs = [ck.random_latent(i) for i in range(args.n)]
    it = iter(range(10 ** 9))
    ms = median_ms(lambda: ck.generate(zs[next(it) % len(zs)]), args.n)
    torch.manual_seed(0)
    big = Generator(GanConfig(z_dim=512, w_dim=512, mapping_layers=8, resolution=(512, 512),
                              start=(4, 4), g_channels=[512, 512, 512, 512, 256, 128, 64, 32],
                              d_channels=[32, 64, 128, 256, 512, 512, 512, 512])).eval()
    with torch.inference_mode():
        big_ms = median_ms(lambda: big(torch.randn(1, 512)), 3)
    print(f"generate: {ms:.1f} ms/image (budget 50 ms: {'OK' if ms <= 50 else 'OVER'}); "
          f"origin-size 512x512 generator: {big_ms:.0f} ms/image; ratio {big_ms / ms:.1f}x faster")
    runtime_vs_torch(args.checkpoint, zs, args.n)

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
