"""Freesound APIv2 text search + HQ preview download (the origin's ``scrape_freesound``).

``GET {base}/search/text/?query=…&filter=duration:[min TO max]&fields=…&page_size=…`` with the
key in an ``Authorization: Token …`` header (never in a URL, never logged), following ``next``
links page by page.  Previews (``preview-hq-ogg`` / ``preview-hq-mp3``) are downloaded to
``OUT/<id>_<sanitised name>.<ext>`` through a ``.part`` file; existing files are skipped
(resume).  429 and 5xx answers and network errors are retried with exponential back-off
(honouring ``Retry-After``); a broken preview is reported and skipped.

The key goes only to the API's own scheme and host: a ``next`` link or a redirect to anywhere
else is fetched without it.  Previews must be ``http(s)`` URLs (a ``file://`` one would copy a
local file into the dataset); bodies are capped (:data:`MAX_JSON_BYTES`,
:data:`MAX_PREVIEW_BYTES`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bridge.errors import InputError

DEFAULT_BASE_URL = "https://freesound.org/apiv2"
ENV_KEY = "FREESOUND_API_KEY"
FIELDS = "id,name,duration,previews,license,username"
#: largest search page and preview accepted (bytes): a hostile or broken server cannot fill
#: memory or the disk
MAX_JSON_BYTES = 8 << 20
MAX_PREVIEW_BYTES = 64 << 20
log = logging.getLogger("latent_resonance.scrape")


class ScrapeError(Exception):
    """A request failed for good (after retries, or not retryable)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass
class ScrapeResult:
    downloaded: list[Path] = field(default_factory=list)
    skipped_existing: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def resolve_key(flag: str | None) -> str:
    """The API key from the flag or ``FREESOUND_API_KEY``; a missing key is an InputError."""
    key = (flag or os.environ.get(ENV_KEY, "")).strip()
    if not key:
        raise InputError(f"no Freesound API key: pass --api-key or set {ENV_KEY} "
                        "(get one at https://freesound.org/apiv2/apply)")
    return key


def sanitise(name: str, max_len: int = 80) -> str:
    """A safe file-name stem: letters, digits, '-', '_' and '.'; no leading dots; not empty."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    stem = re.sub(r"_+", "_", stem)[:max_len].rstrip("._")
    return stem or "sound"


def _origin(url: str) -> tuple[str, str]:
    u = urllib.parse.urlsplit(url)
    return (u.scheme.lower(), (u.hostname or "").lower() + (f":{u.port}" if u.port else ""))


class _KeepKeyHome(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but the Authorization header only to the API's own origin."""

    def __init__(self, home: tuple[str, str]):
        self.home = home

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(newurl) != self.home:
            for h in [k for k in new.headers if k.lower() == "authorization"]:
                del new.headers[h]
            new.unredirected_hdrs.pop("Authorization", None)
        return new


def _read_capped(resp, limit: int, url: str) -> bytes:
    body = resp.read(limit + 1)
    if len(body) > limit:
        raise ScrapeError(f"{_short(url)} sent more than {limit >> 20} MB; skipped")
    return body


