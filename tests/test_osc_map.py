"""``latent-resonance osc-map`` prints the address table the daemons use, and docs/osc.md
carries exactly that table."""

from __future__ import annotations

import json
import subprocess
import sys

from bridge import address_table as table
from hosts_util import REPO


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bridge", "osc-map", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


def test_markdown_lists_every_address_once_per_role():
    r = _run()
    assert r.returncode == 0, r.stderr
    rows = [line for line in r.stdout.splitlines() if line.startswith("| `/lr")]
    assert len(rows) == len(table.ALL_ADDRESSES)
    for a in table.ALL_ADDRESSES:
        assert any(row.startswith(f"| `{a.path}` |") for row in rows), a.path
    assert "`f` × z_dim or `b`" in r.stdout  # the latent's two forms


def test_json_round_trips_the_table():
    r = _run("--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    got = [(a["path"], a["types"], a["sender"]) for a in data["addresses"]]
    assert got == [(a.path, a.types, a.sender) for a in table.ALL_ADDRESSES]
    assert data["ports"]["synth_osc"] == table.SYNTH_OSC_PORT
    assert data["midi"]["cc"] == table.MIDI_CC
    speed = next(a for a in data["addresses"] if a["path"] == "/lr/synth/speed")
    assert speed["ranges"] == [[0, 4]] and speed["default"] == [1.0]


def test_sender_filter_and_bad_format():
    r = _run("--format", "json", "--sender", "face")
    assert {a["sender"] for a in json.loads(r.stdout)["addresses"]} == {"face"}
    bad = _run("--format", "yaml")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_docs_osc_md_contains_the_generated_table():
    from bridge.address_table import markdown

    doc = (REPO / "docs" / "osc.md").read_text()
    assert markdown() in doc, ("docs/osc.md is out of date: paste the output of "
                               "`latent-resonance osc-map` between its table markers")
