"""The synthesis chain of one voice: the streaming spectral voice, then the output stage
(band-pass and gain on the audio), with the settings the daemon and the render share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.spectral.voice import IncomingSpectrogram, Voice
from engine.synth.bandpass import OutputStage


@dataclass(frozen=True)
class VoiceSettings:
    """The daemon's voice (see docs/synth.md, "Latency").

    ``lookahead``: phase-reconstruction look-ahead in voice hops; it delays speed and clarity
    changes, not new images.  ``xfade_hops``: crossfade into a new image, started at the next
    output sample (frames still sounding are re-synthesised, each change fades over one hop).
    ``subhops``: voice hops per spectrogram hop; 2 halves the render granularity (new images
    and speed changes come sooner) for more voice CPU.  The Voice's own defaults (look-ahead 3,
    crossfade 8) favour smoothness over latency.
    """

    lookahead: int = 2
    xfade_hops: int = 1
    subhops: int = 1


def make_voice(codec, seed: int, settings: VoiceSettings | None = None):
    s = settings or VoiceSettings()
    return VoiceChain(Voice(codec, lookahead=s.lookahead, seed=seed, xfade_hops=s.xfade_hops,
                            subhops=s.subhops))


class VoiceChain:
    """The voice followed by the output stage (band-pass and gain on the audio; see
    :mod:`engine.synth.bandpass` for why they act there rather than on spectrogram frames).

    ``next_hop()`` runs both (offline render); the daemon calls ``voice_hop()`` and runs its own
    :class:`OutputStage` at the JACK rate, just before the ring buffer.
    """

    def __init__(self, voice):
        self.voice = voice
        self.sample_rate, self.hop = voice.sample_rate, voice.hop
        self.stage = OutputStage(voice.sample_rate)

    @property
    def latency_samples(self) -> int:
        return int(self.voice.latency_samples)

    def set_spectrogram(self, spec, linear=None) -> None:
        self.voice.set_spectrogram(spec, linear)

    def incoming(self, spec):
        """An :class:`~engine.spectral.voice.IncomingSpectrogram` of ``spec`` for this voice."""
        return IncomingSpectrogram(self.voice, spec)

    def apply(self, c, stage=None) -> None:
        """Push a controls snapshot (``speed``, ``clarity``, ``band_low``, ``band_high``, ``gain_db``) into the voice and a stage."""
        self.voice.set_params(speed=c.speed, clarity=c.clarity)
        (stage or self.stage).set(c.band_low, c.band_high, c.gain_db)

    def voice_hop(self) -> np.ndarray:
        """One hop of the voice alone (float32, model rate)."""
        return self.voice.next_hop()

    def next_hop(self) -> np.ndarray:
        """One hop through voice and output stage (float32)."""
        return self.stage.process(self.voice.next_hop())
