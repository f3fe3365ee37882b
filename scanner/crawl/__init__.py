"""Runtime inventory: visit a site in headless Chromium and record what it really fires.

`crawl(target, options, catalog)` takes a URL or a directory of built HTML (served here on
127.0.0.1) and returns runtime findings (Source.RUNTIME) plus one PageRecord per URL
tried. By default nothing leaves the machine for a vendor: see network.py.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

from scanner.catalog import Catalog
from scanner.crawl.browser import find_browser
from scanner.crawl.engine import CrawlResult, CrawlSettings, Crawler, Progress
from scanner.crawl.errors import BrowserNotFound, CrawlError
from scanner.crawl.frontier import origin_of
from scanner.crawl.server import serve_directory
from scanner.crawl.store import Store
from scanner.crawl.visit import VisitPlan
from scanner.shard import Shard

__all__ = ["BrowserNotFound", "CrawlError", "CrawlOptions", "CrawlResult", "crawl", "find_browser"]


@dataclass(frozen=True)
class CrawlOptions:
    max_pages: int = 50
    max_depth: int = 3
    include: tuple[str, ...] = ()
    """Regexes: a discovered URL must match one (when any are given)."""
    exclude: tuple[str, ...] = ()
    """Regexes: a discovered URL matching one is not visited."""
    concurrency: int = 2
    page_timeout_s: float = 15
    settle_ms: int = 1500
    """Longest wait for the network to go quiet after a load or an action."""
    timer_wait_ms: int = 2000
    """Timers set for at most this long are waited for (their calls count as `timer`)."""
    interact: bool = True
    max_interactions: int = 30
    selectors: tuple[str, ...] = ()
    """CSS selectors to exercise before anything else, e.g. the static scan's trigger selectors."""
    consent: bool = True
    allow_vendor_traffic: bool = False
    browser_path: str | None = None
    resume_db: str | None = None
    """SQLite file the crawl is saved to as it goes."""
    resume: bool = False
    """Continue the crawl saved in resume_db instead of starting it afresh."""
    block_media: bool = True
    obey_robots: bool = True
    """robots.txt of remote sites (a local target has none worth asking)."""
    extra_browser_args: tuple[str, ...] = ()
    shard: Shard | None = None
    """Visit only part k of n of the pages (`--shard K/N`); the rest are fetched for their links."""


def _patterns(values: tuple[str, ...], what: str) -> tuple[re.Pattern, ...]:
    try:
        return tuple(re.compile(v) for v in values)
    except re.error as exc:
        raise CrawlError(f"bad {what} pattern: {exc}") from None


def _settings(options: CrawlOptions) -> CrawlSettings:
    page_timeout_ms = int(options.page_timeout_s * 1000)
    plan = VisitPlan(page_timeout_ms=page_timeout_ms, settle_ms=options.settle_ms,
                     timer_wait_ms=options.timer_wait_ms, interact=options.interact,
                     max_interactions=options.max_interactions, interaction_budget_s=options.page_timeout_s,
                     selectors=tuple(options.selectors))
    return CrawlSettings(
        max_pages=options.max_pages, max_depth=options.max_depth,
        include=_patterns(options.include, "include"), exclude=_patterns(options.exclude, "exclude"),
        concurrency=options.concurrency, plan=plan, consent=options.consent,
        allow_vendor_traffic=options.allow_vendor_traffic, block_media=options.block_media,
        obey_robots=options.obey_robots, browser_args=tuple(options.extra_browser_args), shard=options.shard)


def crawl(target: str, options: CrawlOptions, catalog: Catalog, progress: Progress | None = None) -> CrawlResult:
    """Crawl a URL, or a directory (or one HTML file in it) served on 127.0.0.1 for the
    purpose. Raises CrawlError
    (BrowserNotFound among them) when the crawl cannot start; page faults are diagnostics."""
    settings = _settings(options)
    local = Path(target)
    served_dir = local.is_dir() or local.is_file()
    if not served_dir and not re.match(r"^https?://", target, re.IGNORECASE):
        raise CrawlError(f"not a directory, an HTML file or an http(s) URL: {target}")
    # A single file is crawled from inside its directory.
    root, first = (local.parent, "/" + local.name) if local.is_file() else (local, "/")
    store_key = str(local.resolve()) if served_dir else origin_of(target)
    if options.shard is not None:  # another shard's saved crawl is not this one's
        store_key += " shard %d/%d" % options.shard
    with contextlib.ExitStack() as stack:
        start = stack.enter_context(serve_directory(root)) + first if served_dir else target
        store = Store(options.resume_db, store_key, options.resume) if options.resume_db else None
        if store:
            stack.callback(store.close)
        crawler = Crawler(start, served_dir, settings, catalog, progress, store)
        return asyncio.run(crawler.run(options.browser_path))
