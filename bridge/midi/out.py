"""MIDI CC out on one virtual port: the face controls as knobs for a DAW.

python-rtmidi for every system; on JACK the port follows the server through restarts
(:mod:`bridge.midi.jack_port`).

Map (``bridge.address_table``): channel 1, CC 20 rotation, 21 jaw, 22 brow, 23 stillness,
24 found (0/127).  ``fourteen_bit``: MSB on those numbers, LSB on number + 32.  A value is sent
only when its quantised value changes.  ``learn``: only that control is sent, as a slow sweep,
so a DAW's MIDI learn binds exactly one control.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

from bridge import native_stderr
from bridge.address_table import MIDI_CC, MIDI_CHANNEL, MIDI_LSB_OFFSET, MIDI_PORT_NAME
from bridge.config import load_toml
from bridge.errors import DeviceError, InputError
from bridge.midi.jack_port import JackMidiPort
from bridge.jack.libjack import jack_running, quiet_libjack
from engine.face.controls import FaceControls

log = logging.getLogger("latent_resonance.midi")

API_NAMES = ("jack", "alsa", "macos", "windows")
#: learn-mode sweep: 0 -> 1 -> 0 over this many seconds
LEARN_PERIOD_S = 4.0
#: how long opening a JACK MIDI port waits for the server before going on (seconds; the port
#: keeps retrying and appears when a server starts)
JACK_FIRST_CONNECT_S = 2.0


def resolve_api(name: str | None) -> int:
    """rtmidi API constant for ``name`` (None: JACK when a server runs on Linux, else ALSA)."""
    import rtmidi

    table = {"jack": rtmidi.API_UNIX_JACK, "alsa": rtmidi.API_LINUX_ALSA,
             "macos": rtmidi.API_MACOSX_CORE, "windows": rtmidi.API_WINDOWS_MM}
    if name is None:
        if sys.platform.startswith("linux"):
            return rtmidi.API_UNIX_JACK if jack_running() else rtmidi.API_LINUX_ALSA
        return rtmidi.API_UNSPECIFIED
    key = name.lower()
    if key not in table:
        raise InputError(f"unknown MIDI API '{name}': choose one of {', '.join(API_NAMES)}")
    if table[key] not in rtmidi.get_compiled_api():
        raise DeviceError(f"MIDI API '{name}' is not available in this build of python-rtmidi "
                        f"on this system")
    return table[key]


def load_cc_map(path: str | Path) -> tuple[dict[str, int], int]:
    """(control -> CC, channel 1..16) from a TOML or JSON file; unspecified keys keep defaults.

    File keys: ``channel`` and any of ``rotation jaw brow stillness found``.
    """
    p = Path(path)
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"CC map not found: {p}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read CC map {p}: {exc}") from None
    else:
        data = load_toml(p, "CC map")
    if not isinstance(data, dict):
        raise InputError(f"CC map {p}: expected an object of control = number")
    cc = dict(MIDI_CC)
    channel = MIDI_CHANNEL
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"CC map {p}: '{key}' must be an integer, got {value!r}")
        if key == "channel":
            if not 1 <= value <= 16:
                raise InputError(f"CC map {p}: channel must be 1-16, got {value}")
            channel = value
        elif key in cc:
            if not 0 <= value <= 119:
                raise InputError(f"CC map {p}: '{key}' must be a controller number 0-119")
            cc[key] = value
        else:
            raise InputError(f"CC map {p}: unknown control '{key}' "
                            f"(known: channel, {', '.join(MIDI_CC)})")
    owner: dict[int, str] = {}
    for key, number in cc.items():
        if number in owner:
            raise InputError(f"CC map {p}: '{owner[number]}' and '{key}' both use controller "
                             f"{number}")
        owner[number] = key
    return cc, channel


def check_map(cc: dict[str, int], fourteen_bit: bool) -> None:
    """14-bit pairs need MSB numbers 0-31 (LSB = MSB + 32) with no overlap."""
    if not fourteen_bit:
        return
    bad = [k for k, n in cc.items() if n > 31]
    if bad:
        raise InputError(f"--14bit needs controller numbers 0-31 (LSB at +32); "
                        f"too high: {', '.join(bad)}")
    lsbs = {n + MIDI_LSB_OFFSET for n in cc.values()}
    if lsbs & set(cc.values()):
        raise InputError("--14bit: an LSB number (+32) collides with another control's number")


class MidiOut:
    """One virtual output port sending CC on change.

    ``send(controls, t)`` is called once per frame from the engine thread; it does not block
    (rtmidi queues to the OS).  ``learn``: a control name from the map, or None.
    """

    def __init__(self, port_name: str = MIDI_PORT_NAME, api: str | None = None,
                 fourteen_bit: bool = False, cc_map: dict[str, int] | None = None,
                 channel: int = MIDI_CHANNEL, learn: str | None = None):
        import rtmidi

        self.cc = dict(cc_map or MIDI_CC)
        self.channel = channel
        self.fourteen_bit = fourteen_bit
        if learn is not None and learn not in self.cc:
            raise InputError(f"--learn '{learn}': not a MIDI control (choose one of "
                            f"{', '.join(self.cc)})")
        self.learn = learn
        check_map(self.cc, fourteen_bit)
        rtapi = resolve_api(api)
        self.port_name = port_name
        self._last: dict[str, int] = {}
        self._jack: JackMidiPort | None = None
        self._seen_listeners = 0
        if rtapi == rtmidi.API_UNIX_JACK:
            self._open_jack(port_name)
            self._send_message = self._jack.send
        else:
            quiet_libjack()
            try:
                with native_stderr.to_log():
                    self._out = rtmidi.MidiOut(rtapi=rtapi, name=port_name)
                    self._out.open_virtual_port(port_name)
            except (rtmidi.RtMidiError, SystemError, RuntimeError):
                how = ("no JACK server runs, so ALSA was tried: start JACK first (or load the "
                       "ALSA sequencer, `modprobe snd-seq`), or choose with --midi-api jack|alsa"
                       if api is None else "choose another with --midi-api jack|alsa")
                raise DeviceError(f"cannot open MIDI port '{port_name}' "
                                  f"({rtmidi.get_api_display_name(rtapi)}): {how}") from None
            self.api_name = rtmidi.get_api_display_name(self._out.get_current_api())
            self._send_message = self._out.send_message
            if api is None and sys.platform.startswith("linux"):
                log.warning("MIDI: no JACK server runs, so the port is on ALSA; start JACK "
                            "before the face engine (or pass --midi-api jack) to have it in "
                            "JACK's graph")
        if self._jack is None or self._jack.connected:
            log.info("MIDI: virtual port '%s' (%s), channel %d%s%s", port_name, self.api_name,
                     channel, ", 14-bit" if fourteen_bit else "",
                     f", learn mode: {learn} only" if learn else "")
        else:  # the JACK port logs itself once a server really has it
            # (the JACK client has said once that no server runs)
            log.info("MIDI: the port '%s' appears when a JACK server starts", port_name)

    def _open_jack(self, port_name: str) -> None:
        """JACK MIDI through a port that follows the server (:mod:`bridge.midi.jack_port`);
        waits up to :data:`JACK_FIRST_CONNECT_S` for the port."""
        try:
            import jack  # noqa: F401 - raises OSError without libjack
        except OSError as exc:
            raise DeviceError(f"cannot open MIDI port '{port_name}' (JACK API): {exc}") from None
        self._jack = JackMidiPort(port_name)
        self._jack.start()
        deadline = time.monotonic() + JACK_FIRST_CONNECT_S
        while not self._jack.connected and time.monotonic() < deadline:
            time.sleep(0.01)
        self.api_name = "JACK"

    @property
    def new_listeners(self) -> int:
        """New connections to the port noticed so far (JACK only; each one makes the next
        :meth:`send` resend every control)."""
        return self._jack.new_listeners if self._jack is not None else 0

    def _values(self, c: FaceControls, t: float) -> dict[str, float]:
        if self.learn is not None:
            phase = (t / LEARN_PERIOD_S) % 1.0
            return {self.learn: 1.0 - abs(2.0 * phase - 1.0)}
        return {name: float(c.found) if name == "found" else float(getattr(c, name))
                for name in self.cc}

    def send(self, c: FaceControls, t: float | None = None) -> int:
        """Send the controls that changed; returns the number of MIDI messages sent."""
        status = 0xB0 | (self.channel - 1)
        sent = 0
        if self._jack is not None and self._jack.new_listeners != self._seen_listeners:
            self._seen_listeners = self._jack.new_listeners  # a new receiver: resend all
            self._last.clear()
        for name, v in self._values(c, c.t if t is None else t).items():
            v = min(1.0, max(0.0, v))
            q = round(v * 16383) if self.fourteen_bit else round(v * 127)
            if self._last.get(name) == q:
                continue
            self._last[name] = q
            n = self.cc[name]
            if self.fourteen_bit:
                self._send_message([status, n, q >> 7])
                self._send_message([status, n + MIDI_LSB_OFFSET, q & 0x7F])
                sent += 2
            else:
                self._send_message([status, n, q])
                sent += 1
        return sent

    def close(self) -> None:
        if self._jack is not None:
            self._jack.close()
            return
        try:
            self._out.close_port()
        finally:
            self._out.delete()
