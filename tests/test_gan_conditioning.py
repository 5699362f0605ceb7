"""A generator conditioned on pitch, family and velocity: the label vector, training that learns
the labels, checkpoints and exports that carry them, the labelled archive, and the commands a
user runs (``dataset OUT.npz``, ``train`` on it, ``reconstruct --note --family``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from bridge.cli import main
from engine.data.archive import LabelledSet, read_archive, write_archive
from engine.gan.checkpoint import (Checkpoint, load_checkpoint, load_training_state,
                                   random_checkpoint)
from engine.gan.config import GanConfig, preset_config
from engine.gan.export import CHECK_TOLERANCE, export_checkpoint
from engine.gan.labels import LabelSpace
from engine.gan.runtime import load_generator
from engine.gan.train import Trainer, TrainConfig
from engine.spectral.codec import CodecParams

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SPACE = LabelSpace(40, 52, ("low", "high"))


def test_label_vector_layout():
    c = SPACE.encode(45.25, "high", 0.5)
    assert c.shape == (SPACE.dim,) == (13 + 2 + 1,)
    assert c[5] == pytest.approx(0.75) and c[6] == pytest.approx(0.25)  # a glide between notes
    assert SPACE.decode_note(c) == pytest.approx(45.25)
    assert list(c[SPACE.family_slice]) == [0.0, 1.0] and c[-1] == 0.5
    blend = SPACE.encode(60, {"low": 1, "high": 3}, 2.0)  # clipped to the range, blended
    assert SPACE.decode_note(blend) == 52 and list(blend[SPACE.family_slice]) == [0.25, 0.75]
    assert blend[-1] == 1.0
    with pytest.raises(ValueError, match="unknown family 'cello'.*low, high"):
        SPACE.encode(45, "cello")
    with pytest.raises(ValueError):
        SPACE.encode(float("nan"), "low")
    assert LabelSpace.from_dict(SPACE.to_dict()) == SPACE


def bands(n=64, h=16, w=8, seed=0):
    """Images whose label decides the sound: family "low" lights the bottom half, "high" the
    top; the pitch moves the lit row within it."""
    rng = np.random.default_rng(seed)
    imgs = np.full((n, h, w), -1.0, np.float32)
    notes = rng.integers(40, 53, n)
    fam = rng.integers(0, 2, n)
    for i in range(n):
        row = (notes[i] - 40) * (h // 2 - 1) // 12 + (h // 2 if fam[i] else 0)
        imgs[i, row] = 1.0
    return imgs, SPACE.encode_many(notes, fam, np.full(n, 0.8))


def test_a_conditioned_generator_learns_its_labels():
    imgs, labels = bands()
    gan = preset_config("tiny", imgs.shape[1:], SPACE.to_dict())
    tr = Trainer(torch.from_numpy(imgs)[:, None], gan,
                 TrainConfig(batch=16, lr_g=0.005, lr_d=0.005, seed=0),
                 labels=torch.from_numpy(labels))
    z = torch.randn(32, gan.z_dim, generator=torch.Generator().manual_seed(1))

    def halves(family):
        c = torch.from_numpy(np.stack([SPACE.encode(46, family, 0.8)] * 32))
        with torch.no_grad():
            img = tr.G_ema(z, c=c)[:, 0].numpy()
        return img[:, :8].mean(), img[:, 8:].mean()   # (bottom, top)

    for _ in range(150):
        stats = tr.step()
    assert {"aux_d", "aux_g"} <= stats.keys()
    lo_b, lo_t = halves("low")
    hi_b, hi_t = halves("high")
    # asked for "low", the energy sits lower than asked for "high" (both ways round)
    assert lo_b - lo_t > hi_b - hi_t + 0.1, (lo_b, lo_t, hi_b, hi_t)


def test_labels_are_checked():
    imgs, labels = bands(8)
    gan = preset_config("tiny", imgs.shape[1:], SPACE.to_dict())
    data = torch.from_numpy(imgs)[:, None]
    with pytest.raises(ValueError, match="needs labels"):
        Trainer(data, gan, TrainConfig())
    with pytest.raises(ValueError, match="unconditioned"):
        Trainer(data, preset_config("tiny", imgs.shape[1:]), TrainConfig(),
                labels=torch.from_numpy(labels))


def conditioned_checkpoint(seed=0) -> Checkpoint:
    cfg = GanConfig(z_dim=16, w_dim=32, resolution=(32, 16), start=(4, 2),
                    g_channels=[32, 16, 8, 8], d_channels=[8, 8, 16, 32], labels=SPACE.to_dict())
    return random_checkpoint(cfg, CodecParams(n_mels=32, frames=16), seed=seed, name="cond")


def test_checkpoint_and_export_carry_the_labels(tmp_path):
    ck = conditioned_checkpoint()
    assert ck.families == ("low", "high")
    z = ck.random_latent(0)
    a, b = ck.generate(z, c=ck.condition(41, "low")), ck.generate(z, c=ck.condition(51, "high"))
    assert np.abs(a - b).max() > 1e-3, "the labels change nothing"
    assert np.array_equal(ck.generate(z), ck.generate(z, c=ck.condition()))  # the defaults
    with pytest.raises(ValueError, match="labels must be"):
        ck.generate(z, c=np.zeros(3))
    path = ck.save(tmp_path / "cond.pt")
    back = load_checkpoint(path)
    assert back.labels == SPACE
    assert np.array_equal(back.generate(z, c=ck.condition(44, "high", 0.3)),
                          ck.generate(z, c=ck.condition(44, "high", 0.3)))
    export_checkpoint(path)  # checked against torch on labels across the range
    g = load_generator(path)
    assert type(g).__name__ == "ExportedGenerator" and g.labels == SPACE
    for note, fam in ((40, "low"), (46.5, "high"), (52, {"low": 0.5, "high": 0.5})):
        c = g.condition(note, fam, 0.6)
        assert np.abs(g.generate(z, c=c) - ck.generate(z, c=c)).max() < CHECK_TOLERANCE
    # an unconditioned generator refuses labels, in both back ends
    plain = random_checkpoint(GanConfig(z_dim=16, w_dim=32, resolution=(32, 16), start=(4, 2),
                                        g_channels=[32, 16, 8, 8], d_channels=[8, 8, 16, 32]),
                              CodecParams(n_mels=32, frames=16))
    assert plain.labels is None and plain.condition(40) is None
    with pytest.raises(ValueError, match="not conditioned"):
        plain.generate(z, c=ck.condition(41))


def test_archive_round_trip_and_bad_files(tmp_path):
    codec = CodecParams(n_mels=16, frames=8)
    imgs, _ = bands(6)
    s = LabelledSet(imgs, np.arange(40, 46, dtype=np.float32), np.full(6, 0.5, np.float32),
                    np.array([0, 1, 0, 1, 0, 1]), ("low", "high"),
                    np.array([True] + [False] * 5), [f"n{i}" for i in range(6)], codec)
    back = read_archive(write_archive(tmp_path / "a.npz", s))
    assert back.labelled and back.families == ("low", "high") and back.codec == codec
    assert np.abs(back.images - imgs).max() <= 1 / 127.5   # 8 bits, as the PNGs
    assert list(back.heldout) == list(s.heldout) and back.names == s.names
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="not a training archive"):
        read_archive(tmp_path / "other.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="junk.npz"):
        read_archive(tmp_path / "junk.npz")


def test_dataset_train_reconstruct_on_a_labelled_archive(tmp_path, capsys):
    raw, arc, out = tmp_path / "raw", tmp_path / "set.npz", tmp_path / "run"
    assert main(["sources", str(raw), "--count", "20", "--synth-only", "--no-progress"]) == 0
    assert main(["dataset", str(raw), str(arc), "--n-mels", "32", "--frames", "16",
                 "--heldout-every", "5", "--no-progress"]) == 0
    said = capsys.readouterr().out
    assert "60 spectrograms (32 x 16), 12 held out" in said and "families: synth 60" in said
    s = read_archive(arc)
    assert s.labelled and s.families == ("synth",)
    assert main(["train", str(arc), "--out", str(out), "--preset", "tiny", "--steps", "3",
                 "--snapshot-every", "3", "--no-progress"]) == 0
    ck = load_checkpoint(out / "generator.pt")
    assert ck.families == ("synth",)
    assert ck.labels.pitch_lo == int(s.note.min()) and ck.labels.pitch_hi == int(s.note.max())
    card = json.loads((out / "card.json").read_text())
    assert card["gan_config"]["labels"]["families"] == ["synth"]
    assert main(["reconstruct", str(out / "generator.pt"), "--n", "2", "--out",
                 str(tmp_path / "smp"), "--note", str(int(s.note.min())), "--family",
                 "synth", "--velocity", "0.5"]) == 0
    assert (tmp_path / "smp" / "sample_0001.wav").is_file()
    capsys.readouterr()
    assert main(["reconstruct", str(out / "generator.pt"), "--family", "list"]) == 0
    assert capsys.readouterr().out.strip() == "synth"
    # user mistakes: one line each
    assert main(["reconstruct", str(out / "generator.pt"), "--family", "tuba",
                 "--out", str(tmp_path / "x")]) != 0
    assert "unknown family 'tuba'" in capsys.readouterr().err
    assert main(["reconstruct", str(out / "generator.pt"), "--note", "120",
                 "--out", str(tmp_path / "x")]) != 0
    assert "outside the trained range" in capsys.readouterr().err
    # a new run whose generator starts from the finished one (its training state gone)
    again = tmp_path / "again"
    (out / "state.pt").unlink()
    assert main(["train", str(arc), "--out", str(again), "--init-from", str(out / "generator.pt"),
                 "--steps", "2", "--d-warmup", "1", "--no-final", "--no-progress"]) == 0
    card = load_checkpoint(again / "generator.pt").card
    assert card["init_from"]["steps"] == 3 and card["steps"] == 2
    assert card["images_seen"] == card["init_from"]["images_seen"] + 2 * 8
    capsys.readouterr()
    assert main(["train", str(arc), "--out", str(tmp_path / "x"), "--init-from",
                 "checkpoints/default-128.pt", "--no-progress"]) != 0
    err = capsys.readouterr().err.strip()
    assert "makes 128 x 64 images; the data is 32 x 16" in err and len(err.splitlines()) == 1


def test_a_generator_started_from_a_checkpoint_waits_for_its_new_discriminator():
    """--init-from: G (and its EMA) start as the checkpoint's and stay so while D warms up
    alone; then G trains."""
    imgs, labels = bands()
    gan = preset_config("tiny", imgs.shape[1:], SPACE.to_dict())
    source = Trainer(torch.from_numpy(imgs)[:, None], gan, TrainConfig(batch=4, seed=1),
                     labels=torch.from_numpy(labels)).G_ema.state_dict()
    tr = Trainer(torch.from_numpy(imgs)[:, None], gan, TrainConfig(batch=4, d_warmup=3, seed=0),
                 labels=torch.from_numpy(labels))
    tr.init_generator(source, nimg=10_000)
    d_before = [p.clone() for p in tr.D.parameters()]
    same = lambda m: all(torch.equal(v, source[k]) for k, v in m.state_dict().items())  # noqa: E731
    for _ in range(3):
        stats = tr.step()
        assert "loss_g" not in stats
    assert same(tr.G) and same(tr.G_ema) and tr.nimg == 10_012
    assert not all(torch.equal(a, b) for a, b in zip(d_before, tr.D.parameters()))
    assert "loss_g" in tr.step()
    assert not same(tr.G) and not same(tr.G_ema)


def test_the_harmonic_comb_knows_a_note_by_its_harmonics():
    """A harmonic tone scores high on its own pitch's comb, low a semitone off; partials that
    drift off the harmonic series (what the generator draws) score lower on the right pitch."""
    from engine.gan.harmonic import HarmonicComb
    from engine.spectral.codec import audio_to_spectrogram, fit_frames

    codec = CodecParams(n_mels=256, frames=64)
    space = LabelSpace(28, 84, ("any",))
    t = np.arange(int(1.6 * codec.sr)) / codec.sr
    f0 = 440.0 * 2 ** ((48 - 69) / 12)

    def image(freqs):
        y = sum(np.sin(2 * np.pi * f * t) / (k + 1) for k, f in enumerate(freqs) if f < 11000)
        return fit_frames(audio_to_spectrogram(y.astype(np.float32), codec), codec.frames)

    ks = np.arange(1, 30)
    tone = image(ks * f0)
    drifted = image(ks * f0 * (1 + 0.04 * np.sin(2.1 * ks)))  # each partial up to 4 % off
    comb = HarmonicComb(codec.n_mels, (codec.fmin, codec.fmax_hz), space)
    score = lambda img, note: float(comb.score(  # noqa: E731
        torch.from_numpy(img)[None, None], torch.from_numpy(space.encode(note, "any"))[None]))
    assert score(tone, 48) > 0.6, score(tone, 48)
    assert score(tone, 48) > score(tone, 49) + 0.3 and score(tone, 48) > score(tone, 47) + 0.3
    assert score(tone, 48) > score(drifted, 48) + 0.2, (score(tone, 48), score(drifted, 48))
    # few mel bins: low notes have no resolved harmonic; they score 0 and train nothing (a
    # NaN gradient there once turned a 32-band run's weights to NaN)
    small = HarmonicComb(32, (codec.fmin, codec.fmax_hz), space)
    img = torch.rand(2, 1, 32, 16, requires_grad=True)
    c = torch.from_numpy(np.stack([space.encode(40, "any"), space.encode(84, "any")]))
    assert small.masks[40 - 28].sum() == 0 and small.masks[84 - 28].sum() > 0
    s = small.score(img, c)
    s.sum().backward()
    assert float(s[0]) == 0.0 and torch.isfinite(img.grad).all() and img.grad.abs().sum() > 0


def test_training_with_the_harmonic_prior():
    """--harmonic-weight: the hinge's target is the training images' own mean score; it is
    logged, and a run without the data's mel range (or without labels) is refused."""
    imgs, labels = bands(h=32)
    gan = preset_config("tiny", imgs.shape[1:], SPACE.to_dict())
    cfg = TrainConfig(batch=4, harmonic_weight=2.0)
    data, lab = torch.from_numpy(imgs)[:, None], torch.from_numpy(labels)
    with pytest.raises(ValueError, match="mel range"):
        Trainer(data, gan, cfg, labels=lab)
    tr = Trainer(data, gan, cfg, labels=lab, mel_range=(0.0, 11025.0))
    assert tr.harmonic_target == pytest.approx(tr.comb.mean_score(data, lab))
    stats = tr.step()
    assert stats["harmonic"] >= 0.0 and np.isfinite(stats["loss_g"])
    assert TrainConfig.from_dict(tr.state_dict()["train_config"]).harmonic_weight == 2.0


