"""``python -m bridge.hostgen.demo_phrase [--write]``: the demo's MIDI phrase
(``bridge/data/demo_phrase.mid``), composed here so that it can be read and changed.

Eight bars in A minor at 80 bpm: a chord per bar (Am F C G Am Dm F E, three voices, velocity
76) under a melody line (quarters and eighths, A4..E5, velocity 100).  Without ``--write`` it
checks that the file in the tree is what this code makes.
"""

from __future__ import annotations

import argparse
import io
import sys

import mido

from bridge.paths import PACKAGE_DATA

BPM = 80
TPB = 480  # ticks per beat
CHORDS = [(57, 60, 64), (53, 57, 60), (55, 60, 64), (55, 59, 62),
          (57, 60, 64), (50, 53, 57), (53, 57, 60), (52, 56, 59)]
#: (MIDI note, beats) per bar, four beats each
MELODY = [
    [(69, 1), (72, 1), (76, 1.5), (74, 0.5)],
    [(72, 1), (69, 1), (65, 2)],
    [(67, 1), (72, 1), (76, 1), (79, 1)],
    [(74, 1.5), (72, 0.5), (71, 2)],
    [(69, 1), (72, 1), (76, 1.5), (74, 0.5)],
    [(77, 1), (76, 0.5), (74, 0.5), (72, 2)],
    [(69, 1), (72, 1), (74, 1), (72, 1)],
    [(71, 2), (68, 1), (71, 1)],
]
PATH = PACKAGE_DATA / "demo_phrase.mid"


def compose() -> mido.MidiFile:
    events = []  # (tick, order, message): offs before ons at the same tick
    for bar, (chord, line) in enumerate(zip(CHORDS, MELODY)):
        t0 = bar * 4 * TPB
        for n in chord:
            events.append((t0, 1, mido.Message("note_on", note=n, velocity=76)))
            events.append((t0 + 4 * TPB - 20, 0, mido.Message("note_off", note=n)))
        t = t0
        for n, beats in line:
            dur = int(beats * TPB)
            events.append((t, 1, mido.Message("note_on", note=n, velocity=100, channel=1)))
            events.append((t + dur - 40, 0, mido.Message("note_off", note=n, channel=1)))
            t += dur
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(BPM)),
                            mido.MetaMessage("track_name", name="latent-resonance demo")])
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    mid = mido.MidiFile(ticks_per_beat=TPB)
    mid.tracks.append(track)
    return mid


def _bytes(mid: mido.MidiFile) -> bytes:
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bridge.hostgen.demo_phrase", description=__doc__)
    p.add_argument("--write", action="store_true", help=f"write {PATH.name}")
    args = p.parse_args(argv)
    data = _bytes(compose())
    if args.write:
        PATH.write_bytes(data)
        return 0
    if not PATH.is_file() or PATH.read_bytes() != data:
        print(f"stale: {PATH} (python -m bridge.hostgen.demo_phrase --write)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
