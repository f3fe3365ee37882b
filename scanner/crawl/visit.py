"""One visit of one page in one browser context: load, settle, wait for timers, scroll,
exercise, and drain what the page recorded after every phase.

A visit fills its Visit as it goes, so a page that hangs still reports what it did before
the hard time limit cut it off.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from scanner.crawl import consent, interact
from scanner.crawl.frontier import origin_of
from scanner.crawl.instrument import Record, parse_records
from scanner.crawl.network import PageNetwork, Router
from scanner.model import Diagnostic, Level, Trigger, TriggerKind

_LINKS = "() => Array.from(document.querySelectorAll('a[href], area[href]'), a => a.href).slice(0, 5000)"
_DRAIN = "() => window.__pm ? window.__pm.drain() : null"
_QUIET = "ms => window.__pm ? window.__pm.quiet(ms) : 0"
_HIDE = "() => window.__pm ? window.__pm.leave() : false"
_FORGET_TAB = "() => { try { sessionStorage.clear(); } catch (e) {} window.name = ''; }"
_NEXT_FRAME = "() => new Promise(resolve => requestAnimationFrame(() => resolve()))"
_QUIET_NETWORK_MS = 50
_ACTION_WAIT_MS = 1000
_BUSY_ACTION_WAIT_MS = 100


@dataclass(frozen=True)
class VisitPlan:
    page_timeout_ms: int
    settle_ms: int
    timer_wait_ms: int
    interact: bool
    max_interactions: int
    interaction_budget_s: float
    selectors: tuple[str, ...] = ()
    """Elements to exercise first (a static scan's trigger selectors)."""

    @property
    def hard_limit_s(self) -> float:
        """The most a visit may take, two loads included (consent reloads the page)."""
        waits = 3 * (self.settle_ms + self.timer_wait_ms) / 1000
        return 2 * self.page_timeout_ms / 1000 + waits + self.interaction_budget_s + 10


@dataclass
class Visit:
    url: str
    net: PageNetwork = field(default_factory=PageNetwork)
    phases: list[Trigger] = field(default_factory=lambda: [Trigger(TriggerKind.PAGE_LOAD)])
    records: list[Record] = field(default_factory=list)
    status: int | str | None = None
    final_url: str | None = None
    title: str | None = None
    error: str | None = None
    banner: consent.Banner | None = None
    links: list[str] = field(default_factory=list)
    jar: list[dict] = field(default_factory=list)
    """Cookies that appeared in the context's jar during this visit."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    analysed: bool = False
    """Loaded on the site and drained at least once: its observations count."""
    hung: bool = False
    """Cut off by the hard limit: the context may hold a stuck renderer."""
    crashed: bool = False

    def warn(self, message: str, level: Level = Level.WARNING) -> None:
        self.diagnostics.append(Diagnostic(level, self.url, message))

    def begin(self, trigger: Trigger) -> None:
        self.phases.append(trigger)
        self.net.phase = len(self.phases) - 1

    @property
    def ok(self) -> bool:
        return isinstance(self.status, int) and self.status < 400


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


async def _drain(page, visit: Visit) -> None:
    drained = await page.evaluate(_DRAIN)
    if drained is None:
        return
    visit.records.extend(parse_records(drained["records"], visit.net.phase))
    visit.analysed = True
    if drained["dropped"]:
        visit.warn(f"{drained['dropped']} runtime records dropped (over the per-phase limit)")


async def _load(page, visit: Visit, plan: VisitPlan) -> bool:
    """Navigate and wait for the page to settle; False when there is nothing to analyse."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    visit.net.navigations_allowed = 1
    try:
        response = await page.goto(visit.url, wait_until="domcontentloaded", timeout=plan.page_timeout_ms)
    except PlaywrightTimeout:
        visit.status = "timeout"
        visit.warn(f"no DOM within {plan.page_timeout_ms / 1000:g} s")
        if origin_of(page.url) == origin_of(visit.url):  # it started: what ran so far counts
            await _drain(page, visit)
            visit.links = await page.evaluate(_LINKS)
        return False
    except PlaywrightError as exc:
        visit.status, visit.error = "error", first_line(exc)
        visit.warn(f"cannot load: {visit.error}", Level.ERROR)
        return False
    visit.status = response.status if response is not None else visit.status
    visit.final_url = page.url
    if origin_of(page.url) != origin_of(visit.url):
        visit.warn(f"redirected off the site to {page.url}; not analysed")
        return False
    if not visit.ok:
        visit.warn(f"HTTP {visit.status}")
    remaining_ms = plan.page_timeout_ms - (loop.time() - started) * 1000
    try:
        await page.wait_for_load_state("load", timeout=max(remaining_ms, 500))
    except PlaywrightTimeout:
        visit.warn(f"never finished loading within {plan.page_timeout_ms / 1000:g} s; what it did so far is kept")
    await visit.net.settle(_QUIET_NETWORK_MS, plan.settle_ms)
    visit.title = await page.title()
    return True


async def _after_action(page, plan: VisitPlan, busy: bool) -> None:
    """Let the action's timers and fetches finish. Requests it started need no wait: they
    are attributed through the script records the init script made when they started."""
    await page.evaluate(_QUIET, _BUSY_ACTION_WAIT_MS if busy else min(plan.timer_wait_ms, _ACTION_WAIT_MS))


async def _settle(page, visit: Visit, plan: VisitPlan, busy: bool) -> None:
    """After an action the page did not ask for (accepting consent, leaving): its timers,
    fetches and requests, then what it recorded."""
    await _after_action(page, plan, busy)
    await visit.net.settle(_QUIET_NETWORK_MS, plan.settle_ms)
    await _drain(page, visit)


async def _exercise(page, visit: Visit, plan: VisitPlan, busy: bool) -> None:
    loop = asyncio.get_running_loop()
    visit.begin(Trigger(TriggerKind.SCROLL))
    await interact.scroll_to_bottom(page)
    await page.evaluate(_NEXT_FRAME)
    await _after_action(page, plan, busy)
    await _drain(page, visit)
    avoid = [visit.banner.root] if visit.banner and visit.banner.root else []
    found = await interact.candidates(page, plan.max_interactions, avoid, plan.selectors)
    deadline = loop.time() + plan.interaction_budget_s
    for done, candidate in enumerate(found):
        if loop.time() > deadline:
            visit.warn(f"interaction time spent after {done} of {len(found)} elements", Level.INFO)
            break
        visit.begin(candidate.trigger)
        if await interact.perform(page, candidate):
            await _after_action(page, plan, busy)
        await _drain(page, visit)


async def _run(page, visit: Visit, plan: VisitPlan, accept_consent: bool) -> None:
    if not await _load(page, visit, plan):
        return
    await _drain(page, visit)
    visit.banner = await consent.detect(page)
    if accept_consent and visit.banner:
        visit.begin(Trigger(TriggerKind.PAGE_LOAD))
        if not await consent.accept(page, visit.banner):
            visit.warn(f"could not accept the {visit.banner.platform} consent banner")
        await _settle(page, visit, plan, busy=False)
        # Visit again with consent given: some pixels only look at consent on page load.
        visit.begin(Trigger(TriggerKind.PAGE_LOAD))
        if not await _load(page, visit, plan):
            return
        await _drain(page, visit)
    visit.begin(Trigger(TriggerKind.TIMER))
    still_pending = await page.evaluate(_QUIET, plan.timer_wait_ms)
    await _drain(page, visit)
    if plan.interact and visit.ok:
        await _exercise(page, visit, plan, busy=bool(still_pending))
    await visit.net.settle(_QUIET_NETWORK_MS, plan.settle_ms)  # the requests of the last phases
    visit.links = await page.evaluate(_LINKS)
    await _hide(page, visit, plan)


async def _hide(page, visit: Visit, plan: VisitPlan) -> None:
    """Last, as the page may not survive it: what it sends as the visitor leaves (pagehide,
    unload, visibilitychange to hidden) is a `visibility` event."""
    visit.begin(Trigger(TriggerKind.VISIBILITY))
    if await page.evaluate(_HIDE):
        await _settle(page, visit, plan, busy=True)


def _watch(page, visit: Visit) -> list[tuple[str, object]]:
    """Listen to the tab for this visit; returns the listeners, to detach when it ends."""
    def on_dialog(dialog) -> None:
        # Dismissing "leave this page?" would keep the tab on it; every other dialog is dismissed.
        leaving = dialog.type == "beforeunload"
        visit.warn(f"{'accepted' if leaving else 'dismissed'} a dialog ({dialog.type})", Level.INFO)
        asyncio.ensure_future(dialog.accept() if leaving else dialog.dismiss())

    def on_download(download) -> None:
        visit.warn(f"cancelled a download of {download.url}", Level.INFO)
        asyncio.ensure_future(download.cancel())

    def on_popup(popup) -> None:
        asyncio.ensure_future(popup.close())

    def on_crash(_page) -> None:
        visit.crashed = True
        visit.warn("the tab crashed", Level.ERROR)

    listeners = [("dialog", on_dialog), ("download", on_download), ("popup", on_popup), ("crash", on_crash),
                 *visit.net.listeners()]
    for event, handler in listeners:
        page.on(event, handler)
    return listeners


async def _leave(page) -> None:
    """Leave the page so the tab can take the next visit as a new tab would: the site's
    sessionStorage and window.name survive navigations within one tab, so they are cleared.
    (What pagehide and unload handlers send as the page goes is not seen: Playwright reports
    no request a page makes while it unloads.)"""
    await page.evaluate(_FORGET_TAB)
    await page.goto("about:blank")


async def visit_page(page, router: Router, url: str, plan: VisitPlan, accept_consent: bool,
                     known_cookies: set[tuple[str, str, str]]) -> Visit:
    """Visit url in page, a tab reused from visit to visit. known_cookies (name, domain,
    path) is the context's jar before; it is updated, and the visit's jar holds what is new.
    A visit that leaves the tab unusable says so with hung or crashed."""
    visit = Visit(url)
    router.pages[page] = visit.net
    listeners = _watch(page, visit)
    try:
        await asyncio.wait_for(_run(page, visit, plan, accept_consent), timeout=plan.hard_limit_s)
    except asyncio.TimeoutError:
        visit.hung = True
        visit.status = visit.status if visit.status is not None else "timeout"
        visit.warn(f"stopped after {plan.hard_limit_s:g} s; what it did so far is kept")
    except PlaywrightError as exc:
        visit.error = first_line(exc)
        visit.status = "error" if visit.status is None or visit.crashed else visit.status
        visit.warn(f"visit failed: {visit.error}", Level.ERROR)
    try:
        jar = await asyncio.wait_for(page.context.cookies(), timeout=5)
    except (PlaywrightError, asyncio.TimeoutError):
        jar = []
    for cookie in jar:
        key = (cookie["name"], cookie["domain"], cookie["path"])
        if key not in known_cookies:
            known_cookies.add(key)
            visit.jar.append(cookie)
    if not (visit.hung or visit.crashed):
        try:
            await asyncio.wait_for(_leave(page), timeout=5)
            await asyncio.wait_for(visit.net.finish(), timeout=5)
        except (PlaywrightError, asyncio.TimeoutError):
            visit.hung = True
    router.pages.pop(page, None)
    for event, handler in listeners:
        page.remove_listener(event, handler)
    return visit