def envelopes(codec, space, n, seed):
    """Harmonic notes of two families that differ only in their spectral envelope and how it
    moves: "dark" (partials falling as 1/k^2, steady) and "bright" (1/k^0.5, a tremolo)."""
    from engine.spectral.codec import audio_to_spectrogram, fit_frames

    rng = np.random.default_rng(seed)
    t = np.arange(int(1.6 * codec.sr)) / codec.sr
    imgs, labels = [], []
    for i in range(n):
        fam = i % 2
        note = int(rng.integers(space.pitch_lo, space.pitch_hi + 1))
        f0 = 440.0 * 2 ** ((note - 69) / 12)
        tilt = 0.5 if fam else 2.0
        y = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6)) / k ** tilt
                for k in range(1, 40) if k * f0 < codec.sr / 2)
        if fam:
            y = y * (1 + 0.6 * np.sin(2 * np.pi * rng.uniform(4, 7) * t))
        imgs.append(fit_frames(audio_to_spectrogram(y.astype(np.float32), codec), codec.frames))
        labels.append(space.encode(note, space.families[fam], 0.8))
    return (torch.from_numpy(np.stack(imgs))[:, None].float(),
            torch.from_numpy(np.stack(labels)))


def test_the_timbre_probe_hears_a_family_in_its_envelope():
    """The fixed probe behind --timbre-weight tells notes of other pitches apart by family, its
    target is the training notes' own mean log probability, and its gradient moves an image
    toward the family it is asked for."""
    import librosa

    from engine.gan.timbre import N_BANDS, TimbreProbe

    codec = CodecParams(n_mels=64, frames=16)
    space = LabelSpace(40, 76, ("dark", "bright"))
    x, c = envelopes(codec, space, 40, seed=0)
    # its features are librosa's MFCC statistics of the 128-band power it computes
    plain = TimbreProbe(np.eye(N_BANDS, dtype=np.float32), 80.0, space)
    img = torch.rand(1, 1, N_BANDS, 16) * 2 - 1
    power = 10 ** (((img[0, 0].numpy().astype(np.float64) + 1) * 40 - 80) / 10)
    m = librosa.feature.mfcc(S=librosa.power_to_db(power, top_db=80.0), n_mfcc=20)
    want = np.concatenate([m.mean(1), m.std(1)])
    got = plain.features(img)[0].double().numpy()
    assert np.allclose(got, want, rtol=1e-3, atol=2e-3), np.abs(got - want).max()
    probe = TimbreProbe.for_codec(codec, space).fit(x, c)
    x2, c2 = envelopes(codec, space, 40, seed=1)
    with torch.no_grad():
        heard = probe.logits(x2).argmax(1)
        assert float((heard == c2[:, space.family_slice].argmax(1)).float().mean()) >= 0.85
        assert probe.target == pytest.approx(float(probe.log_prob(x, c).mean()))
        assert probe.target > np.log(0.8)
    # a dark note asked to be bright: a few gradient steps on the image raise its score
    img = x2[:1].clone().requires_grad_(True)
    ask = torch.from_numpy(space.encode(60, "bright", 0.8))[None]
    before = float(probe.log_prob(img, ask).detach())
    opt = torch.optim.SGD([img], lr=0.05)
    for _ in range(20):
        opt.zero_grad()
        (-probe.log_prob(img, ask)).sum().backward()
        opt.step()
    after = float(probe.log_prob(img, ask).detach())
    assert after > before + 1.0, (before, after)
    with pytest.raises(ValueError, match="at least two families"):
        TimbreProbe.for_codec(codec, space).fit(x[::2], c[::2])


