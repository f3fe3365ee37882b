"""The crawl in real Chromium against fixture sites served on 127.0.0.1, and its pure parts."""
from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest

from scanner.catalog import default_catalog
from scanner.crawl import BrowserNotFound, CrawlOptions, crawl, find_browser
from scanner.crawl.calls import decode_call
from scanner.crawl.cookies import value_shape
from scanner.crawl.frontier import dropped_params, normalise_url, page_links
from scanner.crawl.network import body_param_sets, hosts_in_pattern, vendor_hosts
from scanner.crawl.server import DirectoryHandler, serve_directory
from scanner.model import (CookieFinding, CookieRole, EventFinding, Expr, Level, PixelFinding, Source, Storage,
                           TriggerKind, Value)

SITES = Path(__file__).resolve().parent.parent / "fixtures" / "sites"
CATALOG = default_catalog()
# Fast settings: the fixtures answer at once, so long waits only cost time.
QUICK = dict(settle_ms=500, timer_wait_ms=500, page_timeout_s=5)


def _pixels(result, vendor, role=None):
    return [f for f in result.findings if isinstance(f, PixelFinding) and f.vendor == vendor
            and (role is None or f.role == role)]


def _events(result, vendor, name):
    return [f for f in result.findings if isinstance(f, EventFinding) and f.vendor == vendor and f.name == name]


def _cookie(result, name):
    found = [f for f in result.findings if isinstance(f, CookieFinding) and f.name == name and f.access == "write"]
    assert len(found) == 1, found
    return found[0]


class _Sink:
    """Where every host name resolves during a crawl (Chromium's --host-resolver-rules, which
    replace the crawl's own): a TCP listener noting the host each connection names (TLS SNI
    or Host header)."""

    _HOST = re.compile(rb"(?:[a-z0-9-]+\.)+[a-z]{2,}")

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.hosts: set[str] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                try:
                    self.hosts.update(h.decode() for h in self._HOST.findall(conn.recv(4096)))
                except OSError:
                    pass

    @property
    def browser_args(self) -> tuple[str, ...]:
        port = self.sock.getsockname()[1]
        return (f"--host-resolver-rules=MAP * 127.0.0.1:{port}, EXCLUDE 127.0.0.1",)

    def vendor_hosts(self) -> set[str]:
        suffixes = vendor_hosts(CATALOG)
        return {h for h in self.hosts if any(h == s or h.endswith("." + s) for s in suffixes)}

    def close(self):
        self.sock.close()


_release_stalls = threading.Event()


class _StallingHandler(DirectoryHandler):
    """Never answers /__stall__/...: a resource that keeps a page from finishing loading."""

    def do_GET(self):
        if self.path.startswith("/__stall__/"):
            _release_stalls.wait(60)
            return
        super().do_GET()


@pytest.fixture(scope="module")
def runtime_crawl(chromium):
    """One crawl of crawl-runtime, served by a server that stalls /__stall__/."""
    sink = _Sink()
    try:
        with serve_directory(SITES / "crawl-runtime", _StallingHandler) as base:
            started = time.monotonic()
            options = CrawlOptions(browser_path=chromium, extra_browser_args=sink.browser_args,
                                   **{**QUICK, "page_timeout_s": 3})  # what the stalled page costs
            result = crawl(base + "/", options, CATALOG)
            elapsed = time.monotonic() - started
    finally:
        _release_stalls.set()
        sink.close()
    return result, base, elapsed, sink


@pytest.mark.browser
def test_pixel_injected_at_runtime_by_a_first_party_loader(runtime_crawl):
    result, base, _, _ = runtime_crawl
    [init] = _pixels(result, "meta", "init")
    assert (init.account_id, init.source, init.page) == ("123456789012345", Source.RUNTIME, "/")
    assert init.script_url == base + "/js/loader.js"
    assert (init.location.path, init.location.line) == (base + "/js/loader.js", 14)
    [loader] = _pixels(result, "meta", "loader")
    assert loader.script_url == base + "/js/loader.js"  # the script that inserted fbevents.js
    [page_view] = _events(result, "meta", "PageView")
    assert page_view.trigger.kind == TriggerKind.PAGE_LOAD
    assert (page_view.script_url, page_view.location.line) == (base + "/js/loader.js", 15)


