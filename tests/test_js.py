"""The JS/TS analyzer on inline sources, with the real catalog and real tree-sitter."""
from __future__ import annotations

import json

import pytest

from scanner.catalog import default_catalog
from scanner.model import (
    CookieFinding, CookieRole, EventFinding, Expr, Location, PixelFinding, Storage, Trigger, TriggerKind, Value,
)
from scanner.sources.text import SourceText
from scanner.static.context import Conditional, Fragment, ScanContext, TemplateView, plain_view
from scanner.static.js import analyze_js, finish_js
from scanner.static.js_syntax import parse
from scanner.static.templates import dialects_for, template_view

CATALOG = default_catalog()
PATH = "site/app.js"
K = TriggerKind
PAGE_LOAD = Trigger(K.PAGE_LOAD)


def need(*vendors: str) -> None:
    missing = [v for v in vendors if v not in CATALOG.by_id]
    if missing:
        pytest.skip(f"vendor file not written yet: {', '.join(missing)}")


def run(*fragments: Fragment) -> list:
    """Findings in source order (the analyzer emits what waited for finish_js last)."""
    ctx = ScanContext(CATALOG)
    for fragment in fragments:
        analyze_js(fragment, ctx)
    finish_js(ctx)
    return sorted(ctx.out.items, key=lambda f: f.location.start)


def fragment(text: str, language: str = "js", view: TemplateView | None = None, path: str = PATH,
             **changes) -> Fragment:
    return Fragment(SourceText(path, text), 0, len(text), language, view or plain_view(text), **changes)


def scan(text: str, language: str = "js", **changes) -> list:
    return run(fragment(text, language, **changes))


def at(text: str, snippet: str, occurrence: int = 0, path: str = PATH) -> Location:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(snippet, start + 1)
    return SourceText(path, text).location(start, start + len(snippet))


def events(items) -> list[EventFinding]:
    return [f for f in items if isinstance(f, EventFinding)]


def pixels(items) -> list[PixelFinding]:
    return [f for f in items if isinstance(f, PixelFinding)]


def cookies(items) -> list[CookieFinding]:
    return [f for f in items if isinstance(f, CookieFinding)]


def brief(items) -> list[tuple]:
    """Events as (vendor, name, kind, selector, conditions), in source order."""
    return [(e.vendor, e.name, e.trigger.kind.value, e.trigger.selector, e.trigger.conditions) for e in events(items)]


def value(data) -> Value:
    return Value(json.dumps(data, sort_keys=True, separators=(",", ":")))


# ---- official snippets ---------------------------------------------------------------------

META_SNIPPET = (
    "!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){n.callMethod?n.callMethod.apply(n,arguments)"
    ":n.queue.push(arguments)};if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';n.queue=[];"
    "t=b.createElement(e);t.async=!0;t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}"
    "(window, document,'script','https://connect.facebook.net/en_US/fbevents.js');"
    "fbq('init', '123456789012345');fbq('track', 'PageView');"
)


def test_minified_meta_snippet():
    found = scan(META_SNIPPET)
    url = "'https://connect.facebook.net/en_US/fbevents.js'"
    assert found == [
        PixelFinding("meta", at(META_SNIPPET, url), "123456789012345", role="loader"),
        PixelFinding("meta", at(META_SNIPPET, "fbq('init', '123456789012345')"), "123456789012345", role="init"),
        EventFinding("meta", "PageView", at(META_SNIPPET, "fbq('track', 'PageView')"), trigger=PAGE_LOAD),
    ]


def test_minified_gtm_snippet():
    need("gtm")
    text = ("(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':new Date().getTime(),event:'gtm.js'});"
            "var f=d.getElementsByTagName(s)[0],j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;"
            "j.src='https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);"
            "})(window,document,'script','dataLayer','GTM-ABC123');")
    assert scan(text) == [PixelFinding("gtm", at(text, "'https://www.googletagmanager.com/gtm.js?id='+i+dl"),
                                       "GTM-ABC123", role="loader")]


def test_gtm_snippet_id_from_a_template_expression_argument():
    """The IIFE's argument is the id, as written; `dl` after it only adds `&l=`."""
    need("gtm")
    text = ("<script>(function(w,d,s,l,i){var j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';"
            "j.src='https://www.googletagmanager.com/gtm.js?id='+i+dl;"
            "})(window,document,'script','dataLayer','{{ settings.gtm_id }}');</script>")
    start, end = text.index("(function"), text.index("</script>")
    view = template_view(text, dialects_for("layout.html.j2"))
    found = run(Fragment(SourceText(PATH, text), start, end, "js", view))
    assert [(p.vendor, p.account_id, p.account_expr) for p in pixels(found)] == [
        ("gtm", None, "{{ settings.gtm_id }}")]


def test_loader_url_expression_wins_over_an_id_elsewhere_in_the_file():
    """The URL names its id through GA_ID; a fallback literal elsewhere is not the URL's id."""
    need("ga4")
    text = ("const GA_ID = process.env.GA_ID ?? 'G-8QZ3KP1L4M';\n"
            "s.src = `https://www.googletagmanager.com/gtag/js?id=${GA_ID}`;")
    assert [(p.account_id, p.account_expr) for p in pixels(scan(text))] == [(None, "GA_ID")]


def test_loader_url_naming_a_parameter_takes_the_id_the_snippet_passes():
    need("segment")
    text = ('analytics.load=function(key){var t=document.createElement("script");'
            't.src="https://cdn.segment.com/analytics.js/v1/"+key+"/analytics.min.js"};\n'
            'analytics.load("Zq8vN3pR7tY2wX5cL9mK4hJ6gF1dS0aB");')
    assert ("loader", "Zq8vN3pR7tY2wX5cL9mK4hJ6gF1dS0aB", None) in [
        (p.role, p.account_id, p.account_expr) for p in pixels(scan(text))]


def test_location_counts_characters_and_bytes_after_non_ascii_text():
    text = "// Größe ✓ 日本\nconst label = 'ü';\nfbq('track', 'Lead');"
    [event] = scan(text)
    prefix = text[:text.index("fbq")]
    assert event.location == Location(PATH, 3, 1, len(prefix.encode()), len(prefix.encode()) + 20)
    assert (event.location.line, event.location.column, event.location.start, event.location.end) == (3, 1, 42, 62)


