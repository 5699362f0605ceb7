"""The synth's OSC edge under abuse, over real UDP on loopback: replies never outnumber what a
sender may get, a bundle's errors come back as one, a flood costs the server a budget check per
datagram, and IPv4-mapped IPv6 peers are judged as the IPv4 address they carry."""

from __future__ import annotations

import ipaddress
import socket
import time

import numpy as np
import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import build_msg

from bridge.osc.access import SenderLimits, TokenBucket, parse_allow, peer_allowed
from bridge.osc.server import OscContext, OscServer
from bridge.synth.state import SynthState


def _bundle(messages) -> bytes:
    b = OscBundleBuilder(IMMEDIATELY)
    for address, args in messages:
        b.add_content(build_msg(address, args))
    return b.build().dgram


@pytest.fixture
def server():
    st = SynthState(np.zeros(4, np.float32))
    ctx = OscContext(st, lambda s: np.full(4, s, np.float32), lambda: (4, "t", 48000, 0, 1.0))
    srv = OscServer(ctx, "127.0.0.1", 0)
    yield srv, st
    srv.close()


@pytest.fixture
def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    yield s
    s.close()


def _replies(s: socket.socket, quiet: float = 0.5) -> list[OscMessage]:
    out = []
    s.settimeout(quiet)
    while True:
        try:
            data, _ = s.recvfrom(65536)
        except socket.timeout:
            return out
        out.append(OscMessage(data))


def test_one_datagram_of_thousands_of_state_requests_gets_at_most_eight_replies(server, sock):
    srv, _ = server
    big = _bundle([("/lr/state", [])] * 3200)
    assert 60000 < len(big) <= 65507
    t0 = time.monotonic()
    sock.sendto(big, ("127.0.0.1", srv.port))
    replies = _replies(sock)
    assert 1 <= len(replies) <= 8, len(replies)
    assert {m.address for m in replies} == {"/lr/state"}
    # the server was not kept busy building 1000 replies: it answers the next request at once
    sock.sendto(build_msg("/lr/status", []).dgram, ("127.0.0.1", srv.port))
    assert any(m.address == "/lr/status" for m in _replies(sock))
    assert time.monotonic() - t0 < 3.0


def test_a_bundle_of_bad_messages_gets_one_summarised_error(server, sock):
    srv, st = server
    before = st.controls()
    bad = _bundle([(f"/lr/nope/{i}", [1]) for i in range(1000)] + [("/lr/synth/speed", [2.0])])
    sock.sendto(bad, ("127.0.0.1", srv.port))
    replies = _replies(sock)
    assert len(replies) == 1 and replies[0].address == "/lr/error"
    text = replies[0].params[0]
    assert "1000 of 1001" in text and "unknown address" in text, text
    assert st.controls().speed == 2.0 != before.speed  # the good element still applied


def test_replies_to_one_sender_stay_within_32_per_second(server, sock):
    srv, _ = server
    status = build_msg("/lr/status", []).dgram
    t0 = time.monotonic()
    for _ in range(300):
        sock.sendto(status, ("127.0.0.1", srv.port))
    replies = _replies(sock, quiet=0.3)
    elapsed = time.monotonic() - t0
    assert 8 <= len(replies) <= 32 + 32 * elapsed + 1, (len(replies), elapsed)
    # another sender has its own budget
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.sendto(status, ("127.0.0.1", srv.port))
        assert [m.address for m in _replies(other)] == ["/lr/status"]


def test_a_flood_is_dropped_unparsed_and_a_well_behaved_sender_still_gets_through(server, sock):
    srv, st = server
    flood = _bundle([("/lr/synth/gain", [-6.0])] * 1500)
    face = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        t_start = time.monotonic()
        t_end = t_start + 2.0
        sent = applied = 0
        while time.monotonic() < t_end:
            for _ in range(20):
                sock.sendto(flood, ("127.0.0.1", srv.port))
                sent += 1
            face.sendto(build_msg("/lr/face/jaw", [float(sent % 2)]).dgram,
                        ("127.0.0.1", srv.port))
            time.sleep(0.02)
        time.sleep(0.3)
        face.sendto(build_msg("/lr/synth/speed", [3.0]).dgram, ("127.0.0.1", srv.port))
        deadline = time.monotonic() + 3
        while st.controls().speed != 3.0 and time.monotonic() < deadline:
            time.sleep(0.02)
        applied = st.controls().speed == 3.0
    finally:
        face.close()
    assert applied, "a well-behaved sender's message was lost after the flood"
    limits = srv.limits
    # up to 1000 flood datagrams a second of 1500 messages each (the kernel drops some)
    # against the sender's 2000/s (burst 4000): only that many were parsed
    assert limits.dropped_datagrams > 10, limits.dropped_datagrams
    assert limits.admitted_messages <= 4000 + 2000 * (time.monotonic() - t_start) + 1500 * 2 + 100


def test_token_bucket_and_sender_limits_with_a_fake_clock():
    now = [0.0]
    b = TokenBucket(10, 5, now[0])
    assert all(b.take(1, 0.0) for _ in range(5)) and not b.take(1, 0.0)
    assert b.take(1, 0.1) and not b.take(1, 0.1)
    lim = SenderLimits(messages_per_s=100, message_burst=200, all_messages_per_s=300,
                       replies_per_s=4, clock=lambda: now[0])
    a, c = ("127.0.0.1", 1), ("127.0.0.1", 2)
    assert lim.admit(a, 150) and not lim.admit(a, 100)  # a's burst is spent
    assert lim.admit(c, 150)  # c has its own
    assert not lim.admit(("127.0.0.1", 3), 100)  # but everyone together has 300
    now[0] = 1.0
    assert lim.admit(a, 100)
    assert sum(lim.reply(a) for _ in range(10)) == 4
    assert lim.dropped_datagrams == 2 and lim.dropped_replies == 6


@pytest.mark.parametrize("peer,allowed", [
    ("127.0.0.1", True), ("::1", True), ("::ffff:127.0.0.1", True),
    ("192.168.1.20", True), ("::ffff:192.168.1.20", True),
    ("192.168.2.20", False), ("::ffff:192.168.2.20", False), ("10.0.0.1", False),
    ("fe80::1%eth0", False), ("not-an-ip", False),
])
def test_peer_allow_list_unwraps_ipv4_mapped_ipv6(peer, allowed):
    nets = parse_allow(["192.168.1.0/24"])
    assert peer_allowed(peer, nets) is allowed


def test_allow_list_rejects_a_bad_value_with_its_text():
    with pytest.raises(ValueError, match="'192.168.1.300'"):
        parse_allow(["192.168.1.300"])
    assert parse_allow(["10.1.2.3"]) == [ipaddress.ip_network("10.1.2.3/32")]
