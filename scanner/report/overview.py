"""What the people-facing reports show, computed once for all of them: a summary and the
migration readiness per vendor, the pages-by-vendors matrix, and the short texts (locations,
params) their tables print. The formatters only lay these out."""
from __future__ import annotations

import enum
import functools
import json
from collections import Counter
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit

from scanner.catalog import Catalog, Vendor
from scanner.inventory import Cookie, Event, Inventory, Pixel
from scanner.model import Expr, Level, Location, Value

IDENTITY_ROLES = ("identity", "click_id")
NO_SERVER_SIDE = "none (keep client-side or drop)"
NOT_IN_CATALOG = "unknown vendor (not in the catalog)"


class Readiness(str, enum.Enum):
    READY = "ready"
    NEEDS_WORK = "needs work"
    CLIENT_ONLY = "client-side only"
    NOTHING_ACTIVE = "nothing active"


@dataclass(frozen=True)
class IdentityCookie:
    name: str
    found_in_code: bool
    """True when the site's code or the crawl touches it; False when only the catalog implies it."""


@dataclass(frozen=True)
class VendorOverview:
    id: str
    name: str
    category: str
    in_catalog: bool
    accounts: tuple[str, ...]
    """Literal account ids."""
    account_exprs: tuple[str, ...]
    """Source text of ids that are template or JS expressions."""
    active_pixels: int
    inactive_pixels: int
    active_events: int
    inactive_events: int
    sources: tuple[str, ...]
    server_api: str | None
    """The server-side API's name; None when there is none (or the vendor is unknown)."""
    server_note: str | None
    """Why there is no server-side equivalent and what to do instead, from the catalog."""
    identity: tuple[IdentityCookie, ...]
    dedupe: str | None
    """The server-side API's dedupe key, as the catalog documents it."""
    consent: str
    """"yes", "partly" or "no": whether the vendor's active code waits for consent."""
    readiness: Readiness
    gaps: tuple[str, ...]
    """What keeps a vendor with a server-side API from being ready."""

    @property
    def events(self) -> int:
        return self.active_events + self.inactive_events


@dataclass(frozen=True)
class PageCell:
    pixel: bool
    """The vendor's pixel loaded or was configured on the page."""
    events: tuple[str, ...]
    """Names of the vendor's events seen on the page."""

    @property
    def empty(self) -> bool:
        return not self.pixel and not self.events


@dataclass(frozen=True)
class PageRow:
    url: str
    status: str
    title: str | None
    consent_banner: str | None
    cells: tuple[PageCell, ...]
    """One per vendor of the matrix, in its order."""

    @property
    def vendors_seen(self) -> int:
        return sum(not cell.empty for cell in self.cells)


@dataclass(frozen=True)
class PageMatrix:
    vendors: tuple[str, ...]
    rows: tuple[PageRow, ...]


@dataclass(frozen=True)
class ParamText:
    name: str
    text: str
    is_expr: bool


@dataclass(frozen=True)
class Overview:
    vendors: tuple[VendorOverview, ...]
    matrix: PageMatrix
    diagnostics: Counter
    """Count per Level."""

    @functools.cached_property
    def _names(self) -> dict[str, str]:
        return {v.id: v.name for v in self.vendors}

    def vendor_name(self, vendor_id: str | None) -> str:
        return self._names.get(vendor_id or "", vendor_id or "")


def build_overview(inventory: Inventory, catalog: Catalog) -> Overview:
    pixels = _group(inventory.pixels)
    events = _group(inventory.events)
    cookies = _group(c for c in inventory.cookies if c.vendor)
    vendor_ids = sorted(set(pixels) | set(events) | set(cookies))
    return Overview(
        vendors=tuple(_vendor_overview(v, catalog.by_id.get(v), pixels.get(v, []), events.get(v, []),
                                       cookies.get(v, [])) for v in vendor_ids),
        matrix=_page_matrix(inventory),
        diagnostics=Counter(d.level for d in inventory.diagnostics))


def _group(records: Iterable[Pixel | Event | Cookie]) -> dict[str, list]:
    groups: dict[str, list] = {}
    for record in records:
        groups.setdefault(record.vendor, []).append(record)
    return groups


def _consent(gated: list[bool]) -> str:
    if gated and all(gated):
        return "yes"
    return "partly" if any(gated) else "no"


def _identity(vendor: Vendor | None, cookies: list[Cookie]) -> tuple[IdentityCookie, ...]:
    found = [IdentityCookie(c.name, bool(c.locations) or any(s != "catalog" for s in c.sources))
             for c in cookies if c.role in IDENTITY_ROLES]
    names = [c.name for c in cookies]
    # Vendors whose pixels are all inactive get no catalog cookies in the inventory; the
    # readiness still names the cookies their migration has to keep.
    implied = [IdentityCookie(spec.name, False) for spec in (vendor.cookies if vendor else ())
               if spec.role in IDENTITY_ROLES and not any(spec.pattern.search(n) for n in names)]
    return tuple(sorted(found + implied, key=lambda c: (not c.found_in_code, c.name)))


