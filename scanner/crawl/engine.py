"""The crawl loop: a frontier of same-site pages, workers each holding browser contexts,
every page visited before consent (and after accepting it, once the site shows a banner),
results saved page by page."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright

from scanner.catalog import Catalog
from scanner.crawl.browser import LAUNCH_ARGS, installed, resolve_browser
from scanner.crawl.errors import CrawlError
from scanner.crawl.findings import SiteUrls, merge_consent, visit_findings
from scanner.crawl.frontier import (USER_AGENT, Scope, dropped_params, fetch_robots, normalise_url, origin_of,
                                    page_links, sitemap_urls)
from scanner.crawl.instrument import init_script
from scanner.crawl.network import LOCAL_HOSTS, Policy, Router, resolver_rules, vendor_hosts
from scanner.crawl.store import Store, StoredPage
from scanner.crawl.visit import Visit, VisitPlan, first_line, visit_page
from scanner.model import CookieFinding, Diagnostic, Finding, Level, PageRecord
from scanner.shard import Shard, in_shard

Progress = Callable[[int, int, str], None]
"""progress(pages done, pages known so far, URL just visited)."""

_FETCH_TIMEOUT_S = 10


@dataclass(frozen=True)
class CrawlSettings:
    """What the engine needs from CrawlOptions, checked and converted."""

    max_pages: int
    max_depth: int
    include: tuple[re.Pattern, ...]
    exclude: tuple[re.Pattern, ...]
    concurrency: int
    plan: VisitPlan
    consent: bool
    allow_vendor_traffic: bool
    block_media: bool
    obey_robots: bool
    browser_args: tuple[str, ...]
    shard: Shard | None
    """Visit only this part of the pages; the others are fetched for their links alone."""


@dataclass(frozen=True)
class CrawlResult:
    findings: tuple[Finding, ...]
    pages: tuple[PageRecord, ...]
    diagnostics: tuple[Diagnostic, ...]


class _Tabs:
    """One worker's browser contexts, each with one tab reused from visit to visit (a new
    tab per page costs more than the visit of a small page): `plain` never accepts consent;
    `consented` does."""

    def __init__(self, browser, script: str, router: Router):
        self.browser = browser
        self.script = script
        self.router = router
        self.contexts: dict[str, object] = {}
        self.tabs: dict[str, object] = {}
        self.cookies: dict[str, set] = {}

    async def get(self, kind: str):
        if kind not in self.contexts:
            context = await self.browser.new_context(service_workers="block", accept_downloads=False,
                                                     viewport={"width": 1280, "height": 900})
            await context.add_init_script(script=self.script)
            await context.route("**/*", self.router.handle)
            self.contexts[kind] = context
            self.cookies[kind] = set()
        tab = self.tabs.get(kind)
        if tab is None or tab.is_closed():
            tab = self.tabs[kind] = await self.contexts[kind].new_page()
        return tab

    async def replace_tab(self, kind: str) -> None:
        """Close a crashed tab; the context and its jar stay."""
        tab = self.tabs.pop(kind, None)
        if tab is not None:
            await _quietly(tab.close())

    async def discard(self, kind: str) -> None:
        """Drop a context that may hold a stuck renderer; the next page gets a fresh one."""
        self.tabs.pop(kind, None)
        context = self.contexts.pop(kind, None)
        self.cookies.pop(kind, None)
        if context is not None:
            await _quietly(context.close())

    async def close(self) -> None:
        for kind in list(self.contexts):
            await self.discard(kind)


async def _quietly(closing) -> None:
    try:
        await asyncio.wait_for(closing, timeout=5)
    except (PlaywrightError, asyncio.TimeoutError):
        pass


@dataclass
class _State:
    scheduled: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    pages: list[PageRecord] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    reported_cookies: set[tuple] = field(default_factory=set)
    site_has_banner: bool = False
    done: int = 0


class Crawler:
    def __init__(self, start_url: str, served_dir: bool, settings: CrawlSettings, catalog: Catalog,
                 progress: Progress | None, store: Store | None):
        self.drop = dropped_params(catalog)
        normalised = normalise_url(start_url, self.drop)
        if normalised is None:
            raise CrawlError(f"not an http(s) URL: {start_url}")
        self.start = normalised
        self.site = SiteUrls(origin_of(normalised), served_dir)
        self.settings = settings
        self.catalog = catalog
        self.progress = progress
        self.store = store
        self.local = served_dir or (urlsplit(self.start).hostname or "") in LOCAL_HOSTS
        self.scope = Scope(self.site.origin, settings.include, settings.exclude)
        self.queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        self.state = _State()

    # ---- frontier ---------------------------------------------------------------------------
    def _offer(self, url: str, depth: int) -> str | None:
        """Schedule url if in scope and new; returns its normalised form when in scope."""
        normalised = normalise_url(url, self.drop)
        if normalised is None or not self.scope.allows(normalised):
            return None
        if (normalised not in self.state.scheduled and depth <= self.settings.max_depth
                and len(self.state.scheduled) < self.settings.max_pages):
            self.state.scheduled.add(normalised)
            self.queue.put_nowait((normalised, depth))
        return normalised

    def _relative(self, url: str) -> str:
        return url[len(self.site.origin):] or "/"

    def _seed(self) -> None:
        stored = self.store.pages() if self.store else []
        for page in stored:
            self.state.scheduled.add(self.site.origin + page.path)
            self._collect(page)
        if self.start not in self.state.scheduled:
            if self.scope.robots is not None and not self.scope.robots.can_fetch(USER_AGENT, self.start):
                self.state.diagnostics.append(
                    Diagnostic(Level.WARNING, self.start, "robots.txt disallows the start page"))
            else:
                self.state.scheduled.add(self.start)
                self.queue.put_nowait((self.start, 0))
        for page in stored:
            for link in page.links:
                self._offer(self.site.origin + link, page.depth + 1)

    def _collect(self, page: StoredPage) -> None:
        state = self.state
        state.done += 1
        if page.record is None:
            return
        for finding in page.findings:
            if isinstance(finding, CookieFinding):
                key = (finding.name, finding.storage, finding.access, finding.set_by, finding.location)
                if key in state.reported_cookies:
                    continue
                state.reported_cookies.add(key)
            state.findings.append(finding)
        state.pages.append(page.record)
        state.diagnostics.extend(page.diagnostics)
        state.site_has_banner = state.site_has_banner or page.record.consent_banner is not None

    # ---- one page ---------------------------------------------------------------------------
    async def _visit(self, tabs: _Tabs, kind: str, url: str) -> Visit:
        try:
            tab = await tabs.get(kind)
        except PlaywrightError as exc:
            visit = Visit(url, status="error", error=first_line(exc))
            visit.warn(f"cannot open a tab: {visit.error}", Level.ERROR)
            await tabs.discard(kind)
            return visit
        visit = await visit_page(tab, tabs.router, url, self.settings.plan,
                                 accept_consent=kind == "consented", known_cookies=tabs.cookies[kind])
        if visit.hung:
            await tabs.discard(kind)
        elif visit.crashed:
            await tabs.replace_tab(kind)
        return visit

    def _links_found(self, links, depth: int) -> tuple[str, ...]:
        """Offer the links to the frontier; the in-scope ones, relative to the origin."""
        in_scope = {n for link in links if (n := self._offer(link, depth + 1)) is not None}
        return tuple(sorted(self._relative(n) for n in in_scope))

    async def _page(self, tabs: _Tabs, url: str, depth: int) -> StoredPage:
        shard = self.settings.shard
        if shard is not None and not in_shard(self._relative(url), shard):
            links = await asyncio.to_thread(page_links, url, _FETCH_TIMEOUT_S)
            return StoredPage(self._relative(url), depth, None, (), (), self._links_found(links, depth))
        plain = await self._visit(tabs, "plain", url)
        findings = visit_findings(plain, self.catalog, self.site)
        diagnostics = list(plain.diagnostics)
        links = list(plain.links) + plain.net.blocked_navigations
        banner = plain.banner
        if self.settings.consent and plain.analysed and (banner or self.state.site_has_banner):
            self.state.site_has_banner = True
            consented = await self._visit(tabs, "consented", url)
            findings = merge_consent(findings, visit_findings(consented, self.catalog, self.site))
            diagnostics.extend(d for d in consented.diagnostics if d not in diagnostics)
            banner = banner or consented.banner
        moved = plain.final_url not in (None, url)
        record = PageRecord(url=self.site.page_url(url), status=plain.status if plain.status is not None else "error",
                            depth=depth, title=plain.title or None, error=plain.error,
                            consent_banner=banner.platform if banner else None,
                            final_url=self.site.page_url(plain.final_url) if moved else None)
        shown = [Diagnostic(d.level, self.site.page_url(d.path) if d.path else None, d.message) for d in diagnostics]
        return StoredPage(self._relative(url), depth, record, tuple(findings), tuple(shown),
                          self._links_found(links, depth))

    def _failed(self, url: str, depth: int, exc: Exception) -> StoredPage:
        message = f"internal error: {type(exc).__name__}: {exc}"
        record = PageRecord(url=self.site.page_url(url), status="error", depth=depth, error=message)
        return StoredPage(self._relative(url), depth, record, (),
                          (Diagnostic(Level.ERROR, self.site.page_url(url), message),), ())

    async def _worker(self, tabs: _Tabs) -> None:
        while True:
            url, depth = await self.queue.get()
            try:
                try:
                    page = await self._page(tabs, url, depth)
                except Exception as exc:  # one page's failure must not end the crawl
                    page = self._failed(url, depth, exc)
                if self.store:
                    self.store.save(page)
                self._collect(page)
                if self.progress:
                    self.progress(self.state.done, len(self.state.scheduled), url)
            finally:
                self.queue.task_done()

    # ---- the run ----------------------------------------------------------------------------
    async def run(self, explicit_browser: str | None) -> CrawlResult:
        settings = self.settings
        if settings.obey_robots and not self.local:
            robots = await asyncio.to_thread(fetch_robots, self.site.origin, _FETCH_TIMEOUT_S)
            self.scope = Scope(self.site.origin, settings.include, settings.exclude, robots)
        self._seed()
        for url in await asyncio.to_thread(sitemap_urls, self.site.origin, self.scope.robots, _FETCH_TIMEOUT_S):
            self._offer(url, 1)
        policy = Policy(self.catalog, local_target=self.local, allow_vendor_traffic=settings.allow_vendor_traffic,
                        block_media=settings.block_media, hosts=vendor_hosts(self.catalog))
        script = init_script(self.catalog, settings.plan.timer_wait_ms)
        rules = resolver_rules(policy)
        # Given twice, a Chromium switch takes its last value: the caller's own rules win.
        args = [*LAUNCH_ARGS, *([f"--host-resolver-rules={rules}"] if rules else []), *settings.browser_args]
        async with async_playwright() as playwright:
            browser_path = resolve_browser(explicit_browser, lambda: installed(playwright.chromium.executable_path))
            try:
                browser = await playwright.chromium.launch(executable_path=browser_path, headless=True, args=args)
            except PlaywrightError as exc:
                raise CrawlError(f"cannot start the browser {browser_path}: {first_line(exc)}") from None
            router = Router(policy)
            pools = [_Tabs(browser, script, router) for _ in range(max(1, settings.concurrency))]
            workers = [asyncio.create_task(self._worker(pool)) for pool in pools]
            try:
                await self._until_done(workers)
            finally:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                for pool in pools:
                    await pool.close()
                await browser.close()
        state = self.state
        return CrawlResult(tuple(state.findings), tuple(state.pages), tuple(state.diagnostics))

    async def _until_done(self, workers: list[asyncio.Task]) -> None:
        """Wait for the frontier to empty; a worker that fails ends the crawl with its error."""
        joined = asyncio.create_task(self.queue.join())
        await asyncio.wait([joined, *workers], return_when=asyncio.FIRST_COMPLETED)
        for task in workers:
            if task.done() and task.exception() is not None:
                joined.cancel()
                raise task.exception()
        await joined