@pytest.mark.browser
def test_image_beacon_built_in_js_is_decoded(runtime_crawl):
    result, base, _, _ = runtime_crawl
    [view] = _events(result, "meta", "ViewContent")
    assert view.account_id == "123456789012345"
    assert view.params == (("content_name", Value('"Shoes"')),)
    assert view.trigger.kind == TriggerKind.PAGE_LOAD
    assert view.script_url == base + "/js/beacon.js"
    [beacon] = [p for p in _pixels(result, "meta", "beacon") if p.script_url == base + "/js/beacon.js"]
    assert beacon.account_id == "123456789012345"


@pytest.mark.browser
def test_click_only_event_gets_its_selector(runtime_crawl):
    result, base, _, _ = runtime_crawl
    [add] = _events(result, "meta", "AddToCart")
    assert (add.trigger.kind, add.trigger.selector) == (TriggerKind.CLICK, "#buy")
    assert add.params == (("value", Value("9.99")), ("currency", Value('"EUR"')))
    assert add.script_url == base + "/js/clicks.js"


@pytest.mark.browser
def test_beacon_sent_as_the_visitor_leaves_is_a_visibility_event(runtime_crawl):
    result, base, _, _ = runtime_crawl
    [leave] = _events(result, "meta", "PageLeave")
    assert (leave.account_id, leave.trigger.kind, leave.page) == ("123456789012345", TriggerKind.VISIBILITY,
                                                                   "/about.html")
    assert leave.script_url == base + "/about.html"


@pytest.mark.browser
def test_cookies_are_attributed_and_never_shown_raw(runtime_crawl):
    result, base, _, _ = runtime_crawl
    fbp = _cookie(result, "_fbp")
    assert (fbp.set_by, fbp.vendor, fbp.role) == (base + "/js/loader.js", "meta", CookieRole.IDENTITY)
    assert fbp.value_shape == "fb.1.<ms>.<random>"
    assert fbp.third_party is False and fbp.expires > time.time()
    assert fbp.location.line == 18
    session = _cookie(result, "srv_session")
    assert (session.set_by, session.vendor, session.value_shape, session.expires) == ("http", None, "<random>", None)


@pytest.mark.browser
def test_faults_are_pages_with_diagnostics_and_the_crawl_stays_on_site(runtime_crawl):
    result, base, elapsed, _ = runtime_crawl
    statuses = {p.url: p.status for p in result.pages}
    # about.html is reached under ?utm_source=, ?ref= and ?fbclid=: one page; example.org is never visited.
    assert statuses == {base + "/": 200, base + "/about.html": 200, base + "/missing.html": 404,
                        base + "/slow.html": 200}
    messages = {(d.path, d.message) for d in result.diagnostics}
    assert (base + "/missing.html", "HTTP 404") in messages
    assert (base + "/slow.html", "never finished loading within 3 s; what it did so far is kept") in messages
    # What the stalled page did before it stalled still counts.
    [site_id] = _pixels(result, "matomo", "init")
    assert (site_id.account_id, site_id.page) == ("7", "/slow.html")
    assert elapsed < 30


@pytest.mark.browser
def test_no_request_leaves_for_a_vendor_or_another_site(runtime_crawl):
    *_, sink = runtime_crawl
    assert sink.vendor_hosts() == set()
    assert "example.org" not in sink.hosts


@pytest.mark.browser
def test_allow_vendor_traffic_lets_vendor_requests_out(chromium):
    sink = _Sink()
    try:
        result = crawl(str(SITES / "crawl-runtime"),
                       CrawlOptions(browser_path=chromium, allow_vendor_traffic=True, max_pages=1, interact=False,
                                    consent=False, extra_browser_args=sink.browser_args, **QUICK), CATALOG)
    finally:
        sink.close()
    assert {"connect.facebook.net", "www.facebook.com"} <= sink.vendor_hosts()
    # A served directory reports file paths, not URLs with an ephemeral port.
    [view] = _events(result, "meta", "ViewContent")
    assert (view.script_url, view.location.path, view.page) == ("js/beacon.js", "js/beacon.js", "/")
    assert [p.url for p in result.pages] == ["/"]