# ---- calls ---------------------------------------------------------------------------------

def test_params_literals_and_expressions():
    text = ("fbq('track', 'Purchase', {value: 12.5, currency: 'EUR', contents: [{id: 'a', quantity: 2}], "
            "order_id: order.id, ...extra, 'content-type': null, count: -3});")
    [event] = scan(text)
    assert event.params == (
        ("value", value(12.5)), ("currency", value("EUR")), ("contents", value([{"id": "a", "quantity": 2}])),
        ("order_id", Expr("order.id")), ("...extra", Expr("extra")), ("content-type", value(None)),
        ("count", value(-3)),
    )


def test_params_argument_that_is_not_an_object():
    [event] = scan("fbq('track', 'Purchase', buildParams(cart));")
    assert event.params == (("*", Expr("buildParams(cart)")),)


def test_identifier_bound_once_to_a_literal_is_resolved():
    text = "const PIXEL_ID = '123456789012345';\nfbq('init', PIXEL_ID);\nlet ev = 'A'; ev = 'B';\nfbq('init', ev);"
    found = pixels(scan(text))
    assert [(p.account_id, p.account_expr) for p in found] == [("123456789012345", None), (None, "ev")]


def test_variable_holding_a_template_expression_is_the_account_expression():
    from scanner.static.templates import template_view
    text = "var hjid = ${config.hotjar.hjid};\n(function(h){ h._hjSettings = {hjid: hjid, hjsv: 6}; })(window);"
    view = template_view(text, frozenset({"freemarker"}))
    found = run(Fragment(SourceText("_hotjar.gsp", text), 0, len(text), "js", view))
    assert [(p.vendor, p.account_id, p.account_expr) for p in pixels(found)] == [
        ("hotjar", None, "${config.hotjar.hjid}")]


def test_template_expressions_are_account_expressions():
    text = "<script>fbq('init', '{{ settings.meta_pixel_id }}');\nfbq('init', <?= $pixel_id ?>);</script>"
    spans = [(text.index(t), text.index(t) + len(t)) for t in ("{{ settings.meta_pixel_id }}", "<?= $pixel_id ?>")]
    masked = text
    for start, end in spans:
        masked = masked[:start] + "_" * (end - start) + masked[end:]
    view = TemplateView(masked, tuple(spans))
    start, end = text.index("fbq"), text.index("</script>")
    found = run(Fragment(SourceText("page.html", text), start, end, "js", view))
    assert [(p.account_id, p.account_expr, p.role) for p in found] == [
        (None, "{{ settings.meta_pixel_id }}", "init"), (None, "<?= $pixel_id ?>", "init")]


def test_callee_normalisation_and_aliases():
    text = ("window['fbq']('track', 'Search');\n"
            "window.fbq?.('track', 'Contact');\n"
            "const track = window.fbq; track('track', 'Schedule');\n"
            "(function (w) { w.fbq('track', 'Donate'); })(window);\n"
            "(window as any).fbq('track', 'StartTrial');\n"
            "fbq.call(null, 'track', 'Lead'); fbq.apply(window, ['track', 'Subscribe']);\n")
    assert [e.name for e in events(scan(text, "ts"))] == [
        "Search", "Contact", "Schedule", "Donate", "StartTrial", "Lead", "Subscribe"]


def test_alias_of_a_chain_call_and_calls_inside_the_chain():
    need("bloomreach_discovery", "tiktok")
    text = ("var t = BrTrk.getTracker();\nt.logEvent('cart', 'click-add', {prod_id: 'p1', sku: 's1'});\n"
            "BrTrk.getTracker().logPageView();\nttq.instance('C4ABCDEFGH1234567890').track('AddToCart');")
    found = events(scan(text))
    assert [(e.vendor, e.name, e.params) for e in found] == [
        ("bloomreach_discovery", "cart:click-add", (("prod_id", value("p1")), ("sku", value("s1")))),
        ("bloomreach_discovery", "pageview", ()),
        ("tiktok", "AddToCart", ()),
    ]
    assert found[0].location == at(text, "t.logEvent('cart', 'click-add', {prod_id: 'p1', sku: 's1'})")


def test_new_expression_shapes_and_fallback_order():
    need("ga4", "google_ads")
    text = ("gtag('config', 'G-ABC1234');\ngtag('config', 'AW-987654');\ngtag('config', GA_ID);\n"
            "gtag('event', 'conversion', {send_to: 'AW-987654/abcDEF', value: 5});\n"
            "gtag('event', 'purchase', {value: 5});")
    found = scan(text)
    assert [(p.vendor, p.account_id, p.account_expr) for p in pixels(found)] == [
        ("ga4", "G-ABC1234", None), ("google_ads", "AW-987654", None), ("ga4", None, "GA_ID")]
    assert [(e.vendor, e.name, e.account_id) for e in events(found)] == [
        ("google_ads", "conversion", "AW-987654"), ("ga4", "purchase", None)]


def test_generic_shapes_object_star_and_array_args():
    need("criteo", "matomo")
    text = ('window.criteo_q.push({ event: "setAccount", account: 12345 }, { event: "setSiteType", type: "d" },'
            ' { event: "viewItem", item: "sku-9" });\n'
            "_paq.push(['setSiteId', '7']); _paq.push(['trackEvent', 'Video', 'Play', 'Intro', 3]);")
    found = scan(text)
    assert [(p.vendor, p.account_id, p.role) for p in pixels(found)] == [("criteo", "12345", "init"),
                                                                        ("matomo", "7", "init")]
    assert [(e.vendor, e.name, e.params) for e in events(found)] == [
        ("criteo", "viewItem", (("item", value("sku-9")),)),
        ("matomo", "Play", (("category", value("Video")), ("action", value("Play")), ("name", value("Intro")),
                            ("value", value(3)))),
    ]
    # Each command object is an event of its own, located where it is written.
    assert events(found)[0].location == at(text, '{ event: "viewItem", item: "sku-9" }')
    assert pixels(found)[0].location.start == 0


