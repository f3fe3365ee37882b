"""The people-facing reports: Markdown for a pull request, one self-contained HTML file for an
auditor (rendered in real Chromium), CSV for a spreadsheet."""
import copy
import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scanner.catalog import default_catalog, load_catalog
from scanner.inventory import inventory_from_json, load_inventory
from scanner.report.csv_report import COLUMNS, format_csv
from scanner.report.html import format_html
from scanner.report.markdown import MAX_CHARS, format_markdown
from scanner.report.overview import IdentityCookie, Readiness, build_overview

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
PIXEL_ID = "1234567890123456"
HOSTILE = "<script>alert(1)</script>"


def loc(path, line, column=1, start=0):
    return {"path": path, "line": line, "column": column, "start": start, "end": start + 20}


def event(vendor, name, kind, path, line, params=None, selector=None, conditions=(), pages=(), active=True,
          account=None, sources=("static",)):
    return {"vendor": vendor, "account_id": account, "name": name, "active": active,
            "trigger": {"kind": kind, "selector": selector, "conditions": list(conditions)},
            "params": params or {}, "sources": list(sources), "pages": list(pages), "locations": [loc(path, line)]}


INVENTORY = {
    "schema_version": "1",
    "pixels": [
        {"vendor": "meta", "account_id": PIXEL_ID, "account_expr": None, "active": True,
         "sources": ["runtime", "static"], "after_consent": True, "roles": ["init", "loader"],
         "locations": [loc("templates/base.html", 12, 5, 410), loc("templates/base.html", 18, 5, 702)],
         "pages": ["/", "/product/42", "/checkout"]},
        {"vendor": "meta", "account_id": "6543210987654321", "account_expr": None, "active": False,
         "sources": ["static"], "after_consent": False, "roles": ["init"],
         "locations": [loc("templates/legacy/landing.html", 40)]},
        {"vendor": "acme_tracker", "account_id": None, "account_expr": "{{ settings.ACME_ID }}", "active": True,
         "sources": ["static"], "after_consent": False, "roles": ["loader"],
         "locations": [loc("templates/base.html", 30)], "pages": ["/"]},
        {"vendor": "ga4", "account_id": "G-DEMO12345", "account_expr": None, "active": True,
         "sources": ["runtime", "static"], "after_consent": True, "roles": ["config", "loader"],
         "locations": [loc("templates/base.html", 22), loc("templates/base.html", 27)],
         "pages": ["/", "/product/42", "/checkout"]},
        {"vendor": "hotjar", "account_id": "3141592", "account_expr": None, "active": True, "sources": ["static"],
         "after_consent": True, "roles": ["loader", "settings"], "locations": [loc("templates/base.html", 35)],
         "pages": ["/", "/checkout"]},
    ],
    "events": [
        event("meta", "PageView", "page_load", "templates/base.html", 19, account=PIXEL_ID,
              pages=["/", "/product/42", "/checkout"], sources=("runtime", "static")),
        event("meta", "AddToCart", "click", "static/js/cart.js", 88, account=PIXEL_ID, selector="#add-to-cart",
              conditions=["window.fbq", "cart.items.length > 0"], pages=["/product/42"],
              params={"value": {"value": 49.9}, "currency": {"value": "EUR"},
                      "content_ids": {"expr": "cart.items.map(i => i.sku)"},
                      "search_string": {"value": HOSTILE}, "note": {"value": "=cmd()"}}),
        event("meta", "=cmd()", "submit", "static/js/checkout.js", 12, account=PIXEL_ID, selector="form#pay",
              conditions=["=cmd()"]),
        event("meta", "Lead", "click", "templates/legacy/landing.html", 44, active=False),
        event("ga4", "add_to_cart", "click", "static/js/cart.js", 91, account="G-DEMO12345", selector="#add-to-cart",
              params={"currency": {"value": "EUR"}, "value": {"expr": "cart.total"},
                      "items": {"expr": "cart.items.map(toGa4Item)"}}, pages=["/product/42"]),
        event("ga4", "purchase", "page_load", "templates/checkout/thanks.html", 14, account="G-DEMO12345",
              conditions=["{% if order %}"], params={"transaction_id": {"expr": "{{ order.id }}"},
                                                   "value": {"expr": "{{ order.total }}"}},
              sources=("static",)),
    ],
    "cookies": [
        {"name": "_fbp", "vendor": "meta", "role": "identity", "access": ["read"], "set_by": None,
         "locations": [loc("static/js/consent.js", 7)], "storage": "cookie", "sources": ["static"],
         "format": "fb.<subdomainIndex>.<creation ms>.<random>", "server_field": "user_data.fbp"},
        {"name": "_fbc", "vendor": "meta", "role": "click_id", "access": [], "set_by": None, "locations": [],
         "storage": "cookie", "sources": ["catalog"], "server_field": "user_data.fbc"},
        {"name": "_ga", "vendor": "ga4", "role": "identity", "access": [], "set_by": None, "locations": [],
         "storage": "cookie", "sources": ["catalog"], "server_field": "client_id"},
        {"name": "cart_token", "vendor": None, "role": "session", "access": ["write"], "set_by": "http",
         "locations": [], "storage": "cookie", "sources": ["runtime"]},
    ],
    "pages": [
        {"url": "http://127.0.0.1:8000/", "status": 200, "title": "Demo shop " + HOSTILE},
        {"url": "http://127.0.0.1:8000/checkout", "status": 200, "consent_banner": "cookiebot"},
        {"url": "http://127.0.0.1:8000/product/42", "status": 200, "title": "Blue mug"},
        {"url": "http://127.0.0.1:8000/missing", "status": 404},
    ],
    "diagnostics": [
        {"level": "warning", "path": "static/js/vendor.min.js", "message": "minified file: locations are approximate"},
        {"level": "error", "path": "templates/broken.html", "message": "cannot decode: invalid UTF-8"},
        {"level": "info", "path": None, "message": "1 file skipped"},
    ],
    "stats": {"files_scanned": 42, "files_with_findings": 6, "files_skipped": 1, "bytes_read": 123456},
}