@pytest.mark.browser
def test_consent_gated_pixel_is_marked_after_consent(chromium):
    result = crawl(str(SITES / "crawl-consent"), CrawlOptions(browser_path=chromium, **QUICK), CATALOG)
    assert {(p.url, p.consent_banner) for p in result.pages} == {("/", "generic"), ("/products.html", "generic")}
    gated = _pixels(result, "meta", "init")
    assert {(p.account_id, p.page, p.after_consent) for p in gated} == {
        ("555555555555555", "/", True), ("555555555555555", "/products.html", True)}
    assert all(e.after_consent for e in _events(result, "meta", "PageView"))
    ga4 = _pixels(result, "ga4", "init")
    assert {(p.account_id, p.location.path, p.location.line, p.after_consent) for p in ga4} == {
        ("G-CONSENT1", "index.html", 11, False), ("G-CONSENT1", "products.html", 9, False)}
    [view_item] = _events(result, "ga4", "view_item")
    assert (view_item.after_consent, view_item.location.line) == (False, 10)
    consent = _cookie(result, "shop_consent")
    assert (consent.set_by, consent.after_consent, consent.value_shape, consent.role) == (
        "js/consent.js", True, "yes", CookieRole.CONSENT)
    # The plain visit never clicked the banner's buttons: nothing ungated fired on a click.
    assert not [f for f in result.findings if isinstance(f, EventFinding) and f.trigger.kind == TriggerKind.CLICK]


_EDGES = """<!doctype html>
<html><head><title>edges</title>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
</script>
<script>
  gtag('config', 'AW-998877');
  var _paq = window._paq = [['setSiteId', '3'], ['trackPageView']];
  var br_data = br_data || {};
  br_data.acct_id = '6543';
  br_data.ptype = 'product';
  var BrTrk = {getTracker: function () { return {logEvent: function () {}}; }};
  BrTrk.getTracker().logEvent('cart', 'click-add', {prod_id: 'P1'});
  dataLayer.push({event: 'gtm.js'});
  dataLayer.push({event: 'signup', plan: 'pro'});
  navigator.sendBeacon('https://www.facebook.com/tr', 'id=222222222222222&ev=Lead&cd[value]=3');
  localStorage.setItem('ajs_anonymous_id', '"abc"');
</script>
</head><body>
<form id="signup" action="https://elsewhere.example/collect" method="post">
  <input name="email" type="email"><button type="submit">Join</button>
</form>
<script>
  gtag('event', 'conversion', {send_to: 'AW-998877/label', value: 5});
  document.getElementById('signup').addEventListener('submit', function () {
    _paq.push(['trackEvent', 'form', 'signup', this.email.value]);
  });
  setTimeout(function () { dataLayer.push({event: 'delayed'}); }, 1000);
</script>
</body></html>
"""


@pytest.mark.browser
def test_instrumentation_reads_every_catalog_form(chromium, tmp_path):
    (tmp_path / "index.html").write_text(_EDGES, encoding="utf-8")
    result = crawl(str(tmp_path), CrawlOptions(browser_path=chromium, consent=False, settle_ms=300,
                                               timer_wait_ms=2000), CATALOG)
    got = {(f.vendor, f.role, f.account_id, f.location.line) for f in result.findings if isinstance(f, PixelFinding)}
    assert got == {("google_ads", "init", "AW-998877", 8),        # a `function gtag` declaration
                   ("matomo", "init", "3", 9),                   # a queue assigned with items in it
                   ("bloomreach_discovery", "init", "6543", 10),  # filled in after the assignment
                   ("meta", "beacon", "222222222222222", 17)}     # a sendBeacon POST body
    events = {(f.vendor, f.name, f.trigger.kind, f.trigger.selector, f.params) for f in result.findings
              if isinstance(f, EventFinding)}
    assert events == {
        ("matomo", "trackPageView", TriggerKind.PAGE_LOAD, None, ()),
        ("bloomreach_discovery", "pageview", TriggerKind.PAGE_LOAD, None, (("ptype", Value('"product"')),)),
        ("bloomreach_discovery", "cart:click-add", TriggerKind.PAGE_LOAD, None, (("prod_id", Value('"P1"')),)),
        ("gtm", "signup", TriggerKind.PAGE_LOAD, None, (("plan", Value('"pro"')),)),
        ("meta", "Lead", TriggerKind.PAGE_LOAD, None, (("value", Value('"3"')),)),
        ("google_ads", "conversion", TriggerKind.PAGE_LOAD, None,
         (("send_to", Value('"AW-998877/label"')), ("value", Value("5")))),
        ("gtm", "delayed", TriggerKind.TIMER, None, ()),
        ("matomo", "signup", TriggerKind.SUBMIT, "#signup",
         (("category", Value('"form"')), ("action", Value('"signup"')), ("name", Value('"test@example.com"')))),
    }
    [storage] = [f for f in result.findings if isinstance(f, CookieFinding)]
    assert (storage.name, storage.storage, storage.vendor, storage.set_by) == (
        "ajs_anonymous_id", Storage.LOCAL_STORAGE, "segment", "index.html")