def test_event_with_computed_name_is_named_by_its_expression():
    text = "fbq('track', eventName, {value: 1});\ndataLayer.push({event: `step_${n}`});\nfbq('track');"
    assert scan(text) == [
        EventFinding("meta", "eventName", at(text, "fbq('track', eventName, {value: 1})"),
                     params=(("value", value(1)),), trigger=PAGE_LOAD, name_is_expr=True),
        EventFinding("gtm", "`step_${n}`", at(text, "dataLayer.push({event: `step_${n}`})"), trigger=PAGE_LOAD,
                     name_is_expr=True),
        PixelFinding("meta", at(text, "fbq('track')"), role="event"),
    ]


def test_exported_wrapper_nobody_calls_is_an_event_of_unknown_trigger():
    text = ("export const event = (name, options = {}) => { window.fbq('track', name, options) }\n"
            "export function send(action, {category, label}) { gtag('event', action, {event_category: category}) }")
    assert brief(scan(text)) == [("meta", "name", "unknown", None, ()), ("ga4", "action", "unknown", None, ())]
    assert all(e.name_is_expr for e in events(scan(text)))


# ---- assignments ---------------------------------------------------------------------------

def test_per_key_assignments_aggregate_at_the_first():
    need("bloomreach_discovery")
    text = "var br_data = br_data || {};\nbr_data.acct_id = '6222';\nbr_data.ptype = 'product';\nbr_data.prod_id = pid;"
    found = scan(text)
    assert found == [
        EventFinding("bloomreach_discovery", "pageview", at(text, "var br_data = br_data || {};"), "6222",
                     (("ptype", value("product")), ("prod_id", Expr("pid"))), PAGE_LOAD),
        PixelFinding("bloomreach_discovery", at(text, "br_data.acct_id = '6222'"), "6222", role="init"),
    ]


def test_object_assignment_to_a_member_ending_in_the_target():
    need("hotjar")
    text = "(function(h,o){h._hjSettings={hjid:1234567,hjsv:6};})(window,document);"
    assert scan(text) == [PixelFinding("hotjar", at(text, "h._hjSettings={hjid:1234567,hjsv:6}"), "1234567",
                                       role="init")]


def test_whole_object_assignment_names_the_event():
    need("bloomreach_discovery")
    text = "window.br_data = {acct_id: '6222', ptype: 'search', type: 'pageview', search_term: q};"
    [event] = scan(text)
    assert (event.name, event.account_id, event.params) == (
        "pageview", "6222", (("ptype", value("search")), ("search_term", Expr("q"))))


# ---- URLs ----------------------------------------------------------------------------------

def test_beacon_url_gives_pixel_and_event():
    text = "new Image().src = 'https://www.facebook.com/tr?id=1234&ev=Lead&cd[value]=3';"
    url = "'https://www.facebook.com/tr?id=1234&ev=Lead&cd[value]=3'"
    assert scan(text) == [
        PixelFinding("meta", at(text, url), "1234", role="beacon"),
        EventFinding("meta", "Lead", at(text, url), "1234", (("value", value("3")),), PAGE_LOAD),
    ]


def test_beacon_endpoint_handed_to_the_vendor_library_is_no_event():
    need("matomo")
    text = ('var u="https://stats.example.com/";\n_paq.push([\'setTrackerUrl\', u+\'matomo.php\']);\n'
            "new Image().src = u + 'matomo.php?idsite=3&rec=1';")
    found = scan(text)
    assert ("matomo", "beacon", 2) in [(p.vendor, p.role, p.location.line) for p in pixels(found)]
    assert [(e.vendor, e.name, e.location.line) for e in events(found)] == [("matomo", "trackPageView", 3)]


def test_loader_urls_built_by_concatenation():
    need("ga4", "tiktok")
    text = ("s.src = 'https://www.googletagmanager.com/gtag/js?id=' + GA_ID;\n"
            "t.src = '//connect.facebook.net/' + locale + '/fbevents.js';\n"
            "u.src = `https://analytics.tiktok.com/i18n/pixel/events.js?sdkid=${code}`;")
    assert [(p.vendor, p.account_id, p.account_expr, p.role) for p in pixels(scan(text))] == [
        ("ga4", None, "GA_ID", "loader"), ("meta", None, None, "loader"), ("tiktok", None, "code", "loader")]


def test_html_snippet_in_a_string_goes_to_the_html_analyzer():
    pytest.importorskip("scanner.static.html")
    text = ("document.write('<img height=\"1\" width=\"1\" src=\"https://www.facebook.com/tr?id=' + PIXEL "
            "+ '&ev=PageView&noscript=1\"/>');")
    whole = text[text.index("'<img"):text.rindex("'") + 1]
    found = scan(text)
    assert {(type(f).__name__, f.vendor, f.location) for f in found} == {
        ("PixelFinding", "meta", at(text, whole)), ("EventFinding", "meta", at(text, whole))}
    assert [p.account_expr for p in pixels(found)] == ["PIXEL"]


def test_js_snippet_in_an_escaped_string_is_reported_at_the_string():
    text = 'el.innerText = "fbq(\\"init\\", \\"123456789012345\\");";'
    assert scan(text) == [PixelFinding("meta", at(text, text[15:-1]), "123456789012345", role="init")]


def test_next_script_with_a_template_literal_snippet():
    text = """import Script from 'next/script';
const PIXEL_ID = process.env.NEXT_PUBLIC_FB_PIXEL_ID;
export default function Pixel() {
  return (
    <Script id="fb-pixel" strategy="afterInteractive">{`
      !function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){};t=b.createElement(e);t.src=v;}(window,document,'script','https://connect.facebook.net/en_US/fbevents.js');
      fbq('init', '${PIXEL_ID}');
      fbq('track', 'PageView');
    `}</Script>
  );
}
"""
    found = scan(text, "tsx", path="components/Pixel.tsx")
    assert found == [
        PixelFinding("meta", at(text, "'https://connect.facebook.net/en_US/fbevents.js'", path="components/Pixel.tsx"),
                     role="loader"),
        PixelFinding("meta", at(text, "fbq('init', '${PIXEL_ID}')", path="components/Pixel.tsx"),
                     account_expr="${PIXEL_ID}", role="init"),
        EventFinding("meta", "PageView", at(text, "fbq('track', 'PageView')", path="components/Pixel.tsx"),
                     trigger=PAGE_LOAD),
    ]


