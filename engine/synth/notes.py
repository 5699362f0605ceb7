"""Note voices: the played note's harmonic series on the generator's spectral envelope.

A mel image cannot carry a pitch (at 128 bands one band is 25.8 Hz wide below 1 kHz, 163 cents
at C4), so a note voice does not reconstruct phases at all: it sounds the harmonics k·f0 of the
note (f0 = A4·2^((n−69)/12)·2^(bend/12)) up to the image's top frequency, each with the
amplitude the generated image has at that frequency, and a phase it accumulates itself.  The
pitch is therefore exact, whatever the latent, and a note needs no look-ahead: it sounds from
the sample it starts at.

How one block is made (hand-written: no library does band-limited additive synthesis with a
spectral envelope that changes per block): the harmonic amplitudes at the block's end are laid
into one period of a wavetable (an inverse real FFT of ``TABLE`` points, fixed phases per
harmonic), and the block reads the previous table and this one at the note's phase, crossfading
linearly -- which is exactly additive synthesis with every partial's amplitude ramped linearly
over the block.  The table holds only partials below the image's top frequency (and below 0.45
of the output rate), so nothing aliases, and bend rebuilds it every block.  Every sounding
voice is made in the same arrays (one batched inverse FFT for all tables, one gather for all
reads): at a JACK period of 256 samples numpy's per-call cost, not the arithmetic, is what a
voice costs, so eight voices in one batch cost less than half of eight made one by one.

What acts on a note (docs/synth.md, "Notes"):

* the image (latent, entropy jitter, clarity's truncation): the amplitudes, from the column
  under the note's own playhead, which starts at column 0 on note-on and moves at ``speed``;
* clarity: also sharpens the envelope's peaks as it does for the drone;
* velocity v: level × v² and brightness (partials above 1 kHz lose (1 − v)·6 dB per octave);
* band and gain: the output stage after the mix, as for the drone.

Levels: a note at velocity 1 has ``NOTE_LEVEL`` RMS at its image's loudest column, whatever
its pitch (the amplitudes are normalised per note and image, so loudness is even across the
keyboard); the limiter of the output stage is the last resort.

Events (note on/off, bend, envelope, sustain, ...) are applied at a sample offset inside the
block being rendered: :meth:`NoteEngine.render` splits the block there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft

#: points in one wavetable period (harmonics up to TABLE/2 - 1)
TABLE = 4096
#: RMS of a note at velocity 1 at its image's loudest column (full scale 1.0).  0.13 keeps
#: eight notes at velocity 1 over the drone, all in the middle, under the limiter's knee on
#: all but < 1 % of the samples for the default's images (0.15 did not once its images grew
#: steadier over time: up to 1.9 % of the samples, real notes' images 0.7 %)
NOTE_LEVEL = 0.13
#: fastest attack and release (s): shorter ramps would click
MIN_ATTACK_S = 0.002
MIN_RELEASE_S = 0.005
#: a stolen voice fades over this long (s)
STEAL_S = 0.005
#: a released voice is dropped once its level is below this
SILENT = 1e-4
#: voice count range and default
MAX_VOICES = 16
DEFAULT_VOICES = 8


@dataclass(frozen=True)
class Envelope:
    """ADSR: attack (s, linear rise), decay (s, exponential fall to sustain, 95 % there at
    ``decay``), sustain level 0..1, release (s, exponential, −60 dB at ``release``)."""

    attack: float = 0.01
    decay: float = 0.3
    sustain: float = 0.7
    release: float = 0.4

    def clamped(self) -> "Envelope":
        return Envelope(max(MIN_ATTACK_S, min(float(self.attack), 30.0)),
                        max(0.001, min(float(self.decay), 30.0)),
                        min(max(float(self.sustain), 0.0), 1.0),
                        max(MIN_RELEASE_S, min(float(self.release), 30.0)))


def note_hz(note: float, tuning: float = 440.0, bend: float = 0.0) -> float:
    """The fundamental of MIDI ``note`` (fractional allowed) at A4 = ``tuning`` Hz, bent by
    ``bend`` semitones."""
    return float(tuning) * 2.0 ** ((float(note) + float(bend) - 69.0) / 12.0)


def _phases() -> np.ndarray:
    # Fixed per-harmonic phases, independent of pitch and partial count (so a table rebuilt for
    # a bent pitch lines up with the previous one): Schroeder's low-crest-factor phases for a
    # 64-partial reference, which keep the peak of a rich note near 3x its RMS.
    k = np.arange(TABLE // 2 + 1, dtype=np.float64)
    return np.exp(1j * (-np.pi * k * (k - 1) / 64.0 - np.pi / 2))


_PHASES = _phases().astype(np.complex64)


class SpectralEnvelope:
    """A generated image as a spectral envelope: dB per mel band per column, and where the
    bands sit in Hz.  ``spec`` (n_mels, frames) in [-1, 1], row 0 the lowest band."""

    def __init__(self, spec: np.ndarray, centres_hz: np.ndarray, top_db: float):
        spec = np.asarray(spec, dtype=np.float32)
        self.db = (spec + 1.0) * (0.5 * top_db) - top_db  # power dB relative to the maximum
        self.centres = np.asarray(centres_hz, dtype=np.float64)
        self.frames = int(spec.shape[1])
        loop_xfade = min(8, self.frames // 4)  # as the drone's voice loops (engine.spectral.voice)
        self.loop = max(1, self.frames - loop_xfade)

    def magnitudes(self, freqs: np.ndarray) -> np.ndarray:
        """Linear magnitudes (len(freqs), frames) at ``freqs`` Hz, interpolated between bands
        in dB (flat beyond the outermost band centres)."""
        b = np.interp(freqs, self.centres, np.arange(len(self.centres), dtype=np.float64))
        i0 = np.minimum(b.astype(np.int64), len(self.centres) - 2)
        w = (b - i0)[:, None]
        d = self.db[i0] * (1.0 - w) + self.db[i0 + 1] * w
        return np.power(10.0, d / 20.0)


class NoteVoice:
    """One sounding note: pitch, phase, envelope state, playhead and pan."""

    __slots__ = ("note", "velocity", "phase", "level", "stage", "held", "sustained", "age",
                 "pos", "freq", "prev_table", "mags", "mags_f0", "scale", "env", "pan",
                 "release_s", "image", "gains", "weights", "weights_key")

    def __init__(self, note: float, velocity: float, age: int, env: Envelope, pan: float):
        self.note, self.velocity, self.age = float(note), float(velocity), age
        self.phase = 0.0  # cycles
        self.level = 0.0
        self.stage = "attack"  # attack, decay, sustain, release
        self.held, self.sustained = True, False
        self.pos = 0.0  # playhead in image columns
        self.freq = 0.0  # the fundamental at the end of the last block (0: not yet sounded)
        self.prev_table: np.ndarray | None = None
        self.mags = None  # (K, frames) magnitudes at the harmonics of mags_f0
        self.mags_f0 = 0.0
        self.scale = 1.0
        self.env = env
        self.pan = float(pan)
        self.release_s = env.release
        self.image = None  # the envelope the magnitudes were taken from
        self.gains = None  # (left, right) at the end of the last block
        self.weights = None  # (keep, tilt) per partial: below top_hz, velocity's darkening
        self.weights_key = None  # (f0, velocity, K) they were made for

    @property
    def releasing(self) -> bool:
        return self.stage == "release"


class NoteEngine:
    """Polyphonic note voices, rendered in stereo blocks at ``sample_rate``.

    ``centres_hz``: the mel bands' centre frequencies of the generator's images; ``top_db``:
    their dB range; ``top_hz``: the highest partial (the image's top frequency); ``column_s``:
    seconds per image column.  :func:`for_codec` builds one for a codec.
    """

    def __init__(self, sample_rate: float, centres_hz: np.ndarray, top_db: float = 80.0,
                 top_hz: float | None = None, tuning: float = 440.0,
                 column_s: float = 512 / 22050):
        self.sr = float(sample_rate)
        self.column_s = float(column_s)  # seconds per image column (the codec's hop / rate)
        self.centres = np.asarray(centres_hz, dtype=np.float64)
        self.top_db = float(top_db)
        nyq = 0.45 * self.sr
        self.top_hz = min(float(top_hz), nyq) if top_hz else nyq
        self.tuning = float(tuning)
        self.voices: list[NoteVoice] = []
        self.max_voices = DEFAULT_VOICES
        self.envelope = Envelope()
        self.bend = 0.0  # semitones (target)
        self._bend_now = 0.0  # semitones (reached at the end of the last block)
        self.width = 0.5
        self.speed = 1.0
        self.clarity = 0.0
        self.sustain_pedal = False
        self._image: SpectralEnvelope | None = None
        self._note_images: dict[float, SpectralEnvelope] = {}
        self._age = 0
        self.started = 0  # note-ons so far
        self.stolen = 0  # voices stolen so far
        # (1..n, 1/n..1) per block size n, kept: the voices render every JACK period
        self._ramps: dict = {}

    # ---------------------------------------------------------------- inputs
    def set_image(self, spec: np.ndarray) -> None:
        """A new generated image: every note follows it from the next block (notes with an
        image of their own, :meth:`set_note_image`, keep theirs)."""
        self._image = SpectralEnvelope(spec, self.centres, self.top_db)

    def set_note_image(self, note: float, spec: np.ndarray | None) -> None:
        """The image generated for ``note`` (the request a pitch-conditioned generator
        answers: note and velocity in, an image for that note out); None returns the note to
        the shared image.  Unconditioned checkpoints never call this: every note takes its
        partials' levels from the drone's image."""
        if spec is None:
            self._note_images.pop(float(note), None)
        else:
            self._note_images[float(note)] = SpectralEnvelope(spec, self.centres, self.top_db)

    def note_on(self, note: float, velocity: float) -> None:
        """Start ``note`` (MIDI number, fractional allowed) at ``velocity`` 0..1; velocity 0 is
        a note-off.  A note already sounding is retriggered from its current level."""
        velocity = min(max(float(velocity), 0.0), 1.0)
        if velocity <= 0.0:
            self.note_off(note)
            return
        self.started += 1
        self._age += 1
        for v in self.voices:  # the same note again: retrigger it from where it is
            if v.note == note and v.release_s != STEAL_S:
                v.velocity, v.age, v.env = velocity, self._age, self.envelope
                v.stage, v.held, v.sustained = "attack", True, False
                return
        while self._counted() >= self.max_voices:
            self._steal()
        self.voices.append(NoteVoice(note, velocity, self._age, self.envelope, _pan(note)))

    def note_off(self, note: float) -> None:
        """Release every voice of ``note`` (held on while the sustain pedal is down)."""
        for v in self.voices:
            if v.note == note and v.held:
                v.held = False
                if self.sustain_pedal:
                    v.sustained = True
                else:
                    self._release(v)

    def set_sustain(self, down: bool) -> None:
        """The sustain pedal: while down, note-offs hold; lifting it releases those notes."""
        self.sustain_pedal = bool(down)
        if not self.sustain_pedal:
            for v in self.voices:
                if v.sustained:
                    v.sustained = False
                    self._release(v)

    def panic(self) -> None:
        """Release every voice (with its release time) and lift the pedal."""
        self.sustain_pedal = False
        for v in self.voices:
            v.held = v.sustained = False
            self._release(v)

    def set_voices(self, n: int) -> None:
        """Polyphony 1..16; voices over the new count are stolen (oldest released first)."""
        self.max_voices = min(max(int(n), 1), MAX_VOICES)
        while self._counted() > self.max_voices:
            self._steal()

    def set_envelope(self, attack: float, decay: float, sustain: float, release: float) -> None:
        """The envelope of notes started from now on (and the release of those released)."""
        self.envelope = Envelope(attack, decay, sustain, release).clamped()

    def set_bend(self, semitones: float) -> None:
        self.bend = float(semitones)

    def apply(self, c) -> None:
        """Take a controls snapshot (``attack``/``decay``/``sustain``/``release``, ``voices``,
        ``bend``, ``width``, ``speed``, ``clarity``)."""
        self.set_envelope(c.attack, c.decay, c.sustain, c.release)
        self.set_voices(c.voices)
        self.set_bend(c.bend)
        self.width, self.speed, self.clarity = float(c.width), float(c.speed), float(c.clarity)

    @property
    def sounding(self) -> int:
        """Voices making sound now (held, sustained or releasing)."""
        return len(self.voices)

    def _counted(self) -> int:
        return sum(1 for v in self.voices if v.release_s != STEAL_S)

    def _release(self, v: NoteVoice) -> None:
        if v.stage != "release":
            v.stage = "release"
            v.release_s = self.envelope.release

    def _steal(self) -> None:
        live = [v for v in self.voices if v.release_s != STEAL_S]
        if not live:
            return
        released = [v for v in live if v.releasing]
        victim = min(released or live, key=lambda v: v.age)
        victim.stage, victim.held, victim.sustained = "release", False, False
        victim.release_s = STEAL_S
        self.stolen += 1

    # ---------------------------------------------------------------- audio
    def render(self, n: int, events=()) -> np.ndarray:
        """``n`` samples (n, 2) float32 of every note voice; ``events``: (offset, callable)
        pairs sorted by offset, each called (no arguments) at that sample of the block."""
        out = np.zeros((int(n), 2), dtype=np.float32)
        start = 0
        for offset, apply in events:
            offset = min(max(int(offset), start), n)
            if offset > start:
                self._render_into(out[start:offset])
                start = offset
            apply()
        if start < n:
            self._render_into(out[start:])
        return out

    def _render_into(self, out: np.ndarray) -> None:
        """Add ``len(out)`` samples of every voice to ``out``, all voices at once: their
        wavetables in one batched inverse FFT, their table reads, levels and pans as arrays
        (V voices, n samples); per voice only what differs (its image's partials, envelope)."""
        n = len(out)
        if n == 0:
            return
        bend0, bend1 = self._bend_now, self.bend
        self._bend_now = bend1
        if not self.voices or self._image is None:
            return
        voices = self.voices
        nv = len(voices)
        f0 = np.empty(nv)
        f1 = np.empty(nv)
        amps, tilts = [], []
        for i, v in enumerate(voices):
            img = self._note_images.get(v.note, self._image)
            f = f1[i] = note_hz(v.note, self.tuning, bend1)
            f0[i] = note_hz(v.note, self.tuning, bend0) if v.freq else f
            if v.mags is None or v.image is not img or abs(math.log2(f / v.mags_f0)) > 1 / 24:
                self._take_image(v, img, f)
            # the playhead moves through the image's columns at ``speed`` (as the drone's does)
            v.pos = (v.pos + self.speed * n / self._hop_samples()) % img.loop
            keep, tilt = self._weights(v, f, len(v.mags))
            amps.append(self._partials(v, keep))
            tilts.append(tilt)
        table = self._tables(voices, amps, tilts)
        prev = np.stack([t if (t := v.prev_table) is not None else table[i]
                         for i, v in enumerate(voices)])
        # phase: each voice's frequency ramps linearly over the block from its previous value
        k, ramp = self._ramp(n)
        if np.array_equal(f0, f1):
            ph = (f1 / self.sr)[:, None] * k
        else:
            ph = np.cumsum(f0[:, None] + (f1 - f0)[:, None] * (k / n), axis=1) / self.sr
        ph += np.array([v.phase for v in voices])[:, None]
        # read the previous table and this one at the phase, crossfading linearly over the
        # block (rows laid end to end, so one gather reads every voice)
        x = ph % 1.0
        x *= TABLE
        i0 = x.astype(np.int64)
        fr = (x - i0).astype(np.float32)
        i0 += (np.arange(nv) * (TABLE + 1))[:, None]
        i1 = i0 + 1
        pf, tf = prev.ravel(), table.ravel()
        a = pf[i0]
        a += fr * (pf[i1] - a)
        y = tf[i0]
        y += fr * (tf[i1] - y)
        y -= a
        y *= ramp
        y += a
        env = np.empty((nv, n), dtype=np.float32)
        g0 = np.empty((nv, 2), dtype=np.float32)
        g1 = np.empty((nv, 2), dtype=np.float32)
        keep = []
        for i, v in enumerate(voices):
            v.prev_table, v.freq = table[i], float(f1[i])
            v.phase = float(ph[i, -1] % 1.0)
            if self._envelope(v, env[i]):
                keep.append(v)
            env[i] *= np.float32(v.velocity * v.velocity)
            pan = v.pan * self.width
            th = (1.0 + pan) * math.pi / 4  # equal power, unity at the centre
            g1[i] = ((math.sqrt(2) * math.cos(th), math.sqrt(2) * math.sin(th)) if pan
                     else (1.0, 1.0))  # (cos and sin of pi/4 differ in the last bit)
            g0[i] = v.gains or g1[i]
            v.gains = (float(g1[i, 0]), float(g1[i, 1]))
        y *= env
        # the pans ramp over the block from their previous values: out += y' (g0 + ramp (g1 - g0))
        out += y.T @ g0
        if not np.array_equal(g0, g1):
            out += (y * ramp).T @ (g1 - g0)
        self.voices = keep

    def _ramp(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(1..n as float64, 1/n..1 as float32) for blocks of ``n`` samples (kept)."""
        r = self._ramps.get(n)
        if r is None:
            if len(self._ramps) > 64:  # block sizes vary only at events: a few are enough
                self._ramps.clear()
            k = np.arange(1, n + 1, dtype=np.float64)
            r = self._ramps[n] = (k, (k / n).astype(np.float32))
        return r

    def _hop_samples(self) -> float:
        return self.column_s * self.sr

    def _take_image(self, v: NoteVoice, img: SpectralEnvelope, f0: float) -> None:
        k = np.arange(1, max(1, int(self.top_hz // f0)) + 1, dtype=np.float64)
        m = img.magnitudes(k * f0)  # (K, frames)
        loudest = float(np.sqrt(np.max(np.sum(m * m, axis=0) / 2.0)))
        v.mags, v.mags_f0, v.image = m.astype(np.float32), f0, img
        v.scale = NOTE_LEVEL / loudest if loudest > 0 else 0.0
        if v.pos >= img.loop:
            v.pos %= img.loop

    def _partials(self, v: NoteVoice, keep: np.ndarray) -> np.ndarray:
        """The voice's partial amplitudes now (K,) float32: its image's column under the
        playhead (interpolated), times ``keep`` (0 above the top frequency)."""
        m = v.mags
        frames = m.shape[1]
        c0 = int(v.pos) % frames
        c1 = (c0 + 1) % frames
        u = np.float32(v.pos - int(v.pos))
        a = m[:, c0] * (1 - u)
        a += m[:, c1] * u
        a *= keep
        return a

    def _tables(self, voices: list[NoteVoice], amps: list[np.ndarray],
                tilts: list[np.ndarray | None]) -> np.ndarray:
        """One period (TABLE + 1 points, the first repeated) per voice of its harmonics
        ``amps`` now, (V, TABLE + 1) float32: clarity, velocity's ``tilts`` and the voice's
        level applied."""
        kmax = max(len(a) for a in amps)
        a = np.zeros((len(voices), kmax), dtype=np.float32)
        for i, row in enumerate(amps):
            a[i, :len(row)] = row
        if self.clarity > 0.0:  # sharpen the envelope's peaks, keep each voice's level
            rms = np.sqrt(np.einsum("ij,ij->i", a, a) / 2.0)
            peak = a.max(axis=1)
            a *= (a / np.where(peak > 0, peak, 1.0)[:, None]) ** np.float32(self.clarity)
            r2 = np.sqrt(np.einsum("ij,ij->i", a, a) / 2.0)
            a *= (rms / np.where(r2 > 0, r2, 1.0))[:, None]  # (r2 is 0 only where rms is)
        for i, tilt in enumerate(tilts):
            if tilt is not None:
                a[i, :len(tilt)] *= tilt
        a *= np.array([v.scale * TABLE / 2 for v in voices], dtype=np.float32)[:, None]
        spec = np.zeros((len(voices), TABLE // 2 + 1), dtype=np.complex64)
        spec[:, 1:kmax + 1] = a * _PHASES[1:kmax + 1]
        table = np.empty((len(voices), TABLE + 1), dtype=np.float32)
        table[:, :TABLE] = scipy.fft.irfft(spec, TABLE, axis=-1)
        table[:, TABLE] = table[:, 0]
        return table

    def _weights(self, v: NoteVoice, f0: float, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """The voice's per-partial factors at ``f0`` for ``n`` partials: 1/0 for below/above
        the top frequency, and velocity's darkening (softer notes lose (1 - v) x 6 dB per
        octave above 1 kHz; None at velocity 1).  Kept until f0, velocity or n change."""
        key = (f0, v.velocity, n)
        if v.weights_key != key:
            hz = np.arange(1, n + 1) * f0
            keep = (hz <= self.top_hz).astype(np.float32)
            tilt = None
            if v.velocity < 1.0:
                octaves = np.log2(np.maximum(hz, 1000.0) / 1000.0)
                tilt = (10.0 ** (-(1.0 - v.velocity) * 6.0 * octaves / 20.0)).astype(np.float32)
            v.weights, v.weights_key = (keep, tilt), key
        return v.weights

    def _envelope(self, v: NoteVoice, env: np.ndarray) -> bool:
        """The per-sample level over the next ``len(env)`` samples into ``env``; False once a
        release has ended."""
        n = len(env)
        e = v.env
        i, lvl, sr = 0, v.level, self.sr
        while i < n:
            m = n - i
            if v.stage == "attack":
                rate = 1.0 / (e.attack * sr)
                steps = int(math.ceil((1.0 - lvl) / rate)) if lvl < 1.0 else 0
                take = min(m, steps)
                env[i:i + take] = lvl + rate * np.arange(1, take + 1)
                lvl = min(1.0, lvl + rate * take)
                i += take
                if take == steps:
                    v.stage, lvl = "decay", 1.0
            elif v.stage == "decay" or v.stage == "sustain":
                tau = e.decay * sr / 3.0
                d = np.exp(-np.arange(1, m + 1) / tau)
                env[i:] = e.sustain + (lvl - e.sustain) * d
                lvl = float(env[-1])
                i = n
            else:  # release: −60 dB over release_s
                tau = v.release_s * sr / 6.9
                env[i:] = lvl * np.exp(-np.arange(1, m + 1) / tau)
                lvl = float(env[-1])
                i = n
        v.level = lvl
        return not (v.stage == "release" and lvl < SILENT)


def for_codec(codec, sample_rate: float, tuning: float = 440.0) -> NoteEngine:
    """A :class:`NoteEngine` for images of ``codec`` (a CodecParams), output at ``sample_rate``."""
    import librosa

    centres = librosa.mel_frequencies(codec.n_mels + 2, fmin=codec.fmin, fmax=codec.fmax_hz)[1:-1]
    return NoteEngine(sample_rate, centres, codec.top_db, codec.fmax_hz, tuning,
                      codec.hop_length / codec.sr)


def _pan(note: float) -> float:
    """A note's place in the stereo field at full width: C2 hard left .. C6 hard right."""
    return min(max((float(note) - 60.0) / 24.0, -1.0), 1.0)
