"""The hand-written SuperCollider files speak exactly the address table (no sclang needed)."""

from __future__ import annotations

import re

from bridge.address_table import ALL_ADDRESSES, FACE_ADDRESSES, SYNTH_ADDRESSES
from hosts_util import SC_DIR

KNOWN = {a.path for a in ALL_ADDRESSES}


def _paths(text: str) -> set[str]:
    return set(re.findall(r"['\"](/lr(?:/[a-z_]+)*)['\"]", text))


def test_sc_files_use_only_table_addresses():
    for f in SC_DIR.glob("*.scd"):
        used = _paths(f.read_text())
        assert used <= KNOWN, f"{f.name}: not in the address table: {sorted(used - KNOWN)}"


def test_face_receiver_listens_to_every_face_address():
    text = (SC_DIR / "face_receiver.scd").read_text()
    names = re.search(r"var names = \[(.*?)\];", text).group(1)
    assert [n.strip(" \\") for n in names.split(",")] == [
        a.path.rsplit("/", 1)[1] for a in FACE_ADDRESSES]
    assert '"/lr/face/" ++ name' in text


def test_latent_live_sends_every_synth_address():
    used = _paths((SC_DIR / "latent_live.scd").read_text())
    assert {a.path for a in SYNTH_ADDRESSES} <= used
    assert "/lr/error" in used  # mistakes are shown while live coding
