"""OSCQuery discovery for the synth daemon: an HTTP JSON namespace plus zeroconf adverts.

Implements the read side of the Vidvox OSCQuery proposal
(https://github.com/Vidvox/OSCQueryProposal): ``GET /`` returns the whole namespace as nested
nodes with ``FULL_PATH``, ``CONTENTS``, ``TYPE``, ``RANGE``, ``VALUE``, ``ACCESS`` and
``DESCRIPTION``; ``GET /lr/synth/speed`` returns one node; ``GET /lr/synth/speed?VALUE`` returns
one attribute; ``GET /?HOST_INFO`` says where to send OSC.  The WebSocket ``LISTEN`` extension is
not offered (HOST_INFO says so), so hosts poll ``VALUE``.

The namespace is built from :mod:`bridge.address_table` (every address the daemon accepts:
``/lr/face/*`` and the synth controls); only the current values come from the daemon, through
the ``values`` callable.  No library serves OSCQuery from Python with zeroconf and a custom value
source, and the protocol is a few JSON objects over HTTP, so it is written here on the standard
library's ``ThreadingHTTPServer``.

Who may read it: the peers the OSC port accepts (loopback and ``--allow`` networks), asking by
a ``Host`` that names this machine (localhost, 127.0.0.1, [::1], the bound address, the host
name, ``NAME.local``, the machine's own addresses, with or without the port) -- a web page
that reaches the port by DNS rebinding sends its own name and gets 421.  Each connection may
idle at most :data:`HANDLER_TIMEOUT_S`, at most :data:`MAX_CONNECTIONS` are served at once (the
next ones are closed unanswered), so idle sockets cannot use up threads or descriptors.

Advertising uses ``zeroconf`` (``_oscjson._tcp`` for the HTTP server, ``_osc._udp`` for the OSC
port), only on the interfaces the daemon is bound to, with their real addresses: bound to
loopback, nothing is advertised unless asked (``--advertise``; same-machine hosts find OSCQuery
on its known port); bound to one address, that interface; bound to ``0.0.0.0``, every interface
but loopback.  mDNS is best effort: when it fails (no multicast, no interfaces) a warning is
logged and the HTTP server keeps serving.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from bridge.osc.access import peer_allowed, peer_ip
from bridge.address_table import FACE_ADDRESSES, SYNTH_ADDRESSES, Address, address

log = logging.getLogger("latent_resonance.oscquery")

#: ACCESS values of the proposal.
ACCESS_NONE, ACCESS_READ, ACCESS_WRITE, ACCESS_READWRITE = 0, 1, 2, 3

#: Node attributes this server can answer (``GET /path?ATTRIBUTE``).
ATTRIBUTES = ("FULL_PATH", "CONTENTS", "TYPE", "RANGE", "VALUE", "ACCESS", "DESCRIPTION")

#: What HOST_INFO announces (the proposal's EXTENSIONS object).
EXTENSIONS = {"ACCESS": True, "VALUE": True, "RANGE": True, "DESCRIPTION": True, "TAGS": False,
              "EXTENDED_TYPE": False, "UNIT": False, "CRITICAL": False, "CLIPMODE": False,
              "LISTEN": False, "PATH_CHANGED": False, "PATH_RENAMED": False,
              "PATH_ADDED": False, "PATH_REMOVED": False}

ValuesFn = Callable[[], Mapping[str, tuple]]

#: seconds a connection may take to send its request (and to take the reply)
HANDLER_TIMEOUT_S = 5.0
#: connections served at once; more are closed at once, unanswered
MAX_CONNECTIONS = 16

#: Addresses the synth daemon accepts, in table order (a path may appear once only).
DAEMON_ADDRESSES: tuple[Address, ...] = FACE_ADDRESSES + SYNTH_ADDRESSES


def _json_value(v):
    """A JSON-safe form of one OSC argument (NaN/inf become null, bytes become a list)."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (bytes, bytearray)):
        return list(v)
    if hasattr(v, "item"):  # numpy scalar
        return _json_value(v.item())
    return v


def _type_of(a: Address, value: tuple | None) -> str:
    """Concrete OSC type tags; ``f*`` (z_dim floats) is resolved from the current value."""
    if a.types == "f*":
        if value:
            return "f" * len(value)
        return a.alt_types[0] if a.alt_types else "f"
    return a.types