def test_family_moments_steady_a_wavering_family_and_keep_its_spread():
    """--timbre-match-weight: fakes asked for "dark" (steady) that waver like "bright" notes
    are pulled onto the dark notes' mean probe features -- their envelopes steady -- batch by
    batch of about one image per family, without narrowing how they differ among themselves;
    a family the training images lack is left alone."""
    from engine.gan.timbre import N_COEF, FamilyMoments, TimbreProbe

    codec = CodecParams(n_mels=64, frames=16)
    space = LabelSpace(40, 76, ("dark", "bright", "absent"))
    x, c = envelopes(codec, space, 40, seed=0)
    probe = TimbreProbe.for_codec(codec, space).fit(x, c)
    assert not torch.isfinite(probe.family_mean[2]).any()
    dark = probe.family_mean[0]
    bright_imgs, _ = envelopes(codec, space, 24, seed=3)
    fakes = bright_imgs[1::2].clone().requires_grad_(True)   # 12 bright notes asked to be dark
    ask = torch.from_numpy(np.stack([space.encode(60, "dark", 0.8)] * 12))

    def measures():
        """(mean squared error to dark's mean, mean pairwise distance, c0's std over time),
        in training-image standard deviations"""
        with torch.no_grad():
            z = probe.standardised(fakes)
        return (float((z.mean(0) - dark).square().mean()), float(torch.pdist(z).mean()),
                float(z[:, N_COEF].mean()))

    err0, spread0, waver0 = measures()
    moments = FamilyMoments(probe, rate=0.1)
    opt = torch.optim.SGD([fakes], lr=2.0)
    rng = np.random.default_rng(0)
    for _ in range(300):
        i = torch.from_numpy(rng.choice(12, 2, replace=False))  # a batch of 2
        opt.zero_grad()
        loss = moments.loss(probe.standardised(fakes[i]), ask[i])
        assert torch.isfinite(loss)
        loss.backward()
        opt.step()
    err, spread, waver = measures()
    assert err < 0.5 * err0, (err0, err)
    # the loudness envelope's movement (c0's std) goes most of the way to the dark notes'
    assert waver0 - waver > 0.7 * (waver0 - float(dark[N_COEF])), (waver0, waver, dark[N_COEF])
    assert spread > 0.6 * spread0, (spread0, spread)
    # the moving average is the error the loss reports, in training-image deviations
    average_error = float((moments.average[0] - dark).square().mean())
    assert float(loss.detach()) == pytest.approx(average_error)
    # a family without training images: no pull, no NaN
    none = moments.loss(probe.standardised(x[:2]), torch.from_numpy(
        np.stack([space.encode(60, "absent", 0.8)] * 2)))
    assert float(none) == 0.0