@pytest.fixture(scope="module")
def catalog():
    return default_catalog()


@pytest.fixture(scope="module")
def inventory():
    return inventory_from_json(INVENTORY)


def large_inventory(events=3000):
    data = copy.deepcopy(INVENTORY)
    data["events"] = [event("meta", f"Custom{i:05d}", "click", f"static/js/page{i % 40}.js", i + 1,
                            selector=f"#button-{i}", conditions=[f"user.segment === {i}", "window.consent.ads"],
                            params={"value": {"value": i}, "items": {"expr": f"cart.items.slice({i}).map(toItem)"},
                                    "content_name": {"value": "A rather long product name " * 4}})
                      for i in range(events)]
    data["cookies"] += [{"name": f"pref_{i}", "vendor": None, "role": "other", "access": ["read"], "set_by": None,
                         "locations": [loc(f"static/js/prefs{i}.js", 3)], "storage": "localStorage",
                         "sources": ["static"]} for i in range(500)]
    return inventory_from_json(data)


# ---------------------------------------------------------------------------------------------
# Markdown

def test_markdown_summarises_vendors_and_readiness(inventory, catalog):
    text = format_markdown(inventory, catalog)
    assert "| Meta Pixel (`meta`) | ads | `1234567890123456`, `6543210987654321` | 1 / 1 | 3 / 1 | runtime, static |" \
        in text
    readiness = next(line for line in text.splitlines() if line.startswith("| Meta Pixel | "))
    assert readiness == ("| Meta Pixel | ✅ ready | Meta Conversions API | `_fbp` (in code), `_fbc` (catalog) | "
                         "event\\_id + event\\_name equal to the pixel eventID and event; matched within 48 h | yes |")
    assert "| `acme_tracker` | unknown | `{{ settings.ACME_ID }}` | 1 / 0 | 0 / 0 | static |" in text
    unknown = next(line for line in text.splitlines() if line.startswith("| acme\\_tracker | "))
    assert "⛔ client-side only" in unknown and "unknown vendor (not in the catalog)" in unknown
    assert "| Meta Pixel | `AddToCart` | click | `#add-to-cart` | `window.fbq && cart.items.length > 0` | " \
           "`value: 49.9, currency: \"EUR\", content_ids: cart.items.map(i => i.sku), search_string: " \
           "\"<script>alert(1)</script>\", note: \"=cmd()\"` | `static/js/cart.js:88` |" in text
    assert "| Meta Pixel | `Lead` (inactive) | click |" in text
    assert "| `_fbp` | Meta Pixel | identity | cookie | read | static | `user_data.fbp` | `static/js/consent.js:7` |" \
        in text
    assert "| `http://127.0.0.1:8000/product/42` | 200 | Blue mug |  | `ga4`, `meta` |" in text
    assert "| `http://127.0.0.1:8000/missing` | 404 |  |  | none |" in text
    assert "1 error, 1 warning, 1 info." in text
    assert text.endswith("- **error** `templates/broken.html`: cannot decode: invalid UTF-8\n"
                         "- **warning** `static/js/vendor.min.js`: minified file: locations are approximate\n")
    # Untrusted text outside code spans would render as HTML in a PR comment.
    assert HOSTILE not in text.replace(f'"{HOSTILE}"', "")


