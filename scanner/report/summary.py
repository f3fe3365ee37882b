"""Short texts for a terminal: the scan summary on stderr and the vendor list."""
from __future__ import annotations

from collections import Counter

from scanner.catalog import Catalog
from scanner.inventory import Inventory
from scanner.model import Level


def format_summary(inventory: Inventory, seconds: float, output: str) -> str:
    stats = inventory.stats
    active = [p for p in inventory.pixels if p.active]
    vendors = Counter(p.vendor for p in active)
    events = [e for e in inventory.events if e.active]
    problems = Counter(d.level for d in inventory.diagnostics)
    done = []
    if stats.files_scanned or not inventory.pages:
        done.append(f"scanned {stats.files_scanned} files ({stats.bytes_read / 1e6:.1f} MB), "
                    f"{stats.files_skipped} skipped")
    if inventory.pages:
        failed = sum(1 for p in inventory.pages if not isinstance(p.status, int) or p.status >= 400)
        done.append(f"crawled {len(inventory.pages)} pages ({failed} failed)")
    lines = [
        "; ".join(done) + f" in {seconds:.2f} s",
        f"{len(active)} active pixels from {len(vendors)} vendors, {len(events)} events, "
        f"{len(inventory.cookies)} cookies"
        + (f"; {len(inventory.pixels) - len(active)} inactive (commented-out) pixels"
           if len(inventory.pixels) > len(active) else ""),
    ]
    if vendors:
        lines.append("vendors: " + ", ".join(f"{v} ({n})" for v, n in sorted(vendors.items())))
    if problems[Level.ERROR] or problems[Level.WARNING]:
        lines.append(f"diagnostics: {problems[Level.ERROR]} errors, {problems[Level.WARNING]} warnings "
                     "(see 'diagnostics' in the inventory)")
    if output != "-":
        lines.append(f"wrote {output}")
    return "\n".join(lines)


def format_vendor_table(catalog: Catalog) -> str:
    rows = [("id", "name", "category", "server-side")]
    for vendor in catalog:
        server = vendor.server_side.api if vendor.server_side.available else "none"
        rows.append((vendor.id, vendor.name, vendor.category, server or "yes"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}\n" for r in rows)