class _FaultyHandler(DirectoryHandler):
    """Redirect loop, a download, a server error and a redirect off the machine."""

    def do_GET(self):
        if self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
        elif self.path == "/export":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Disposition", 'attachment; filename="orders.csv"')
            self.end_headers()
            self.wfile.write(b"id,total\n1,2\n")
        elif self.path == "/broken":
            self.send_error(500)
        elif self.path == "/away":
            self.send_response(302)
            self.send_header("Location", "https://elsewhere.example/landing")
            self.end_headers()
        else:
            super().do_GET()


_FAULTS = """<!doctype html><html><head><title>faults</title></head><body>
<a href="/loop">loop</a> <a href="/export">export</a> <a href="/broken">broken</a> <a href="/away">away</a>
<a href="/dialog.html">dialog</a>
</body></html>"""
_DIALOG = """<!doctype html><html><head><title>dialog</title></head><body>
<script>alert('hello'); window._paq = [['setSiteId', '9']];</script>
<button onclick="if (confirm('sure?')) _paq.push(['trackGoal', 1]); else _paq.push(['trackGoal', 2]);">go</button>
</body></html>"""


@pytest.mark.browser
def test_faults_each_give_a_page_and_a_diagnostic(chromium, tmp_path):
    (tmp_path / "index.html").write_text(_FAULTS, encoding="utf-8")
    (tmp_path / "dialog.html").write_text(_DIALOG, encoding="utf-8")
    with serve_directory(tmp_path, _FaultyHandler) as base:
        result = crawl(base + "/", CrawlOptions(browser_path=chromium, consent=False, **QUICK), CATALOG)
    statuses = {p.url[len(base):]: p.status for p in result.pages}
    assert statuses == {"/": 200, "/loop": "error", "/export": "error", "/broken": 500, "/away": "error",
                        "/dialog.html": 200}
    messages = {(d.path[len(base):], d.level, d.message) for d in result.diagnostics}
    assert ("/loop", Level.ERROR, f"cannot load: Page.goto: net::ERR_TOO_MANY_REDIRECTS at {base}/loop") in messages
    assert ("/broken", Level.WARNING, "HTTP 500") in messages
    assert ("/away", Level.ERROR,
            f"cannot load: Page.goto: net::ERR_NAME_NOT_RESOLVED at {base}/away") in messages
    assert ("/dialog.html", Level.INFO, "dismissed a dialog (alert)") in messages
    assert ("/dialog.html", Level.INFO, "dismissed a dialog (confirm)") in messages
    assert any(path == "/export" and level == Level.ERROR for path, level, _ in messages)
    # A dismissed confirm() answers false, and the page went on running.
    goals = {(f.name, f.params) for f in result.findings if isinstance(f, EventFinding)}
    assert ("trackGoal", (("goal_id", Value("2")),)) in goals


@pytest.mark.browser
def test_resume_skips_pages_already_saved(chromium, tmp_path):
    site = str(SITES / "crawl-runtime")
    db = str(tmp_path / "crawl.sqlite")
    options = dict(browser_path=chromium, resume_db=db, interact=False, exclude=(r"/slow\.html",), **QUICK)
    first = crawl(site, CrawlOptions(max_pages=1, **options), CATALOG)
    assert [p.url for p in first.pages] == ["/"]
    visited: list[str] = []
    second = crawl(site, CrawlOptions(max_pages=10, resume=True, **options), CATALOG,
                   progress=lambda done, total, url: visited.append(url.rsplit("/", 1)[-1]))
    assert sorted(visited) == ["about.html", "missing.html"]
    assert sorted(p.url for p in second.pages) == ["/", "/about.html", "/missing.html"]
    # The first run's findings come back with the saved pages.
    assert [p.account_id for p in _pixels(second, "meta", "init")] == ["123456789012345"]


def test_find_browser_rejects_a_bad_explicit_path(tmp_path):
    with pytest.raises(BrowserNotFound) as raised:
        find_browser(str(tmp_path / "no-such-chrome"))
    assert str(raised.value) == f"browser not found or not executable: {tmp_path / 'no-such-chrome'}"


def test_find_browser_says_so_in_one_line_when_there_is_none(tmp_path, monkeypatch):
    monkeypatch.delenv("PIXELMIGRATE_CHROMIUM", raising=False)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BrowserNotFound) as raised:
        find_browser(None)
    message = str(raised.value)
    assert "\n" not in message and message.startswith("no Chromium found")


# ---- the pure parts -----------------------------------------------------------------------