def _range_of(a: Address, types: str) -> list[dict]:
    if not a.ranges:
        return []
    ranges = list(a.ranges)
    if a.types == "f*":
        ranges = ranges * len(types)
    out = []
    for r in ranges[:len(types)]:
        out.append({} if r is None else {"MIN": r[0], "MAX": r[1]})
    return out


def leaf_node(a: Address, value: tuple | None) -> dict:
    """The OSCQuery node of one address; ``value`` is its current arguments or None."""
    if value is None and a.default:
        value = tuple(a.default)
    if a.handler == "status" and value is not None:  # a request whose reply is readable too
        types = address(a.path, "reply").types
    else:
        types = _type_of(a, value)
    node = {"FULL_PATH": a.path, "TYPE": types, "DESCRIPTION": a.meaning + (
        f" ({a.unit})" if a.unit else "")}
    rng = _range_of(a, types)
    if rng:
        node["RANGE"] = rng
    if value is not None and len(value) == len(types):
        node["VALUE"] = [_json_value(v) for v in value]
        node["ACCESS"] = ACCESS_READWRITE
    else:
        node["ACCESS"] = ACCESS_WRITE
    return node


def build_namespace(values: Mapping[str, tuple] | None = None,
                    addresses: tuple[Address, ...] = DAEMON_ADDRESSES) -> dict:
    """The whole OSCQuery tree (the root node, ``FULL_PATH`` ``/``) for ``addresses``."""
    values = values or {}
    root = {"FULL_PATH": "/", "ACCESS": ACCESS_NONE, "DESCRIPTION": "Latent Resonance",
            "CONTENTS": {}}
    for a in addresses:
        parts = [p for p in a.path.split("/") if p]
        node = root
        for i, part in enumerate(parts):
            contents = node.setdefault("CONTENTS", {})
            if part not in contents:
                contents[part] = {"FULL_PATH": "/" + "/".join(parts[:i + 1]),
                                  "ACCESS": ACCESS_NONE}
            node = contents[part]
        v = values.get(a.path)
        node.update(leaf_node(a, tuple(v) if v is not None else None))
    return root


def find_node(root: dict, path: str) -> dict | None:
    """The node at ``path`` ("/" is the root), or None."""
    node = root
    for part in [p for p in path.split("/") if p]:
        node = node.get("CONTENTS", {}).get(part)
        if node is None:
            return None
    return node


class _Handler(BaseHTTPRequestHandler):
    server_version = "latent-resonance-oscquery/1"
    timeout = HANDLER_TIMEOUT_S  # socket timeout for the whole exchange (StreamRequestHandler)
    # set on the subclass made per server
    oscq: OSCQueryServer

    def log_message(self, fmt, *args):  # route http.server's stderr chatter to logging
        log.debug("http %s: " + fmt, self.client_address[0], *args)

    def _send(self, code: int, body: dict | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self):  # noqa: N802 (http.server naming)
        self.do_GET()

    def do_GET(self):  # noqa: N802
        host = self.headers.get("Host")
        if host is not None and not self.oscq.host_ok(host):
            log.debug("OSCQuery: refused Host %r from %s", host[:80], self.client_address[0])
            self._send(421, {"ERROR": "this server answers only requests that name this "
                                      "machine in their Host header"})
            return
        url = urlsplit(self.path)
        path = unquote(url.path) or "/"
        query = unquote(url.query)
        if query == "HOST_INFO":
            self._send(200, self.oscq.host_info(self.connection.getsockname()[0]))
            return
        try:
            root = self.oscq.namespace()
        except Exception:  # a daemon bug must not take discovery down
            log.exception("OSCQuery: reading current values failed")
            self._send(500, {"ERROR": "reading current values failed"})
            return
        node = find_node(root, path)
        if node is None:
            self._send(404, {"ERROR": f"no such OSC path: {path}"})
            return
        if not query:
            self._send(200, node)
        elif query not in ATTRIBUTES:
            self._send(400, {"ERROR": f"unknown attribute: {query}"})
        elif query not in node:
            self._send(204)
        else:
            self._send(200, {query: node[query]})


