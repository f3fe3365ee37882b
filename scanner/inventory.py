"""The inventory model (shared/formats.md) and the merge of findings into it.

Findings say what one file or one page shows; the inventory says what the site has: one
Pixel per vendor account, one Event per distinct call (with every place it is written or
was seen firing), one Cookie per name. The merge resolves accounts that a finding could not
see locally (an event in cart.js belongs to the Meta pixel initialised in the layout), joins
static and runtime observations, and adds each vendor's identity cookies from the catalog.
"""
from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Iterable

from scanner.catalog import Catalog
from scanner.findings_io import finding_from_json, finding_to_json
from scanner.model import (CookieFinding, CookieRole, Diagnostic, EventFinding, Expr, FileResult, Finding,
                           Level, Location, PageRecord, PixelFinding, Source, Trigger, TriggerKind, Value)

SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class Pixel:
    vendor: str
    account_id: str | None
    account_expr: str | None
    active: bool
    sources: tuple[str, ...]
    after_consent: bool
    locations: tuple[Location, ...]
    roles: tuple[str, ...] = ()
    """What the code at the locations does: loader, init, config, noscript, beacon, settings, ..."""
    pages: tuple[str, ...] = ()
    injected_by: tuple[str, ...] = ()
    """Runtime only: scripts that loaded or called the pixel (a tag manager, a CMS plugin)."""

    def to_json(self) -> dict:
        return {"vendor": self.vendor, "account_id": self.account_id, "account_expr": self.account_expr,
                "active": self.active, "sources": list(self.sources), "after_consent": self.after_consent,
                "locations": [l.to_json() for l in self.locations], "roles": list(self.roles),
                "pages": list(self.pages), "injected_by": list(self.injected_by)}


@dataclass(frozen=True)
class Event:
    vendor: str
    account_id: str | None
    name: str
    active: bool
    trigger: Trigger
    params: tuple[tuple[str, Value | Expr], ...]
    sources: tuple[str, ...]
    pages: tuple[str, ...]
    locations: tuple[Location, ...]
    after_consent: bool = False
    name_expr: bool = False
    """The name is the source text of the expression that computes it."""

    def to_json(self) -> dict:
        return {"vendor": self.vendor, "account_id": self.account_id, "name": self.name, "active": self.active,
                "trigger": self.trigger.to_json(), "params": params_to_json(self.params),
                "sources": list(self.sources), "pages": list(self.pages),
                "locations": [l.to_json() for l in self.locations], "after_consent": self.after_consent,
                "name_expr": self.name_expr}


@dataclass(frozen=True)
class Cookie:
    name: str
    vendor: str | None
    role: str
    access: tuple[str, ...]
    set_by: str | None
    locations: tuple[Location, ...]
    storage: str = "cookie"
    sources: tuple[str, ...] = ()
    format: str | None = None
    """The value's documented shape (catalog), e.g. fb.<subdomainIndex>.<creation ms>.<random>."""
    server_field: str | None = None

    def to_json(self) -> dict:
        return {"name": self.name, "vendor": self.vendor, "role": self.role, "access": list(self.access),
                "set_by": self.set_by, "locations": [l.to_json() for l in self.locations],
                "storage": self.storage, "sources": list(self.sources), "format": self.format,
                "server_field": self.server_field}


@dataclass(frozen=True)
class Stats:
    files_scanned: int = 0
    files_with_findings: int = 0
    files_skipped: int = 0
    bytes_read: int = 0

    def to_json(self) -> dict:
        return {"files_scanned": self.files_scanned, "files_with_findings": self.files_with_findings,
                "files_skipped": self.files_skipped, "bytes_read": self.bytes_read}


@dataclass(frozen=True)
class RawFindings:
    """What a scan found before the merge: kept by sharded scans so shards merge exactly."""

    findings: tuple[Finding, ...]
    diagnostics: tuple[Diagnostic, ...]

    def to_json(self) -> dict:
        return {"findings": [finding_to_json(f) for f in self.findings],
                "diagnostics": [d.to_json() for d in self.diagnostics]}