@pytest.mark.parametrize("callee, args, expected", [
    ("gtag", ["config", "G-ABC123"], [("ga4", "init", "G-ABC123", None)]),
    ("gtag", ["config", "AW-55"], [("google_ads", "init", "AW-55", None)]),
    ("gtag", ["event", "conversion", {"send_to": "AW-55/xy"}], [("google_ads", "event", "AW-55", "conversion")]),
    ("gtag", ["event", "purchase", {"value": 1}], [("ga4", "event", None, "purchase")]),
    ("_paq.push", [["trackEvent", "video", "play"]], [("matomo", "event", None, "play")]),
    ("dataLayer.push", [{"event": "gtm.load"}], []),
    ("criteo_q.push", [{"event": "setAccount", "account": 42}, {"event": "viewItem", "item": "sku"}],
     [("criteo", "init", "42", None), ("criteo", "event", None, "viewItem")]),
    ("fbq", ["trackSingle", "999999999999999", "Lead"], [("meta", "event", "999999999999999", "Lead")]),
    ("nothing.known", [1], []),
])
def test_decode_call_applies_catalog_shapes(callee, args, expected):
    decoded = decode_call(CATALOG, callee, args)
    assert [(d.vendor, d.role, d.account_id, d.event) for d in decoded] == expected


def test_decoded_params_keep_values_and_expressions():
    [decoded] = decode_call(CATALOG, "fbq", ["track", "Purchase", {"value": 9.5, "cb": {"$expr": "function"}},
                                             {"eventID": "e-1"}])
    assert decoded.params == (("value", Value("9.5")), ("cb", Expr("function")))
    [page] = decode_call(CATALOG, "_paq.push", [["trackPageView", {"$expr": "document.title"}]])
    assert page.params == (("title", Expr("document.title")),)


def test_value_shape_hides_values():
    now = 1_800_000_000
    assert value_shape(f"fb.1.{now * 1000 + 5}.1234567890", now) == "fb.1.<ms>.<random>"
    assert value_shape(f"GA1.1.987654321.{now - 60}", now) == "GA1.1.<random>.<s>"
    assert value_shape(f"uid%3D4832758348721%3Av%3D15.0%3Ats%3D{now * 1000}%3Ahc%3D3", now) == \
        "uid=<random>:v=15.0:ts=<ms>:hc=3"
    assert value_shape("6f1e2d3c-1111-2222-3333-444455556666", now) == "<uuid>"
    assert value_shape("xkQpzLmWq", now) == "<random>"


def test_normalise_url_keeps_loops_out_of_the_frontier():
    drop = dropped_params(CATALOG)
    assert normalise_url("HTTP://Shop.Example:80/a?b=2&utm_source=x&a=1&fbclid=z#top", drop) == \
        "http://shop.example/a?a=1&b=2"
    assert normalise_url("https://shop.example?ref=home&ttclid=1", drop) == "https://shop.example/"
    assert normalise_url("mailto:someone@shop.example", drop) is None


def test_page_links_reads_served_html_with_its_base(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.html").write_bytes(
        b'<html><head><base href="/shop/"></head><body><a href="cart.html">Cart</a>'
        b'<map><area href="../help.html?x=1&amp;y=2"></map><a name="no-href">x</a><A HREF=" /upper.html ">'
        b'\xff broken <a href="trail.html"')
    with serve_directory(tmp_path) as base:
        assert page_links(base + "/docs/a.html", 5) == [
            base + "/shop/cart.html", base + "/help.html?x=1&y=2", base + "/upper.html"]
        assert page_links(base + "/missing.html", 5) == []


def test_vendor_hosts_come_from_catalog_patterns():
    assert hosts_in_pattern(r"p(-eu)?\.brsrvr\.com/pix\.gif") == {"p.brsrvr.com", "p-eu.brsrvr.com"}
    assert hosts_in_pattern(r"mc\.yandex\.[a-z.]+/watch/(?P<account>\d+)") == set()
    assert hosts_in_pattern(r"(^|/)(matomo|piwik)\.js\b") == set()


def test_request_bodies_become_one_param_list_per_event():
    assert body_param_sets("application/x-www-form-urlencoded", b"id=1&ev=Lead") == [[("id", "1"), ("ev", "Lead")]]
    assert body_param_sets("text/plain", b'[{"event": "a"}, {"event": "b", "n": 2}]') == [
        [("event", "a")], [("event", "b"), ("n", "2")]]
    assert body_param_sets("text/plain", b"en=page_view&tid=G-1\nen=scroll&tid=G-1") == [
        [("en", "page_view"), ("tid", "G-1")], [("en", "scroll"), ("tid", "G-1")]]
    assert body_param_sets("", None) == [[]]