def _vendor_overview(vendor_id: str, vendor: Vendor | None, pixels: list[Pixel], events: list[Event],
                     cookies: list[Cookie]) -> VendorOverview:
    active_pixels = [p for p in pixels if p.active]
    active_events = [e for e in events if e.active]
    server = vendor.server_side if vendor else None
    identity = _identity(vendor, cookies)
    accounts = tuple(sorted({p.account_id for p in pixels if p.account_id}
                            | {e.account_id for e in events if e.account_id}))
    account_exprs = tuple(sorted({p.account_expr for p in pixels if p.account_expr}))
    gaps: list[str] = []
    if not active_pixels and not active_events:
        readiness = Readiness.NOTHING_ACTIVE
    elif server is None or not server.available:
        readiness = Readiness.CLIENT_ONLY
    else:
        if not identity:
            gaps.append("no identity cookie known")
        if not server.dedupe:
            gaps.append("no dedupe key documented")
        if not accounts and not account_exprs:
            gaps.append("account id not found")
        readiness = Readiness.NEEDS_WORK if gaps else Readiness.READY
    note = None
    if server is not None and not server.available:
        note = " ".join(part for part in (server.reason, server.recommendation) if part) or None
    return VendorOverview(
        id=vendor_id, name=vendor.name if vendor else vendor_id, category=vendor.category if vendor else "unknown",
        in_catalog=vendor is not None, accounts=accounts, account_exprs=account_exprs,
        active_pixels=len(active_pixels), inactive_pixels=len(pixels) - len(active_pixels),
        active_events=len(active_events), inactive_events=len(events) - len(active_events),
        sources=tuple(sorted({s for r in [*pixels, *events] for s in r.sources})),
        server_api=(server.api or "yes") if server is not None and server.available else None,
        server_note=note, identity=identity, dedupe=server.dedupe if server is not None else None,
        consent=_consent([r.after_consent for r in (active_pixels or active_events)]),
        readiness=readiness, gaps=tuple(gaps))


def _page_keys(url: str) -> tuple[str, ...]:
    """The forms a pixel's or event's `pages` entry may take for this crawled URL."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return (url, path + "?" + parts.query, path) if parts.query else (url, path)


def _page_matrix(inventory: Inventory) -> PageMatrix:
    seen: dict[str, dict[str, tuple[bool, set[str]]]] = {}
    for record in [*inventory.pixels, *inventory.events]:
        for page in record.pages:
            pixel, names = seen.setdefault(page, {}).get(record.vendor, (False, set()))
            if isinstance(record, Event):
                names = names | {record.name}
            seen[page][record.vendor] = (pixel or isinstance(record, Pixel), names)
    vendors = tuple(sorted({v for by_vendor in seen.values() for v in by_vendor}))
    # Crawled pages first (even those with nothing on them), then pages only the records name.
    rows: list[tuple[str, str, str | None, str | None, list[str]]] = []
    claimed: set[str] = set()
    for page in inventory.pages:
        keys = [k for k in (*_page_keys(page.url), *(_page_keys(page.final_url) if page.final_url else ()))
                if k in seen and k not in claimed]
        claimed.update(keys)
        rows.append((page.url, str(page.status), page.title, page.consent_banner, keys))
    rows.extend((page, "", None, None, [page]) for page in sorted(seen) if page not in claimed)

    def cell(keys: list[str], vendor: str) -> PageCell:
        found = [seen[k][vendor] for k in keys if vendor in seen[k]]
        return PageCell(any(pixel for pixel, _ in found), tuple(sorted(set().union(*(n for _, n in found)))))

    return PageMatrix(vendors, tuple(PageRow(url, status, title, banner, tuple(cell(keys, v) for v in vendors))
                                     for url, status, title, banner, keys in rows))


# ---------------------------------------------------------------------------------------------
# Short texts shared by the formatters

def clip(text: str, limit: int) -> str:
    """One line of at most `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def location_text(location: Location) -> str:
    return f"{location.path}:{location.line}"


def account_text(account_id: str | None, account_expr: str | None = None) -> str:
    return account_id or account_expr or ""


def param_texts(params: Iterable[tuple[str, Value | Expr]]) -> tuple[ParamText, ...]:
    out = []
    for name, value in params:
        if isinstance(value, Value):
            # Canonical JSON escapes non-ASCII; people read the characters.
            text = json.dumps(json.loads(value.json_text), ensure_ascii=False, sort_keys=True)
            out.append(ParamText(name, text, False))
        else:
            out.append(ParamText(name, value.source, True))
    return tuple(out)


def params_summary(params: Iterable[tuple[str, Value | Expr]]) -> str:
    return ", ".join(f"{p.name}: {p.text}" for p in param_texts(params))


def diagnostics_text(counts: Counter) -> str:
    return (f"{counts[Level.ERROR]} error{'s' * (counts[Level.ERROR] != 1)}, "
            f"{counts[Level.WARNING]} warning{'s' * (counts[Level.WARNING] != 1)}, "
            f"{counts[Level.INFO]} info")
