"""Max patches: generated from the table, valid Max JSON, every box and patch line consistent,
every address one the daemons know."""

from __future__ import annotations

import json
import re

import pytest

from bridge.address_table import ALL_ADDRESSES, FACE_ADDRESSES, SYNTH_ADDRESSES
from bridge.hostgen import stale_files
from hosts_util import REPO

MAX_DIR = REPO / "maxpatches"
PATCHES = sorted(MAX_DIR.glob("*.maxpat"))
KNOWN_PATHS = {a.path for a in ALL_ADDRESSES}

# Inlet/outlet counts from the Max 8 object reference, written out independently of the
# generator so a wrong count there is caught here.
FIXED_IO = {
    "udpreceive": (1, 1), "udpsend": (1, 0), "scale": (6, 1), "prepend": (2, 1),
    "loadbang": (1, 1), "speedlim": (2, 1), "s": (1, 0), "send": (1, 0), "r": (0, 1),
    "receive": (0, 1),
}
UI_IO = {"flonum": (1, 2), "number": (1, 2), "toggle": (1, 1), "button": (1, 1),
         "message": (2, 1), "comment": (1, 0), "multislider": (1, 2), "inlet": (0, 1),
         "outlet": (1, 0)}


def _load(path):
    return json.loads(path.read_text())["patcher"]


def _abstraction_io() -> dict[str, tuple[int, int]]:
    """(inlets, outlets) of each patch used as an abstraction: its inlet/outlet boxes."""
    out = {}
    for p in PATCHES:
        kinds = [b["box"]["maxclass"] for b in _load(p)["boxes"]]
        out[p.name.removesuffix(".maxpat")] = (kinds.count("inlet"), kinds.count("outlet"))
    return out


def _expected_io(box: dict, abstractions: dict) -> tuple[int, int]:
    cls = box["maxclass"]
    if cls != "newobj":
        return UI_IO[cls]
    words = box["text"].split()
    name, args = words[0], words[1:]
    if name in FIXED_IO:
        return FIXED_IO[name]
    if name == "route":
        return 2, len(args) + 1
    if name == "gate":
        return 2, int(args[0])
    if name == "unpack":
        return 1, len(args)
    if name in ("pack", "pak"):
        return len(args), 1
    if name in abstractions:
        return abstractions[name]
    raise AssertionError(f"unknown Max object {name!r}: add it to this test's reference")


def test_there_are_the_three_patches():
    assert {p.name for p in PATCHES} == {"lr.face.receive.maxpat", "lr.synth.send.maxpat",
                                        "lr.face-to-synth.maxpat"}


def test_patches_are_generated_from_the_current_table():
    assert stale_files() == [], "run: uv run --frozen python -m bridge.hostgen --write"


@pytest.mark.parametrize("path", PATCHES, ids=lambda p: p.name)
def test_boxes_and_lines_are_valid(path):
    patcher = _load(path)
    assert patcher["classnamespace"] == "box" and patcher["fileversion"] == 1
    abstractions = _abstraction_io()
    boxes = {}
    for entry in patcher["boxes"]:
        box = entry["box"]
        assert box["id"] not in boxes, f"duplicate id {box['id']}"
        boxes[box["id"]] = box
        x, y, w, h = box["patching_rect"]
        assert w > 0 and h > 0 and x >= 0 and y >= 0
        assert (box["numinlets"], box["numoutlets"]) == _expected_io(box, abstractions), box
        assert len(box.get("outlettype", [])) == box["numoutlets"], box
    assert patcher["lines"], "a patch without connections does nothing"
    fed = set()
    for entry in patcher["lines"]:
        line = entry["patchline"]
        (src, outlet), (dst, inlet) = line["source"], line["destination"]
        assert src in boxes and dst in boxes, line
        assert 0 <= outlet < boxes[src]["numoutlets"], (line, boxes[src])
        assert 0 <= inlet < boxes[dst]["numinlets"], (line, boxes[dst])
        fed.add(dst)
    # every processing object and every outlet gets an input (widgets and sources need none)
    sources = {"loadbang", "udpreceive", "r", "receive", *abstractions}
    for bid, box in boxes.items():
        if box["maxclass"] == "outlet" or (
                box["maxclass"] == "newobj" and box["text"].split()[0] not in sources):
            assert bid in fed, f"{box.get('text', box['maxclass'])} is never fed"


@pytest.mark.parametrize("path", PATCHES, ids=lambda p: p.name)
def test_every_address_exists_in_the_table(path):
    text = json.dumps(_load(path)["boxes"])
    used = set(re.findall(r"/lr(?:/[a-z_]+)*", text))
    assert used, "no address at all"
    assert used <= KNOWN_PATHS, f"not in the address table: {sorted(used - KNOWN_PATHS)}"


def _texts(path) -> list[str]:
    return [b["box"].get("text", "") for b in _load(path)["boxes"]]


def test_receiver_routes_every_face_address_with_a_toggle_each():
    texts = _texts(MAX_DIR / "lr.face.receive.maxpat")
    route = next(t for t in texts if t.startswith("route "))
    assert route.split()[1:] == [a.path for a in FACE_ADDRESSES]
    assert any(t.startswith("udpreceive ") for t in texts)
    kinds = [b["box"]["maxclass"] for b in _load(MAX_DIR / "lr.face.receive.maxpat")["boxes"]]
    assert kinds.count("toggle") == kinds.count("outlet") == len(FACE_ADDRESSES)
    assert sum(t.startswith("scale ") for t in texts) == len(FACE_ADDRESSES)


def test_sender_covers_every_synth_address():
    texts = _texts(MAX_DIR / "lr.synth.send.maxpat")
    sent = {t.split()[1] for t in texts if t.startswith("prepend /lr")}
    sent |= {t for t in texts if t.startswith("/lr")}
    assert sent == {a.path for a in SYNTH_ADDRESSES}
    assert any(t.startswith("udpsend 127.0.0.1 ") for t in texts)


def test_remap_patch_joins_receiver_and_sender():
    texts = _texts(MAX_DIR / "lr.face-to-synth.maxpat")
    assert "lr.face.receive" in texts and "lr.synth.send" in texts