# ---- triggers ------------------------------------------------------------------------------

def test_click_listener_on_a_query_selector_variable():
    text = ("const btn = document.querySelector('#buy');\n"
            "btn.addEventListener('click', () => { if (window.fbq && cart.size > 0) fbq('track', 'AddToCart'); });")
    [event] = scan(text)
    assert event.trigger == Trigger(K.CLICK, "#buy", ("cart.size > 0",))
    assert event.location == at(text, "fbq('track', 'AddToCart')")


def test_foreach_over_query_selector_all():
    need("tiktok")
    text = ("document.querySelectorAll('.add-to-cart').forEach(b => b.addEventListener('click', function () {\n"
            "  ttq.track('AddToCart', {content_id: this.dataset.sku});\n}));")
    [event] = scan(text)
    assert (event.vendor, event.trigger) == ("tiktok", Trigger(K.CLICK, ".add-to-cart"))
    assert event.params == (("content_id", Expr("this.dataset.sku")),)


def test_handler_delegated_through_closest():
    """The element closest() finds is what the listener is bound to; checking it was found is
    the delegation, not a condition. A class field handler is found through `this.#field`."""
    need("ga4", "meta")
    text = ("document.addEventListener('click',function(e){var t=e.target.closest('[data-wishlist]');"
            "if(t){var o=t.checked;o&&window.fbq&&window.fbq('track','AddToWishlist')}});\n"
            "class Widget {\n  constructor(root) { this.#root = root; }\n"
            "  bind() { this.#root.addEventListener('click', this.#onClick); }\n"
            "  #onClick = (event) => {\n    const card = event.target.closest('[data-pid]');\n"
            "    if (!card) return;\n    gtag('event', 'select_item');\n  };\n}\n"
            "box.addEventListener('click', function (e) { var t = e.target; if (t) gtag('event', 'other'); });")
    assert brief(scan(text)) == [
        ("meta", "AddToWishlist", "click", "[data-wishlist]", ("o",)),
        ("ga4", "select_item", "click", "[data-pid]", ()),
        ("ga4", "other", "click", None, ("t",)),
    ]


def test_jquery_delegated_handler_and_shorthands():
    need("ga4")
    text = ("$(document).on('click', '.buy', function () { gtag('event', 'add_to_cart'); });\n"
            "$('#list').on('click', 'a.item', function () { gtag('event', 'select_item'); });\n"
            "jQuery('form.signup').submit(function () { gtag('event', 'sign_up'); });\n"
            "$(function () { gtag('event', 'view_item'); });\n"
            "$(document).ready(function () { $('.share').click(() => gtag('event', 'share')); });\n"
            "$(window).on('load', () => gtag('event', 'page_view'));")
    assert brief(scan(text)) == [
        ("ga4", "add_to_cart", "click", ".buy", ()),
        ("ga4", "select_item", "click", "#list a.item", ()),
        ("ga4", "sign_up", "submit", "form.signup", ()),
        ("ga4", "view_item", "dom_ready", None, ()),
        ("ga4", "share", "click", ".share", ()),
        ("ga4", "page_view", "window_load", None, ()),
    ]


def test_promise_chain_keeps_the_outer_trigger():
    need("gtm")
    text = ("document.getElementById('pay').addEventListener('submit', async (e) => {\n"
            "  const res = await fetch('/api/order');\n"
            "  fetch('/api/cart').then(r => r.json()).then(order => {\n"
            "    dataLayer.push({event: 'purchase', value: order.total, currency: 'EUR'});\n"
            "  }).catch(() => {});\n});\n"
            "fetch('/x').then(() => dataLayer.push({event: 'loaded'}));")
    found = events(scan(text))
    assert brief(found) == [("gtm", "purchase", "submit", "#pay", ()), ("gtm", "loaded", "page_load", None, ())]
    assert found[0].params == (("value", Expr("order.total")), ("currency", value("EUR")))


def test_timers_scroll_submit_visibility_and_custom_events():
    text = ("setTimeout(() => fbq('trackCustom', 'Dwell30'), 30000);\n"
            "document.querySelector('#promo').addEventListener('click',\n"
            "  () => setTimeout(() => fbq('trackCustom', 'Late'), 10));\n"
            "window.addEventListener('scroll', () => fbq('trackCustom', 'Scrolled'));\n"
            "document.forms.namedItem('x');\n"
            "document.getElementById('signup').addEventListener('submit', e => fbq('track', 'Lead'));\n"
            "document.addEventListener('visibilitychange', () => fbq('trackCustom', 'Hidden'));\n"
            "addEventListener('pagehide', () => fbq('trackCustom', 'Left'));\n"
            "window.addEventListener('cart:add', () => fbq('track', 'AddToCart'));\n"
            "document.addEventListener('DOMContentLoaded', () => fbq('track', 'ViewContent'));\n"
            "el.onclick = function () { fbq('track', 'Contact'); };")
    assert brief(scan(text)) == [
        ("meta", "Dwell30", "timer", None, ()),
        ("meta", "Late", "click", "#promo", ()),
        ("meta", "Scrolled", "scroll", None, ()),
        ("meta", "Lead", "submit", "#signup", ()),
        ("meta", "Hidden", "visibility", None, ()),
        ("meta", "Left", "visibility", None, ()),
        ("meta", "AddToCart", "custom", None, ()),
        ("meta", "ViewContent", "dom_ready", None, ()),
        ("meta", "Contact", "click", None, ()),
    ]


