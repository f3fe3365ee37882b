"""The inventory as one self-contained HTML file an auditor can read offline and mail on.

Inline CSS and an inline SVG chart, no script, no external resource; a Content-Security-Policy
blocks any fetch that escaping should ever miss. Every text from the inventory is escaped:
it is the site's source code and the crawl's page titles, not ours."""
from __future__ import annotations

from html import escape
from typing import Iterable, Sequence
from urllib.parse import quote

from scanner.catalog import Catalog
from scanner.inventory import SCHEMA_VERSION, Cookie, Event, Inventory, Pixel
from scanner.model import Level, Location
from scanner.report.overview import (NO_SERVER_SIDE, NOT_IN_CATALOG, Overview, Readiness,
                                     VendorOverview, account_text, build_overview, clip, diagnostics_text,
                                     location_text, param_texts)

TEXT_CHARS = 300
SHOWN_ITEMS = 3
"""Locations and pages listed in a cell before the rest fold into a <details>."""
SHOWN_PARAMS = 12

BADGE = {Readiness.READY: "ready", Readiness.NEEDS_WORK: "work", Readiness.CLIENT_ONLY: "client",
         Readiness.NOTHING_ACTIVE: "off"}
ROLE_BADGE = {"identity": "ready", "click_id": "work", "consent": "info", "session": "off", "other": "off"}

CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--zebra:#f6f8fa;--head:#eef1f4;--accent:#0969da}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:#fff;font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",
Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",sans-serif}
header{background:#0d1117;color:#f0f6fc;padding:24px 32px 18px}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 12px;color:#9198a1}
nav a{color:#c9d1d9;margin-right:18px;text-decoration:none;font-size:13px}
nav a:hover{color:#fff;text-decoration:underline}
main{max-width:1320px;margin:0 auto;padding:8px 32px 48px}
h2{font-size:18px;font-weight:600;margin:32px 0 8px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:15px;font-weight:600;margin:20px 0 6px}
p.note{color:var(--muted);margin:4px 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px;margin:16px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 16px}
.card .n{font-size:24px;font-weight:600}
.card .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.chart{max-width:100%;height:auto;margin:8px 0 4px}
.chart text{font:12px -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Arial,sans-serif;fill:#1f2328}
.chart .bar{fill:#0969da}.chart .bar-off{fill:#afb8c1}
.wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:13px}
th,td{text-align:left;vertical-align:top;padding:6px 10px;border-bottom:1px solid var(--line)}
th{background:var(--head);font-weight:600;white-space:nowrap}
tbody tr:nth-child(even){background:var(--zebra)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.inactive td{color:var(--muted)}
code{font:12px/1.45 ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace;
background:rgba(175,184,193,.2);padding:1px 4px;border-radius:4px;overflow-wrap:break-word}
code.expr{color:#8250df}
code.loc{white-space:nowrap}
.nw{white-space:nowrap}
ul.items{list-style:none;margin:0;padding:0}
ul.items li{margin:1px 0}
details summary{cursor:pointer;color:var(--accent)}
a{color:var(--accent)}
.badge{display:inline-block;padding:0 8px;border-radius:999px;font-size:12px;font-weight:600;
white-space:nowrap;border:1px solid transparent}
.b-ready{background:#dafbe1;color:#116329;border-color:#aceebb}
.b-work{background:#fff8c5;color:#7d4e00;border-color:#eed888}
.b-client{background:#ffebe9;color:#a40e26;border-color:#ffcecb}
.b-info{background:#ddf4ff;color:#0550ae;border-color:#b6e3ff}
.b-off{background:#eaeef2;color:#59636e;border-color:#d1d9e0}
.gaps{display:block;color:var(--muted);font-size:12px;margin-top:2px}
.muted{color:var(--muted)}
table.matrix td.cell{text-align:center;white-space:nowrap}
.px{color:#1a7f37;font-weight:700}
footer{color:var(--muted);font-size:12px;margin-top:40px}
@media print{header{background:none;color:#000}header p,nav{display:none}main{max-width:none;padding:0}
tr{break-inside:avoid}}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def format_html(inventory: Inventory, catalog: Catalog, link_base: str | None = None) -> str:
    """`link_base` (e.g. https://github.com/org/repo/blob/<commit>) turns each source location
    into a link to `{link_base}/{path}#L{line}`; without it locations are plain text."""
    overview = build_overview(inventory, catalog)
    view = _View(overview, link_base.rstrip("/") if link_base else None)
    has_pages = bool(overview.matrix.rows)
    sections = [("summary", "Summary"), ("readiness", "Migration readiness"), ("pixels", "Pixels"),
                ("events", "Events"), ("cookies", "Cookies")]
    if has_pages:
        sections.append(("pages", "Pages"))
    sections.append(("diagnostics", "Diagnostics"))
    sources = sorted({s for v in overview.vendors for s in v.sources})
    out = ['<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
           '<title>Pixel inventory report</title>', f'<style>{CSS}</style>', '</head>', '<body>',
           '<header>', '<h1>Pixel inventory report</h1>',
           f'<p>Tracking pixels, events and cookies found by pixelmigrate'
           f'{" (" + escape(", ".join(sources)) + " analysis)" if sources else ""}, '
           'and what each vendor needs to move to server-side tracking.</p>',
           '<nav>' + "".join(f'<a href="#{anchor}">{title}</a>' for anchor, title in sections) + '</nav>',
           '</header>', '<main>']
    out += _summary(inventory, overview)
    out += _readiness(overview)
    out += view.pixels(inventory.pixels)
    out += view.events(inventory.events)
    out += view.cookies(inventory.cookies)
    if has_pages:
        out += _pages(overview)
    out += _diagnostics(inventory, overview)
    out += [f'<footer>Generated by pixelmigrate from an inventory of schema version {SCHEMA_VERSION}.</footer>', '</main>', '</body>', '</html>']
    return "\n".join(out) + "\n"


def _e(text: str | None, limit: int = TEXT_CHARS) -> str:
    return escape(clip(text or "", limit))


def _code(text: str | None, cls: str = "") -> str:
    if not text:
        return ""
    cls_attr = f' class="{cls}"' if cls else ""
    return f"<code{cls_attr}>{_e(text)}</code>"


def _badge(text: str, kind: str) -> str:
    return f'<span class="badge b-{kind}">{escape(text)}</span>'


def _folded(items: Sequence[str], shown: int = SHOWN_ITEMS) -> str:
    """Items one per line; after the first few, the rest fold away."""
    if not items:
        return '<span class="muted">—</span>'
    html = '<ul class="items">' + "".join(f"<li>{item}</li>" for item in items[:shown]) + "</ul>"
    if len(items) > shown:
        rest = "".join(f"<li>{item}</li>" for item in items[shown:])
        html += f'<details><summary>{len(items) - shown} more</summary><ul class="items">{rest}</ul></details>'
    return html


def _table(headers: Iterable[str], rows: list[str], empty: str, numeric: frozenset[int] = frozenset(),
           cls: str = "") -> list[str]:
    """`numeric`: indexes of the columns whose headers align right, like their int cells."""
    if not rows:
        return [f'<p class="note">{escape(empty)}</p>']
    head = "".join(f'<th class="num">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
                   for i, h in enumerate(headers))
    cls_attr = f' class="{cls}"' if cls else ""
    return [f'<div class="wrap"><table{cls_attr}>', f"<thead><tr>{head}</tr></thead>", "<tbody>", *rows,
            "</tbody></table></div>"]


def _row(cells: Iterable[str | int], inactive: bool = False) -> str:
    """Cells are HTML, or ints shown as right-aligned numbers."""
    return ('<tr class="inactive">' if inactive else "<tr>") + "".join(
        f'<td class="num">{c}</td>' if isinstance(c, int) else f"<td>{c}</td>" for c in cells) + "</tr>"


def _summary(inventory: Inventory, overview: Overview) -> list[str]:
    vendors = overview.vendors
    stats = inventory.stats
    cards = [("Vendors", len(vendors)), ("Active pixels", sum(v.active_pixels for v in vendors)),
             ("Inactive pixels", sum(v.inactive_pixels for v in vendors)), ("Events", len(inventory.events)),
             ("Cookies", len(inventory.cookies))]
    if inventory.pages:
        cards.append(("Pages crawled", len(inventory.pages)))
    if stats.files_scanned or stats.files_skipped:
        cards.append(("Files scanned", stats.files_scanned))
    cards += [("Errors", overview.diagnostics[Level.ERROR]), ("Warnings", overview.diagnostics[Level.WARNING])]
    out = ['<section id="summary">', '<h2>Summary</h2>', '<div class="cards">']
    out += [f'<div class="card"><div class="n">{n}</div><div class="l">{escape(label)}</div></div>'
            for label, n in cards]
    out += ['</div>', '<h3>Events per vendor</h3>', _chart(vendors), '<h3>Vendors</h3>']
    rows = [_row([f"{escape(v.name)}<br>{_code(v.id)}", escape(v.category),
                  _folded([_code(a) for a in v.accounts] + [_code(a, "expr") for a in v.account_exprs]),
                  v.active_pixels, v.inactive_pixels, v.active_events, v.inactive_events,
                  escape(", ".join(v.sources)) or '<span class="muted">—</span>'])
            for v in vendors]
    out += _table(("Vendor", "Category", "Accounts", "Active pixels", "Inactive pixels", "Active events",
                   "Inactive events", "Sources"), rows, "No tracking vendors found.", frozenset({3, 4, 5, 6}))
    out.append('</section>')
    return out


def _chart(vendors: tuple[VendorOverview, ...]) -> str:
    """Horizontal bars: active events, then inactive ones in grey; vendors without events show 0."""
    shown = list(vendors)
    if not any(v.events for v in shown):
        return '<p class="note">No events found.</p>'
    label_w, bar_w, row_h, legend_h = 190, 460, 26, 30
    width, height = label_w + bar_w + 60, row_h * len(shown) + legend_h
    peak = max(v.events for v in shown)
    parts = [f'<svg class="chart" role="img" aria-labelledby="chart-title" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">', '<title id="chart-title">Events per vendor</title>']
    for i, v in enumerate(shown):
        y = i * row_h
        active_w = bar_w * v.active_events / peak
        inactive_w = bar_w * v.inactive_events / peak
        parts.append(f'<text x="{label_w - 8}" y="{y + row_h / 2:.1f}" text-anchor="end" '
                     f'dominant-baseline="middle">{_e(v.name, 28)}</text>')
        if active_w:
            parts.append(f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{active_w:.1f}" '
                         f'height="{row_h - 8}" rx="3"><title>{v.active_events} active</title></rect>')
        if inactive_w:
            parts.append(f'<rect class="bar-off" x="{label_w + active_w:.1f}" y="{y + 4}" width="{inactive_w:.1f}" '
                         f'height="{row_h - 8}" rx="3"><title>{v.inactive_events} inactive</title></rect>')
        parts.append(f'<text x="{label_w + active_w + inactive_w + 6:.1f}" y="{y + row_h / 2:.1f}" '
                     f'dominant-baseline="middle">{v.events}</text>')
    legend_y = row_h * len(shown) + 10
    parts += [f'<rect class="bar" x="{label_w}" y="{legend_y}" width="12" height="12" rx="2"/>',
              f'<text x="{label_w + 18}" y="{legend_y + 6}" dominant-baseline="middle">active</text>',
              f'<rect class="bar-off" x="{label_w + 80}" y="{legend_y}" width="12" height="12" rx="2"/>',
              f'<text x="{label_w + 98}" y="{legend_y + 6}" dominant-baseline="middle">inactive '
              '(commented out)</text>', '</svg>']
    return "".join(parts)


def _readiness(overview: Overview) -> list[str]:
    rows = []
    for v in overview.vendors:
        status = _badge(v.readiness.value, BADGE[v.readiness])
        if v.gaps:
            status += f'<span class="gaps">{escape("; ".join(v.gaps))}</span>'
        if v.server_api:
            api = escape(v.server_api)
        else:
            api = escape(NO_SERVER_SIDE if v.in_catalog else NOT_IN_CATALOG)
            if v.server_note:
                api += f'<span class="gaps">{_e(v.server_note)}</span>'
        identity = _folded([f'{_code(c.name)} <span class="muted">'
                            f'{"found in code" if c.found_in_code else "implied by catalog"}</span>'
                            for c in v.identity])
        dedupe = _e(v.dedupe) if v.dedupe else '<span class="muted">none documented</span>'
        consent = _badge(v.consent, {"yes": "ready", "partly": "work", "no": "off"}[v.consent])
        rows.append(_row([escape(v.name), status, api, identity, dedupe, consent]))
    return ['<section id="readiness">', '<h2>Migration readiness</h2>',
            '<p class="note">Per vendor: the server-side API to send to, the identity cookies the server must '
            'keep reading so users stay the same people, the key that deduplicates events sent from both sides '
            'during the parallel run, and whether the pixel waits for consent.</p>',
            *_table(("Vendor", "Status", "Server-side API", "Identity cookies", "Dedupe key", "Consent-gated"),
                    rows, "No tracking vendors found."), '</section>']


def _pages(overview: Overview) -> list[str]:
    matrix = overview.matrix
    rows = []
    for row in matrix.rows:
        page = _code(row.url) + (f'<br><span class="muted">{_e(row.title, 120)}</span>' if row.title else "")
        cells = []
        for cell in row.cells:
            marks = []
            if cell.pixel:
                marks.append('<span class="px" title="pixel loaded">●</span>')
            if cell.events:
                marks.append(f'<span title="{escape(", ".join(cell.events))}">{len(cell.events)} ev</span>')
            cells.append(" ".join(marks) or '<span class="muted">·</span>')
        status = escape(row.status) if row.status else '<span class="muted">not crawled</span>'
        rows.append(f'<tr><td>{page}</td><td>{status}</td><td>{_e(row.consent_banner) or "—"}</td>'
                    + "".join(f'<td class="cell">{c}</td>' for c in cells) + "</tr>")
    headers = ["Page", "Status", "Consent banner", *(overview.vendor_name(v) for v in matrix.vendors)]
    return ['<section id="pages">', '<h2>Pages</h2>',
            '<p class="note">Pages by vendors: <span class="px">●</span> the pixel loaded on the page; '
            '"N ev" the number of distinct events it sent there (hover for their names).</p>',
            *_table(headers, rows, "No pages.", cls="matrix"), '</section>']


def _diagnostics(inventory: Inventory, overview: Overview) -> list[str]:
    level_badge = {Level.ERROR: "client", Level.WARNING: "work", Level.INFO: "off"}
    rows = [_row([_badge(d.level.value, level_badge[d.level]), _code(d.path) or "—", _e(d.message)])
            for d in inventory.diagnostics]
    return ['<section id="diagnostics">', '<h2>Diagnostics</h2>',
            f'<p class="note">{escape(diagnostics_text(overview.diagnostics))}.</p>',
            *_table(("Level", "Path", "Message"), rows, "Nothing to report."), '</section>']


class _View:
    """The tables whose cells carry source locations (linked when a base URL is given)."""

    def __init__(self, overview: Overview, link_base: str | None):
        self.overview = overview
        self.link_base = link_base

    def location(self, location: Location) -> str:
        text = _code(location_text(location), "loc")
        if self.link_base is None or "://" in location.path:
            return text
        href = f"{self.link_base}/{quote(location.path)}#L{location.line}"
        return f'<a href="{escape(href)}">{text}</a>'

    def locations(self, locations: Sequence[Location]) -> str:
        return _folded([self.location(l) for l in locations])

    def vendor(self, vendor_id: str | None) -> str:
        if not vendor_id:
            return '<span class="muted">—</span>'
        return f'<span class="nw">{escape(self.overview.vendor_name(vendor_id))}</span>'

    def pixels(self, pixels: tuple[Pixel, ...]) -> list[str]:
        rows = [_row([self.vendor(p.vendor),
                      _code(account_text(p.account_id, p.account_expr), "" if p.account_id else "expr") or "—",
                      _badge("active", "ready") if p.active else _badge("inactive", "off"),
                      escape(", ".join(p.roles)), "yes" if p.after_consent else "no", escape(", ".join(p.sources)),
                      _folded([_code(s) for s in p.injected_by]), _folded([_code(page, "loc") for page in p.pages]),
                      self.locations(p.locations)], inactive=not p.active)
                for p in pixels]
        return ['<section id="pixels">', '<h2>Pixels</h2>',
                *_table(("Vendor", "Account", "Status", "Roles", "After consent", "Sources", "Injected by", "Pages",
                         "Locations"), rows, "No pixels found."), '</section>']

    def events(self, events: tuple[Event, ...]) -> list[str]:
        rows = []
        for e in events:
            params = _folded([f'{_code(p.name)}: {_code(p.text, "expr" if p.is_expr else "")}'
                              for p in param_texts(e.params)], SHOWN_PARAMS)
            name = _code(e.name) + ("" if e.active else " " + _badge("inactive", "off"))
            rows.append(_row([self.vendor(e.vendor), name, escape(e.trigger.kind.value),
                              _code(e.trigger.selector) or "—",
                              _folded([_code(c) for c in e.trigger.conditions]), params,
                              "yes" if e.after_consent else "no", _folded([_code(page, "loc") for page in e.pages]),
                              self.locations(e.locations)], inactive=not e.active))
        return ['<section id="events">', '<h2>Events</h2>',
                '<p class="note">Parameter values in <code>black</code> are literals; '
                '<code class="expr">purple</code> ones are expressions computed at run time.</p>',
                *_table(("Vendor", "Event", "Trigger", "Selector", "Conditions", "Params", "After consent",
                         "Pages", "Locations"), rows, "No events found."), '</section>']

    def cookies(self, cookies: tuple[Cookie, ...]) -> list[str]:
        rows = [_row([_code(c.name), self.vendor(c.vendor), _badge(c.role, ROLE_BADGE.get(c.role, "off")),
                      escape(c.storage), escape(", ".join(c.access)) or "—", escape(", ".join(c.sources)) or "—",
                      _code(c.set_by) or "—", _code(c.format) or "—", _code(c.server_field) or "—",
                      self.locations(c.locations)])
                for c in cookies]
        return ['<section id="cookies">', '<h2>Cookies</h2>',
                '<p class="note">Identity and click-id cookies carry the ids the server side must keep sending, '
                'so existing users stay recognised after the cutover.</p>',
                *_table(("Cookie", "Vendor", "Role", "Storage", "Access", "Seen in", "Set by", "Format",
                         "Server field", "Locations"), rows, "No cookies found."), '</section>']
