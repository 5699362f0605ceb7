"""The voice thread and the JACK output across many restarts of a real JACK server.

The voice thread follows the server's scheduling: one step below JACK's realtime process thread
while the server runs realtime (``jackd -R``), normal priority beside a server without
realtime.  And the process survives every restart: closing the client of a dead server once
hung the whole process about one restart in ten (libjack cancelled a thread that was waiting
for Python's interpreter lock), so the restarts are many and run in a child process with a
deadline.  A JACK MIDI port (the face engine's, as ``live --midi`` holds it beside the synth)
reconnects in the same process every time.  The second hang (rtmidi closing its port while
jackd was still shutting down, holding the interpreter lock) and the never-running process
callback (a client of the dead server left open when deactivating it failed) are covered by the
same restarts.  On the first server the period changes at run time (``jack_bufsize``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, require_program
from synth_util import realtime_allowed

pytestmark = [pytest.mark.jack, pytest.mark.timeout(240)]

RESTARTS = 24


def test_voice_follows_jack_realtime_and_survives_many_restarts():
    require_program("jackd", "JACK audio tests")
    name = f"lr-rt-{os.getpid()}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests")]))
    env.pop("JACK_DEFAULT_SERVER", None)
    try:
        res = subprocess.run([sys.executable, str(REPO / "tests" / "jack_restart_child.py"),
                              name, str(RESTARTS)], capture_output=True, text=True, env=env,
                             timeout=200)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout
        subprocess.run(["pkill", "-f", f"jackd.*-n {name} "], check=False)
        pytest.fail(f"the process hung across JACK restarts; it got this far:\n{out}")
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert res.returncode == 0, res.stderr[-3000:]
    assert len(rows) == RESTARTS + 1, (rows, res.stderr[-3000:])
    assert rows[0]["period_followed"], "a JACK period change at run time was not followed"
    for i, row in enumerate(rows):
        assert row["connections"] >= i + 1 and row["rendered"], row  # >: a stalled one reopened
        assert row["midi_connections"] == i + 1 and row["midi_delivered"], row
        jack_rt = i % 2 == 0  # realtime on even starts
        if jack_rt and realtime_allowed():
            assert row["jack_priority"] > 0, f"jackd -R gave its client no realtime thread: {row}"
        if not jack_rt:
            assert row["jack_priority"] == 0, row
        prio = row["jack_priority"]
        want = f"SCHED_FIFO {prio - 1}" if prio > 1 else "SCHED_OTHER 0"
        assert row["scheduling"] == want, row
    assert rows[-1]["unclosed"] == 0, "a dead server's client was left unclosed"