def test_event_bus_subscriptions_and_loaded_scripts():
    text = ("analytics.subscribe('checkout_completed', (event) => {\n"
            "  ttq.track('Purchase', {value: event.data.checkout.totalPrice.amount});\n});\n"
            "var s = document.createElement('script');\n"
            "s.onload = s.onreadystatechange = function () { fbq('track', 'PageView'); };\n"
            "window.onload = function () { fbq('track', 'ViewContent'); };\n"
            "$(window).on('load', () => fbq('track', 'Search'));\n"
            "prestashop.addListener('updateCart', () => fbq('track', 'AddToCart'));\n"
            "export default ({ app }) => { app.router.afterEach(() => fbq('track', 'PageView')); };\n"
            "nuxtApp.hook('page:finish', () => fbq('track', 'Contact'));\n"
            "router.events.subscribe(event => fbq('track', 'Lead'));")
    assert brief(scan(text)) == [
        ("tiktok", "Purchase", "custom", None, ()),
        ("meta", "PageView", "page_load", None, ()),
        ("meta", "ViewContent", "window_load", None, ()),
        ("meta", "Search", "window_load", None, ()),
        ("meta", "AddToCart", "custom", None, ()),
        ("meta", "PageView", "custom", None, ()),
        ("meta", "Contact", "custom", None, ()),
        ("meta", "Lead", "custom", None, ()),
    ]


def test_snippet_receiving_the_global_name_as_a_parameter():
    need("microsoft_uet")
    text = ('(function(w,d,t,r,u){var f,n,i;w[u]=w[u]||[],f=function(){var o={ti:"5000001"};o.q=w[u],'
            'w[u]=new UET(o),w[u].push("pageLoad")},n=d.createElement(t),n.src=r,n.async=1,'
            'n.onload=n.onreadystatechange=function(){var s=this.readyState;s&&s!=="loaded"&&s!=="complete"||'
            '(f(),n.onload=n.onreadystatechange=null)},i=d.getElementsByTagName(t)[0],i.parentNode.insertBefore(n,i)})'
            '(window,document,"script","//bat.bing.com/bat.js","uetq");')
    assert brief(scan(text)) == [
        ("microsoft_uet", "pageLoad", "page_load", None, ('!(s&&s!=="loaded"&&s!=="complete")',))]


def test_a_local_binding_named_like_the_gtm_queue_is_not_gtm():
    need("gtm")
    text = ("import useDataLayer from './hooks/useDataLayer';\n"
            "export default function Product() {\n"
            "  const dataLayer = useDataLayer();\n"
            "  useEffect(() => { dataLayer.push({event: 'view_product'}); }, []);\n"
            "  window.dataLayer.push({event: 'global'});\n}\n"
            "function track(dataLayer) { dataLayer.push({event: 'param'}); }\n"
            "var dataLayer = window.dataLayer || [];\ndataLayer.push({event: 'top_level'});\n")
    assert [e.name for e in events(scan(text))] == ["global", "top_level"]


def test_wrapper_libraries_of_vue_react_and_next():
    need("gtm", "ga4")
    text = ("export default { methods: { buy() {\n"
            "  this.$gtag.event('purchase', {value: 5});\n"
            "  Vue.$gtm.trackEvent({event: 'buy', value: 5});\n"
            "  this.$gtm.trackEvent({category: 'cta'});\n"
            "  this.$fb.track();\n} } };\n"
            "ReactPixel.init('123456789012345');\nReactPixel.track('Lead', {value: 1});\n"
            "ReactGA.event({category: 'cart', action: 'add_to_cart'});\n"
            "ReactGA.send({hitType: 'pageview', page: '/'});\n"
            "TagManager.initialize({gtmId: 'GTM-AB12CD'});\n"
            "TagManager.dataLayer({dataLayer: {event: 'signup'}});\n"
            "sendGTMEvent({event: 'clicked', value: 'x'});\nsendGAEvent('event', 'searched', {q: 'a'});")
    found = scan(text)
    assert [(e.vendor, e.name) for e in events(found)] == [
        ("ga4", "purchase"), ("gtm", "buy"), ("gtm", "interaction"), ("meta", "PageView"), ("meta", "Lead"),
        ("ga4", "add_to_cart"), ("ga4", "page_view"), ("gtm", "signup"), ("gtm", "clicked"), ("ga4", "searched")]
    assert [(p.vendor, p.account_id) for p in pixels(found) if p.role == "init"] == [
        ("meta", "123456789012345"), ("gtm", "GTM-AB12CD")]
    assert events(found)[0].trigger.kind == K.UNKNOWN  # a method nobody calls in this file


def test_wrapper_packages_under_any_imported_name():
    need("gtm", "ga4")
    text = ("import FB from 'react-facebook-pixel';\nimport * as gtm from 'react-gtm-module';\n"
            "import { event as gaEvent } from 'vue-gtag';\n"
            "FB.track('Lead');\ngtm.initialize({gtmId: 'GTM-AB12CD'});\ngaEvent('login', {method: 'x'});\n"
            "useEffect(() => {\n  let fb;\n  function onRoute() { fb.pageView(); }\n"
            "  import('react-facebook-pixel').then((module) => (fb = module.default)).then(() => fb.init(pixelId));\n"
            "  router.events.on('routeChangeComplete', onRoute);\n}, []);\n"
            "const { default: GA } = await import('react-ga4');\nGA.send('pageview');\n")
    found = scan(text)
    assert brief(found) == [("meta", "Lead", "page_load", None, ()), ("ga4", "login", "page_load", None, ()),
                            ("meta", "PageView", "custom", None, ()), ("ga4", "page_view", "page_load", None, ())]
    assert [(p.vendor, p.account_id, p.account_expr) for p in pixels(found) if p.role == "init"] == [
        ("gtm", "GTM-AB12CD", None), ("meta", None, "pixelId")]


def test_pixel_components_and_module_settings():
    need("gtm", "ga4")
    text = ("export default function Layout() {\n  return (<html><GoogleTagManager gtmId=\"GTM-XYZ123\" />\n"
            "  <GoogleAnalytics gaId={process.env.GA_ID} /><Other gtmId=\"GTM-NOPE1\" /></html>);\n}\n"
            "export const config = { modules: ['@nuxtjs/gtm'], gtm: { id: 'GTM-K5SKJM3F', enabled: true } };\n"
            "const notAnId = { id: 'GTM-' };\n")
    assert [(p.vendor, p.role, p.account_id, p.account_expr) for p in pixels(scan(text, "jsx"))] == [
        ("gtm", "init", "GTM-XYZ123", None), ("ga4", "init", None, "process.env.GA_ID"),
        ("gtm", "config", "GTM-K5SKJM3F", None)]