class _HTTPServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` that serves only allowed peers, at most ``MAX_CONNECTIONS`` at
    once (one thread each); the others are closed before a thread is made for them."""

    daemon_threads = True
    allow: list = []

    def __init__(self, *a, **kw):
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(*a, **kw)

    def verify_request(self, request, client_address) -> bool:
        if not peer_allowed(client_address[0], self.allow):
            log.debug("OSCQuery: refused %s (not in --allow)", client_address[0])
            return False
        if not self._slots.acquire(blocking=False):
            log.debug("OSCQuery: %d connections open; closed one from %s", MAX_CONNECTIONS,
                      client_address[0])
            return False
        return True

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address):  # a client's timeout or reset: not ours
        log.debug("OSCQuery: connection from %s ended badly", client_address[0])


class OSCQueryServer:
    """A running OSCQuery HTTP server (and, when possible, its zeroconf adverts).

    ``port`` is the bound HTTP port (useful when started with port 0); ``allow``: networks
    (besides loopback) that may read it; ``advertise``: None advertises unless bound to
    loopback, True/False force it.  ``close()`` stops serving and withdraws the adverts.
    """

    def __init__(self, port: int, osc_port: int, values: ValuesFn, name: str = "latent-resonance",
                 host: str = "127.0.0.1", advertise: bool | None = None, allow=()):
        self.name = name
        self.host = host
        self.osc_port = int(osc_port)
        self._values = values
        handler = type("Handler", (_Handler,), {"oscq": self})
        try:
            self._httpd = _HTTPServer((host, int(port)), handler)
        except OSError as exc:  # the daemon decides: warn and run without discovery
            raise OSError(exc.errno, f"OSCQuery: cannot listen on {host}:{port}: "
                                     f"{exc.strerror}") from None
        self._httpd.allow = list(allow)
        self.port = self._httpd.server_address[1]
        self._hosts = _own_names(host)
        self.advertised: list[str] = []  #: addresses the adverts name (once registered)
        if advertise is None:
            advertise = not _is_loopback(host)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="oscquery-http",
                                        daemon=True)
        self._thread.start()
        self._zc = None
        self._infos: list = []
        self._zc_lock = threading.Lock()
        self._closed = False
        if advertise:
            # registering probes the network for ~2 s: never delay the daemon's start for it
            threading.Thread(target=self._advertise, name="oscquery-mdns", daemon=True).start()
        log.info("OSCQuery namespace at %s", self.url)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def namespace(self) -> dict:
        return build_namespace(self._values())

    def host_ok(self, host: str) -> bool:
        """Whether an HTTP ``Host`` value names this machine (see the module docstring)."""
        h = host.strip().lower()
        if h.startswith("["):  # [v6] or [v6]:port
            name, _, rest = h[1:].partition("]")
            if rest not in ("", f":{self.port}"):
                return False
        else:
            name, _, port = h.partition(":")
            if port not in ("", str(self.port)):
                return False
        return name.rstrip(".") in self._hosts

    def host_info(self, local_ip: str | None = None) -> dict:
        """HOST_INFO; ``local_ip``: the address the asking connection reached (what a client
        should send OSC to when the daemon is bound to every interface)."""
        ip = self.host
        if _is_wildcard(ip):
            mapped = peer_ip(local_ip) if local_ip else None
            ip = str(mapped) if mapped is not None else _primary_ip()
        return {"NAME": self.name, "OSC_IP": ip, "OSC_PORT": self.osc_port,
                "OSC_TRANSPORT": "UDP", "EXTENSIONS": EXTENSIONS}

    def _advertise(self) -> None:
        try:
            from zeroconf import IPVersion, ServiceInfo, Zeroconf

            ips = _advertised_ips(self.host)
            if not ips:
                log.info("zeroconf: no interface to advertise on besides loopback")
                return
            hostname = socket.gethostname().split(".")[0] or "localhost"
            infos = [ServiceInfo(kind, f"{self.name}.{kind}",
                                 addresses=[socket.inet_aton(ip) for ip in ips],
                                 port=p, properties={}, server=f"{hostname}.local.")
                     for kind, p in (("_oscjson._tcp.local.", self.port),
                                     ("_osc._udp.local.", self.osc_port))]
            zc = Zeroconf(interfaces=ips, ip_version=IPVersion.V4Only)
            with self._zc_lock:
                if self._closed:
                    zc.close()
                    return
                self._zc = zc
            for info in infos:
                zc.register_service(info, allow_name_change=True)
                with self._zc_lock:
                    self._infos.append(info)
            self.advertised = ips
            log.info("zeroconf: advertised %s as _oscjson._tcp and _osc._udp on %s", self.name,
                     ", ".join(ips))
        except Exception as exc:  # mDNS is optional: never fail the daemon for it
            if self._closed:  # closed while registering: nothing to report
                return
            log.warning("zeroconf advertisement failed (%s); OSCQuery still serves %s",
                        exc, self.url)

    def close(self) -> None:
        """Stop the HTTP server and withdraw the zeroconf adverts (idempotent)."""
        with self._zc_lock:
            if self._closed:
                return
            self._closed = True
            zc, infos = self._zc, list(self._infos)
        self._httpd.shutdown()
        self._httpd.server_close()
        if zc is not None:
            try:
                for info in infos:
                    zc.unregister_service(info)
                zc.close()
            except Exception as exc:
                log.debug("zeroconf close: %s", exc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _is_wildcard(host: str) -> bool:
    return host in ("", "0.0.0.0", "::")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    ip = peer_ip(host)
    return ip is not None and ip.is_loopback


def _interface_ips() -> list[str]:
    """IPv4 addresses of this machine's interfaces, loopback excluded (``ifaddr``, which
    zeroconf itself uses)."""
    import ifaddr

    out = []
    for adapter in ifaddr.get_adapters():
        for a in adapter.ips:
            if isinstance(a.ip, str) and not a.ip.startswith("127.") and a.ip not in out:
                out.append(a.ip)
    return out


def _advertised_ips(host: str) -> list[str]:
    """The IPv4 addresses to advertise for a daemon bound to ``host``."""
    if _is_wildcard(host):
        return _interface_ips()
    if host == "localhost":
        return ["127.0.0.1"]
    ip = peer_ip(host)
    return [str(ip)] if ip is not None and ip.version == 4 else []


def _own_names(host: str) -> frozenset[str]:
    """Lower-case names and addresses by which a client on a machine may name this one."""
    names = {"localhost", "127.0.0.1", "::1"}
    bound = peer_ip(host)
    if bound is not None and not _is_wildcard(host):
        names.add(str(bound))
    elif not _is_wildcard(host):
        names.add(host.lower())
    hostname = socket.gethostname().lower()
    if hostname:
        short = hostname.split(".")[0]
        names |= {hostname, short, f"{short}.local"}
    if not _is_loopback(host):
        try:
            names |= set(_interface_ips())
        except Exception:  # noqa: BLE001 - the names above still work
            pass
    return frozenset(names)


def _primary_ip() -> str:
    """The address of the interface that routes outward (no packet is sent)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed, just picks an interface
        return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        s.close()


def start_oscquery(port: int, osc_port: int, values: ValuesFn, name: str = "latent-resonance",
                   host: str = "127.0.0.1", advertise: bool | None = None,
                   allow=()) -> OSCQueryServer:
    """Serve the daemon's OSCQuery namespace on HTTP ``port`` (0 = any free port).

    ``values()`` returns ``{path: tuple of current argument values}`` for the addresses whose
    state the daemon knows (e.g. ``{"/lr/synth/speed": (1.0,), "/lr/latent": (z0, z1, ...)}``);
    it is called once per HTTP request from a server thread, so it must be cheap and thread-safe
    (return a copy).  ``osc_port`` is the daemon's OSC UDP port, announced in HOST_INFO and as
    ``_osc._udp``.  ``allow``: the OSC port's ``--allow`` networks; ``advertise``: see
    :class:`OSCQueryServer`.  Returns the server; call ``close()`` on shutdown.  Raises OSError
    (with a one-line message) when the HTTP port cannot be bound; zeroconf failures only log a
    warning.
    """
    return OSCQueryServer(port, osc_port, values, name=name, host=host, advertise=advertise,
                          allow=allow)