def test_training_with_the_timbre_prior():
    """--timbre-weight and --timbre-match-weight: the hinge and the family moments are logged
    and kept in the run's config, the moments' averages in its state (a resumed run continues
    them); a run without the data's codec is refused."""
    codec = CodecParams(n_mels=64, frames=16)
    space = LabelSpace(40, 76, ("dark", "bright"))
    data, lab = envelopes(codec, space, 16, seed=2)
    gan = preset_config("tiny", tuple(data.shape[2:]), space.to_dict())
    cfg = TrainConfig(batch=4, timbre_weight=2.0, timbre_match_weight=5.0)
    with pytest.raises(ValueError, match="codec"):
        Trainer(data, gan, cfg, labels=lab)
    tr = Trainer(data, gan, cfg, labels=lab, codec=codec)
    assert tr.timbre.accuracy >= 0.9
    stats = tr.step()
    assert stats["timbre"] >= 0.0 and stats["timbre_match"] >= 0.0
    assert np.isfinite(stats["loss_g"])
    sd = tr.state_dict()
    restored = TrainConfig.from_dict(sd["train_config"])
    assert (restored.timbre_weight, restored.timbre_match_weight) == (2.0, 5.0)
    assert torch.isfinite(sd["family_moments"]).any()
    again = Trainer(data, gan, cfg, labels=lab, codec=codec)
    again.load_state_dict(sd)
    assert torch.equal(again.moments.average, sd["family_moments"])
    # the match alone builds the probe too
    alone = Trainer(data, gan, TrainConfig(batch=4, timbre_match_weight=1.0), labels=lab,
                    codec=codec)
    assert "timbre_match" in alone.step()