def test_options_object_in_a_variable_and_a_loader_url_with_an_expression_account():
    need("segment", "bloomreach_discovery")
    text = ("import * as snippet from '@segment/snippet';\n"
            "export function renderScript() {\n  const opts = { apiKey: config.writeKey, page: true };\n"
            "  return snippet.min(opts);\n}\n"
            "const Tag = () => <Script src={`//cdn.brcdn.com/v1/br-trk-${account_id}.js`} async />;\n")
    assert [(p.vendor, p.account_id, p.account_expr) for p in pixels(scan(text, "jsx"))] == [
        ("segment", None, "config.writeKey"), ("bloomreach_discovery", None, "account_id")]


def test_beacon_body_params_of_send_beacon():
    need("universal_analytics")
    text = ("navigator.sendBeacon('https://www.google-analytics.com/collect', new URLSearchParams({\n"
            "  v: 1, tid: trackingId, cid: uid, t: 'pageview', dp: location.pathname\n}));")
    found = scan(text)
    assert [(p.vendor, p.role, p.account_id, p.account_expr) for p in pixels(found)] == [
        ("universal_analytics", "beacon", None, "trackingId")]
    [event] = events(found)
    assert event.name == "pageview"
    assert event.params == (("v", value("1")), ("cid", Expr("uid")), ("t", value("pageview")),
                            ("dp", Expr("location.pathname")))


def test_named_function_takes_the_trigger_of_its_uses():
    need("tiktok")
    text = ("function onBuy() { fbq('track', 'Purchase', {value: 10}); }\n"
            "document.querySelector('#checkout').addEventListener('click', onBuy);\n"
            "const onLoad = () => fbq('track', 'ViewContent');\n"
            "onLoad();\n"
            "function neverUsed() { ttq.track('Ghost'); }")
    found = events(scan(text))
    assert brief(found) == [
        ("meta", "Purchase", "click", "#checkout", ()),
        ("meta", "ViewContent", "page_load", None, ()),
        ("tiktok", "Ghost", "unknown", None, ()),
    ]
    assert found[0].location == at(text, "fbq('track', 'Purchase', {value: 10})")


def test_wrapper_call_sites_are_the_events():
    text = ("function track(name, props) { if (window.fbq) { fbq('track', name, props); } }\n"
            "track('AddToCart', {sku: 'a'});\n"
            "document.querySelector('.wish').addEventListener('click', () => track('AddToWishlist'));\n"
            "const custom = (ev, p) => window.fbq?.('trackCustom', ev, p);\n")
    found = scan(text)
    assert found == [
        EventFinding("meta", "AddToCart", at(text, "track('AddToCart', {sku: 'a'})"),
                     params=(("sku", value("a")),), trigger=PAGE_LOAD),
        EventFinding("meta", "AddToWishlist", at(text, "track('AddToWishlist')"), trigger=Trigger(K.CLICK, ".wish")),
        EventFinding("meta", "ev", at(text, "window.fbq?.('trackCustom', ev, p)"), params=(("*", Expr("p")),),
                     trigger=Trigger(K.UNKNOWN), name_is_expr=True),
    ]


def test_wrapper_of_a_wrapper_and_an_init_wrapper():
    text = ("function send(n, p) { fbq('track', n, p); }\n"
            "function buy(total) { send('Purchase', {value: total, currency: 'EUR'}); }\n"
            "$('#pay').click(() => buy(42));\n"
            "function boot(id) { fbq('init', id); }\nboot('123456789012345');")
    found = scan(text)
    assert [(p.account_id, p.location) for p in pixels(found)] == [
        ("123456789012345", at(text, "boot('123456789012345')"))]
    [event] = events(found)
    assert (event.name, event.params, event.trigger, event.location) == (
        "Purchase", (("value", value(42)), ("currency", value("EUR"))), Trigger(K.CLICK, "#pay"),
        at(text, "buy(42)"))


def test_handler_attribute_calls_a_function_an_earlier_script_defined():
    page = ("<script>function trackAdd(sku) { fbq('track', 'AddToCart', {content_ids: [sku]}); }</script>\n"
            "<button id=\"add\" onclick=\"trackAdd('sku-1')\">Add</button>")
    source = SourceText("shop.html", page)
    script = Fragment(source, page.index("function"), page.index("</script>"), "js", plain_view(page))
    handler_start = page.index("trackAdd('sku-1')")
    handler = Fragment(source, handler_start, handler_start + len("trackAdd('sku-1')"), "js", plain_view(page),
                       trigger=Trigger(K.CLICK, "button#add"))
    assert run(script, handler) == [
        EventFinding("meta", "AddToCart", source.location(handler_start, handler_start + 17),
                     params=(("content_ids", value(["sku-1"])),), trigger=Trigger(K.CLICK, "button#add"))]


def test_jsx_handlers_in_a_tsx_component():
    need("tiktok")
    text = """import { useEffect } from 'react';
export function Checkout({ total }: { total: number }) {
  useEffect(() => { fbq('track', 'InitiateCheckout', { value: total }); }, []);
  const handleClick = () => window.fbq?.('track', 'Purchase', { value: total });
  return (
    <>
      <button id="checkout" className="btn btn-primary" onClick={handleClick}>Buy</button>
      <a className="more" onClick={() => ttq.track('ClickButton')}>More</a>
      <form onSubmit={(e: React.FormEvent) => fbq('track', 'Lead')} />
    </>
  );
}
"""
    assert brief(scan(text, "tsx")) == [
        ("meta", "InitiateCheckout", "page_load", None, ()),
        ("meta", "Purchase", "click", "button#checkout.btn.btn-primary", ()),
        ("tiktok", "ClickButton", "click", "a.more", ()),
        ("meta", "Lead", "submit", "form", ()),
    ]


