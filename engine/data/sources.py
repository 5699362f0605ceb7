"""Plans of offline harmonic training material, and the MIDI files that play them.

A plan is a deterministic list of :class:`NoteSpec` (same seed -> same list): sustained notes of
General-MIDI instruments (rendered by fluidsynth in ``bridge.material.sources``) and synthesised tones
(:mod:`engine.data.synth`).  Pure computation: MIDI files are built in memory (mido) and written
only by the caller.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import mido
import numpy as np

from engine.data import synth

#: GM instruments used: name -> (0-based program, lowest MIDI note, highest MIDI note)
GM_INSTRUMENTS: dict[str, tuple[int, int, int]] = {
    "cello": (42, 36, 72),
    "contrabass": (43, 28, 55),
    "viola": (41, 48, 76),
    "violin": (40, 55, 84),
    "strings": (48, 36, 84),
    "slow_strings": (49, 36, 79),
    "synth_strings": (50, 36, 79),
    "choir": (52, 48, 79),
    "voice_oohs": (53, 48, 76),
    "church_organ": (19, 36, 79),
    "reed_organ": (20, 41, 79),
    "drawbar_organ": (16, 36, 79),
    "french_horn": (60, 41, 72),
    "bassoon": (70, 34, 65),
    "clarinet": (71, 50, 82),
    "warm_pad": (89, 36, 72),
}

#: synthesised tone kinds -> (lowest, highest MIDI note)
SYNTH_KINDS: dict[str, tuple[int, int]] = {"reese_bass": (28, 52), "partials": (36, 76)}

DYNAMICS = ("flat", "crescendo", "decrescendo", "swell")

#: the General MIDI instrument families (program // 8), by the GM 1 specification's names
GM_FAMILIES = ("piano", "chromatic_percussion", "organ", "guitar", "bass", "strings", "ensemble",
               "brass", "reed", "pipe", "synth_lead", "synth_pad", "synth_effects", "ethnic",
               "percussive", "sound_effects")
#: the family of every synthesised tone (reese basses, sustained partials)
SYNTH_FAMILY = "synth"


def family_of(program: int) -> str:
    """The instrument family of a 0-based GM ``program`` (-1, a synthesised tone: "synth")."""
    program = int(program)
    if program < 0:
        return SYNTH_FAMILY
    if program > 127:
        raise ValueError(f"GM program {program} is not within 0..127")
    return GM_FAMILIES[program // 8]


@dataclass(frozen=True)
class NoteSpec:
    """One sustained note.  ``source`` is "fluidsynth" or "synth"."""

    index: int
    source: str
    instrument: str
    program: int          # GM program (0-based), -1 for synthesised tones
    note: int             # MIDI note number
    velocity: int         # 1..127
    vibrato_hz: float     # LFO rate, Hz
    vibrato_cents: float  # LFO depth, cents
    dynamics: str         # one of DYNAMICS
    duration_s: float     # held duration, seconds

    @property
    def f0_hz(self) -> float:
        return synth.midi_to_hz(self.note)

    @property
    def family(self) -> str:
        return family_of(self.program)

    def label(self) -> dict:
        d = asdict(self)
        d["f0_hz"] = round(self.f0_hz, 3)
        d["family"] = self.family
        return d


def plan(count: int, seed: int = 0, *, synth_fraction: float = 0.3,
         duration_s: float = 3.2) -> list[NoteSpec]:
    """``count`` note specs, ``synth_fraction`` of them synthesised, deterministic in ``seed``.

    Instruments take turns; pitches, velocities (dynamics) and vibrato are drawn per note.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    rng = np.random.default_rng(seed)
    n_synth = int(round(count * synth_fraction))
    gm_names = list(GM_INSTRUMENTS)
    synth_names = list(SYNTH_KINDS)
    specs: list[NoteSpec] = []
    for i in range(count):
        is_synth = i >= count - n_synth
        if is_synth:
            name = synth_names[i % len(synth_names)]
            lo, hi = SYNTH_KINDS[name]
            program, source = -1, "synth"
        else:
            name = gm_names[i % len(gm_names)]
            program, lo, hi = GM_INSTRUMENTS[name]
            source = "fluidsynth"
        specs.append(NoteSpec(
            index=i, source=source, instrument=name, program=program,
            note=int(rng.integers(lo, hi + 1)), velocity=int(rng.integers(55, 120)),
            vibrato_hz=round(float(rng.uniform(4.0, 6.5)), 3),
            vibrato_cents=round(float(rng.choice([0.0, rng.uniform(5, 35)])), 2),
            dynamics=str(rng.choice(DYNAMICS)), duration_s=duration_s))
    return specs


