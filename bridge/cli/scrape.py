"""``latent-resonance scrape QUERY OUT``: download Freesound HQ previews (origin CLI)."""

from __future__ import annotations

import logging
from pathlib import Path

HELP = "search Freesound (APIv2) and download HQ previews for a training set"
log = logging.getLogger("latent_resonance.scrape")


def add_arguments(p) -> None:
    p.add_argument("query", help="text search, e.g. 'cello sustained'")
    p.add_argument("output_dir", help="directory for the downloaded previews")
    p.add_argument("--api-key", help="Freesound API key (default: $FREESOUND_API_KEY); never printed")
    p.add_argument("--num-results", type=int, default=50, help="files to download")
    p.add_argument("--min-duration", type=float, help="shortest sound (seconds)")
    p.add_argument("--max-duration", type=float, help="longest sound (seconds)")
    p.add_argument("--format", choices=["ogg", "mp3"], default="ogg", help="preview format")
    p.add_argument("--base-url", default="https://freesound.org/apiv2",
                   help="API base URL (for mirrors and tests)")
    p.add_argument("--retries", type=int, default=4, help="retries on 429/5xx/network errors")
    p.add_argument("--backoff", type=float, default=1.0, help="first retry wait (s), doubling")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    from bridge.material.scraper import resolve_key, scrape_freesound

    key = resolve_key(args.api_key)
    res = scrape_freesound(args.query, Path(args.output_dir), key, num_results=args.num_results,
                           min_duration=args.min_duration, max_duration=args.max_duration,
                           fmt=args.format, base_url=args.base_url, backoff_s=args.backoff,
                           retries=args.retries, progress=not args.no_progress)
    log.info("downloaded %d, already present %d, failed %d -> %s", len(res.downloaded),
             len(res.skipped_existing), len(res.failed), args.output_dir)
    print(f"downloaded {len(res.downloaded)}, skipped existing {len(res.skipped_existing)}, "
          f"failed {len(res.failed)}")
    return 0
