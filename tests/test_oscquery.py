"""OSCQuery: a real HTTP client reads the namespace; a real zeroconf browser finds the adverts."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from bridge.address_table import FACE_ADDRESSES, SYNTH_ADDRESSES
from bridge.oscquery import start_oscquery


def _get(url: str):
    with urllib.request.urlopen(url, timeout=5) as r:
        body = r.read()
        return r.status, (json.loads(body) if body else None)


def _status(url: str) -> int:
    try:
        return _get(url)[0]
    except urllib.error.HTTPError as exc:
        return exc.code


def _node(root: dict, path: str) -> dict:
    node = root
    for part in path.strip("/").split("/"):
        node = node["CONTENTS"][part]
    return node


@pytest.fixture
def state():
    """Mutable daemon state, as a synth daemon would keep it."""
    return {"/lr/synth/speed": (2.0,), "/lr/latent": tuple(float(i) / 10 for i in range(8)),
            "/lr/synth/band": (100.0, 4000.0)}


@pytest.fixture
def server(state):
    lock = threading.Lock()

    def values():
        with lock:
            return dict(state)

    h = start_oscquery(0, 9123, values, name="lr-test", advertise=False)
    yield h
    h.close()


def test_namespace_lists_every_synth_address_with_types_and_values(server, state):
    status, root = _get(server.url)
    assert status == 200 and root["FULL_PATH"] == "/"
    for a in SYNTH_ADDRESSES + FACE_ADDRESSES:
        node = _node(root, a.path)
        assert node["FULL_PATH"] == a.path
        assert "TYPE" in node and "ACCESS" in node and node["DESCRIPTION"]
        if a.types != "f*":
            assert node["TYPE"] == a.types, a.path
        if a.default or a.path in state:
            assert node["ACCESS"] == 3
            assert len(node["VALUE"]) == len(node["TYPE"]), a.path
        if a.ranges and any(r is not None for r in a.ranges):
            assert len(node["RANGE"]) == len(node["TYPE"])
    # current values come from the daemon, defaults from the table otherwise
    assert _node(root, "/lr/synth/speed")["VALUE"] == [2.0]
    assert _node(root, "/lr/synth/speed")["RANGE"] == [{"MIN": 0, "MAX": 4}]
    assert _node(root, "/lr/synth/gain")["VALUE"] == [0.0]
    latent = _node(root, "/lr/latent")
    assert latent["TYPE"] == "f" * 8 and latent["VALUE"] == pytest.approx(state["/lr/latent"])
    # /lr/latent is a method and a container at once
    assert "set" in latent["CONTENTS"]


def test_values_follow_the_daemon(server, state):
    state["/lr/synth/speed"] = (0.25,)
    assert _get(server.url + "lr/synth/speed?VALUE") == (200, {"VALUE": [0.25]})
    state["/lr/latent"] = (1.0, 2.0, 3.0)
    status, node = _get(server.url + "lr/latent")
    assert node["TYPE"] == "fff" and node["VALUE"] == [1.0, 2.0, 3.0]


def test_host_info_names_the_osc_port(server):
    status, info = _get(server.url + "?HOST_INFO")
    assert status == 200
    assert info["NAME"] == "lr-test" and info["OSC_PORT"] == 9123
    assert info["OSC_TRANSPORT"] == "UDP" and info["OSC_IP"] == "127.0.0.1"
    assert info["EXTENSIONS"]["VALUE"] is True and info["EXTENSIONS"]["LISTEN"] is False


def test_errors_are_http_codes_and_the_server_survives(state):
    calls = {"n": 0}

    def flaky():
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("daemon bug")
        return state

    with start_oscquery(0, 9000, flaky, advertise=False) as h:
        assert _status(h.url) == 500
        assert _status(h.url + "lr/nope") == 404
        assert _status(h.url + "lr/synth/speed?BOGUS") == 400
        assert _status(h.url + "lr/status?VALUE") == 204
        assert _get(h.url + "lr/synth/mapping?TYPE") == (200, {"TYPE": "i"})


def test_busy_port_is_one_clear_oserror():
    """The daemon catches OSError, warns and runs on without discovery."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(OSError, match=f"OSCQuery: cannot listen on 127.0.0.1:{port}"):
            start_oscquery(port, 9000, dict, advertise=False)


def test_zeroconf_advertises_oscjson_and_osc():
    from zeroconf import IPVersion, ServiceBrowser, Zeroconf

    try:
        zc = Zeroconf(ip_version=IPVersion.V4Only)
    except OSError as exc:
        pytest.skip(f"no multicast-capable interface for mDNS here: {exc}")
    name = f"lr-test-{time.monotonic_ns() % 100000}"
    found: dict[str, int] = {}

    class Listener:
        def add_service(self, zc_, kind, full):
            if full.startswith(name + "."):
                info = zc_.get_service_info(kind, full, timeout=2000)
                found[kind] = info.port if info else -1

        def update_service(self, *a):
            pass

        def remove_service(self, *a):
            pass

    h = start_oscquery(0, 9124, dict, name=name)
    browser = ServiceBrowser(zc, ["_oscjson._tcp.local.", "_osc._udp.local."], Listener())
    try:
        deadline = time.monotonic() + 10
        while len(found) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert found == {"_oscjson._tcp.local.": h.port, "_osc._udp.local.": 9124}
    finally:
        browser.cancel()
        zc.close()
        h.close()
