"""A visit's records and requests as findings, and how URLs are reported.

Calls and assignments are decoded with the catalog's shapes (calls.py); requests with its
loaders and beacons, attributed to the script that started them where the init script saw
it. An event a call already reported is not reported again from the beacon it sends.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from scanner.catalog import Catalog
from scanner.crawl.calls import Decoded, decode_assignment, decode_call
from scanner.crawl.cookies import Attribution, catalog_role, jar_findings
from scanner.crawl.instrument import Frame, Record
from scanner.crawl.visit import Visit
from scanner.model import CookieFinding, EventFinding, Finding, Location, PixelFinding, Source, Storage, Value

_PIXEL_ROLES = frozenset({"init", "config", "loader", "beacon"})  # as the static JS analyzer has them


@dataclass(frozen=True)
class SiteUrls:
    """How URLs of the crawled site are reported: relative file paths for a served
    directory (they match a static scan of it, and no ephemeral port leaks), else as is."""

    origin: str
    served_dir: bool

    def show(self, url: str) -> str:
        if not (self.served_dir and url.startswith(self.origin + "/")):
            return url
        path = urlsplit(url).path.lstrip("/")
        return path + "index.html" if path == "" or path.endswith("/") else path

    def page(self, url: str) -> str:
        """The URL path of a page (with its query): what findings name as `page`."""
        parts = urlsplit(url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def page_url(self, url: str) -> str:
        """A page as the page list names it."""
        return self.page(url) if self.served_dir and url.startswith(self.origin + "/") else url


class _Builder:
    def __init__(self, visit: Visit, catalog: Catalog, site: SiteUrls):
        self.visit = visit
        self.catalog = catalog
        self.site = site
        self.page = site.page(visit.url)
        self.out: list[Finding] = []

    def location(self, frame: Frame | None) -> Location:
        if frame is None:
            return Location(self.site.show(self.visit.url), 1, 1, 0, 0)
        return Location(self.site.show(frame.url), frame.line, frame.column, 0, 0)

    def script(self, frame: Frame | None) -> str | None:
        return self.site.show(frame.url) if frame else None

    def decoded(self, d: Decoded, phase: int, frame: Frame | None) -> None:
        common = dict(location=self.location(frame), account_id=d.account_id, source=Source.RUNTIME,
                      script_url=self.script(frame), page=self.page)
        if d.role == "event" and d.event is not None:
            self.out.append(EventFinding(vendor=d.vendor, name=d.event, params=d.params,
                                         trigger=self.visit.phases[phase], **common))
        elif d.role in _PIXEL_ROLES or d.role == "event":
            # An event whose name is not a literal still shows the pixel is there.
            self.out.append(PixelFinding(vendor=d.vendor, role=d.role, **common))

    def record(self, rec: Record) -> None:
        if rec.kind == "call":
            decoded = decode_call(self.catalog, rec.callee, list(rec.args), rec.is_new)
        elif rec.kind == "assign":
            decoded = tuple(d for a in self.catalog.assignments_by_target.get(rec.target, ())
                            if (d := decode_assignment(a, rec.value)) is not None)
        else:
            return
        for d in decoded:
            self.decoded(d, rec.phase, rec.frame)

    def requests(self) -> None:
        """Loader and beacon requests, each joined to the script that started it."""
        hints: dict[str, list[Record]] = defaultdict(list)
        for rec in self.visit.records:
            if rec.kind == "request":
                hints[rec.url].append(rec)
        called = {(f.vendor, f.name, f.trigger) for f in self.out if isinstance(f, EventFinding)}
        for request in self.visit.net.requests:
            hint = hints[request.url].pop(0) if hints.get(request.url) else None
            frame = hint.frame if hint else None
            trigger = self.visit.phases[hint.phase if hint else request.phase]
            common = dict(location=self.location(frame), source=Source.RUNTIME,
                          script_url=self.script(frame), page=self.page)
            if request.loader:
                self.out.append(PixelFinding(vendor=request.loader.vendor, role="loader",
                                             account_id=request.loader.account_id, **common))
            for beacon in request.beacons:
                self.out.append(PixelFinding(vendor=beacon.vendor, role="beacon", account_id=beacon.account_id,
                                             **common))
                if beacon.event and (beacon.vendor, beacon.event, trigger) not in called:
                    params = tuple((k, Value(json.dumps(v))) for k, v in beacon.params)
                    self.out.append(EventFinding(vendor=beacon.vendor, name=beacon.event,
                                                 account_id=beacon.account_id, params=params, trigger=trigger,
                                                 **common))

    def cookies(self, site_host: str) -> None:
        writers: dict[str, Attribution] = {}
        for name in self.visit.net.set_cookies:
            writers.setdefault(name, Attribution("http", None))
        for rec in self.visit.records:
            if rec.kind == "cookie_write" and (rec.name not in writers or writers[rec.name].set_by == "http"):
                # A script's write says more than the header it may have repeated.
                where = self.location(rec.frame) if rec.frame else None
                writers[rec.name] = Attribution(self.script(rec.frame), where)
        self.out.extend(jar_findings(self.visit.jar, writers, self.catalog, site_host, self.page, False))
        for rec in self.visit.records:
            if rec.kind == "cookie_read":
                names = rec.names
                storage = Storage.COOKIE
            elif rec.kind == "storage_write":
                names = (rec.name,)
                storage = Storage(rec.storage)
            else:
                continue
            for name in names:
                vendor, role = catalog_role(self.catalog, name)
                if vendor is None:
                    continue  # only catalog cookies: a script reading the whole jar reads every cookie
                self.out.append(CookieFinding(
                    name=name, access="read" if rec.kind == "cookie_read" else "write",
                    location=self.location(rec.frame), vendor=vendor, role=role, storage=storage,
                    source=Source.RUNTIME, set_by=self.script(rec.frame) if rec.kind == "storage_write" else None,
                    page=self.page))


def visit_findings(visit: Visit, catalog: Catalog, site: SiteUrls) -> list[Finding]:
    """Every finding of one analysed visit, without duplicates, in the order seen."""
    if not visit.analysed:
        return []
    builder = _Builder(visit, catalog, site)
    for rec in visit.records:
        builder.record(rec)
    builder.requests()
    builder.cookies(urlsplit(visit.url).hostname or "")
    return list(dict.fromkeys(builder.out))


def _consent_key(f: Finding) -> tuple:
    if isinstance(f, PixelFinding):
        return ("pixel", f.vendor, f.account_id, f.role)
    if isinstance(f, EventFinding):
        return ("event", f.vendor, f.account_id, f.name, f.trigger.kind, f.trigger.selector)
    return ("cookie", f.name, f.storage, f.access)


def merge_consent(before: list[Finding], after: list[Finding]) -> list[Finding]:
    """The visit before accepting, plus what only the visit after accepting saw, marked so."""
    seen = {_consent_key(f) for f in before}
    out = list(before)
    for f in after:
        key = _consent_key(f)
        if key not in seen:
            seen.add(key)
            out.append(replace(f, after_consent=True))
    return out