@dataclass(frozen=True)
class Inventory:
    pixels: tuple[Pixel, ...] = ()
    events: tuple[Event, ...] = ()
    cookies: tuple[Cookie, ...] = ()
    pages: tuple[PageRecord, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    stats: Stats = Stats()
    raw: RawFindings | None = None

    def to_json(self) -> dict:
        data = {"schema_version": SCHEMA_VERSION,
                "pixels": [p.to_json() for p in self.pixels],
                "events": [e.to_json() for e in self.events],
                "cookies": [c.to_json() for c in self.cookies],
                "pages": [p.to_json() for p in self.pages],
                "diagnostics": [d.to_json() for d in self.diagnostics],
                "stats": self.stats.to_json()}
        if self.raw is not None:
            data["raw"] = self.raw.to_json()
        return data

    def dumps(self) -> str:
        return _layout(self.to_json(), 0) + "\n"


def _layout(value, level: int) -> str:
    """JSON with one record (pixel, event, cookie, page, diagnostic) per line: a diff of two
    inventories shows one line per changed record, and the records go through json's C
    encoder (indent= takes the pure-Python one, most of a large scan's output time)."""
    expand = (isinstance(value, list) and level <= 2) or (isinstance(value, dict) and level <= 1)
    if not expand or not value:
        return json.dumps(value, ensure_ascii=False)
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(key, ensure_ascii=False)}: {_layout(item, level + 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    return "[\n" + ",\n".join(inner + _layout(item, level + 1) for item in value) + "\n" + pad + "]"


def params_to_json(params: Iterable[tuple[str, Value | Expr]]) -> dict:
    out = {}
    for name, value in params:
        out[name] = {"value": json.loads(value.json_text)} if isinstance(value, Value) else {"expr": value.source}
    return out


# ---------------------------------------------------------------------------------------------
# Merge

AccountKey = tuple[str | None, str | None]  # (account_id, account_expr)


def _account(f: Finding) -> AccountKey:
    return (getattr(f, "account_id", None), getattr(f, "account_expr", None))


def _scope(f: Finding) -> str:
    """Where a finding's neighbours live: the same file, or the same page at runtime."""
    if f.source == Source.RUNTIME and f.page:
        return "page:" + f.page
    return "file:" + (f.location.path if f.location else "")


class _AccountResolver:
    """Gives findings without an account the account their vendor has in the same file or
    page, else the only account the vendor has anywhere."""

    def __init__(self, findings: list[Finding]):
        self.local: dict[tuple[str, str], set[AccountKey]] = defaultdict(set)
        self.site: dict[str, set[AccountKey]] = defaultdict(set)
        for f in findings:
            if isinstance(f, PixelFinding) and f.active and _account(f) != (None, None):
                self.local[(f.vendor, _scope(f))].add(_account(f))
                self.site[f.vendor].add(_account(f))

    def resolve(self, f: PixelFinding | EventFinding) -> AccountKey:
        if _account(f) != (None, None):
            return _account(f)
        for candidates in (self.local.get((f.vendor, _scope(f)), set()), self.site.get(f.vendor, set())):
            if len(candidates) == 1:
                return next(iter(candidates))
        return (None, None)


def _sources(findings: Iterable[Finding]) -> tuple[str, ...]:
    return tuple(sorted({f.source.value for f in findings}))


def _locations(findings: Iterable[Finding]) -> tuple[Location, ...]:
    return tuple(sorted({f.location for f in findings if f.location is not None}))


def _pages(findings: Iterable[Finding]) -> tuple[str, ...]:
    return tuple(sorted({f.page for f in findings if getattr(f, "page", None)}))


def _merge_pixels(pixel_findings: list[PixelFinding], resolver: _AccountResolver) -> list[Pixel]:
    groups: dict[tuple, list[PixelFinding]] = defaultdict(list)
    for f in pixel_findings:
        account_id, account_expr = resolver.resolve(f)
        groups[(f.vendor, account_id, account_expr, f.active)].append(f)
    pixels = []
    for (vendor, account_id, account_expr, active), group in groups.items():
        pixels.append(Pixel(
            vendor=vendor, account_id=account_id, account_expr=account_expr, active=active,
            sources=_sources(group), after_consent=all(f.after_consent for f in group),
            locations=_locations(group), roles=tuple(sorted({f.role for f in group})), pages=_pages(group),
            injected_by=tuple(sorted({f.script_url for f in group if f.script_url}))))
    return pixels


def _event_key(f: EventFinding, account: str | None) -> tuple:
    return (f.vendor, account, f.name, f.active, f.trigger, f.params, f.name_is_expr)


def _finding_order(f: EventFinding) -> tuple:
    where = f.location
    return (where.path, where.start, where.line, where.column, f.page or "", f.vendor, f.name, f.trigger.kind.value)


def _merge_events(event_findings: list[EventFinding], resolver: _AccountResolver) -> list[Event]:
    """Static events group by their whole shape. A runtime event joins a static event of the
    same vendor and name whose account agrees (or is unknown statically), preferring the same
    trigger kind; else runtime events group by vendor, account, name and trigger, with the
    params seen first (values differ from page to page)."""
    groups: dict[tuple, list[EventFinding]] = defaultdict(list)
    runtime: list[tuple[EventFinding, str | None]] = []
    # Joins take the first candidate: sorted, merged shards give what one run gives.
    for f in sorted(event_findings, key=_finding_order):
        account = resolver.resolve(f)[0]
        if f.source == Source.RUNTIME:
            runtime.append((f, account))
        else:
            groups[_event_key(f, account)].append(f)
    by_name: dict[tuple, list[tuple]] = defaultdict(list)
    for key in groups:
        vendor, account, name, active, trigger, _, name_is_expr = key
        if active and not name_is_expr:
            by_name[(vendor, name)].append(key)
    runtime_only: dict[tuple, tuple] = {}
    for f, account in sorted(runtime, key=lambda item: (item[0].page or "", _finding_order(item[0]))):
        candidates = [k for k in by_name.get((f.vendor, f.name), []) if k[1] in (account, None)]
        same_kind = [k for k in candidates if k[4].kind == f.trigger.kind]
        target = same_kind[0] if same_kind else (candidates[0] if len(candidates) == 1 else None)
        if target is None:
            shape = (f.vendor, account, f.name, f.active, f.trigger)
            target = runtime_only.setdefault(shape, _event_key(f, account))
        groups[target].append(f)
    events = []
    for (vendor, account, name, active, trigger, params, name_is_expr), group in groups.items():
        if account is None:
            account = next((a for f in group if f.source == Source.RUNTIME
                            for a in [resolver.resolve(f)[0]] if a), None)
        if trigger.selector is None:
            # The element the crawl clicked confirms the selector the code did not spell out.
            seen = sorted({f.trigger.selector for f in group if f.source == Source.RUNTIME
                           and f.trigger.kind == trigger.kind and f.trigger.selector})
            if seen:
                trigger = replace(trigger, selector=seen[0])
        events.append(Event(vendor=vendor, account_id=account, name=name, active=active, trigger=trigger,
                            params=params, sources=_sources(group), pages=_pages(group),
                            locations=_locations(group), after_consent=all(f.after_consent for f in group),
                            name_expr=name_is_expr))
    return events


def _merge_cookies(cookie_findings: list[CookieFinding], pixels: list[Pixel], catalog: Catalog) -> list[Cookie]:
    groups: dict[tuple, list[CookieFinding]] = defaultdict(list)
    for f in cookie_findings:
        groups[(f.name, f.storage.value)].append(f)
    cookies = []
    for (name, storage), group in groups.items():
        spec = catalog.cookie_spec(name)
        vendor = next((f.vendor for f in group if f.vendor), spec.vendor if spec else None)
        role = next((f.role.value for f in group if f.role != CookieRole.OTHER),
                    spec.role if spec else CookieRole.OTHER.value)
        cookies.append(Cookie(
            name=name, vendor=vendor, role=role, access=tuple(sorted({f.access for f in group})),
            set_by=next((f.set_by for f in sorted(group, key=lambda f: f.set_by or "") if f.set_by), None),
            locations=_locations(group), storage=storage, sources=_sources(group),
            format=spec.format if spec else None, server_field=spec.server_field if spec else None))
    seen_names = [c.name for c in cookies]
    active_vendors = sorted({p.vendor for p in pixels if p.active})
    for vendor_id in active_vendors:
        if vendor_id not in catalog.by_id:
            continue
        for spec in catalog.get(vendor_id).cookies:
            if any(spec.pattern.search(n) for n in seen_names):
                continue
            cookies.append(Cookie(name=spec.name, vendor=vendor_id, role=spec.role, access=(), set_by=None,
                                  locations=(), storage=spec.storage, sources=(Source.CATALOG.value,),
                                  format=spec.format, server_field=spec.server_field))
    return cookies


def _implied_pixels(events: list[Event], vendors_with_pixels: set[str], diagnostics: list[Diagnostic]) -> list[Pixel]:
    """A vendor whose events are sent but whose loader is nowhere in the code still has a pixel:
    it is loaded by a tag manager or at runtime, and the inventory must say so."""
    implied: dict[tuple[str, str | None], list[Event]] = defaultdict(list)
    for event in events:
        if event.vendor not in vendors_with_pixels:
            implied[(event.vendor, event.account_id)].append(event)
    pixels = []
    for (vendor, account_id), group in sorted(implied.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        pixels.append(Pixel(vendor=vendor, account_id=account_id, account_expr=None,
                            active=any(e.active for e in group),
                            sources=tuple(sorted({s for e in group for s in e.sources})),
                            after_consent=all(e.after_consent for e in group), locations=(), roles=("implied",)))
        diagnostics.append(Diagnostic(Level.WARNING, None,
                                      f"{vendor}: events are sent but no loader or init was found in the scanned "
                                      "code (loaded by a tag manager or at runtime?)"))
    return pixels


def build_inventory(results: Iterable[FileResult], catalog: Catalog, pages: Iterable[PageRecord] = (),
                    extra_findings: Iterable[Finding] = (), extra_diagnostics: Iterable[Diagnostic] = (),
                    base_stats: Stats = Stats(), keep_raw: bool = False) -> Inventory:
    """The inventory of everything given. `keep_raw` keeps the findings and per-file
    diagnostics as they were before the merge, for `merge` to rebuild from (sharded scans)."""
    findings: list[Finding] = list(extra_findings)
    diagnostics: list[Diagnostic] = list(extra_diagnostics)
    scanned, with_findings, skipped, bytes_read = (base_stats.files_scanned, base_stats.files_with_findings,
                                                   base_stats.files_skipped, base_stats.bytes_read)
    for result in results:
        bytes_read += result.bytes_read
        diagnostics.extend(result.diagnostics)
        if result.skipped is not None:
            skipped += 1
            if not any(d.path == result.path and d.level == Level.ERROR for d in result.diagnostics):
                diagnostics.append(Diagnostic(Level.INFO, result.path, f"skipped: {result.skipped}"))
            continue
        scanned += 1
        if result.findings:
            with_findings += 1
            findings.extend(result.findings)
    raw = RawFindings(tuple(findings), tuple(diagnostics)) if keep_raw else None
    resolver = _AccountResolver(findings)
    pixel_findings = [f for f in findings if isinstance(f, PixelFinding)]
    event_findings = [f for f in findings if isinstance(f, EventFinding)]
    cookie_findings = [f for f in findings if isinstance(f, CookieFinding)]
    pixels = _merge_pixels(pixel_findings, resolver)
    events = _merge_events(event_findings, resolver)
    pixels.extend(_implied_pixels(events, {p.vendor for p in pixels}, diagnostics))
    cookies = _merge_cookies(cookie_findings, pixels, catalog)
    return Inventory(
        pixels=tuple(sorted(pixels, key=lambda p: (p.vendor, p.account_id or "", p.account_expr or "", not p.active))),
        events=tuple(sorted(events, key=_event_sort_key)),
        cookies=tuple(sorted(cookies, key=lambda c: (c.vendor or "~", c.name, c.storage))),
        pages=tuple(sorted(pages, key=lambda p: p.url)),
        diagnostics=tuple(sorted(set(diagnostics), key=lambda d: (d.path or "", d.level.value, d.message))),
        stats=Stats(scanned, with_findings, skipped, bytes_read), raw=raw)


def merge_inventories(parts: Iterable[Inventory], catalog: Catalog) -> Inventory:
    """One inventory from the raw findings of several (sharded) scans: the same as one scan
    of the whole tree, since accounts are resolved again over everything."""
    findings: list[Finding] = []
    diagnostics: list[Diagnostic] = []
    pages: dict[str, PageRecord] = {}
    totals = Stats()
    for part in parts:
        if part.raw is None:
            raise InventoryError("has no raw findings to merge: write it with `scan --shard K/N` "
                                 "or `scan --keep-findings`")
        findings.extend(part.raw.findings)
        diagnostics.extend(part.raw.diagnostics)
        pages.update((p.url, p) for p in part.pages)
        totals = Stats(*(a + b for a, b in zip(dataclasses.astuple(totals), dataclasses.astuple(part.stats))))
    return build_inventory([], catalog, pages=pages.values(), extra_findings=findings, extra_diagnostics=diagnostics,
                           base_stats=totals)


def _event_sort_key(e: Event) -> tuple:
    first = e.locations[0] if e.locations else None
    return (e.vendor, e.account_id or "", e.name, first.path if first else "", first.start if first else 0,
            e.trigger.kind.value, not e.active)


# ---------------------------------------------------------------------------------------------
# Reading an inventory back (spec, report, audit and merge start from the JSON file)

class InventoryError(Exception):
    """The file is not an inventory this version understands."""


def _location(raw: dict) -> Location:
    return Location(raw["path"], int(raw["line"]), int(raw["column"]), int(raw["start"]), int(raw["end"]))


def _params(raw: dict) -> tuple[tuple[str, Value | Expr], ...]:
    out = []
    for name, value in raw.items():
        if "value" in value:
            out.append((name, Value(json.dumps(value["value"], sort_keys=True, separators=(",", ":")))))
        else:
            out.append((name, Expr(value.get("expr", ""))))
    return tuple(out)


def _trigger(raw: dict) -> Trigger:
    try:
        kind = TriggerKind(raw.get("kind", "unknown"))
    except ValueError:
        kind = TriggerKind.UNKNOWN
    return Trigger(kind, raw.get("selector"), tuple(raw.get("conditions", ())))


def inventory_from_json(data: dict) -> Inventory:
    if not isinstance(data, dict) or "pixels" not in data:
        raise InventoryError("not a pixelmigrate inventory (no 'pixels')")
    if str(data.get("schema_version", "1")) != SCHEMA_VERSION:
        raise InventoryError(f"unsupported inventory schema_version {data.get('schema_version')!r}")
    try:
        pixels = tuple(Pixel(
            vendor=p["vendor"], account_id=p.get("account_id"), account_expr=p.get("account_expr"),
            active=bool(p.get("active", True)), sources=tuple(p.get("sources", ())),
            after_consent=bool(p.get("after_consent", False)),
            locations=tuple(_location(l) for l in p.get("locations", ())), roles=tuple(p.get("roles", ())),
            pages=tuple(p.get("pages", ())), injected_by=tuple(p.get("injected_by", ())))
            for p in data["pixels"])
        events = tuple(Event(
            vendor=e["vendor"], account_id=e.get("account_id"), name=e["name"], active=bool(e.get("active", True)),
            trigger=_trigger(e.get("trigger", {})), params=_params(e.get("params", {})),
            sources=tuple(e.get("sources", ())), pages=tuple(e.get("pages", ())),
            locations=tuple(_location(l) for l in e.get("locations", ())),
            after_consent=bool(e.get("after_consent", False)), name_expr=bool(e.get("name_expr", False)))
            for e in data.get("events", ()))
        cookies = tuple(Cookie(
            name=c["name"], vendor=c.get("vendor"), role=c.get("role", "other"), access=tuple(c.get("access", ())),
            set_by=c.get("set_by"), locations=tuple(_location(l) for l in c.get("locations", ())),
            storage=c.get("storage", "cookie"), sources=tuple(c.get("sources", ())), format=c.get("format"),
            server_field=c.get("server_field"))
            for c in data.get("cookies", ()))
        pages = tuple(PageRecord(url=p["url"], status=p["status"], depth=p.get("depth", 0), title=p.get("title"),
                                 error=p.get("error"), consent_banner=p.get("consent_banner"),
                                 final_url=p.get("final_url"))
                      for p in data.get("pages", ()))
        diagnostics = tuple(Diagnostic(Level(d.get("level", "info")), d.get("path"), d.get("message", ""))
                            for d in data.get("diagnostics", ()))
        stats_raw = data.get("stats") or {}
        stats = Stats(**{k: int(v) for k, v in stats_raw.items() if k in Stats.__dataclass_fields__})
        raw = None
        if "raw" in data:
            raw = RawFindings(tuple(finding_from_json(f) for f in data["raw"]["findings"]),
                              tuple(Diagnostic(Level(d["level"]), d["path"], d["message"])
                                    for d in data["raw"]["diagnostics"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InventoryError(f"malformed inventory: {type(exc).__name__}: {exc}") from None
    return Inventory(pixels, events, cookies, pages, diagnostics, stats, raw)


def load_inventory(text: str) -> Inventory:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InventoryError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    return inventory_from_json(data)