def test_reconstruct_on_an_unconditioned_checkpoint_refuses_labels(tmp_path, capsys):
    from tests.synth_util import make_checkpoint

    pt = make_checkpoint(tmp_path / "plain.pt")
    assert main(["reconstruct", str(pt), "--note", "60", "--out", str(tmp_path / "x")]) != 0
    err = capsys.readouterr().err
    assert "is not conditioned" in err and "Traceback" not in err


# ---------------------------------------------------------------- the synth side
def test_timbre_message_and_note_images_follow_the_labels():
    from bridge.osc.server import ErrorLog, OscContext, apply_message
    from bridge.synth.generator_thread import GeneratorThread
    from bridge.mailbox import Mailbox
    from bridge.synth.state import SynthState
    from engine.synth.planner import LatentGenerator

    ck = conditioned_checkpoint()
    state = SynthState(ck.random_latent(0))
    ctx = OscContext(state, ck.random_latent, lambda: (), timbres=ck.families)
    errors = ErrorLog()
    gen = LatentGenerator(ck, state)
    drone = gen.step(0.0)
    z = ck.random_latent(0)
    psi, noise = gen._last_job[1], gen._last_job[2]
    assert np.array_equal(drone, ck.generate(z, truncation=psi, noise=noise,
                                             c=ck.condition()))  # the default family
    r = apply_message(ctx, "/lr/latent/timbre", ("tuba",), errors)
    assert r[0] == "/lr/error" and "unknown family 'tuba'" in r[1] and "high, low" in r[1]
    state.set_controls(glide_s=1.0)
    assert apply_message(ctx, "/lr/latent/timbre", ("high",), errors) is None
    assert state.family() == "high"
    gen.step(10.0)                     # the family glides over the glide time
    half = gen.family_now(10.5)
    assert 0.4 < half[1] < 0.6, half
    assert list(gen.family_now(11.0)) == [0.0, 1.0]
    # a note-on asks for the note's own image: the played note's pitch and velocity
    thread = GeneratorThread(gen, Mailbox())
    state.request_note(47.0, 0.25)  # what /lr/note/on and a MIDI note-on do on arrival
    thread._serve_notes(11.0, drone_pass=False)
    (note, image), = thread.note_images
    zn, psin, noisen = gen._last_job[:3]
    want = ck.generate(zn, truncation=psin, noise=noisen, c=ck.condition(47.0, "high", 0.25))
    assert note == 47.0 and np.array_equal(image, want)
    # an unconditioned checkpoint names no families: the message says so
    plain_ctx = OscContext(state, ck.random_latent, lambda: ())
    r = apply_message(plain_ctx, "/lr/latent/timbre", ("high",), errors)
    assert r[0] == "/lr/error" and "names no instrument families" in r[1]


