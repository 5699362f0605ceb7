"""The live queue's target: it grows after stalls, up to its ceiling, and shrinks back slowly."""

from __future__ import annotations

import pytest

from engine.synth.queue_target import QueueTarget


def test_a_fixed_queue_never_moves():
    q = QueueTarget(20, 20)
    assert not q.adaptive
    assert q.observe(0.0, 1.0) == 20 and q.underrun(2.0) == 20 and q.raises == 0


def test_a_near_miss_raises_one_step_once_per_stall():
    q = QueueTarget(20, 100)
    assert q.observe(15.0, 0.0) == 20, "two thirds of the target left is no near miss"
    assert q.observe(5.0, 1.0) == 30
    assert q.observe(2.0, 1.1) == 30, "lows within the debounce time are the same stall"
    assert q.observe(5.0, 1.5) == 40, "a later low is a new stall"
    assert q.raises == 2


def test_an_underrun_raises_two_steps_and_the_ceiling_holds():
    q = QueueTarget(20, 45)
    assert q.underrun(0.0) == 40
    assert q.underrun(1.0) == 45
    assert q.underrun(2.0) == 45 and q.raises == 2


def test_the_target_walks_back_to_the_floor_after_a_quiet_hold():
    q = QueueTarget(20, 100)
    q.underrun(0.0)  # 40 ms
    t = 0.0
    while t < QueueTarget.hold_s - 0.1:
        t += 0.1
        assert q.observe(40.0, t) == 40, "no decay within the hold time"
    seen = []
    while t < 200:
        t += 0.1
        seen.append((t, q.observe(40.0, t)))
    assert seen[-1][1] == 20 and min(ms for _, ms in seen) == 20, "to the floor, not below"
    # one ms per decay_every_s, the first step when the hold ends: 20 steps in 38 s
    t_floor = next(t for t, ms in seen if ms == 20)
    assert abs(t_floor - QueueTarget.hold_s - 19 * QueueTarget.decay_every_s) < 0.5


def test_a_new_stall_during_the_decay_stops_it():
    q = QueueTarget(20, 100)
    q.underrun(0.0)
    for i in range(300):  # 30 s: decay has begun
        q.observe(40.0, i * 0.1)
    mid = q.ms
    assert 20 < mid < 40
    q.observe(1.0, 30.0)  # near miss
    assert q.ms == mid + QueueTarget.step_ms
    assert q.observe(q.ms, 40.0) == mid + QueueTarget.step_ms, "held again after the stall"


def test_floor_above_ceiling_is_refused():
    with pytest.raises(ValueError):
        QueueTarget(50, 20)
