"""The OSC address space and the MIDI CC map as data: the one source of truth.

The face engine, the synth daemon, OSCQuery, ``latent-resonance osc-map``, the docs and the
Max/Pd patch generators all read these tables; nothing else spells an address.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.face.controls import ENERGY_FIELDS

NAMESPACE = "/lr"
#: the request and reply addresses code refers to by name
STATUS = "/lr/status"
STATE = "/lr/state"
ERROR = "/lr/error"
SCENE_LIST = "/lr/scene/list"

#: Default network ports (docs/osc.md, "Ports and names").
SYNTH_OSC_PORT = 9000
OSCQUERY_PORT = 9001
SCLANG_PORT = 57120
JACK_CLIENT_NAME = "latent-resonance"
MIDI_PORT_NAME = "Latent Resonance Face"
#: the synth's MIDI input (a port of the synth's JACK client, or an ALSA virtual port)
MIDI_IN_PORT_NAME = "Latent Resonance Synth"
#: Where the shipped host patches listen for the face engine (``face --osc 127.0.0.1:PORT``).
MAX_FACE_PORT = 9002
PD_FACE_PORT = 9003


@dataclass(frozen=True)
class Address:
    """One OSC address.

    ``types`` is the OSC type-tag string without the comma; ``"b"`` is a blob, ``"f*"`` means
    z_dim floats.  ``ranges`` gives (low, high) per argument where a range exists, else None.
    ``sender`` is who emits it: ``"face"`` (face engine → targets), ``"synth"`` (the daemon's
    input), ``"reply"`` (daemon → the sender of a request).  ``fields``: the field each argument
    carries (of :class:`engine.face.controls.FaceControls` for the face, of the synth's
    controls for the synth), so senders, handlers and the state reply never spell an address;
    ``handler``: the name of the synth handler for an address that does more than store them.
    """

    path: str
    types: str
    sender: str
    meaning: str
    ranges: tuple[tuple[float, float] | None, ...] = ()
    unit: str = ""
    default: tuple = ()
    alt_types: tuple[str, ...] = field(default=())
    fields: tuple[str, ...] = ()
    handler: str = ""

FACE_ADDRESSES: tuple[Address, ...] = (
    Address("/lr/face/found", "i", "face", "1 tracked, 0 lost (also sent at >= 1 Hz while lost)",
            ((0, 1),), default=(0,), fields=("found",)),
    Address("/lr/face/rotation", "f", "face", "head angular speed, energy state 0..1", ((0, 1),),
            default=(0.0,), fields=("rotation",)),
    Address("/lr/face/jaw", "f", "face", "jaw openness (inner-lip gap over face size) 0..1",
            ((0, 1),), default=(0.0,), fields=("jaw",)),
    Address("/lr/face/brow", "f", "face", "brow tension relative to neutral 0..1", ((0, 1),),
            default=(0.0,), fields=("brow",)),
    Address("/lr/face/stillness", "f", "face", "1 when the face barely moves 0..1", ((0, 1),),
            default=(1.0,), fields=("stillness",)),
    Address("/lr/face/energy", "ffff", "face", "rotation, jaw, brow, stillness in that order",
            ((0, 1),) * 4, default=(0.0, 0.0, 0.0, 1.0), fields=ENERGY_FIELDS),
    Address("/lr/face/pose", "fff", "face", "yaw, pitch, roll", ((-180, 180),) * 3, unit="deg",
            default=(0.0, 0.0, 0.0), fields=("yaw", "pitch", "roll")),
    Address("/lr/face/yaw_velocity", "f", "face", "signed yaw velocity", ((-720, 720),),
            unit="deg/s", default=(0.0,), fields=("yaw_velocity",)),
)

SYNTH_ADDRESSES: tuple[Address, ...] = (
    Address("/lr/latent", "f*", "synth", "new latent target (z_dim floats, or one blob of z_dim "
            "little-endian float32)", alt_types=("b",), handler="latent"),
    Address("/lr/latent/set", "if", "synth", "set one latent dimension (index, value)",
            (None, (-10, 10)), handler="latent_set"),
    Address("/lr/latent/seed", "i", "synth", "target = seeded random z", (None,),
            handler="latent_seed"),
    Address("/lr/latent/glide", "f", "synth", "seconds to glide to each new target", ((0, 60),),
            unit="s", default=(0.5,), fields=("glide_s",)),
    Address("/lr/latent/direction", "sf", "synth",
            "offset along a named direction: set its amount (0 removes it)",
            (None, (-10, 10)), handler="direction"),
    Address("/lr/synth/speed", "f", "synth", "playback-rate multiplier (time-stretch)", ((0, 4),),
            default=(1.0,), fields=("speed",)),
    Address("/lr/synth/band", "ff", "synth", "band-pass low and high edge",
            ((0, 11025), (0, 11025)), unit="Hz", default=(20.0, 11025.0),
            fields=("band_low", "band_high"), handler="band"),
    Address("/lr/synth/entropy", "f", "synth", "noise in the latent and generator noise inputs",
            ((0, 1),), default=(0.0,), fields=("entropy",)),
    Address("/lr/synth/clarity", "f", "synth", "pure tone: truncation toward the mean, noise "
            "floor down", ((0, 1),), default=(0.5,), fields=("clarity",)),
    Address("/lr/synth/gain", "f", "synth", "output gain", ((-60, 12),), unit="dB",
            default=(0.0,), fields=("gain_db",)),
    Address("/lr/synth/mapping", "i", "synth", "1/0 face-to-synth mapping on/off", ((0, 1),),
            default=(1,), fields=("mapping",)),
    Address("/lr/note/on", "ff", "synth", "start a voice: MIDI note (fractional = microtonal), "
            "velocity 0..1 (0 = note off)", ((0, 127), (0, 1)), handler="note_on"),
    Address("/lr/note/off", "f", "synth", "release the voice(s) of that note", ((0, 127),),
            handler="note_off"),
    Address("/lr/note/panic", "", "synth", "release every voice, lift the sustain pedal",
            handler="note_panic"),
    Address("/lr/synth/bend", "f", "synth", "pitch bend of every voice", ((-24, 24),),
            unit="semitones", default=(0.0,), fields=("bend",)),
    Address("/lr/synth/envelope", "ffff", "synth", "note envelope: attack s, decay s, "
            "sustain 0..1, release s", ((0, 30), (0, 30), (0, 1), (0, 30)),
            default=(0.01, 0.3, 0.7, 0.4), fields=("attack", "decay", "sustain", "release")),
    Address("/lr/synth/voices", "i", "synth", "polyphony; the oldest released voice is stolen "
            "first, then the oldest held", ((1, 16),), default=(8,), fields=("voices",)),
    Address("/lr/synth/drone", "i", "synth", "1/0 the continuous, note-less voice", ((0, 1),),
            default=(1,), fields=("drone",)),
    Address("/lr/synth/width", "f", "synth", "stereo spread (0 = the same on both ports)",
            ((0, 1),), default=(0.5,), fields=("width",)),
    Address("/lr/map/anchor", "", "synth", "learn: the latent target (/lr/latent) and its "
            "family (/lr/latent/timbre, or the family named as an optional argument) belong at "
            "the face's current position", alt_types=("s",), handler="map_anchor"),
    Address("/lr/map/clear", "", "synth", "forget learned anchors: back to the seeded grid",
            handler="map_clear"),
    Address("/lr/map/amount", "f", "synth", "how far the face moves the latent from the "
            "target toward the map's (0 = not at all)", ((0, 1),), default=(1.0,),
            fields=("map_amount",)),
    Address("/lr/scene/save", "s", "synth", "save latent, controls, envelope and map anchors "
            "as a named scene ([A-Za-z0-9_-]{1,64})", handler="scene_save"),
    Address("/lr/scene/recall", "s", "synth", "restore a named scene (optional second "
            "argument: glide seconds)", alt_types=("sf",), handler="scene_recall"),
    Address("/lr/scene/list", "", "synth", "ask for the saved scenes; the reply goes to the "
            "sender", handler="scene_list"),
    Address("/lr/midi/learn", "s", "synth", "learn: the next MIDI CC moved sets this address "
            "(one number argument), scaled from 0..127 to its range", handler="midi_learn"),
    Address("/lr/latent/timbre", "s", "synth", "play a named instrument family of a "
            "conditioned checkpoint (glides over the glide time; the drone and every note)",
            handler="latent_timbre"),
    Address(STATUS, "", "synth", "ask for status; the reply goes to the sender",
            handler="status"),
    Address(STATE, "", "synth", "ask for every current value; the reply goes to the sender",
            handler="state"),
)

REPLY_ADDRESSES: tuple[Address, ...] = (
    Address(STATUS, "isiifsi", "reply", "z_dim, checkpoint name, sample rate (Hz), "
            "underruns, latency (ms), output: connected, waiting-for-jack or rendering, "
            "scheduled events that came due late"),
    Address(SCENE_LIST, "s*", "reply", "the saved scenes' names"),
    Address(STATE, "s", "reply", "JSON object {address: [current values]} of every "
            "settable address"),
    Address(ERROR, "s", "reply", "a bad message was ignored; the text says why"),
)

ALL_ADDRESSES: tuple[Address, ...] = FACE_ADDRESSES + SYNTH_ADDRESSES + REPLY_ADDRESSES


#: default of every field the synth's state keeps (controls and face), from the entries above
FIELD_DEFAULTS: dict[str, object] = {
    f: d for a in SYNTH_ADDRESSES + FACE_ADDRESSES for f, d in zip(a.fields, a.default)}


def address(path: str, sender: str | None = None) -> Address:
    """Look an address up by path (and sender where a path has two roles); KeyError if absent."""
    for a in ALL_ADDRESSES:
        if a.path == path and (sender is None or a.sender == sender):
            return a
    raise KeyError(path)


def by_fields(sender: str, *fields: str) -> Address:
    """The address of ``sender`` whose arguments are exactly ``fields``; KeyError if none."""
    for a in ALL_ADDRESSES:
        if a.sender == sender and a.fields == fields:
            return a
    raise KeyError(f"{sender} {fields}")


# --- MIDI CC map (docs/midi.md): control name -> CC number (MSB), channel 1 ----------
MIDI_CHANNEL = 1  # 1-based, as musicians count
MIDI_CC = {"rotation": 20, "jaw": 21, "brow": 22, "stillness": 23, "found": 24}
MIDI_LSB_OFFSET = 32  # --14bit: LSB on CC (MSB + 32), i.e. 52..56


# --- the table as documents (docs/osc.md, ``latent-resonance osc-map``) ----------------------
SECTIONS = (
    ("face", "Face engine → every `--osc HOST:PORT` target (one bundle per frame, timetag = "
             "capture time)"),
    ("synth", f"Synth daemon input (UDP port {SYNTH_OSC_PORT} by default; it also accepts "
              "every `/lr/face/*` address above)"),
    ("reply", "Replies from the synth daemon to the sender of a request"),
)


def _types_md(a: Address) -> str:
    if a.types == "f*":
        alt = "".join(f" or `{t}`" for t in a.alt_types)
        return "`f` × z_dim" + alt
    if a.types == "s*":
        return "`s` × n"
    alt = "".join(f" or `{t}`" for t in a.alt_types)
    return (f"`{a.types}`" if a.types else "—") + alt


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _range_md(a: Address) -> str:
    if not a.ranges or all(r is None for r in a.ranges):
        return ""
    if len(set(a.ranges)) == 1 and len(a.ranges) > 1:
        lo, hi = a.ranges[0]
        return f"{_num(lo)}..{_num(hi)} each"
    return ", ".join("—" if r is None else f"{_num(r[0])}..{_num(r[1])}" for r in a.ranges)


def markdown(sender: str | None = None) -> str:
    """The address table as Markdown sections (the reference table of docs/osc.md)."""
    out = []
    for role, title in SECTIONS:
        if sender is not None and role != sender:
            continue
        out += [f"### {title}", "",
                "| address | types | range | unit | default | meaning |",
                "|---|---|---|---|---|---|"]
        for a in ALL_ADDRESSES:
            if a.sender != role:
                continue
            default = " ".join(_num(d) for d in a.default)
            meaning = a.meaning.replace("|", "\\|")
            out.append(f"| `{a.path}` | {_types_md(a)} | {_range_md(a)} | {a.unit} | {default} "
                       f"| {meaning} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def as_json(sender: str | None = None) -> dict:
    """The table as plain JSON-able data, with the default ports and names."""
    return {
        "namespace": NAMESPACE,
        "ports": {"synth_osc": SYNTH_OSC_PORT, "oscquery": OSCQUERY_PORT,
                  "sclang": SCLANG_PORT},
        "jack_client": JACK_CLIENT_NAME,
        "midi": {"port": MIDI_PORT_NAME, "channel": MIDI_CHANNEL,
                 "cc": dict(MIDI_CC), "lsb_offset": MIDI_LSB_OFFSET},
        "addresses": [
            {"path": a.path, "types": a.types, "alt_types": list(a.alt_types),
             "sender": a.sender, "meaning": a.meaning,
             "ranges": [None if r is None else list(r) for r in a.ranges],
             "unit": a.unit, "default": list(a.default)}
            for a in ALL_ADDRESSES if sender is None or a.sender == sender
        ],
    }
