"""Weight averaging: snapshots of one run make one generator (``train --keep-every``, then
``average``); generators of different runs or shapes are refused in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from bridge.cli import main
from engine.gan.average import average_generators
from engine.gan.checkpoint import load_checkpoint, random_checkpoint
from engine.gan.model import GanConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")

CFG = GanConfig(z_dim=16, w_dim=32, resolution=(32, 16), start=(4, 2),
                g_channels=[32, 16, 8, 8], d_channels=[8, 8, 16, 32])


def _snapshot(seed: int, steps: int):
    ck = random_checkpoint(CFG, seed=seed, name=f"s{steps}")
    with torch.no_grad():  # buffers differ between snapshots too
        ck.generator.w_avg.normal_(generator=torch.Generator().manual_seed(seed))
    ck.card = {"steps": steps, "metric": {"fd_generated_vs_heldout": 1.0}}
    return ck


def test_the_average_is_the_mean_of_weights_and_buffers():
    snaps = [_snapshot(s, 100 * s) for s in (1, 2, 3)]
    avg = average_generators(snaps, "avg")
    for key, value in avg.generator.state_dict().items():
        want = torch.stack([s.generator.state_dict()[key] for s in snaps]).mean(0)
        torch.testing.assert_close(value, want, msg=key)
    # the inputs are left as they were
    assert not torch.equal(snaps[0].generator.w_avg, avg.generator.w_avg)
    assert avg.card["averaged_from"] == [{"name": f"s{s}00", "steps": 100 * s} for s in (1, 2, 3)]
    assert avg.card["steps"] == 300 and "metric" not in avg.card  # the average measures its own
    img = avg.generate(avg.random_latent(0), truncation=0.7)
    assert img.shape == (32, 16) and np.isfinite(img).all()
    assert not np.allclose(img, snaps[-1].generate(avg.random_latent(0), truncation=0.7))


def test_a_weighted_average_blends_by_its_weights():
    snaps = [_snapshot(s, 100 * s) for s in (1, 2, 3)]
    avg = average_generators(snaps, "avg", weights=[1, 1, 2])
    for key, value in avg.generator.state_dict().items():
        parts = [s.generator.state_dict()[key] for s in snaps]
        torch.testing.assert_close(value, 0.25 * parts[0] + 0.25 * parts[1] + 0.5 * parts[2],
                                   msg=key)
    assert [a["weight"] for a in avg.card["averaged_from"]] == [0.25, 0.25, 0.5]
    # the card is the latest input's, whatever the order
    assert average_generators(snaps[::-1], "avg", weights=[2, 1, 1]).card["steps"] == 300
    # a run started --init-from a generator counts its steps from 0 but carries the images its
    # parent saw on: blended with that parent, the card is the fine-tuned run's
    parent, child = _snapshot(1, 48_000), _snapshot(2, 10_000)
    parent.card["images_seen"], child.card["images_seen"] = 480_000, 560_000
    assert average_generators([child, parent], "avg", weights=[0.85, 0.15]).card["steps"] == 10_000
    for bad in ([1, 2], [1, 0, 1], [1, float("nan"), 1]):
        with pytest.raises(ValueError, match="one positive number per generator"):
            average_generators(snaps, "x", weights=bad)


def test_only_generators_of_one_shape_average():
    with pytest.raises(ValueError, match="at least 2"):
        average_generators([_snapshot(1, 1)], "x")
    other = random_checkpoint(GanConfig(z_dim=16, w_dim=32, resolution=(32, 16), start=(4, 2),
                                        g_channels=[16, 16, 8, 8], d_channels=[8, 8, 16, 32]))
    with pytest.raises(ValueError, match="another architecture"):
        average_generators([_snapshot(1, 1), other], "x")


def test_kept_snapshots_average_into_a_playable_conditioned_generator(tmp_path, capsys):
    raw, arc, run = tmp_path / "raw", tmp_path / "set.npz", tmp_path / "run"
    assert main(["sources", str(raw), "--count", "12", "--synth-only", "--no-progress"]) == 0
    assert main(["dataset", str(raw), str(arc), "--n-mels", "32", "--frames", "16",
                 "--heldout-every", "4", "--no-progress"]) == 0
    assert main(["train", str(arc), "--out", str(run), "--preset", "tiny", "--steps", "6",
                 "--keep-every", "2", "--no-final", "--no-progress"]) == 0
    kept = sorted((run / "snapshots").glob("*.pt"))
    assert [p.name for p in kept] == [f"generator_00000{s}.pt" for s in (2, 4, 6)]
    out = tmp_path / "avg"
    assert main(["average", *map(str, kept), "--out", str(out), "--data", str(arc)]) == 0
    ck = load_checkpoint(out / "generator.pt")
    assert [a["steps"] for a in ck.card["averaged_from"]] == [2, 4, 6]
    assert ck.families == ("synth",) and set(ck.directions) >= {"brightness", "pitch"}
    card = json.loads((out / "card.json").read_text())
    assert card["metric"]["fd_generated_vs_heldout"] >= 0 and "harmonicity" in card
    assert "mean of 3 snapshots of this run (steps 2, 4, 6" in (out / "card.md").read_text()
    assert (out / "generator.onnx").is_file()
    # a weighted mean (here of the average and the last snapshot) says its weights
    assert main(["average", str(out / "generator.pt"), str(kept[-1]), "--weights", "3,1",
                 "--out", str(tmp_path / "w"), "--data", str(arc)]) == 0
    assert [a["weight"] for a in load_checkpoint(tmp_path / "w" / "generator.pt")
            .card["averaged_from"]] == [0.75, 0.25]
    assert "weighted mean of 2 generators" in (tmp_path / "w" / "card.md").read_text()
    lo = ck.labels.pitch_lo
    assert ck.generate(ck.random_latent(1), c=ck.condition(lo, "synth", 0.8)).shape == (32, 16)
    # user mistakes: one line each, nothing written
    capsys.readouterr()
    for bad, said in (([str(kept[0])], "at least 2"),
                      ([str(kept[0]), "checkpoints/default-128.pt"], "another architecture"),
                      ([str(kept[0]), str(tmp_path / "nope.pt")], "not found"),
                      ([*map(str, kept[:2]), "--weights", "1"], "one positive number per"),
                      ([*map(str, kept[:2]), "--weights", "1,a"], "comma-separated numbers")):
        assert main(["average", *bad, "--out", str(tmp_path / "x")]) == 2
        err = capsys.readouterr().err.strip()
        assert said in err and len(err.splitlines()) == 1, err
    np.save(tmp_path / "plain.npy", np.zeros((12, 32, 16), np.float32))
    assert main(["average", *map(str, kept[:2]), "--out", str(tmp_path / "x"),
                 "--data", str(tmp_path / "plain.npy")]) == 2
    assert "not the labelled data" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert main(["train", str(arc), "--out", str(tmp_path / "y"), "--keep-every", "-1"]) == 2