def test_markdown_code_spans_survive_pipes_and_backticks(catalog):
    data = copy.deepcopy(INVENTORY)
    data["events"] = [event("meta", "Lead", "click", "a.js", 1, selector="a[data-x='`|`']",
                            conditions=["a || b"])]
    text = format_markdown(inventory_from_json(data), catalog)
    assert "| ``a[data-x='`\\|`']`` | `a \\|\\| b` |" in text


def test_markdown_truncates_long_tables_to_fit_a_comment(catalog):
    text = format_markdown(large_inventory(), catalog)
    assert len(text.encode("utf-8")) < MAX_CHARS
    more = re.search(r"^\.\.\. (\d+) more events \(see the HTML report or the inventory JSON\)$", text, re.M)
    assert more is not None
    shown = len(re.findall(r"^\| Meta Pixel \| `Custom\d{5}`", text, re.M))
    # 200 rows of this size do not fit: the tables were cut further, not the text.
    assert shown + int(more.group(1)) == 3000 and 50 <= shown < 200
    assert re.search(r"^\.\.\. \d+ more cookies", text, re.M)
    # The summary and the readiness never fall off.
    assert "| Meta Pixel | ✅ ready | Meta Conversions API |" in text


def test_reports_are_deterministic(inventory, catalog):
    assert format_markdown(inventory, catalog) == format_markdown(inventory_from_json(INVENTORY), catalog)
    assert format_html(inventory, catalog) == format_html(inventory_from_json(INVENTORY), catalog)
    assert format_csv(inventory) == format_csv(inventory_from_json(INVENTORY))


def test_readiness_names_what_is_missing(tmp_path):
    meta = yaml.safe_load((ROOT / "scanner/catalog/vendors/meta.yaml").read_text())
    (tmp_path / "meta.yaml").write_text(yaml.safe_dump(meta))
    acme = dict(meta, id="acme_ads", name="Acme Ads", server_side={"available": True, "api": "Acme Events API"})
    (tmp_path / "acme_ads.yaml").write_text(yaml.safe_dump(acme))
    catalog = load_catalog(tmp_path)
    inventory = inventory_from_json({"pixels": [
        {"vendor": "meta", "account_id": PIXEL_ID, "active": False, "sources": ["static"], "locations": []},
        {"vendor": "acme_ads", "account_id": None, "active": True, "sources": ["static"], "locations": []}]})
    acme_view, meta_view = build_overview(inventory, catalog).vendors
    assert (acme_view.readiness, acme_view.gaps, acme_view.server_api) == \
        (Readiness.NEEDS_WORK, ("no dedupe key documented", "account id not found"), "Acme Events API")
    # Only inactive pixels: nothing to migrate, but the cookies a migration keeps are still named.
    assert (meta_view.readiness, meta_view.identity) == \
        (Readiness.NOTHING_ACTIVE, (IdentityCookie("_fbc", False), IdentityCookie("_fbp", False)))


