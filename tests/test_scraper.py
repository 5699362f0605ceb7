"""The Freesound scraper against a local HTTP server speaking APIv2's response shapes."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from bridge.cli import main

KEY = "s3cret-test-key-0123456789"
OGG = b"OggS" + b"\x00" * 60  # stands in for audio bytes


class FakeFreesound:
    """A tiny APIv2 look-alike: /apiv2/search/text/ (token auth, paging, one 429, one 500)
    and /previews/<id>.<ext> (one broken preview)."""

    def __init__(self):
        self.requests: list[tuple[str, dict]] = []
        self.throttle_once = True
        self.error_once = True
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # keep pytest output clean
                pass

            def _send(self, code, body=b"", ctype="application/json", headers=None):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802
                url = urlparse(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                outer.requests.append((self.path, dict(self.headers)))
                if url.path == "/apiv2/search/text/":
                    if self.headers.get("Authorization") != f"Token {KEY}":
                        return self._send(401, b'{"detail": "Invalid token."}')
                    if outer.throttle_once:
                        outer.throttle_once = False
                        return self._send(429, b'{"detail": "Request was throttled."}',
                                          headers={"Retry-After": "0"})
                    page = int(q.get("page", "1"))
                    size = int(q.get("page_size", "15"))
                    ids = list(range((page - 1) * 3 + 1, page * 3 + 1)) if page <= 3 else []
                    base = f"http://127.0.0.1:{outer.port}"
                    results = [{"id": i, "name": f"Cello/long note #{i}?.wav", "duration": 5.0,
                                "previews": {"preview-hq-ogg": f"{base}/previews/{i}.ogg",
                                             "preview-hq-mp3": f"{base}/previews/{i}.mp3"}}
                               for i in ids]
                    nxt = (f"{base}/apiv2/search/text/?query=x&page={page + 1}&page_size={size}"
                           if page < 3 else None)
                    body = json.dumps({"count": 9, "next": nxt, "previous": None,
                                       "results": results}).encode()
                    return self._send(200, body)
                if url.path.startswith("/previews/"):
                    if self.headers.get("Authorization"):
                        return self._send(400, b"key leaked to preview host")
                    name = url.path.rsplit("/", 1)[1]
                    if name.startswith("5."):
                        return self._send(404, b"gone", "text/plain")
                    if name.startswith("2.") and outer.error_once:
                        outer.error_once = False
                        return self._send(503, b"busy", "text/plain")
                    return self._send(200, OGG, "audio/ogg")
                return self._send(404, b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}/apiv2"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    s = FakeFreesound()
    yield s
    s.close()


def _args(server, out, *extra):
    return ["scrape", "cello sustained", str(out), "--base-url", server.base, "--backoff", "0.01",
            "--no-progress", *extra]


def test_pages_retries_broken_preview_and_resume(server, tmp_path, capsys, caplog):
    out = tmp_path / "raw"
    caplog.set_level(logging.DEBUG)
    rc = main(_args(server, out, "--api-key", KEY, "--num-results", "7",
                    "--min-duration", "2", "--max-duration", "30"))
    assert rc == 0
    files = sorted(p.name for p in out.iterdir())
    # ids 1..8 seen over three pages; 5 is broken (404) and skipped; 2 succeeded after a 503
    assert files == [f"{i}_Cello_long_note_{i}_.wav.ogg" for i in (1, 2, 3, 4, 6, 7, 8)]
    assert not list(out.glob("*.part"))
    first = server.requests[0][0]
    assert "duration%3A%5B2+TO+30%5D" in first or "duration:[2 TO 30]" in first
    text = capsys.readouterr().out + capsys.readouterr().err + caplog.text
    assert KEY not in text and all(KEY not in path for path, _ in server.requests)
    # resume: nothing new to download, existing files are skipped
    n_before = len(server.requests)
    assert main(_args(server, out, "--api-key", KEY, "--num-results", "7")) == 0
    assert "downloaded 0, skipped existing 7" in capsys.readouterr().out
    again = [p for p, _ in server.requests[n_before:] if "/previews/" in p]
    assert again == ["/previews/5.ogg"]  # only the broken one is tried again


def test_key_from_environment_and_mp3(server, tmp_path, monkeypatch):
    monkeypatch.setenv("FREESOUND_API_KEY", KEY)
    out = tmp_path / "raw"
    assert main(_args(server, out, "--num-results", "2", "--format", "mp3")) == 0
    assert sorted(p.suffix for p in out.iterdir()) == [".mp3", ".mp3"]


def test_bad_key_is_one_clear_line(server, tmp_path, capsys):
    rc = main(_args(server, tmp_path / "raw", "--api-key", "wrong-key"))
    err = capsys.readouterr().err
    assert rc == 2 and "401" in err and "Traceback" not in err and "wrong-key" not in err


def test_missing_key(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("FREESOUND_API_KEY", raising=False)
    assert main(["scrape", "x", str(tmp_path)]) == 2
    assert "FREESOUND_API_KEY" in capsys.readouterr().err


def test_the_key_goes_only_to_the_api_host_and_previews_are_http_only(tmp_path):
    """A ``next`` link and a redirect to another host are fetched without the key; a
    ``file://`` preview is refused; an oversized body is cut off."""
    import bridge.material.scraper as scraper

    seen: list[tuple[str, str, str | None]] = []  # (server, path, Authorization)

    def serve(host: str, routes):
        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):  # noqa: N802
                seen.append((host, self.path, self.headers.get("Authorization")))
                code, headers, body = routes(self.path)
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        srv = ThreadingHTTPServer((host, 0), H)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        return srv

    other = serve("127.0.0.2", lambda path: (200, {}, json.dumps({
        "results": [], "next": None}).encode() if path.startswith("/apiv2") else OGG))
    op = other.server_address[1]

    def api_routes(path):
        if path.startswith("/apiv2/search"):
            results = [{"id": 1, "name": "a", "previews": {
                "preview-hq-ogg": "file:///etc/passwd"}},
                       {"id": 2, "name": "b", "previews": {
                "preview-hq-ogg": f"http://127.0.0.1:{ap}/redirect"}}]
            return 200, {}, json.dumps({"results": results,
                                        "next": f"http://127.0.0.2:{op}/apiv2/page2"}).encode()
        if path == "/redirect":
            return 302, {"Location": f"http://127.0.0.2:{op}/previews/2.ogg"}, b""
        if path == "/apiv2/big":
            return 200, {}, b"x" * (scraper.MAX_JSON_BYTES + 10)
        return 404, {}, b""

    api = serve("127.0.0.1", api_routes)
    ap = api.server_address[1]
    try:
        res = scraper.scrape_freesound("cello", tmp_path / "out", KEY, num_results=5,
                                       base_url=f"http://127.0.0.1:{ap}/apiv2", backoff_s=0,
                                       retries=0, progress=False)
        assert [p.name for p in res.downloaded] == ["2_b.ogg"]
        assert res.failed == ["1_a.ogg"]
        assert not any(KEY in (auth or "") for host, _, auth in seen if host == "127.0.0.2")
        assert any(host == "127.0.0.2" and path == "/apiv2/page2" for host, path, _ in seen)
        assert any(host == "127.0.0.1" and auth == f"Token {KEY}" for host, _, auth in seen)
        client = scraper.FreesoundClient(KEY, f"http://127.0.0.1:{ap}/apiv2", retries=0)
        with pytest.raises(scraper.ScrapeError, match="more than 8 MB"):
            client._open(f"http://127.0.0.1:{ap}/apiv2/big", auth=True)
    finally:
        api.shutdown()
        other.shutdown()
