"""Render offline training material: fluidsynth subprocesses + synthesised tones -> WAV files.

``render_sources`` writes ``OUT/<index>_<instrument>_<note>.wav`` (mono, ``sr`` Hz) and
``OUT/labels.csv`` (one row per file, the :class:`engine.data.sources.NoteSpec` fields).
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from bridge.errors import DeviceError, InputError
from engine.data import sources as plans

DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
LABEL_FIELDS = ["file", "index", "source", "instrument", "program", "family", "note", "f0_hz",
                "velocity", "vibrato_hz", "vibrato_cents", "dynamics", "duration_s"]


def find_fluidsynth() -> str:
    path = shutil.which("fluidsynth")
    if path is None:
        raise DeviceError("fluidsynth not found: install it (Debian: apt install fluidsynth "
                        "fluid-soundfont-gm) or use --synth-only")
    return path


def render_midi(midi_path: Path, wav_path: Path, soundfont: Path, sr: int,
                fluidsynth: str) -> np.ndarray:
    """Render a MIDI file with fluidsynth (no reverb/chorus) and return mono float32 audio."""
    cmd = [fluidsynth, "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.5", "-r", str(sr),
           "-F", str(wav_path), "-T", "wav", str(soundfont), str(midi_path)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if proc.returncode != 0 or not wav_path.exists():
        err = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise DeviceError(f"fluidsynth failed on {midi_path.name}: {err[0]}")
    audio, file_sr = sf.read(str(wav_path), dtype="float32", always_2d=True)
    if file_sr != sr:
        raise DeviceError(f"fluidsynth wrote {file_sr} Hz, expected {sr} Hz")
    return audio.mean(axis=1)


def _file_name(spec: plans.NoteSpec) -> str:
    return f"{spec.index:05d}_{spec.instrument}_{spec.note}.wav"


def render_sources(out: Path, count: int, seed: int = 0, *, sr: int = 22050,
                   synth_fraction: float = 0.3, duration_s: float = 3.2,
                   soundfont: Path = DEFAULT_SOUNDFONT, synth_only: bool = False,
                   progress: bool = True) -> list[dict]:
    """Render ``count`` notes into ``out``; returns the label rows (also in labels.csv)."""
    specs = plans.plan(count, seed, synth_fraction=1.0 if synth_only else synth_fraction,
                       duration_s=duration_s)
    out.mkdir(parents=True, exist_ok=True)
    gm = [s for s in specs if s.source == "fluidsynth"]
    if gm:
        fluidsynth = find_fluidsynth()
        if not soundfont.is_file():
            raise InputError(f"SoundFont not found: {soundfont} (Debian: fluid-soundfont-gm)")
    by_program: dict[int, list[plans.NoteSpec]] = defaultdict(list)
    for s in gm:
        by_program[s.program].append(s)
    rows: list[dict] = []
    bar = tqdm(total=len(specs), desc="sources", unit="note", disable=not progress)
    keep = int(round((duration_s + 0.3) * sr))  # held note + start of its release
    with tempfile.TemporaryDirectory(prefix="lr-sources-") as tmp:
        for program, group in sorted(by_program.items()):
            mf, starts = plans.midi_file(group)
            midi_path = Path(tmp) / f"program{program}.mid"
            mf.save(str(midi_path))
            audio = render_midi(midi_path, Path(tmp) / f"program{program}.wav", soundfont, sr,
                                fluidsynth)
            for spec, start in zip(group, starts):
                a = int(round(start * sr))
                clip = audio[a:a + keep]
                clip = np.pad(clip, (0, keep - len(clip)))
                peak = float(np.max(np.abs(clip))) or 1.0
                sf.write(str(out / _file_name(spec)), (clip * (0.8 / peak)).astype(np.float32),
                         sr, subtype="PCM_16")
                rows.append({"file": _file_name(spec), **spec.label()})
                bar.update()
    for spec in specs:
        if spec.source == "synth":
            sf.write(str(out / _file_name(spec)), plans.synth_audio(spec, sr), sr,
                     subtype="PCM_16")
            rows.append({"file": _file_name(spec), **spec.label()})
            bar.update()
    bar.close()
    rows.sort(key=lambda r: r["index"])
    with open(out / "labels.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=LABEL_FIELDS)
        w.writeheader()
        w.writerows(rows)
    return rows
