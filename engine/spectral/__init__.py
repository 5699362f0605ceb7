"""Spectral engine: the origin-compatible spectrogram codec, whole-image and streaming phase
reconstruction, and the synthesis voice.

Pipeline: :mod:`.codec` (audio <-> [-1, 1] mel arrays <-> PNG) -> :mod:`.melinv` (mel -> linear
power) -> :mod:`.reconstruct` (whole image -> audio) or :mod:`.streaming` (frame by frame) ->
:mod:`.voice` (playhead, masks, crossfades). :mod:`.reference` keeps the origin's slow path for
benchmarks.
"""

from .codec import (
    CodecParams,
    DEFAULT_CODEC,
    audio_to_spectrogram,
    check_spectrogram,
    fit_frames,
    image_to_spectrogram,
    load_audio,
    mel_basis,
    save_audio,
    spectrogram_grid,
    spectrogram_to_image,
)
# the reconstruction modules (scipy.signal and friends: ~1 s to import) load on first use, so
# that what needs only the codec -- the generator's child process, say -- starts fast
_LAZY = {"MelInverse": ".melinv", "mel_inverse": ".melinv", "spectrogram_to_audio": ".reconstruct",
         "StreamingReconstructor": ".streaming", "Voice": ".voice",
         # the dataset pipeline lives with the training data; here for the origin's imports
         "process_directory": "engine.data.windows"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = _LAZY[name]
        return getattr(importlib.import_module(module, __name__ if module[0] == "." else None),
                       name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CodecParams",
    "DEFAULT_CODEC",
    "MelInverse",
    "StreamingReconstructor",
    "Voice",
    "audio_to_spectrogram",
    "check_spectrogram",
    "fit_frames",
    "image_to_spectrogram",
    "load_audio",
    "mel_basis",
    "mel_inverse",
    "process_directory",
    "save_audio",
    "spectrogram_to_audio",
    "spectrogram_grid",
    "spectrogram_to_image",
]