def _expression(dynamics: str, x: float) -> int:
    """CC11 expression (0..127) at relative position ``x`` in [0, 1] of the note."""
    shape = {"flat": 1.0, "crescendo": 0.45 + 0.55 * x, "decrescendo": 1.0 - 0.55 * x,
             "swell": 0.5 + 0.5 * np.sin(np.pi * x)}[dynamics]
    return int(np.clip(round(127 * shape), 0, 127))


def midi_file(specs: list[NoteSpec], gap_s: float = 1.5, control_hz: float = 50.0,
              bend_range_semitones: float = 2.0) -> tuple[mido.MidiFile, list[float]]:
    """One MIDI file playing ``specs`` one after another (same program each), and the start
    time (seconds) of every note.  Vibrato is pitch-bend LFO, dynamics are CC11 ramps."""
    tpb, tempo = 480, 500000  # 120 bpm: 960 ticks per second
    ticks_per_s = tpb * 1e6 / tempo
    mf = mido.MidiFile(ticks_per_beat=tpb)
    tr = mido.MidiTrack()
    mf.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=tempo, time=0))
    events: list[tuple[float, mido.Message]] = []
    starts: list[float] = []
    t = 0.5
    for s in specs:
        starts.append(t)
        events.append((t - 0.01, mido.Message("program_change", program=s.program, time=0)))
        events.append((t - 0.01, mido.Message("pitchwheel", pitch=0, time=0)))
        events.append((t - 0.01, mido.Message("control_change", control=11,
                                              value=_expression(s.dynamics, 0.0), time=0)))
        events.append((t, mido.Message("note_on", note=s.note, velocity=s.velocity, time=0)))
        for k in range(1, int(s.duration_s * control_hz)):
            tk = k / control_hz
            cents = s.vibrato_cents * np.sin(2 * np.pi * s.vibrato_hz * tk) * min(1.0, tk / 0.4)
            bend = int(np.clip(round(8192 * cents / (100 * bend_range_semitones)), -8192, 8191))
            events.append((t + tk, mido.Message("pitchwheel", pitch=bend, time=0)))
            if k % 5 == 0:
                events.append((t + tk, mido.Message(
                    "control_change", control=11,
                    value=_expression(s.dynamics, tk / s.duration_s), time=0)))
        events.append((t + s.duration_s, mido.Message("note_off", note=s.note, velocity=64, time=0)))
        t += s.duration_s + gap_s
    events.sort(key=lambda e: e[0])
    last = 0
    for te, msg in events:
        tick = int(round(max(0.0, te) * ticks_per_s))
        tr.append(msg.copy(time=tick - last))
        last = tick
    tr.append(mido.MetaMessage("end_of_track", time=int(gap_s * ticks_per_s)))
    return mf, starts


def synth_audio(spec: NoteSpec, sr: int = 22050) -> np.ndarray:
    """Audio (float32, ``sr`` Hz) of a synthesised spec; deterministic in ``spec.index``."""
    rng = np.random.default_rng(10_000 + spec.index)
    dur = spec.duration_s + 0.3
    if spec.instrument == "reese_bass":
        return synth.reese_bass(spec.note, dur, sr, voices=int(rng.integers(2, 5)),
                                detune_cents=float(rng.uniform(6, 25)),
                                cutoff_hz=float(rng.uniform(500, 3000)), rng=rng)
    return synth.sustained_partials(
        spec.note, dur, sr, n_partials=int(rng.integers(8, 40)),
        tilt_db_per_oct=float(rng.uniform(-12, -3)), odd_boost_db=float(rng.choice([0.0, 6.0])),
        inharmonicity=float(rng.choice([0.0, rng.uniform(0, 3e-4)])),
        vibrato_hz=spec.vibrato_hz, vibrato_cents=spec.vibrato_cents,
        tremolo=float(rng.uniform(0, 0.2)), rng=rng)