def test_pages_matrix_follows_redirects_and_keeps_pages_the_crawl_did_not_list():
    inventory = inventory_from_json({
        "pixels": [{"vendor": "meta", "account_id": PIXEL_ID, "active": True, "sources": ["runtime"],
                    "locations": [], "pages": ["/shop/", "/thanks?order=1"]}],
        "pages": [{"url": "http://127.0.0.1:8000/shop", "status": 200, "final_url": "http://127.0.0.1:8000/shop/"}]})
    matrix = build_overview(inventory, default_catalog()).matrix
    assert matrix.vendors == ("meta",)
    assert [(row.url, row.status, row.cells[0].pixel) for row in matrix.rows] == \
        [("http://127.0.0.1:8000/shop", "200", True), ("/thanks?order=1", "", True)]


# ---------------------------------------------------------------------------------------------
# HTML

RESOURCE_REFERENCES = re.compile(r"""<[a-zA-Z][^>]*\b(?:src|href|srcset|data|action|xlink:href)\s*=\s*["']?([^"'\s>]*)""")
CSS_URL = re.compile(r"url\s*\(", re.I)


def test_html_is_self_contained_and_escaped(inventory, catalog):
    page = format_html(inventory, catalog)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "@import" not in page and not CSS_URL.search(page)
    assert [ref for ref in RESOURCE_REFERENCES.findall(page) if not ref.startswith("#")] == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Demo shop &lt;script&gt;alert(1)&lt;/script&gt;" in page
    # The chart: one bar per vendor with events, labelled with the vendor name.
    chart = re.search(r'<svg class="chart".*?</svg>', page, re.S).group(0)
    assert '>Meta Pixel</text>' in chart and '>Hotjar</text>' in chart
    assert chart.count('<rect class="bar"') == 3  # Meta, GA4 and the legend's swatch
    assert '<rect class="bar-off"' in chart


def test_html_has_every_section_and_the_pages_matrix(inventory, catalog):
    page = format_html(inventory, catalog)
    for anchor in ("summary", "readiness", "pixels", "events", "cookies", "pages", "diagnostics"):
        assert f'<section id="{anchor}">' in page and f'<a href="#{anchor}">' in page
    assert '<span class="badge b-ready">ready</span>' in page
    assert "<td>Meta Pixel</td><td><span class=\"badge b-ready\">ready</span></td><td>Meta Conversions API</td>" in page
    assert '<code>_fbp</code> <span class="muted">found in code</span>' in page
    assert '<code>_fbc</code> <span class="muted">implied by catalog</span>' in page
    matrix = re.search(r'<table class="matrix">.*?</table>', page, re.S).group(0)
    assert ("<th>Consent banner</th><th>acme_tracker</th><th>Google Analytics 4</th><th>Hotjar</th>"
            "<th>Meta Pixel</th></tr>") in matrix
    product = re.search(r"<tr><td><code>http://127.0.0.1:8000/product/42</code>.*?</tr>", matrix).group(0)
    # Hotjar is not on that page; Meta's pixel is, with two events.
    assert product.endswith('<td class="cell"><span class="muted">·</span></td><td class="cell"><span class="px" '
                            'title="pixel loaded">●</span> <span title="AddToCart, PageView">2 ev</span></td></tr>')
    assert "<td>cookiebot</td>" in matrix
    assert '<code class="expr">cart.items.map(i =&gt; i.sku)</code>' in page
    assert '<code class="expr">{{ settings.ACME_ID }}</code>' in page


def test_html_pages_section_only_with_crawl_data(catalog):
    data = copy.deepcopy(INVENTORY)
    data["pages"] = []
    for record in data["pixels"] + data["events"]:
        record["pages"] = []
    page = format_html(inventory_from_json(data), catalog)
    assert '<section id="pages">' not in page and 'href="#pages"' not in page


