"""The synth daemon's OSC input: validation in one place, small handlers, a UDP server.

Every address comes from :mod:`bridge.address_table`.  A message is first checked against its
table entry (:func:`check`: type tags, length, finite numbers, blob size, ranges), then one small
handler turns it into a change of :class:`bridge.synth.state.SynthState`.  A bad message
changes nothing and is answered with ``/lr/error s`` to its sender; each kind of problem is
logged once (then at debug level), so a flood of garbage never floods the log.

Lenient on purpose (musicians' tools differ): an ``i`` argument may arrive as a float with an
integral value and an ``f`` argument as an int; values outside an address's range are clipped
to it (e.g. speed 9 -> 4).  NaN/inf, wrong counts, strings for numbers, wrong blob sizes,
unknown addresses and unknown direction names are errors.

Bundles with a future timetag (up to ``MAX_AHEAD_S``) are scheduled on the output's sample
clock (:func:`apply_message` with a frame; notes at their sample, other messages at the start of
the block holding their time); past and "immediately" timetags, face messages and queries
apply on arrival.  python-osc defaults we override: the dispatcher would sleep until a bundle's
future timetag (``strict_timing``) -- that would let one packet stall the server, so it is off; socketserver
reads at most 8192 bytes per datagram -- raised to the UDP maximum so a latent of several
hundred floats is never cut.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from pythonosc import osc_packet
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer

from bridge.osc.access import REPLIES_PER_DATAGRAM, SenderLimits, peer_allowed
from bridge.address_table import (ERROR, FACE_ADDRESSES, SCENE_LIST, STATE, STATUS,
                                  SYNTH_ADDRESSES, Address)
from bridge.errors import InputError
from engine.synth.events import QueueFull

log = logging.getLogger("latent_resonance.synth.osc")


class BadMessage(ValueError):
    """A message that must be ignored; ``kind`` groups them for once-per-kind logging."""

    def __init__(self, kind: str, text: str):
        super().__init__(text)
        self.kind = kind


@dataclass
class OscContext:
    """What the handlers need besides the state.

    ``random_latent(seed)`` -> z; ``status()`` -> (z_dim, checkpoint name, sample rate Hz,
    underruns, latency ms, output state, late events); ``directions``: the checkpoint's
    direction names.  ``play(frame, item)``: queue a note event (``("on", note, velocity)``,
    ``("off", note)``, ``("panic",)``) or a scheduled message (``("call", path, args)``) at an
    output frame (None: the next block) -- :class:`engine.synth.events.EventQueue`;
    ``frame_at(unix_time)``: the output frame at that time (None while no clock runs: scheduled
    bundles then apply on arrival); ``scenes``: a :class:`bridge.synth.scenes.SceneStore`;
    ``timbres``: the instrument families a conditioned checkpoint names (empty: none).
    """

    state: object  #: the synth's :class:`bridge.synth.state.SynthState` (the daemon's or a render's)
    random_latent: Callable[[int], np.ndarray]
    status: Callable[[], tuple]
    directions: frozenset = frozenset()
    play: Callable[[int | None, tuple], None] | None = None
    frame_at: Callable[[float], int | None] | None = None
    scenes: object = None
    timbres: tuple = ()
    #: ``midi_learn(path)``: the next CC moved binds to ``path`` (None: no MIDI input)
    midi_learn: Callable[[str], None] | None = None
    #: the frame a scheduled message is being applied for (set around its handler)
    frame: int | None = None


# --- validation ---------------------------------------------------------------------------
def _number(v, tag: str, path: str):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise BadMessage("wrong types", f"{path}: expected a number, got {type(v).__name__}")
    if not math.isfinite(v):
        raise BadMessage("not finite", f"{path}: NaN or infinite value")
    if tag == "i":
        if isinstance(v, float) and not v.is_integer():
            raise BadMessage("wrong types", f"{path}: expected an integer, got {v!r}")
        return int(v)
    return float(v)


def _clip(v, rng):
    if rng is None:
        return v
    lo, hi = rng
    return type(v)(min(max(v, lo), hi))


def _latent_args(args: tuple, z_dim: int, path: str) -> np.ndarray:
    if len(args) == 1 and isinstance(args[0], (bytes, bytearray)):
        blob = args[0]
        if len(blob) != 4 * z_dim:
            raise BadMessage("blob size", f"{path}: blob must hold {z_dim} float32 "
                                          f"({4 * z_dim} bytes), got {len(blob)} bytes")
        z = np.frombuffer(bytes(blob), dtype="<f4").astype(np.float32)
    else:
        if len(args) != z_dim:
            raise BadMessage("wrong length", f"{path}: expected {z_dim} floats or one blob, "
                                             f"got {len(args)} arguments")
        z = np.array([_number(a, "f", path) for a in args], dtype=np.float32)
    if not np.all(np.isfinite(z)):
        raise BadMessage("not finite", f"{path}: NaN or infinite value in the latent")
    return np.clip(z, -10.0, 10.0)


def check(a: Address, args: tuple, z_dim: int) -> tuple:
    """Validated, converted and clipped arguments for address ``a``; BadMessage if unusable."""
    if a.types == "f*":
        return (_latent_args(args, z_dim, a.path),)
    types = next((t for t in (a.types, *a.alt_types) if len(t) == len(args)), None)
    if types is None:
        want = " or ".join(f"'{t}'" for t in (a.types, *a.alt_types))
        raise BadMessage("wrong length", f"{a.path}: expected {len(a.types)} argument(s) "
                                         f"{want}, got {len(args)}")
    out = []
    ranges = tuple(a.ranges or ()) + (None,) * (len(types) - len(a.ranges or ()))
    for tag, v, rng in zip(types, args, ranges):
        if tag == "s":
            if not isinstance(v, str):
                raise BadMessage("wrong types", f"{a.path}: expected a string")
            out.append(v)
        else:
            out.append(_clip(_number(v, tag, a.path), rng))
    return tuple(out)


# --- handlers ----------------------------------------------------------------------------
# An address whose table entry names fields only stores them (face values, or controls); one
# that names a handler gets its own small function, (ctx, *validated args) -> reply or None.
def _latent(ctx: OscContext, z):
    ctx.state.set_latent(z)


def _latent_set(ctx: OscContext, index: int, value: float):
    if not 0 <= index < ctx.state.z_dim:
        raise BadMessage("index out of range",
                         f"index {index} outside 0..{ctx.state.z_dim - 1}")
    ctx.state.set_latent_dim(index, value)


def _latent_seed(ctx: OscContext, seed: int):
    ctx.state.set_latent(ctx.random_latent(seed & 0xFFFFFFFF))


def _direction(ctx: OscContext, name: str, amount: float):
    if name not in ctx.directions:
        known = ", ".join(sorted(ctx.directions)) or "none in this checkpoint"
        raise BadMessage("unknown direction", f"unknown direction "
                                              f"{name[:40]!r} (known: {known})")
    ctx.state.set_direction(name, amount)


def _band(ctx: OscContext, low: float, high: float):
    ny = ctx.state.nyquist_hz
    low, high = min(low, ny), min(high, ny)
    if not low < high:
        raise BadMessage("band order", f"low edge {low:g} Hz must be below "
                                       f"high edge {high:g} Hz")
    ctx.state.set_controls(band_low=low, band_high=high)


def _play(ctx: OscContext, item: tuple):
    if ctx.play is None:
        raise BadMessage("no notes", "this synth plays no notes")
    try:
        ctx.play(ctx.frame, item)
    except QueueFull as exc:
        raise BadMessage("queue full", f"too many pending events ({exc})") from None


def _note_on(ctx: OscContext, note: float, velocity: float):
    _play(ctx, ("on", note, velocity) if velocity > 0 else ("off", note))
    if velocity > 0:  # on arrival (a scheduled note's image is then ready before it sounds)
        ctx.state.request_note(note, velocity)


def _note_off(ctx: OscContext, note: float):
    _play(ctx, ("off", note))


def _note_panic(ctx: OscContext):
    _play(ctx, ("panic",))


def _map_anchor(ctx: OscContext, family: str | None = None):
    if family is not None:
        _check_family(ctx, family)
    try:
        ctx.state.map_anchor(family)
    except ValueError as exc:
        raise BadMessage("no map", str(exc)) from None


def _map_clear(ctx: OscContext):
    ctx.state.map_clear()


def _scene_store(ctx: OscContext):
    if ctx.scenes is None:
        raise BadMessage("no scenes", "this synth keeps no scenes")
    return ctx.scenes


def _scene_save(ctx: OscContext, name: str):
    try:
        path = _scene_store(ctx).save(name, ctx.state.snapshot())
    except InputError as exc:
        raise BadMessage("scene", str(exc)) from None
    log.info("scene %s saved (%s)", name, path)


def _scene_recall(ctx: OscContext, name: str, glide: float | None = None):
    if glide is not None and not 0.0 <= glide <= 60.0:
        raise BadMessage("out of range", f"glide {glide:g} s outside 0..60")
    try:
        scene = _scene_store(ctx).load(name, ctx.state.z_dim)
        ctx.state.restore(scene, glide)
    except (InputError, ValueError, KeyError, TypeError) as exc:
        raise BadMessage("scene", str(exc) if isinstance(exc, InputError)
                         else f"scene {name!r} cannot be applied ({exc})") from None
    log.info("scene %s recalled", name)


def _scene_list(ctx: OscContext):
    return (SCENE_LIST, *_scene_store(ctx).names()[:MAX_LISTED])


def _check_family(ctx: OscContext, name: str) -> None:
    if not ctx.timbres:
        raise BadMessage("no timbres", "this checkpoint names no instrument families")
    if name not in ctx.timbres:
        raise BadMessage("unknown timbre", f"unknown family {name[:40]!r} (known: "
                                           f"{', '.join(sorted(ctx.timbres))})")


def _latent_timbre(ctx: OscContext, name: str):
    _check_family(ctx, name)
    ctx.state.set_family(name)


def _midi_learn(ctx: OscContext, path: str):
    if ctx.midi_learn is None:
        raise BadMessage("no midi", "this synth has no MIDI input (--no-midi)")
    try:
        ctx.midi_learn(path)
    except ValueError as exc:
        raise BadMessage("not bindable", str(exc)) from None


#: scene names in one /lr/scene/list reply at most
MAX_LISTED = 512


def _status(ctx: OscContext):
    return (STATUS, *ctx.status())


def _state(ctx: OscContext):
    return (STATE, json.dumps(ctx.state.values(), separators=(",", ":")))


_NAMED = {"latent": _latent, "latent_set": _latent_set, "latent_seed": _latent_seed,
          "direction": _direction, "band": _band, "status": _status, "state": _state,
          "note_on": _note_on, "note_off": _note_off, "note_panic": _note_panic,
          "map_anchor": _map_anchor, "map_clear": _map_clear, "scene_save": _scene_save,
          "scene_recall": _scene_recall, "scene_list": _scene_list,
          "latent_timbre": _latent_timbre, "midi_learn": _midi_learn}


def _store(a: Address) -> Callable:
    fields = a.fields
    if a.sender == "face":
        return lambda ctx, *args: ctx.state.set_face(**dict(zip(fields, args)))
    return lambda ctx, *args: ctx.state.set_controls(**dict(zip(fields, args)))


#: handlers that queue note events (their own frame), and the addresses a bundle may schedule
NOTE_HANDLERS = frozenset({"note_on", "note_off", "note_panic"})
#: the table entries this daemon accepts, by path, and the handler of each
ACCEPTED: dict[str, Address] = {a.path: a for a in SYNTH_ADDRESSES + FACE_ADDRESSES}
HANDLERS: dict[str, Callable] = {
    a.path: _NAMED[a.handler] if a.handler else _store(a) for a in ACCEPTED.values()}
#: (scenes touch files: they apply on arrival, never on the voice thread)
SCHEDULABLE = frozenset(a.path for a in SYNTH_ADDRESSES if a.path not in (STATUS, STATE)
                        and not a.handler.startswith("scene_"))
#: a bundle may be scheduled this far ahead at most (s)
MAX_AHEAD_S = 10.0
#: a timetag less than this ahead of arrival counts as "now" (s)
AHEAD_EPS_S = 0.0005


class ErrorLog:
    """Log each kind of bad input once at warning level, then at debug level; count all."""

    def __init__(self):
        self.seen: set[str] = set()
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, kind: str, text: str) -> None:
        with self._lock:
            self.count += 1
            first = kind not in self.seen
            self.seen.add(kind)
        if first:
            log.warning("ignored bad OSC input (%s): %s  [further ones of this kind: debug log]",
                        kind, text)
        else:
            log.debug("ignored bad OSC input (%s): %s", kind, text)


def apply_message(ctx: OscContext, path: str, args: Iterable, errors: ErrorLog,
                  frame: int | None = None) -> tuple | None:
    """Validate and apply one message; returns the reply (``(address, *args)``) or None.

    ``frame``: the output frame the message is for (a scheduled bundle, or a render's script
    line): a note starts at that sample; any other synth message is queued and applied at the
    start of the block holding it.  Never raises for bad input: a bad message gives
    ``(ERROR, text)`` and no change.
    """
    try:
        a = ACCEPTED.get(path)
        if a is None:
            raise BadMessage("unknown address", f"unknown address {path[:80]!r}")
        args = check(a, tuple(args), ctx.state.z_dim)
        try:
            if frame is not None and path in SCHEDULABLE and ctx.play is not None:
                ctx.frame = frame
                try:
                    if a.handler in NOTE_HANDLERS:
                        return HANDLERS[path](ctx, *args)
                    _play(ctx, ("call", path, args))
                    return None
                finally:
                    ctx.frame = None
            return HANDLERS[path](ctx, *args)
        except BadMessage as exc:  # a handler's own check: name the address
            raise BadMessage(exc.kind, f"{path}: {exc}") from None
    except BadMessage as exc:
        errors(exc.kind, str(exc))
        return (ERROR, str(exc))


def run_scheduled(ctx: OscContext, path: str, args: tuple, errors: ErrorLog) -> None:
    """Apply a queued ``("call", path, args)`` when it comes due (on the voice thread)."""
    try:
        HANDLERS[path](ctx, *args)
    except BadMessage as exc:
        errors(exc.kind, f"{path} (scheduled): {exc}")


_BUNDLE = b"#bundle\x00"


def count_messages(data: bytes, depth: int = 0) -> int | None:
    """The number of OSC messages in a packet whose framing is sound, else None.

    Sound: 4-byte aligned; element sizes > 0 and inside the packet, each element a message or a
    bundle; nesting at most 8 deep.  Checked before python-osc sees the packet: python-osc 1.10
    loops forever on a bundle element with a negative size and logs to the root logger on
    unknown elements; and the count lets a sender's budget act before anything is parsed.
    """
    if len(data) % 4:  # OSC packets are 4-byte aligned; python-osc would zero-pad a cut float
        return None
    if not data.startswith(_BUNDLE):
        return 1 if data[:1] == b"/" else None
    if depth > 8 or len(data) < 16:
        return None
    i, n = 16, 0  # prefix + 8-byte timetag
    while i < len(data):
        if i + 4 > len(data):
            return None
        size = int.from_bytes(data[i:i + 4], "big", signed=True)
        i += 4
        if size <= 0 or size % 4 or i + size > len(data):
            return None
        inner = count_messages(data[i:i + size], depth + 1)
        if inner is None:
            return None
        n += inner
        i += size
    return n


def bundle_ok(data: bytes) -> bool:
    """Whether a packet's framing is sound (see :func:`count_messages`)."""
    return count_messages(data) is not None


