"""The inventory as GitHub-flavoured Markdown that fits in one pull-request comment.

Everything the site's code wrote (names, selectors, conditions, params, paths) goes in code
spans, so nothing in it renders as HTML, links, mentions or emphasis; long tables are cut to
a row limit that is halved until the whole text fits GitHub's comment size."""
from __future__ import annotations

import re

from scanner.catalog import Catalog
from scanner.inventory import Inventory
from scanner.model import Level
from scanner.report.overview import (NO_SERVER_SIDE, NOT_IN_CATALOG, Overview, Readiness, VendorOverview,
                                     account_text, build_overview, clip, diagnostics_text, location_text,
                                     params_summary)

MAX_CHARS = 65_536
"""GitHub's limit on the body of an issue or pull-request comment."""
FIRST_ROW_LIMIT = 200
CELL_CHARS = 80
PARAMS_CHARS = 160

STATUS = {Readiness.READY: "✅ ready", Readiness.NEEDS_WORK: "⚠️ needs work",
          Readiness.CLIENT_ONLY: "⛔ client-side only", Readiness.NOTHING_ACTIVE: "➖ nothing active"}
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>|~&!#@])")


def format_markdown(inventory: Inventory, catalog: Catalog, max_chars: int = MAX_CHARS) -> str:
    overview = build_overview(inventory, catalog)
    row_limit = FIRST_ROW_LIMIT
    text = _render(inventory, overview, row_limit)
    # Bytes, not characters: the safe reading of the limit whichever way GitHub counts.
    while len(text.encode("utf-8")) >= max_chars and row_limit > 1:
        row_limit //= 2
        text = _render(inventory, overview, row_limit)
    return text


def _code(text: str | None, limit: int = CELL_CHARS, in_table: bool = True) -> str:
    """A code span that survives any content: a fence longer than any backtick run inside."""
    text = clip(text or "", limit)
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" else ""
    if in_table:
        text = text.replace("|", "\\|")
    return f"{fence}{pad}{text}{pad}{fence}"


def _text(text: str | None, limit: int = CELL_CHARS) -> str:
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", clip(text or "", limit))


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], total: int, noun: str) -> list[str]:
    """`rows` holds at most the row limit; `total` is how many there are."""
    if not total:
        return [f"No {noun}.", ""]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    lines.append("")
    if total > len(rows):
        lines.extend([f"... {total - len(rows)} more {noun} (see the HTML report or the inventory JSON)", ""])
    return lines


def _vendor(overview: Overview, vendor_id: str | None) -> str:
    return _text(overview.vendor_name(vendor_id)) if vendor_id else "—"


def _vendor_rows(vendors: tuple[VendorOverview, ...]) -> list[tuple[str, ...]]:
    return [(f"{_text(v.name)} ({_code(v.id)})" if v.in_catalog else _code(v.id), _text(v.category),
             ", ".join([_code(a) for a in v.accounts] + [_code(a) for a in v.account_exprs]) or "—",
             f"{v.active_pixels} / {v.inactive_pixels}", f"{v.active_events} / {v.inactive_events}",
             ", ".join(v.sources) or "—")
            for v in vendors]


def _readiness_rows(vendors: tuple[VendorOverview, ...]) -> list[tuple[str, ...]]:
    rows = []
    for v in vendors:
        status = STATUS[v.readiness] + (": " + "; ".join(v.gaps) if v.gaps else "")
        api = _text(v.server_api) if v.server_api else (NO_SERVER_SIDE if v.in_catalog else NOT_IN_CATALOG)
        if v.server_note:
            api += " — " + _text(v.server_note, 160)
        identity = ", ".join(f"{_code(c.name)} ({'in code' if c.found_in_code else 'catalog'})"
                             for c in v.identity) or "none"
        rows.append((_text(v.name), status, api, identity,
                     _text(v.dedupe) if v.dedupe else "none documented", v.consent))
    return rows