class FreesoundClient:
    """Minimal Freesound APIv2 client (stdlib urllib).  ``backoff_s`` is the first retry wait."""

    def __init__(self, api_key: str, base_url: str = DEFAULT_BASE_URL, retries: int = 4,
                 backoff_s: float = 1.0, timeout_s: float = 30.0):
        self._key = api_key
        self.base_url = base_url.rstrip("/")
        self.retries, self.backoff_s, self.timeout_s = retries, backoff_s, timeout_s
        self._home = _origin(self.base_url)
        self._opener = urllib.request.build_opener(_KeepKeyHome(self._home))

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text

    def _open(self, url: str, auth: bool, limit: int = MAX_JSON_BYTES) -> bytes:
        """GET ``url`` with retries on 429/5xx/network errors; returns the body (at most
        ``limit`` bytes).  The key is sent only when ``auth`` and ``url`` is the API's own
        scheme and host."""
        headers = {"User-Agent": "latent-resonance-scraper/0.1"}
        if auth and _origin(url) == self._home:
            headers["Authorization"] = f"Token {self._key}"
        wait = self.backoff_s
        for attempt in range(self.retries + 1):
            try:
                req = urllib.request.Request(url, headers=headers)
                with self._opener.open(req, timeout=self.timeout_s) as resp:
                    return _read_capped(resp, limit, url)
            except urllib.error.HTTPError as exc:
                status = exc.code
                if status == 401:
                    raise ScrapeError("Freesound rejected the API key (401 unauthorised)", 401) from None
                if status == 429 or 500 <= status < 600:
                    retry_after = exc.headers.get("Retry-After") if exc.headers else None
                    if attempt < self.retries:
                        delay = float(retry_after) if retry_after and retry_after.isdigit() else wait
                        log.info("HTTP %d, retrying in %.1f s", status, delay)
                        time.sleep(min(delay, 60.0))
                        wait *= 2
                        continue
                raise ScrapeError(f"HTTP {status} for {self._redact(_short(url))}", status) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt < self.retries:
                    log.info("network error (%s), retrying in %.1f s",
                             self._redact(str(getattr(exc, "reason", exc))), wait)
                    time.sleep(wait)
                    wait *= 2
                    continue
                raise ScrapeError(f"network error for {self._redact(_short(url))}: "
                                  f"{self._redact(str(getattr(exc, 'reason', exc)))}") from None
        raise ScrapeError("unreachable")  # pragma: no cover

    def search_url(self, query: str, min_duration: float | None, max_duration: float | None,
                   page_size: int) -> str:
        params = {"query": query, "fields": FIELDS, "page_size": str(page_size)}
        if min_duration is not None or max_duration is not None:
            lo = "*" if min_duration is None else f"{min_duration:g}"
            hi = "*" if max_duration is None else f"{max_duration:g}"
            params["filter"] = f"duration:[{lo} TO {hi}]"
        return f"{self.base_url}/search/text/?{urllib.parse.urlencode(params)}"

    def search(self, query: str, min_duration: float | None = None,
               max_duration: float | None = None, page_size: int = 50):
        """Yield result dicts page by page (following ``next``)."""
        url: str | None = self.search_url(query, min_duration, max_duration, page_size)
        while url:
            body = self._open(url, auth=True)
            try:
                page = json.loads(body)
                results = page["results"]
            except (ValueError, KeyError, TypeError):
                raise ScrapeError("unexpected search response (not Freesound JSON)") from None
            yield from results
            url = page.get("next")
            if url is not None and (not isinstance(url, str) or
                                    _origin(url)[0] not in ("http", "https")):
                raise ScrapeError("unexpected search response (a 'next' link that is not "
                                  "an http(s) URL)")

    def download(self, url: str, dest: Path) -> Path:
        """Download a preview to ``dest`` via ``dest.part``; empty bodies count as broken, and
        anything but an ``http(s)`` URL is refused."""
        if not isinstance(url, str) or _origin(url)[0] not in ("http", "https"):
            raise ScrapeError(f"preview is not an http(s) URL: {str(url)[:60]!r}")
        body = self._open(url, auth=False, limit=MAX_PREVIEW_BYTES)
        if not body:
            raise ScrapeError(f"empty preview {_short(url)}")
        part = dest.with_name(dest.name + ".part")
        part.write_bytes(body)
        part.replace(dest)
        return dest


def _short(url: str) -> str:
    """URL without its query string (which might carry a token)."""
    return url.split("?", 1)[0]


def scrape_freesound(query: str, output_dir: str | Path, api_key: str, *, num_results: int = 50,
                     min_duration: float | None = None, max_duration: float | None = None,
                     fmt: str = "ogg", base_url: str = DEFAULT_BASE_URL, backoff_s: float = 1.0,
                     retries: int = 4, progress: bool = True) -> ScrapeResult:
    """Search Freesound and download up to ``num_results`` HQ previews (``fmt`` ogg or mp3)."""
    from tqdm import tqdm

    if fmt not in ("ogg", "mp3"):
        raise InputError(f"--format must be ogg or mp3, got {fmt!r}")
    if num_results <= 0:
        raise InputError("--num-results must be positive")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    client = FreesoundClient(api_key, base_url, retries=retries, backoff_s=backoff_s)
    result = ScrapeResult()
    bar = tqdm(total=num_results, unit="file", desc="scrape", disable=not progress)
    try:
        for item in client.search(query, min_duration, max_duration,
                                  page_size=min(150, max(num_results, 1))):
            if len(result.downloaded) + len(result.skipped_existing) >= num_results:
                break
            try:
                sid = int(item["id"])
                preview = item["previews"][f"preview-hq-{fmt}"]
            except (KeyError, TypeError, ValueError):
                result.failed.append(str(item.get("id", "?")) if isinstance(item, dict) else "?")
                log.warning("skipping a result without a %s preview", fmt)
                continue
            dest = out / f"{sid}_{sanitise(str(item.get('name', 'sound')))}.{fmt}"
            if dest.is_file() and dest.stat().st_size > 0:
                result.skipped_existing.append(dest)
                bar.update()
                continue
            try:
                client.download(preview, dest)
            except ScrapeError as exc:
                log.warning("skipping %s: %s", dest.name, exc)
                result.failed.append(dest.name)
                continue
            result.downloaded.append(dest)
            bar.update()
    except ScrapeError as exc:
        if exc.status == 401 or not (result.downloaded or result.skipped_existing):
            raise InputError(str(exc)) from None
        log.warning("search stopped early: %s", exc)
    finally:
        bar.close()
    return result