def test_the_face_map_moves_between_families():
    """Map anchors carry families: learned in the family being played (or the one named),
    blended by the same weights as the latents, refused when unknown, kept in scenes."""
    from bridge.osc.server import ErrorLog, OscContext, apply_message
    from bridge.synth.state import SynthState
    from engine.synth.planner import LatentGenerator
    from engine.synth.timbre_map import TimbreMap

    ck = conditioned_checkpoint()
    assert set(ck.families) == {"high", "low"}
    state = SynthState(ck.random_latent(0), timbre_map=TimbreMap.for_generator(ck, 0))
    ctx = OscContext(state, ck.random_latent, lambda: (), timbres=ck.families)
    errors = ErrorLog()
    gen = LatentGenerator(ck, state)
    r = apply_message(ctx, "/lr/map/anchor", ("tuba",), errors)
    assert r[0] == "/lr/error" and "unknown family 'tuba'" in r[1]
    state.set_face(found=1, yaw=-30.0, pitch=0.0, jaw=0.5)
    assert apply_message(ctx, "/lr/latent/timbre", ("low",), errors) is None
    assert apply_message(ctx, "/lr/map/anchor", (), errors) is None   # the family played
    state.set_face(yaw=30.0)
    assert apply_message(ctx, "/lr/map/anchor", ("high",), errors) is None  # the one named
    assert state.family() == "high"       # the face at the "high" anchor, map amount 1
    state.set_face(yaw=-30.0)
    assert state.family() == "low"
    state.set_face(yaw=0.0)               # half way: half of each
    mix = state.family()
    assert set(mix) == {"high", "low"} and mix["high"] == pytest.approx(0.5, abs=1e-6)
    gen.step(0.0)
    assert gen.family_now(0.0) == pytest.approx([0.5, 0.5], abs=1e-6)
    state.set_controls(map_amount=0.25)   # the target's family keeps the rest
    assert state.family() == pytest.approx({"low": 0.75 + 0.125, "high": 0.125})
    state.set_face(found=0)               # a lost face: the target's family alone
    assert state.family() == "low"
    # scenes keep the anchors' families; a checkpoint that does not know them refuses them all
    scene = state.snapshot()
    assert [a["family"] for a in scene["map_anchors"]] == ["low", "high"]
    other = SynthState(ck.random_latent(0), timbre_map=TimbreMap(ck.random_latent, 0,
                                                                  families=("cello",)))
    before = list(other.timbre_map.learned)
    with pytest.raises(ValueError, match="does not know"):
        other.restore(scene)
    assert other.timbre_map.learned == before
    # --map-families: the seeded grid spreads the checkpoint's families over its nine anchors
    grid = TimbreMap.for_generator(ck, 3, grid_families=True).grid
    assert sorted({a[2] for a in grid}) == ["high", "low"]
    assert all(a[2] is None for a in TimbreMap.for_generator(ck, 3).grid)