def _render(inventory: Inventory, overview: Overview, limit: int) -> str:
    vendors = overview.vendors
    active = sum(v.active_pixels for v in vendors)
    inactive = sum(v.inactive_pixels for v in vendors)
    stats = inventory.stats
    lines = ["## Pixel inventory", "",
             f"**{len(vendors)} vendors · {active} active pixels ({inactive} inactive) · "
             f"{len(inventory.events)} events · {len(inventory.cookies)} cookies"
             + (f" · {len(inventory.pages)} pages crawled" if inventory.pages else "") + "**", ""]
    if stats.files_scanned or stats.files_skipped:
        lines.extend([f"Files: {stats.files_scanned} scanned, {stats.files_with_findings} with findings, "
                      f"{stats.files_skipped} skipped.", ""])

    lines.extend(["### Vendors", ""])
    lines.extend(_table(("Vendor", "Category", "Accounts", "Pixels active / inactive", "Events active / inactive",
                         "Sources"), _vendor_rows(vendors[:limit]), len(vendors), "vendors"))

    lines.extend(["### Migration readiness", ""])
    lines.extend(_table(("Vendor", "Status", "Server-side API", "Identity cookies", "Dedupe key", "Consent-gated"),
                        _readiness_rows(vendors[:limit]), len(vendors), "vendors"))

    lines.extend(["### Pixels", ""])
    lines.extend(_table(
        ("Vendor", "Account", "Active", "Roles", "After consent", "Sources", "Location"),
        [(_vendor(overview, p.vendor), _code(account_text(p.account_id, p.account_expr)),
          "yes" if p.active else "**no**", ", ".join(p.roles), "yes" if p.after_consent else "no",
          ", ".join(p.sources), _locations(p.locations))
         for p in inventory.pixels[:limit]], len(inventory.pixels), "pixels"))

    lines.extend(["### Events", ""])
    lines.extend(_table(
        ("Vendor", "Event", "Trigger", "Selector", "Conditions", "Params", "Location"),
        [(_vendor(overview, e.vendor), _code(e.name) + ("" if e.active else " (inactive)"), e.trigger.kind.value,
          _code(e.trigger.selector), _code(" && ".join(e.trigger.conditions)), _code(params_summary(e.params), PARAMS_CHARS),
          _locations(e.locations))
         for e in inventory.events[:limit]], len(inventory.events), "events"))

    lines.extend(["### Cookies", ""])
    lines.extend(_table(
        ("Cookie", "Vendor", "Role", "Storage", "Access", "Seen in", "Server field", "Location"),
        [(_code(c.name), _vendor(overview, c.vendor), c.role, _text(c.storage), ", ".join(c.access) or "—",
          ", ".join(c.sources) or "—", _code(c.server_field), _locations(c.locations))
         for c in inventory.cookies[:limit]], len(inventory.cookies), "cookies"))

    matrix = overview.matrix
    if matrix.rows:
        lines.extend(["### Pages", ""])
        lines.extend(_table(
            ("Page", "Status", "Title", "Consent banner", "Vendors"),
            [(_code(row.url), _text(row.status) or "not crawled", _text(row.title), _text(row.consent_banner),
              ", ".join(_code(v) for v, cell in zip(matrix.vendors, row.cells) if not cell.empty) or "none")
             for row in matrix.rows[:limit]], len(matrix.rows), "pages"))

    lines.extend(["### Diagnostics", "", diagnostics_text(overview.diagnostics) + ".", ""])
    problems = sorted((d for d in inventory.diagnostics if d.level != Level.INFO), key=lambda d: d.level != Level.ERROR)
    lines.extend(f"- **{d.level.value}** {_code(d.path, in_table=False) + ': ' if d.path else ''}"
                 f"{_text(d.message, 160)}" for d in problems[:limit])
    if len(problems) > limit:
        lines.append(f"- ... {len(problems) - limit} more errors and warnings")
    return "\n".join(lines).rstrip("\n") + "\n"


def _locations(locations) -> str:
    if not locations:
        return "—"
    more = f" (+{len(locations) - 1})" if len(locations) > 1 else ""
    return _code(location_text(locations[0])) + more
