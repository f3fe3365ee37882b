"""The inventory as one CSV table for spreadsheets: a row per pixel, event and cookie.

Cells come from the site's source, so any that a spreadsheet would run as a formula is
prefixed with an apostrophe (the OWASP advice for CSV injection)."""
from __future__ import annotations

import csv
import io
import json

from scanner.inventory import Cookie, Event, Inventory, Pixel, params_to_json
from scanner.model import Location
from scanner.report.overview import account_text, location_text

COLUMNS = ("kind", "vendor", "account", "name", "role", "active", "after_consent", "trigger_kind", "selector",
           "conditions", "params", "sources", "pages", "path", "line", "column", "more_locations")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def format_csv(inventory: Inventory) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = [*map(_pixel, inventory.pixels), *map(_event, inventory.events), *map(_cookie, inventory.cookies)]
    writer.writerows([_neutralise(row.get(column, "")) for column in COLUMNS] for row in rows)
    return buffer.getvalue()


def _neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _where(locations: tuple[Location, ...]) -> dict[str, str]:
    if not locations:
        return {}
    first = locations[0]
    return {"path": first.path, "line": str(first.line), "column": str(first.column),
            "more_locations": "; ".join(location_text(l) for l in locations[1:])}


def _pixel(p: Pixel) -> dict[str, str]:
    return {"kind": "pixel", "vendor": p.vendor, "account": account_text(p.account_id, p.account_expr),
            "role": " ".join(p.roles), "active": _flag(p.active), "after_consent": _flag(p.after_consent),
            "sources": " ".join(p.sources), "pages": " ".join(p.pages), **_where(p.locations)}


def _event(e: Event) -> dict[str, str]:
    return {"kind": "event", "vendor": e.vendor, "account": e.account_id or "", "name": e.name,
            "active": _flag(e.active), "after_consent": _flag(e.after_consent), "trigger_kind": e.trigger.kind.value,
            "selector": e.trigger.selector or "", "conditions": " && ".join(e.trigger.conditions),
            "params": json.dumps(params_to_json(e.params), ensure_ascii=False, separators=(",", ":")),
            "sources": " ".join(e.sources), "pages": " ".join(e.pages), **_where(e.locations)}


def _cookie(c: Cookie) -> dict[str, str]:
    return {"kind": "cookie", "vendor": c.vendor or "", "name": c.name, "role": c.role,
            "sources": " ".join(c.sources), **_where(c.locations)}