def test_class_components_constructors_and_observers():
    text = """class Tracker extends React.Component {
  componentDidMount() { fbq('track', 'ViewContent'); }
  onSubmit = () => { fbq('track', 'Lead'); };
  render() { return <form id="f" onSubmit={this.onSubmit} />; }
}
class CartTracker {
  constructor(el) { this.el = el; this.el.addEventListener('click', () => fbq('track', 'AddToCart')); }
}
new CartTracker(document.querySelector('#cart'));
class Wishlist { constructor() { fbq('track', 'AddToWishlist'); } }
document.querySelector('#wish').addEventListener('click', () => new Wishlist());
const io = new IntersectionObserver((entries) => entries.forEach(e => {
  if (e.isIntersecting) fbq('trackCustom', 'Seen');
}));
io.observe(document.querySelector('.promo'));
"""
    assert brief(scan(text, "jsx")) == [
        ("meta", "ViewContent", "page_load", None, ()),
        ("meta", "Lead", "submit", "form#f", ()),
        ("meta", "AddToCart", "click", "#cart", ()),
        ("meta", "AddToWishlist", "click", "#wish", ()),
        ("meta", "Seen", "visibility", ".promo", ("e.isIntersecting",)),
    ]


def test_angular_lifecycle_and_host_listener():
    text = """@Component({ selector: 'app-checkout', template: '' })
export class CheckoutComponent implements OnInit {
  constructor(private readonly cart: CartService) {}
  ngOnInit(): void { fbq('track', 'InitiateCheckout'); }
  @HostListener('window:scroll') onScroll() { fbq('trackCustom', 'Scrolled'); }
}
"""
    assert brief(scan(text, "ts")) == [("meta", "InitiateCheckout", "page_load", None, ()),
                                       ("meta", "Scrolled", "scroll", None, ())]


# ---- conditions and consent ------------------------------------------------------------------

def test_conditions_if_else_and_ternary_without_presence_guards():
    text = ("if (typeof fbq === 'function' && cart.total > 100) { fbq('track', 'BigSpender'); }\n"
            "else { fbq('track', 'SmallSpender'); }\n"
            "user.loggedIn && window.fbq && fbq('track', 'Known');\n"
            "isMobile ? fbq('trackCustom', 'Mobile') : fbq('trackCustom', 'Desktop');\n"
            "if ('fbq' in window) { fbq('track', 'Guarded'); }")
    assert [(e.name, e.trigger.conditions) for e in events(scan(text))] == [
        ("BigSpender", ("cart.total > 100",)), ("SmallSpender", ("!(cart.total > 100)",)),
        ("Known", ("user.loggedIn",)), ("Mobile", ("isMobile",)), ("Desktop", ("!(isMobile)",)), ("Guarded", ()),
    ]


def test_fragment_and_template_conditions_come_first():
    text = "{% if meta_enabled %}<script>if (page.isProduct) fbq('track', 'ViewContent');</script>{% endif %}"
    start, end = text.index("if (page"), text.index("</script>")
    masked = " " * 21 + text[21:text.index("{% endif")] + " " * 11
    view = TemplateView(masked, conditionals=(Conditional(21, text.index("{% endif"), "meta_enabled"),))
    found = run(Fragment(SourceText("p.html", text), start, end, "js", view, conditions=("shop.open",),
                         after_consent=True))
    [event] = found
    assert event.trigger.conditions == ("shop.open", "meta_enabled", "page.isProduct")
    assert event.after_consent is True


def test_consent_callbacks_gate_what_runs_inside():
    need("tiktok")
    text = ("window.addEventListener('CookiebotOnAccept', function () {\n"
            "  if (Cookiebot.consent.marketing) { ttq.track('Consented'); }\n});\n"
            "OneTrust.OnConsentChanged(function () { fbq('track', 'AfterOneTrust'); });\n"
            "function OptanonWrapper() { fbq('track', 'InWrapper'); }\n"
            "__tcfapi('addEventListener', 2, function (tcData, ok) { fbq('track', 'Tcf'); });\n"
            "fbq('consent', 'revoke');\n"
            "onBannerAccept(function () { fbq('consent', 'grant'); fbq('track', 'Granted'); });\n"
            "fbq('track', 'Ungated');")
    found = events(scan(text))
    assert [(e.name, e.trigger.kind, e.trigger.conditions, e.after_consent) for e in found] == [
        ("Consented", K.PAGE_LOAD, ("consent: CookiebotOnAccept", "Cookiebot.consent.marketing"), True),
        ("AfterOneTrust", K.PAGE_LOAD, ("consent: OneTrust.OnConsentChanged",), True),
        ("InWrapper", K.PAGE_LOAD, ("consent: OptanonWrapper",), True),
        ("Tcf", K.PAGE_LOAD, ("consent: __tcfapi",), True),
        ("Granted", K.PAGE_LOAD, ("consent: fbq('consent', 'grant')",), True),
        ("Ungated", K.PAGE_LOAD, (), False),
    ]


# ---- comments and inactive code ----------------------------------------------------------

def test_commented_out_pixel_is_inactive():
    text = ("// fbq('track', 'Purchase', {value: 1});\n"
            "/* fbq('init', '111111111111111');\n * fbq('track', 'Old', {\n *   value: 2 });\n */\n"
            "// fbq('track', 'Lead', {\n//   value: 3,\n// });\n"
            "fbq('track', 'PageView');")
    found = scan(text)
    assert [(type(f).__name__, getattr(f, "name", f.account_id), f.active, f.location) for f in found] == [
        ("EventFinding", "Purchase", False, at(text, "fbq('track', 'Purchase', {value: 1})")),
        ("PixelFinding", "111111111111111", False, at(text, "fbq('init', '111111111111111')")),
        ("EventFinding", "Old", False, at(text, "fbq('track', 'Old', {\n *   value: 2 })")),
        ("EventFinding", "Lead", False, at(text, "fbq('track', 'Lead', {\n//   value: 3,\n// })")),
        ("EventFinding", "PageView", True, at(text, "fbq('track', 'PageView')")),
    ]
    assert [e.params for e in events(found)[1:3]] == [(("value", value(2)),), (("value", value(3)),)]


def test_commented_out_call_keeps_the_trigger_of_where_it_stands():
    text = ("document.addEventListener('DOMContentLoaded', function () {\n  init();\n"
            "  if (optedIn) {\n    // fbq('track', 'Lead', {content_name: 'newsletter'});\n  }\n});")
    [lead] = scan(text)
    assert (lead.name, lead.active, lead.trigger) == ("Lead", False, Trigger(K.DOM_READY, None, ("optedIn",)))