def test_html_links_locations_when_given_a_base(inventory, catalog):
    plain = format_html(inventory, catalog)
    assert '<code class="loc">static/js/cart.js:88</code>' in plain and "blob/main" not in plain
    linked = format_html(inventory, catalog, link_base="https://github.com/acme/shop/blob/main/")
    assert ('<a href="https://github.com/acme/shop/blob/main/static/js/cart.js#L88">'
            '<code class="loc">static/js/cart.js:88</code></a>') in linked


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_html_renders_in_chromium_without_errors(tmp_path, catalog):
    from playwright.sync_api import sync_playwright

    report = tmp_path / "report.html"
    report.write_text(format_html(_screenshot_inventory(tmp_path), catalog), encoding="utf-8")
    problems, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri(), wait_until="load")
            assert page.title() == "Pixel inventory report"
            assert page.locator("svg.chart rect.bar").count() >= 2
            assert page.locator("#readiness tbody tr").count() >= 1
            assert page.locator("svg.chart").bounding_box()["width"] > 300
            # The screenshot in docs/ is refreshed on request only, so a test run leaves the tree clean.
            shot = ROOT / "docs/report-screenshot.png" if os.environ.get("PIXELMIGRATE_UPDATE_DOCS") \
                else tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=False)
            assert shot.read_bytes().startswith(b"\x89PNG")
        finally:
            browser.close()
    assert problems == []
    assert requests == [report.as_uri()]


def _screenshot_inventory(tmp_path):
    """The demo shop's real inventory when the fixture and the scanner are there, else ours."""
    site = ROOT / "fixtures/sites/demo-shop"
    if site.is_dir():
        out = tmp_path / "inventory.json"
        proc = subprocess.run([sys.executable, "-m", "scanner.cli", "scan", str(site), "-o", str(out)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        if proc.returncode == 0:
            scanned = load_inventory(out.read_text(encoding="utf-8"))
            if scanned.events:
                return scanned
    return inventory_from_json(INVENTORY)


# ---------------------------------------------------------------------------------------------
# CSV

def test_csv_has_a_row_per_pixel_event_and_cookie(inventory):
    rows = list(csv.DictReader(io.StringIO(format_csv(inventory))))
    assert tuple(rows[0]) == COLUMNS
    assert [(r["kind"], r["vendor"], r["name"]) for r in rows] == [
        ("pixel", "meta", ""), ("pixel", "meta", ""), ("pixel", "acme_tracker", ""), ("pixel", "ga4", ""),
        ("pixel", "hotjar", ""), ("event", "meta", "PageView"), ("event", "meta", "AddToCart"),
        ("event", "meta", "'=cmd()"), ("event", "meta", "Lead"), ("event", "ga4", "add_to_cart"),
        ("event", "ga4", "purchase"), ("cookie", "meta", "_fbp"), ("cookie", "meta", "_fbc"), ("cookie", "ga4", "_ga"),
        ("cookie", "", "cart_token")]
    pixel = rows[0]
    assert (pixel["account"], pixel["role"], pixel["active"], pixel["after_consent"], pixel["pages"],
            pixel["path"], pixel["line"], pixel["column"], pixel["more_locations"]) == \
        (PIXEL_ID, "init loader", "true", "true", "/ /product/42 /checkout", "templates/base.html", "12", "5",
         "templates/base.html:18")
    assert rows[2]["account"] == "{{ settings.ACME_ID }}"
    add = rows[6]
    assert (add["trigger_kind"], add["selector"], add["conditions"], add["path"], add["line"]) == \
        ("click", "#add-to-cart", "window.fbq && cart.items.length > 0", "static/js/cart.js", "88")
    assert json.loads(add["params"]) == INVENTORY["events"][1]["params"]
    formula = rows[7]
    assert (formula["name"], formula["conditions"]) == ("'=cmd()", "'=cmd()")
    assert rows[8]["active"] == "false"
    assert rows[10]["params"] == '{"transaction_id":{"expr":"{{ order.id }}"},"value":{"expr":"{{ order.total }}"}}'
    assert (rows[11]["role"], rows[11]["path"], rows[11]["line"]) == ("identity", "static/js/consent.js", "7")
    assert all(not row[c].startswith(("=", "+", "-", "@")) for row in rows for c in COLUMNS)


def test_csv_uses_unix_line_endings(inventory):
    text = format_csv(inventory)
    assert "\r" not in text and text.endswith("\n") and text.count("\n") == 1 + 15