#: addresses whose only effect is a reply: skipped once the sender's reply budget is spent,
#: so a datagram full of them costs no more than it may be answered
QUERIES = frozenset({STATUS, STATE})


def summarise_errors(texts: list[str], total: int) -> tuple:
    """One ``/lr/error`` for a packet's rejected messages: the text itself for one, else how
    many of ``total`` were rejected and the first reason."""
    if len(texts) == 1:
        return (ERROR, texts[0])
    return (ERROR, f"{len(texts)} of {total} messages in the bundle were rejected; "
                   f"first: {texts[0]}")


class _Dispatcher(Dispatcher):
    """Routes every message through :func:`apply_message`, within the sender's budgets
    (:class:`bridge.osc.access.SenderLimits`): a datagram over its message budget is dropped
    unparsed; replies are at most ``REPLIES_PER_DATAGRAM`` per datagram and within the
    sender's reply rate, errors of one bundle summarised into one."""

    def __init__(self, ctx: OscContext, errors: ErrorLog, limits: SenderLimits):
        super().__init__(strict_timing=False)
        self.ctx, self.errors, self.limits = ctx, errors, limits

    def call_handlers_for_packet(self, data: bytes, client_address) -> list:
        n = count_messages(data)
        if n is None:
            self.errors("malformed packet", "malformed OSC packet (bad framing)")
            return self._one_error("malformed OSC packet", client_address)
        if not self.limits.admit(client_address, n):
            self.errors("flood", f"OSC from {client_address[0]}:{client_address[1]} over "
                                 f"its budget; datagrams dropped unread")
            return []
        arrived = time.time()
        try:
            messages = list(osc_packet.OscPacket(data).messages)
        except osc_packet.ParseError as exc:
            self.errors("malformed packet", f"malformed OSC packet ({str(exc)[:80]})")
            return self._one_error("malformed OSC packet", client_address)
        except Exception as exc:  # noqa: BLE001 - python-osc raises odd things on garbage
            self.errors("malformed packet", f"malformed OSC packet ({type(exc).__name__})")
            return self._one_error("malformed OSC packet", client_address)
        replies, failed = [], []  # replies already charged to the sender; error texts
        for tm in messages:
            m = tm.message
            if m.address in QUERIES and not self._may_reply(replies, client_address):
                continue
            frame, ahead = None, tm.time - arrived
            if ahead > AHEAD_EPS_S and m.address in SCHEDULABLE:
                if ahead > MAX_AHEAD_S:
                    text = (f"{m.address}: timetag {ahead:.1f} s ahead; at most "
                            f"{MAX_AHEAD_S:g} s")
                    self.errors("too far ahead", text)
                    failed.append(text)
                    continue
                frame = self.ctx.frame_at(tm.time) if self.ctx.frame_at else None
            r = apply_message(self.ctx, m.address, m.params, self.errors, frame)
            if r is None:
                continue
            if r[0] == ERROR:
                failed.append(r[1])
            else:  # only queries reply, and theirs was charged above
                replies.append(r)
        if failed and self._may_reply(replies, client_address):
            replies.append(summarise_errors(failed, len(messages)))
        return replies

    def _may_reply(self, replies: list, sender) -> bool:
        """Whether one more reply may go to ``sender`` in this datagram (charged if so)."""
        return len(replies) < REPLIES_PER_DATAGRAM and self.limits.reply(sender)

    def _one_error(self, text: str, sender) -> list:
        return [(ERROR, text)] if self.limits.reply(sender) else []


class _Server(BlockingOSCUDPServer):
    max_packet_size = 65535
    allow: list = []

    def verify_request(self, request, client_address) -> bool:
        """Accept datagrams only from loopback and ``--allow`` networks (content checked later)."""
        if peer_allowed(client_address[0], self.allow):
            return True
        log.debug("dropped OSC from %s (not in --allow)", client_address[0])
        return False

    def handle_error(self, request, client_address) -> None:
        log.exception("OSC handler failed for a packet from %s", client_address)


class OscServer:
    """The daemon's UDP OSC server, serving in its own thread until :meth:`close`."""

    def __init__(self, ctx: OscContext, host: str = "127.0.0.1", port: int = 9000,
                 allow: Iterable = ()):
        self.errors = ErrorLog()
        self.limits = SenderLimits()
        self._server = _Server((host, port), _Dispatcher(ctx, self.errors, self.limits))
        self._server.allow = list(allow)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.2,),
                                        name="osc-server", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(2)