def test_a_render_gives_every_note_its_own_image(tmp_path):
    from bridge.synth.render import render

    ck = conditioned_checkpoint()
    ck.save(tmp_path / "c.pt")
    events = [(0.2, "/lr/note/on", (41.0, 0.9)), (0.5, "/lr/note/on", (50.0, 0.4)),
              (0.8, "/lr/latent/timbre", ("high",)), (1.0, "/lr/note/off", (41.0,))]
    stats = render(load_generator(tmp_path / "c.pt"), ck.codec, None, 1.5, events)
    assert stats["notes"] == 2 and stats["note_images"] == 2 and stats["bad_messages"] == 0
    plain = random_checkpoint(GanConfig(z_dim=16, w_dim=32, resolution=(32, 16), start=(4, 2),
                                        g_channels=[32, 16, 8, 8], d_channels=[8, 8, 16, 32]),
                              CodecParams(n_mels=32, frames=16))
    stats = render(plain, plain.codec, None, 1.5, events)
    assert stats["notes"] == 2 and stats["note_images"] == 0 and stats["bad_messages"] == 1


def test_the_gpu_script_writes_a_state_that_train_finishes(tmp_path, capsys):
    """checkpoints/gpu_train.py (torch and numpy alone) -> state.pt -> `train --resume` here."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    raw, arc, out = tmp_path / "raw", tmp_path / "set.npz", tmp_path / "run"
    assert main(["sources", str(raw), "--count", "10", "--synth-only", "--no-progress"]) == 0
    assert main(["dataset", str(raw), str(arc), "--n-mels", "32", "--frames", "16",
                 "--heldout-every", "5", "--no-progress"]) == 0
    # as on a lent machine: none of the project's other packages can be imported
    absent = ["librosa", "PIL", "soundfile", "tqdm", "scipy", "sklearn", "mido", "onnx",
              "onnxruntime", "matplotlib"]
    code = (f"import sys, runpy; sys.modules.update(dict.fromkeys({absent!r})); "
            f"sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")
    r = subprocess.run([sys.executable, "-c", code, str(repo / "checkpoints" / "gpu_train.py"),
                        str(arc), "--out", str(out), "--preset", "tiny", "--steps", "4",
                        "--batch", "4", "--keep-every", "2"],
                       capture_output=True, text=True, timeout=300,
                       env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert "step 4" in r.stdout
    kept = sorted((out / "snapshots").glob("*.pt"))
    assert [load_checkpoint(p).card["steps"] for p in kept] == [2, 4]
    assert main(["average", *map(str, kept), "--out", str(tmp_path / "avg")]) == 0
    assert load_checkpoint(tmp_path / "avg" / "generator.pt").families == ("synth",)
    # a chunk may change the loss weights; the next chunk keeps them unless told otherwise
    assert main(["train", str(arc), "--out", str(out), "--resume", "--steps", "5",
                 "--harmonic-weight", "2", "--no-progress", "--no-final"]) == 0
    # one family: nothing for the timbre prior to tell apart -- one line, the run untouched
    assert main(["train", str(arc), "--out", str(out), "--resume", "--steps", "6",
                 "--timbre-weight", "1", "--no-progress", "--no-final"]) == 2
    err = capsys.readouterr().err
    assert "at least two families" in err and "Traceback" not in err
    assert main(["train", str(arc), "--out", str(out), "--resume", "--steps", "6",
                 "--no-progress"]) == 0
    ck = load_checkpoint(out / "generator.pt")
    assert ck.card["steps"] == 6 and ck.families == ("synth",) and "metric" in ck.card
    tcfg = load_training_state(out / "state.pt")["trainer"]["train_config"]
    assert tcfg["harmonic_weight"] == 2.0 and tcfg["aux_weight"] == 1.0


def test_a_conditioned_teacher_distills_into_a_conditioned_student():
    from engine.gan.distill import DistillConfig, Distiller

    teacher = conditioned_checkpoint()
    d = Distiller(teacher, DistillConfig(g_channels=[16, 8, 8, 8], batch=4, steps=5))
    before = d.evaluate(8)
    for _ in range(5):
        d.step()
    assert d.evaluate(8) < before
    student = d.checkpoint(teacher, "student")
    assert student.labels == SPACE
    z = teacher.random_latent(0)
    # the student shares the teacher's mapping: the same labels mean the same w
    assert np.allclose(student.mapped(z, c=SPACE.encode(45, "high")).numpy(),
                       teacher.mapped(z, c=SPACE.encode(45, "high")).numpy())


def test_truncation_pulls_toward_the_labels_own_centre(tmp_path):
    """Truncated, a note keeps its labels: at psi 0 every latent gives the label's centre, and
    two labels' centres differ (the global w_avg would make them one sound)."""
    ck = conditioned_checkpoint()
    zs = np.stack([ck.random_latent(i) for i in range(3)])
    lo, hi = ck.condition(41, "low"), ck.condition(51, "high")
    a = ck.generate(zs, truncation=0.0, noise=0.0, c=lo)
    assert np.abs(a - a[0]).max() < 1e-6   # psi 0: one image per label, whatever z
    b = ck.generate(zs, truncation=0.0, noise=0.0, c=hi)
    assert np.abs(a[0] - b[0]).max() > 1e-3
    # weights saved before the probes existed load to the same generator
    sd = {k: v for k, v in ck.generator.state_dict().items() if k != "trunc_probe"}
    from engine.gan.checkpoint import checkpoint_from_dict

    d = ck.to_dict()
    d["state_dict"] = sd
    back = checkpoint_from_dict(d)
    assert np.array_equal(back.generate(zs[0], truncation=0.5, c=lo),
                          ck.generate(zs[0], truncation=0.5, c=lo))
    path = ck.save(tmp_path / "c.pt")
    export_checkpoint(path)   # the graph computes the same centre
    g = load_generator(path)
    assert np.abs(g.generate(zs[1], truncation=0.3, c=hi)
                  - ck.generate(zs[1], truncation=0.3, c=hi)).max() < CHECK_TOLERANCE
