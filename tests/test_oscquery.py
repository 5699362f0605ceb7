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
from bridge.osc.oscquery import start_oscquery


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


def _get_with_host(port: int, host: str | None, path: str = "/") -> int:
    import http.client

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.putrequest("GET", path, skip_host=True)
        if host is not None:
            c.putheader("Host", host)
        c.endheaders()
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def test_only_host_names_of_this_machine_are_answered(server):
    """DNS rebinding: a web page that reaches the port under its own name gets nothing."""
    p = server.port
    name = socket.gethostname()
    for host in ("localhost", f"localhost:{p}", "127.0.0.1", f"127.0.0.1:{p}", "[::1]",
                 f"[::1]:{p}", "LOCALHOST", name, f"{name.split('.')[0]}.local:{p}", None):
        assert _get_with_host(p, host) == 200, host
    for host in ("evil.example", f"evil.example:{p}", "localhost:1", "127.0.0.1:80",
                 "localhost.evil.example", "[::2]", ""):
        assert _get_with_host(p, host) == 421, host
    assert _get_with_host(p, "evil.example", "/?HOST_INFO") == 421


def test_http_obeys_the_allow_list():
    from bridge.osc.access import parse_allow

    with start_oscquery(0, 9000, dict, advertise=False) as h:
        assert h._httpd.verify_request(None, ("127.0.0.1", 5))
        assert h._httpd.verify_request(None, ("::ffff:127.0.0.1", 5))
        assert not h._httpd.verify_request(None, ("10.1.2.3", 5))
    with start_oscquery(0, 9000, dict, advertise=False, allow=parse_allow(["10.0.0.0/8"])) as h:
        assert h._httpd.verify_request(None, ("10.1.2.3", 5))
        h._httpd._slots.release()  # (verify_request took a connection slot)
        assert not h._httpd.verify_request(None, ("192.168.1.2", 5))


def test_idle_connections_time_out_and_are_capped(server):
    from bridge.osc.oscquery import HANDLER_TIMEOUT_S, MAX_CONNECTIONS

    t0 = time.monotonic()
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.5)
        with pytest.raises((ConnectionError, OSError)):  # closed unanswered
            _get_with_host(server.port, "localhost")
        idle[0].settimeout(HANDLER_TIMEOUT_S + 5)
        assert idle[0].recv(100) == b""  # the server hung up on the idle socket
        assert HANDLER_TIMEOUT_S - 1 < time.monotonic() - t0 < HANDLER_TIMEOUT_S + 4
        time.sleep(0.5)
        assert _get_with_host(server.port, "localhost") == 200  # slots are free again
    finally:
        for s in idle:
            s.close()


def test_host_info_names_a_real_address_when_bound_to_every_interface():
    with start_oscquery(0, 9000, dict, host="0.0.0.0", advertise=False) as h:
        _, info = _get(f"http://127.0.0.1:{h.port}/?HOST_INFO")
    assert info["OSC_IP"] == "127.0.0.1"


def test_advertised_addresses_follow_the_binding():
    from bridge.osc.oscquery import _advertised_ips

    assert _advertised_ips("127.0.0.1") == ["127.0.0.1"]
    assert _advertised_ips("192.0.2.7") == ["192.0.2.7"]
    wide = _advertised_ips("0.0.0.0")
    assert "0.0.0.0" not in wide and not any(ip.startswith("127.") for ip in wide)


def _browse(seconds: float, name: str) -> dict:
    """What a zeroconf browser on the loopback interface finds of ``name`` within ``seconds``."""
    from zeroconf import IPVersion, ServiceBrowser, Zeroconf

    try:
        zc = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    except OSError as exc:
        pytest.skip(f"no multicast on loopback for mDNS here: {exc}")
    found: dict[str, tuple] = {}

    class Listener:
        def add_service(self, zc_, kind, full):
            if full.startswith(name + "."):
                info = zc_.get_service_info(kind, full, timeout=2000)
                found[kind] = (info.port, info.parsed_addresses()) if info else None

        def update_service(self, *a):
            pass

        def remove_service(self, *a):
            pass

    browser = ServiceBrowser(zc, ["_oscjson._tcp.local.", "_osc._udp.local."], Listener())
    try:
        deadline = time.monotonic() + seconds
        while len(found) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        browser.cancel()
        zc.close()
    return found


def test_bound_to_loopback_nothing_is_advertised_unless_asked():
    name = f"lr-quiet-{time.monotonic_ns() % 100000}"
    with start_oscquery(0, 9125, dict, name=name) as h:
        assert _browse(4, name) == {}
        assert h.advertised == []


def test_zeroconf_advertises_oscjson_and_osc_when_asked():
    name = f"lr-test-{time.monotonic_ns() % 100000}"
    with start_oscquery(0, 9124, dict, name=name, advertise=True) as h:
        found = _browse(10, name)
    assert found == {"_oscjson._tcp.local.": (h.port, ["127.0.0.1"]),
                     "_osc._udp.local.": (9124, ["127.0.0.1"])}
