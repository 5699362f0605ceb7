"""The event queue, scheduled messages and the timbre map, without JACK."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.osc.server import ErrorLog, OscContext, apply_message
from bridge.synth.state import SynthState
from engine.synth.events import CAPACITY, EventQueue, QueueFull
from engine.synth.timbre_map import TimbreMap, face_position


def _rl(seed):
    return np.random.default_rng(seed).standard_normal(16).astype(np.float32)


def test_queue_orders_counts_late_and_refuses_the_4097th():
    q = EventQueue()
    q.push(500, "b")
    q.push(100, "a")
    q.push(None, "now")
    q.push(500, "c")  # same frame: arrival order
    assert q.due(200, 456) == [(0, "now"), (0, "a")] and q.late == 1  # "a" was due at 100
    assert q.due(456, 712) == [(44, "b"), (44, "c")]
    for i in range(CAPACITY):
        q.push(10_000 + i, i)
    with pytest.raises(QueueFull):
        q.push(1, "one too many")


def test_a_scheduled_note_keeps_its_frame_and_a_full_queue_is_an_error():
    q = EventQueue(capacity=2)
    state = SynthState(_rl(0))
    ctx = OscContext(state, _rl, lambda: (), play=q.push)
    errors = ErrorLog()
    assert apply_message(ctx, "/lr/note/on", (60.0, 0.5), errors, frame=1234) is None
    assert apply_message(ctx, "/lr/synth/width", (0.25,), errors, frame=2000) is None
    assert state.controls().width == 0.5  # not yet: it waits for its block
    r = apply_message(ctx, "/lr/note/off", (60.0,), errors, frame=3000)
    assert r[0] == "/lr/error" and "pending events" in r[1]
    assert q.due(0, 5000) == [(1234, ("on", 60.0, 0.5)), (2000, ("call", "/lr/synth/width",
                                                                 (0.25,)))]


def test_the_face_places_the_latent_on_the_map():
    m = TimbreMap(_rl, seed=0)
    p = face_position(yaw=10.0, pitch=0.0, jaw=0.3)
    assert np.array_equal(m.latent(p), m.latent(p))  # the same pose, the same sound
    cos = []  # poses a quarter of the yaw range (15 of 60 degrees) apart
    for yaw in (-20.0, -10.0, 0.0, 5.0):
        for jaw in (0.1, 0.4, 0.7):
            a = m.latent(face_position(yaw, 0.0, jaw))
            b = m.latent(face_position(yaw + 15.0, 0.0, jaw))
            cos.append(float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)))
    assert np.median(cos) < 0.8, cos  # clearly different (random latents: about 0)
    steps = [m.latent(face_position(10.0 + 15.0 * t, 0.0, 0.3)) for t in np.linspace(0, 1, 31)]
    jumps = [float(np.linalg.norm(y - x)) for x, y in zip(steps, steps[1:])]
    assert max(jumps) < 3 * np.median(jumps)  # a smooth glide, no jump on the way
    z = _rl(99)
    m.learn(p, z)
    assert np.allclose(m.latent(p), z, atol=1e-5)  # learned: this face -> this sound
    m.clear()
    assert not np.allclose(m.latent(p), z, atol=1e-2)


def test_the_map_amount_and_a_lost_face_leave_the_target_alone():
    state = SynthState(_rl(0), timbre_map=TimbreMap(_rl, 0))
    target = _rl(5)
    state.set_latent(target)
    state.set_face(found=1, yaw=20.0, pitch=0.0, jaw=0.8)
    played = state.latent()[0]
    assert not np.allclose(played, target)
    state.set_controls(map_amount=0.0)
    assert np.allclose(state.latent()[0], target)
    state.set_controls(map_amount=1.0)
    state.set_face(found=0)
    assert np.allclose(state.latent()[0], target)
