"""``latent-resonance sources OUT``: offline harmonic training audio, no network needed.

Sustained General-MIDI notes (cello, strings, contrabass, choir, organs, …) rendered by
fluidsynth with vibrato and dynamics, plus synthesised reese basses and sustained partials;
``OUT/labels.csv`` describes every file.  Same ``--seed`` and ``--count`` -> same files.
"""

from __future__ import annotations

from pathlib import Path

from bridge.errors import UserError

HELP = "render offline harmonic training audio (fluidsynth GM notes + synthesised tones)"


def add_arguments(p) -> None:
    p.add_argument("output_dir", help="directory for WAV files and labels.csv")
    p.add_argument("--count", type=int, default=1200,
                   help="notes to render (3 images each with `dataset --per-file 3`)")
    p.add_argument("--seed", type=int, default=0, help="random seed (pitches, vibrato, dynamics)")
    p.add_argument("--synth-fraction", type=float, default=0.3,
                   help="share of synthesised tones (reese bass, partials)")
    p.add_argument("--duration", type=float, default=3.2, help="held note length (s)")
    p.add_argument("--sr", type=int, default=22050, help="sample rate (Hz)")
    from bridge.material.sources import DEFAULT_SOUNDFONT

    p.add_argument("--soundfont", default=str(DEFAULT_SOUNDFONT),
                   help="General MIDI SoundFont for fluidsynth")
    p.add_argument("--synth-only", action="store_true",
                   help="only synthesised tones (no fluidsynth needed)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    from bridge.material.sources import render_sources

    if args.count <= 0:
        raise UserError("--count must be positive")
    if not 0.0 <= args.synth_fraction <= 1.0:
        raise UserError("--synth-fraction must be within 0..1")
    if not 0.5 <= args.duration <= 30.0:
        raise UserError("--duration must be within 0.5..30 s")
    rows = render_sources(Path(args.output_dir), args.count, args.seed, sr=args.sr,
                          synth_fraction=args.synth_fraction, duration_s=args.duration,
                          soundfont=Path(args.soundfont), synth_only=args.synth_only,
                          progress=not args.no_progress)
    kinds = sorted({r["instrument"] for r in rows})
    print(f"wrote {len(rows)} notes ({len(kinds)} instruments) and labels.csv to {args.output_dir}")
    return 0
