"""Spectrogram codec: shapes, ranges, orientation, PNG round trips, directory processing."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine.spectral import (
    CodecParams,
    audio_to_spectrogram,
    fit_frames,
    image_to_spectrogram,
    process_directory,
    save_audio,
    spectrogram_to_image,
)

SMALL = CodecParams(n_mels=128, frames=128)


def tone(freq: float, seconds: float = 1.0, sr: int = 22050, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_codec_params_dict_round_trip_and_defaults():
    c = CodecParams()
    d = c.to_dict()
    assert set(d) == {"sr", "n_fft", "hop_length", "n_mels", "frames", "top_db", "fmin", "fmax"}
    geometry = (d["sr"], d["n_fft"], d["hop_length"], d["n_mels"], d["frames"])
    assert geometry == (22050, 2048, 512, 512, 512)
    assert CodecParams.from_dict(d) == c
    assert CodecParams.from_dict(SMALL.to_dict()) == SMALL
    with pytest.raises(ValueError, match="unknown codec keys"):
        CodecParams.from_dict({**d, "bogus": 1})
    with pytest.raises(ValueError):
        CodecParams(hop_length=0)
    with pytest.raises(ValueError):
        CodecParams(fmin=5000.0, fmax=1000.0)


def test_audio_to_spectrogram_shape_range_and_low_rows_are_low_frequencies():
    low = audio_to_spectrogram(tone(200.0), SMALL)
    high = audio_to_spectrogram(tone(4000.0), SMALL)
    assert low.dtype == np.float32
    assert low.shape == (128, 1 + 22050 // 512)
    assert low.min() == pytest.approx(-1.0) and low.max() == pytest.approx(1.0)
    row_low = int(np.argmax(low.mean(axis=1)))
    row_high = int(np.argmax(high.mean(axis=1)))
    assert row_low < 30 < row_high  # row 0 = lowest band
    # silence is all -1, not NaN
    assert np.all(audio_to_spectrogram(np.zeros(4096, np.float32), SMALL) == -1.0)


def test_audio_file_path_and_origin_keyword_overrides(tmp_path):
    path = save_audio(tone(440.0), tmp_path / "a.wav", sr=22050)
    spec = audio_to_spectrogram(path, n_mels=64)
    assert spec.shape[0] == 64


def test_png_round_trip_gray_with_low_frequencies_at_the_bottom(tmp_path):
    spec = fit_frames(audio_to_spectrogram(tone(200.0, 3.0), SMALL), SMALL.frames)
    img = spectrogram_to_image(spec)
    assert img.mode == "L" and img.size == (128, 128)
    px = np.asarray(img)
    assert px[-20:].mean() > px[:20].mean()  # bottom of the picture = low frequencies
    img.save(tmp_path / "s.png")
    back = image_to_spectrogram(tmp_path / "s.png")
    assert back.shape == spec.shape and back.dtype == np.float32
    assert np.max(np.abs(back - spec)) <= 0.5 / 127.5 + 1e-6  # 8-bit quantisation only


def test_origin_magma_rgb_png_reads_back(tmp_path):
    rng = np.random.default_rng(1)
    spec = np.round(rng.uniform(-1, 1, (64, 96)) * 127.5) / 127.5
    spectrogram_to_image(spec, colormap="magma").save(tmp_path / "m.png")
    img = Image.open(tmp_path / "m.png")
    assert img.mode == "RGB"
    back = image_to_spectrogram(img)
    assert np.max(np.abs(back - spec)) <= 1.0 / 127.5 + 1e-6


def test_resize_like_the_origin():
    spec = np.zeros((128, 300), np.float32)
    assert spectrogram_to_image(spec, size=512).size == (512, 512)
    assert spectrogram_to_image(spec, size=(256, 128)).size == (256, 128)


def test_fit_frames_crops_and_pads_with_silence():
    spec = np.zeros((8, 10), np.float32)
    assert fit_frames(spec, 4).shape == (8, 4)
    padded = fit_frames(spec, 16)
    assert padded.shape == (8, 16) and np.all(padded[:, 10:] == -1.0)


def test_process_directory_windows_skips_bad_files(tmp_path):
    """The origin's entry point is the dataset pipeline: windows of each file, each image
    normalised on its own, bad files skipped with a warning, other files ignored."""
    src, dst = tmp_path / "in", tmp_path / "out"
    (src / "sub").mkdir(parents=True)
    save_audio(tone(330.0, 8.0), src / "long.wav")
    save_audio(tone(330.0, 1.0), src / "sub" / "short.flac")
    (src / "broken.wav").write_bytes(b"not audio at all")
    (src / "notes.txt").write_text("ignored")
    with pytest.warns(UserWarning, match="broken.wav"):
        out = process_directory(src, dst, SMALL)
    names = sorted(p.name for p in out)
    chunk = (SMALL.frames - 1) * SMALL.hop_length
    n_long = int(8.0 * SMALL.sr) // chunk
    assert names == [f"long_{k:03d}.png" for k in range(n_long)] + ["sub__short_000.png"]
    for p in out:
        with Image.open(p) as im:
            assert im.mode == "L" and im.size == (SMALL.frames, SMALL.n_mels)
            assert np.asarray(im).max() == 255  # each image normalised on its own
    with pytest.raises(ValueError, match="not found"):
        process_directory(tmp_path / "missing", dst)


@pytest.mark.parametrize("bad, match", [
    (np.zeros((2, 4, 4)), "2-D"),
    (np.full((4, 4), np.nan), "NaN"),
    (np.zeros((0, 4)), "empty"),
    ("not an array", "numeric"),
])
def test_bad_arrays_raise_clear_value_error(bad, match):
    with pytest.raises(ValueError, match=match):
        spectrogram_to_image(bad)


def test_bad_images_raise_clear_value_error(tmp_path):
    with pytest.raises(ValueError, match="unsupported image mode"):
        image_to_spectrogram(Image.new("CMYK", (8, 8)))
    with pytest.raises(ValueError, match="unsupported image mode"):
        image_to_spectrogram(Image.new("1", (8, 8)))
    (tmp_path / "x.png").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="cannot read image"):
        image_to_spectrogram(tmp_path / "x.png")
    with pytest.raises(ValueError, match="not found"):
        image_to_spectrogram(tmp_path / "none.png")
    with pytest.raises(ValueError, match="NaN"):
        audio_to_spectrogram(np.array([0.0, np.nan] * 2048, np.float32), SMALL)
    with pytest.raises(ValueError, match="empty"):
        audio_to_spectrogram(np.zeros(0, np.float32), SMALL)
