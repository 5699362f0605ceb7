"""The synth's MIDI input as a user's messages would reach it (bytes in, events out)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bridge.errors import InputError
from bridge.midi.synth_in import MidiInput, load_midi_map
from bridge.synth.state import SynthState
from engine.synth.events import EventQueue


def midi(channel=None, **kw):
    q = EventQueue()
    state = SynthState(np.zeros(4, np.float32))
    return MidiInput(q, state, channel=channel, **kw), q, state


def test_notes_bend_pedal_and_panic_become_events_at_their_frames():
    m, q, state = midi()
    m.handle(bytes([0x90, 60, 127]), 100)
    m.handle(bytes([0x90, 60, 0]), 200)  # note-on velocity 0 is a note-off
    m.handle(bytes([0xE0, 0x7F, 0x7F]), 300)  # bend fully up
    m.handle(bytes([0xB0, 64, 127]), 400)
    m.handle(bytes([0xB0, 123, 0]), 500)
    m.handle(bytes([0xB0, 1, 127]), 600)  # mod wheel: entropy at once
    m.handle(b"\xff\x00", 700)  # garbage: ignored
    got = q.due(0, 1000)
    assert [i for _, i in got][:4] == [("on", 60.0, 1.0), ("off", 60.0),
                                       ("call", "/lr/synth/bend", (pytest.approx(2.0, abs=1e-3),)),
                                       ("sustain", True)]
    assert got[4] == (500, ("panic",)) and [o for o, _ in got] == [100, 200, 300, 400, 500]
    assert state.controls().entropy_total == 1.0


def test_a_channel_filter_and_learn_mode(tmp_path):
    path = tmp_path / "map.json"
    m, q, _ = midi(channel=2, map_path=path)
    m.handle(bytes([0x90, 60, 100]), 0)  # channel 1: not ours
    assert q.due(0, 10) == []
    m.learn("/lr/synth/clarity")
    m.handle(bytes([0xB1, 74, 127]), 5)  # channel 2, CC 74: bound, and applied
    assert q.due(0, 10) == [(5, ("call", "/lr/synth/clarity", (1.0,)))]
    assert json.loads(path.read_text()) == {"cc": {"74": "/lr/synth/clarity"}}
    assert load_midi_map(path) == {74: "/lr/synth/clarity"}
    with pytest.raises(ValueError):
        m.learn("/lr/latent")  # a whole latent is no knob


def test_bad_midi_maps_are_one_line_errors(tmp_path):
    for text, words in (('{"cc": {"1": "/lr/synth/speed"}}', "fixed meaning"),
                        ('{"cc": {"300": "/lr/synth/speed"}}', "0..127"),
                        ('{"cc": {"20": "/lr/no/such"}}', "cannot be bound"),
                        ("not json", "cannot be read")):
        p = tmp_path / "m.json"
        p.write_text(text)
        with pytest.raises(InputError, match=words):
            load_midi_map(p)