def test_code_in_a_template_comment_or_inactive_fragment_is_inactive():
    text = "fbq('track', 'A');\nfbq('track', 'B');"
    view = TemplateView(text, comments=((text.index("fbq('track', 'B')"), len(text)),))
    assert [(e.name, e.active) for e in run(fragment(text, view=view))] == [("A", True), ("B", False)]
    assert [(e.name, e.active) for e in scan(text, active=False)] == [("A", False), ("B", False)]


# ---- cookies ------------------------------------------------------------------------------

def test_cookie_writes_reads_helpers_and_storage():
    need("ga4", "google_ads", "tiktok")
    text = ("document.cookie = '_fbc=' + fbc + ';path=/;max-age=7776000';\n"
            "document.cookie = `_fbp=${fbp}; path=/`;\n"
            "const fbp = document.cookie.match(/(^|;\\s*)_fbp=([^;]*)/);\n"
            "const gclid = document.cookie.split('; ').find(row => row.startsWith('_gcl_aw='))?.split('=')[1];\n"
            "function getCookie(name) {\n  const v = `; ${document.cookie}`.split(`; ${name}=`);\n"
            "  return document.cookie.split('; ').find(r => r.startsWith(name + '='));\n}\n"
            "getCookie('_ga');\ngetCookie('_ga');\n"
            "Cookies.set('_ttp', id); Cookies.get('site_pref'); $.removeCookie('_ttp');\n"
            "$.cookie('cookie_consent'); $.cookie('cookie_consent', 'yes');\n"
            "localStorage.getItem('ajs_anonymous_id'); sessionStorage.setItem('visited', '1');")
    found = cookies(scan(text))
    assert [(c.name, c.access, c.vendor, c.role, c.storage) for c in found] == [
        ("_fbc", "write", "meta", CookieRole.CLICK_ID, Storage.COOKIE),
        ("_fbp", "write", "meta", CookieRole.IDENTITY, Storage.COOKIE),
        ("_fbp", "read", "meta", CookieRole.IDENTITY, Storage.COOKIE),
        ("_gcl_aw", "read", "google_ads", CookieRole.CLICK_ID, Storage.COOKIE),
        ("_ga", "read", "ga4", CookieRole.IDENTITY, Storage.COOKIE),
        ("_ga", "read", "ga4", CookieRole.IDENTITY, Storage.COOKIE),
        ("_ttp", "write", "tiktok", CookieRole.IDENTITY, Storage.COOKIE),
        ("site_pref", "read", None, CookieRole.OTHER, Storage.COOKIE),
        ("_ttp", "write", "tiktok", CookieRole.IDENTITY, Storage.COOKIE),
        ("cookie_consent", "read", None, CookieRole.CONSENT, Storage.COOKIE),
        ("cookie_consent", "write", None, CookieRole.CONSENT, Storage.COOKIE),
        ("ajs_anonymous_id", "read", "segment" if "segment" in CATALOG.by_id else None,
         CookieRole.IDENTITY if "segment" in CATALOG.by_id else CookieRole.OTHER, Storage.LOCAL_STORAGE),
        ("visited", "write", None, CookieRole.OTHER, Storage.SESSION_STORAGE),
    ]
    assert [c.location for c in found if c.name == "_ga"] == [at(text, "getCookie('_ga')"),
                                                              at(text, "getCookie('_ga')", 1)]
    assert found[0].location == at(text, "document.cookie = '_fbc=' + fbc + ';path=/;max-age=7776000'")


def test_commented_cookie_code_is_not_a_cookie():
    found = scan("// document.cookie = '_fbc=' + v;\n// fbq('track', 'X');")
    assert [(type(f).__name__, f.active) for f in found] == [("EventFinding", False)]


# ---- robustness ---------------------------------------------------------------------------

def test_broken_code_still_yields_what_parses():
    text = "fbq('init', '123456789012345');\nfunction ( { broken ;;\n}}} fbq('track', 'Lead', {a: 1});"
    found = scan(text)
    assert [(type(f).__name__, f.location.line) for f in found] == [("PixelFinding", 1), ("EventFinding", 3)]
    assert events(found)[0].params == (("a", value(1)),)


def test_modern_syntax_modules_and_types():
    text = """import { a } from './a';
export const total: bigint = 10n;
type Props = { id?: string };
class Shop { #secret = 1; static count = 0; value = a?.b ?? 0; }
let x: number | undefined; x ??= 1; x ||= 2;
try { risky(); } catch { /* ignore */ }
export async function buy(this: Window, p: Props): Promise<void> {
  await fetch('/buy');
  window.fbq?.('track', 'Purchase', { value: p.id ?? 'none', big: 1n });
}
document.querySelector<HTMLButtonElement>('#buy')!.addEventListener('click', () => buy({}));
"""
    [event] = scan(text, "ts")
    assert (event.name, event.trigger, event.params) == (
        "Purchase", Trigger(K.CLICK, "#buy"), (("value", Expr("p.id ?? 'none'")), ("big", Expr("1n"))))


def test_large_minified_bundle_with_one_pixel_call():
    chunk = ("var a=function(e,t){return e.map(function(n){return n*t+1}).filter(Boolean)};"
             "if(a&&b){c.d=e?f:g}else{h('x',{k:1,l:[2,3]})};o.p=function(q,r){return q.s(r)||[]};")
    body = chunk * (2_000_000 // len(chunk))
    text = "!function(){" + body + "fbq('track','Purchase',{value:9});}();"
    assert len(text) > 2_000_000
    [event] = scan(text, path="dist/bundle.min.js")
    assert (event.name, event.params, event.trigger.kind) == ("Purchase", (("value", value(9)),), K.PAGE_LOAD)
    assert event.location.start == text.index("fbq(")


def test_each_distinct_text_is_parsed_once():
    text = "fbq('track', 'Lead');"
    assert parse("js", text, text.encode()) is parse("js", text, text.encode())
    assert parse("ts", text, text.encode()) is not parse("js", text, text.encode())


def test_no_signature_no_findings():
    assert scan("const x = document.querySelector('#a'); x.addEventListener('click', () => go());") == []
