"""The synth's MIDI input: notes, bend, sustain, mod wheel, all-notes-off, program change and
mapped CCs, as events on the output's sample clock.

Where the events come from (docs/midi.md, "Playing the synth"):

* JACK MIDI: the port ``Latent Resonance Synth`` of the synth's own JACK client
  (:mod:`bridge.jack.audio_out`).  Its process callback stamps each event with its JACK frame
  (cycle start + the event's frame offset); :meth:`MidiInput.drain` queues it that frame plus
  a fixed latency later (the ring's target fill), so the spacing of the events is kept to the
  sample.
* ALSA (no JACK server at start, Linux): an rtmidi virtual input port of the same name; rtmidi
  timestamps on arrival, so those events play at the next block (jitter up to one block).

What the messages do: note on/off with velocity (/127); pitch bend ±``bend_range`` semitones;
CC 64 sustain pedal (≥ 64 down); CC 1 (mod wheel) adds 0..1 to the entropy the face's brow
sets (the sum clipped to 1); CC 120 (all sound off) and CC 123 (all notes off) release every
voice; program change N recalls scene ``N`` (0-based, as sent); any CC bound by ``--midi-map
FILE`` or learn mode (``/lr/midi/learn``) sets that synth address, 0..127 scaled to its range.
``channel``: 1..16 to listen to one channel, None for omni.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import mido

from bridge.address_table import MIDI_IN_PORT_NAME, SYNTH_ADDRESSES
from bridge.errors import InputError

log = logging.getLogger("latent_resonance.synth.midi")

#: CCs with a fixed meaning (not bindable)
CC_MOD, CC_SUSTAIN, CC_SOUND_OFF, CC_NOTES_OFF = 1, 64, 120, 123
#: synth addresses a CC may be bound to: one number argument with a range
BINDABLE = {a.path: a for a in SYNTH_ADDRESSES
            if len(a.types) == 1 and a.types in "fi" and a.ranges and a.ranges[0]}


def load_midi_map(path: str | Path) -> dict[int, str]:
    """``{"cc": {"74": "/lr/synth/clarity", ...}}`` -> {74: "/lr/synth/clarity"}; InputError
    naming the file for anything else."""
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"MIDI map {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"MIDI map {path} cannot be read: {exc}") from None
    cc = data.get("cc") if isinstance(data, dict) else None
    if not isinstance(cc, dict):
        raise InputError(f"MIDI map {path}: expected {{\"cc\": {{\"NUMBER\": \"/lr/...\"}}}}")
    out = {}
    for k, v in cc.items():
        if not str(k).isdigit() or not 0 <= int(k) <= 127:
            raise InputError(f"MIDI map {path}: CC {k!r} is not 0..127")
        if int(k) in (CC_MOD, CC_SUSTAIN, CC_SOUND_OFF, CC_NOTES_OFF):
            raise InputError(f"MIDI map {path}: CC {k} has a fixed meaning")
        if v not in BINDABLE:
            raise InputError(f"MIDI map {path}: {v!r} cannot be bound to a CC (one of: "
                             f"{', '.join(sorted(BINDABLE))})")
        out[int(k)] = v
    return out


class MidiInput:
    """Turns MIDI bytes into note events and control changes.

    ``events``: the :class:`engine.synth.events.EventQueue`; ``state``: the SynthState (mod
    wheel); ``recall(name)``: recall a scene (run on its own thread: it reads a file).
    """

    def __init__(self, events, state, recall=None, channel: int | None = None,
                 bend_range: float = 2.0, cc_map: dict[int, str] | None = None,
                 map_path: str | Path | None = None):
        self.events, self.state, self.recall = events, state, recall
        self.channel = None if channel is None else int(channel) - 1
        self.bend_range = float(bend_range)
        self.cc_map = dict(cc_map or {})
        self.map_path = Path(map_path) if map_path else None
        self.learning: str | None = None  # the address the next CC binds to
        self.received = 0
        self._alsa = None

    # -- sources -----------------------------------------------------------------------------
    def drain(self, jack_events, latency_frames: int) -> None:
        """Queue every event the JACK port collected, ``latency_frames`` after its frame."""
        while jack_events:
            try:
                frame, data = jack_events.popleft()
            except IndexError:
                return
            self.handle(data, frame + int(latency_frames))

    def open_alsa(self) -> bool:
        """An ALSA virtual input port (when no JACK server runs); False, said once, if none."""
        try:
            import rtmidi

            port = rtmidi.MidiIn(rtmidi.API_LINUX_ALSA, name=MIDI_IN_PORT_NAME)
            port.ignore_types(sysex=True, timing=True, active_sense=True)
            port.open_virtual_port(MIDI_IN_PORT_NAME)
            port.set_callback(lambda msg, _data: self.handle(bytes(msg[0]), None))
        except Exception as exc:  # noqa: BLE001 - rtmidi raises its own error types
            log.warning("no MIDI input: neither a JACK server nor ALSA MIDI is available "
                        "(%s); OSC notes still play", exc)
            return False
        self._alsa = port
        log.info("MIDI input: ALSA port '%s'", MIDI_IN_PORT_NAME)
        return True

    def close(self) -> None:
        if self._alsa is not None:
            self._alsa.close_port()
            self._alsa = None

    # -- messages ----------------------------------------------------------------------------
    def learn(self, path: str) -> None:
        """The next CC moved (not one with a fixed meaning) binds to ``path``."""
        if path not in BINDABLE:
            raise ValueError(f"{path!r} cannot be bound to a CC")
        self.learning = path

    def handle(self, data: bytes, frame: int | None) -> None:
        """One MIDI message at output ``frame`` (None: the next block).  Bad bytes are ignored."""
        try:
            msg = mido.Message.from_bytes(list(data))
        except (ValueError, TypeError, IndexError):
            return
        if not hasattr(msg, "channel") or (self.channel is not None
                                           and msg.channel != self.channel):
            return
        self.received += 1
        push = self.events.push
        try:
            if msg.type == "note_on" and msg.velocity > 0:
                push(frame, ("on", float(msg.note), msg.velocity / 127.0))
                self.state.request_note(float(msg.note), msg.velocity / 127.0)
            elif msg.type in ("note_off", "note_on"):
                push(frame, ("off", float(msg.note)))
            elif msg.type == "pitchwheel":
                push(frame, ("call", "/lr/synth/bend", (msg.pitch / 8192.0 * self.bend_range,)))
            elif msg.type == "control_change":
                self._cc(msg.control, msg.value, frame)
            elif msg.type == "program_change" and self.recall is not None:
                threading.Thread(target=self.recall, args=(str(msg.program),),
                                 name="midi-scene", daemon=True).start()
        except Exception as exc:  # noqa: BLE001 - a full queue: drop the event, say so once
            log.debug("MIDI event dropped: %s", exc)

    def _cc(self, cc: int, value: int, frame) -> None:
        push = self.events.push
        if cc == CC_SUSTAIN:
            push(frame, ("sustain", value >= 64))
        elif cc in (CC_SOUND_OFF, CC_NOTES_OFF):
            push(frame, ("panic",))
        elif cc == CC_MOD:
            self.state.set_controls(mod_entropy=value / 127.0)
        else:
            if self.learning is not None:
                self.cc_map[cc], path = self.learning, self.learning
                self.learning = None
                log.info("MIDI learn: CC %d -> %s", cc, path)
                self._save_map()
            path = self.cc_map.get(cc)
            if path is None:
                return
            a = BINDABLE[path]
            lo, hi = a.ranges[0]
            v = lo + (hi - lo) * value / 127.0
            push(frame, ("call", path, (int(round(v)) if a.types == "i" else float(v),)))

    def _save_map(self) -> None:
        if self.map_path is None:
            return
        try:
            self.map_path.write_text(json.dumps(
                {"cc": {str(k): v for k, v in sorted(self.cc_map.items())}}, indent=1) + "\n")
        except OSError as exc:
            log.warning("could not save the MIDI map to %s: %s", self.map_path, exc)
