"""The HTML analyzer on real pages: loaders, beacons, inline scripts and handlers handed to
the JS analyzer, comments, consent gating, templates, and byte-exact locations."""
import codecs
import importlib

import pytest

from scanner.catalog import default_catalog
from scanner.model import EventFinding, Expr, PixelFinding, TriggerKind, Value
from scanner.sources.text import SourceText
from scanner.static.context import Fragment, ScanContext
from scanner.static.html import analyze_html
from scanner.static.templates import dialects_for, template_view

FB_LOADER = '<script async src="https://connect.facebook.net/en_US/fbevents.js"></script>'
FB_NOSCRIPT = ('<img height="1" width="1" style="display:none" '
               'src="https://www.facebook.com/tr?id=123456789012345&amp;ev=PageView&amp;noscript=1"/>')


def _js_analyzer():
    try:
        js = importlib.import_module("scanner.static.js")
    except ImportError:
        return None
    return js if hasattr(js, "analyze_js") and hasattr(js, "finish_js") else None


@pytest.fixture
def js():
    """Tests about handing code to the JS analyzer need it; the rest never touch it."""
    module = _js_analyzer()
    if module is None:
        pytest.skip("scanner.static.js is not available")
    return module


def scan(text, path="page.html", source=None):
    source = source or SourceText(path, text)
    fragment = Fragment(source, 0, len(source.text), "html", template_view(source.text, dialects_for(path)))
    ctx = ScanContext(default_catalog())
    analyze_html(fragment, ctx)
    js = _js_analyzer()
    if js is not None:
        js.finish_js(ctx)
    return ctx


def pixels(ctx):
    return [f for f in ctx.out.items if isinstance(f, PixelFinding)]


def events(ctx):
    return [f for f in ctx.out.items if isinstance(f, EventFinding)]


def covered(text, finding):
    return text[finding.location.start:finding.location.end]


def test_loader_script_with_literal_id():
    text = ('<html><head>\n' + FB_LOADER +
            '\n<script async src="https://www.googletagmanager.com/gtm.js?id=GTM-AB12CD&amp;l=dataLayer"></script>'
            '\n</head></html>')
    found = pixels(scan(text))
    assert [(p.vendor, p.role, p.account_id, p.account_expr, p.active) for p in found] == [
        ("meta", "loader", None, None, True), ("gtm", "loader", "GTM-AB12CD", None, True)]
    assert covered(text, found[0]) == FB_LOADER
    assert covered(text, found[1]).startswith('<script async src="https://www.googletagmanager.com/gtm.js')
    assert covered(text, found[1]).endswith("</script>")
    assert (found[0].location.line, found[0].location.column) == (2, 1)


def test_loader_id_from_template_expression():
    text = ('<script src="https://www.googletagmanager.com/gtm.js?id={{ settings.gtm_id }}"></script>'
            '<script async src="https://www.googletagmanager.com/gtag/js?id={{ settings.ga_measurement_id }}"></script>'
            '<script defer data-domain="{{ site.domain }}" src="https://plausible.io/js/script.js"></script>')
    found = pixels(scan(text, "templates/base.html"))
    assert [(p.vendor, p.account_id, p.account_expr) for p in found] == [
        ("gtm", None, "{{ settings.gtm_id }}"),
        ("ga4", None, "{{ settings.ga_measurement_id }}"),
        ("plausible", None, "{{ site.domain }}")]


def test_meta_init_with_template_id_in_inline_script(js):
    text = ("<script>\n  fbq('init', '{{ settings.meta_pixel_id }}');\n  fbq('track', 'PageView');\n</script>")
    ctx = scan(text, "templates/base.html")
    init = [p for p in pixels(ctx) if p.role == "init"]
    assert [(p.vendor, p.account_id, p.account_expr) for p in init] == [
        ("meta", None, "{{ settings.meta_pixel_id }}")]
    assert [(e.vendor, e.name, e.trigger.kind) for e in events(ctx)] == [("meta", "PageView", TriggerKind.PAGE_LOAD)]


def test_noscript_image_beacon():
    text = "<body><noscript>" + FB_NOSCRIPT + "</noscript></body>"
    ctx = scan(text)
    [pixel] = pixels(ctx)
    [event] = events(ctx)
    assert (pixel.vendor, pixel.role, pixel.account_id, pixel.active) == ("meta", "noscript", "123456789012345", True)
    assert covered(text, pixel) == FB_NOSCRIPT
    assert (event.vendor, event.name, event.account_id) == ("meta", "PageView", "123456789012345")
    assert event.trigger.kind == TriggerKind.PAGE_LOAD and event.location == pixel.location


def test_image_beacon_outside_noscript_with_templated_param():
    text = ('<img src="https://www.facebook.com/tr?id={{ settings.meta_pixel_id }}&ev=Purchase'
            '&cd[value]={{ order.total }}&cd[currency]=EUR">')
    ctx = scan(text, "checkout.html")
    [pixel] = pixels(ctx)
    [event] = events(ctx)
    assert (pixel.role, pixel.account_id, pixel.account_expr) == ("beacon", None, "{{ settings.meta_pixel_id }}")
    assert (event.name, event.account_id) == ("Purchase", None)
    assert event.params == (("value", Expr("{{ order.total }}")), ("currency", Value('"EUR"')))


def test_gtm_noscript_iframe():
    iframe = ('<iframe src="https://www.googletagmanager.com/ns.html?id=GTM-XYZ9876" height="0" width="0" '
              'style="display:none;visibility:hidden"></iframe>')
    text = "<body>\n<noscript>" + iframe + "</noscript>\n<p>Shop</p></body>"
    ctx = scan(text)
    [pixel] = pixels(ctx)
    assert (pixel.vendor, pixel.role, pixel.account_id) == ("gtm", "noscript", "GTM-XYZ9876")
    assert covered(text, pixel) == iframe
    assert events(ctx) == []


def test_links_and_preconnects_are_not_pixels():
    text = ('<link rel="preconnect" href="https://connect.facebook.net">'
            '<link rel="dns-prefetch" href="//www.googletagmanager.com">'
            '<a href="https://www.facebook.com/tr?id=123456789012345&ev=PageView">fbq docs</a>')
    assert scan(text).out.items == []


def test_click_handler_on_button_with_id(js):
    text = ("<script>function buy(v) { fbq('track', 'Purchase', {value: v, currency: 'USD'}); }</script>\n"
            '<button id="buy" class="btn" onclick="buy(10)">Buy</button>')
    [event] = events(scan(text))
    assert (event.name, event.trigger.kind, event.trigger.selector) == ("Purchase", TriggerKind.CLICK, "button#buy")
    assert event.params == (("value", Value("10")), ("currency", Value('"USD"')))


def test_handler_selectors_from_classes_and_telling_attributes(js):
    text = ('<a class="btn cta" href="#" onclick="fbq(\'track\', \'Lead\')">Call</a>\n'
            '<input type="submit" name="signup" onclick="fbq(\'track\', \'CompleteRegistration\')">\n'
            '<form data-form="newsletter" onsubmit="fbq(\'track\', \'Subscribe\')"></form>\n'
            '<select onchange="fbq(\'track\', \'CustomizeProduct\')"></select>\n'
            '<body onload="fbq(\'track\', \'ViewContent\')"></body>\n'
            '<div onmouseover="fbq(\'trackCustom\', \'Hover\')"></div>')
    found = {e.name: (e.trigger.kind, e.trigger.selector) for e in events(scan(text))}
    assert found == {
        "Lead": (TriggerKind.CLICK, "a.btn.cta"),
        "CompleteRegistration": (TriggerKind.CLICK, "input[name=signup][type=submit]"),
        "Subscribe": (TriggerKind.SUBMIT, "form[data-form=newsletter]"),
        "CustomizeProduct": (TriggerKind.CHANGE, "select"),
        "ViewContent": (TriggerKind.WINDOW_LOAD, "body"),
        "Hover": (TriggerKind.CUSTOM, "div"),
    }


def test_handler_fragment_covers_exactly_the_attribute_value(js):
    text = '<button id="go" onclick="fbq(&quot;track&quot;,&quot;Lead&quot;); fbq(\'track\', \'Contact\')">x</button>'
    [event] = events(scan(text))
    assert covered(text, event) == "fbq('track', 'Contact')"


def test_commented_out_pixel_is_inactive():
    text = ("<head>\n<!-- old pixel\n" + FB_LOADER + "\n<noscript>" + FB_NOSCRIPT + "</noscript>\n-->\n"
            "<!--[if IE]><img src=\"https://www.facebook.com/tr?id=123456789012345&ev=Lead\"><![endif]-->\n"
            "<!-- just a note -->\n</head>")
    ctx = scan(text)
    assert [(p.role, p.active) for p in pixels(ctx)] == [("loader", False), ("noscript", False), ("beacon", False)]
    assert covered(text, pixels(ctx)[0]) == FB_LOADER
    assert covered(text, pixels(ctx)[1]) == FB_NOSCRIPT
    assert [(e.name, e.active) for e in events(ctx)] == [("PageView", False), ("Lead", False)]


def test_pixel_in_template_comment_is_inactive():
    text = "{# " + FB_LOADER + " #}\n" + FB_LOADER
    found = pixels(scan(text, "templates/base.html"))
    assert [(p.active, p.location.line) for p in found] == [(False, 1), (True, 2)]
    assert covered(text, found[0]) == FB_LOADER


def test_commented_out_inline_script_is_inactive(js):
    text = "<!--\n<script>fbq('track', 'Purchase');</script>\n-->{% comment %}<script>fbq('track', 'Lead')</script>{% endcomment %}"
    found = events(scan(text, "templates/base.html"))
    assert sorted((e.name, e.active) for e in found) == [("Lead", False), ("Purchase", False)]


def test_consent_blocked_loader_runs_after_consent():
    text = ('<script type="text/plain" data-cookieconsent="marketing" '
            'src="https://connect.facebook.net/en_US/fbevents.js"></script>'
            '<script type="text/plain" class="optanon-category-C0004" '
            'src="https://www.googletagmanager.com/gtm.js?id=GTM-AB12CD"></script>'
            '<script type="text/plain" data-category="marketing" '
            'data-src="https://analytics.tiktok.com/i18n/pixel/events.js?sdkid=C4ABCDEFGH"></script>'
            '<script type="text/plain" src="https://connect.facebook.net/en_US/fbevents.js"></script>')
    found = pixels(scan(text))
    assert [(p.vendor, p.account_id, p.after_consent) for p in found] == [
        ("meta", None, True), ("gtm", "GTM-AB12CD", True), ("tiktok", "C4ABCDEFGH", True)]


def test_consent_blocked_inline_script(js):
    text = ("<script type=\"text/plain\" data-cookieconsent=\"marketing\">fbq('track', 'AddToCart');</script>"
            "<script type=\"text/plain\" data-category=\"analytics\">gtag('event', 'sign_up');</script>"
            "<script>fbq('track', 'PageView');</script>")
    found = {e.name: (e.after_consent, e.trigger.conditions) for e in events(scan(text))}
    assert found == {"AddToCart": (True, ("consent: marketing",)),
                     "sign_up": (True, ("consent: analytics",)),
                     "PageView": (False, ())}


def test_documentation_page_yields_nothing():
    text = ("<h1>Installing the Meta Pixel</h1>\n"
            "<p>Call fbq('track', 'Purchase') after checkout. See https://www.facebook.com/tr for details.</p>\n"
            "<pre><code>&lt;script&gt;fbq('init', '123456789012345');&lt;/script&gt;</code></pre>\n"
            "<pre><code><img src=\"https://www.facebook.com/tr?id=123456789012345&ev=PageView\"></code></pre>\n"
            "<textarea><script>fbq('track', 'Lead')</script></textarea>\n"
            "<template><script src=\"https://connect.facebook.net/en_US/fbevents.js\"></script></template>\n"
            "<xmp><img src=\"https://www.facebook.com/tr?id=1&ev=Lead\"></xmp>\n"
            "<div data-snippet=\"fbq('track', 'Lead')\" title=\"<script>fbq()</script>\">fbevents.js</div>\n"
            "<script type=\"application/ld+json\">{\"text\": \"fbq('track', 'Purchase')\"}</script>\n"
            "<script type=\"text/template\"><script>fbq('track', 'Lead')</script></script>\n"
            "<script type=\"text/x-handlebars-template\">fbq('track', 'Lead')</script>")
    ctx = scan(text)
    assert ctx.out.items == []
    assert ctx.out.diagnostics == []


def test_broken_markup_still_reports_what_parses():
    text = ("</div></span><div><p><b>unclosed <img src=https://www.facebook.com/tr?id=123456789012345&ev=Lead "
            "alt=x>\n<div class=a\x01\x02\xff junk <<>> </p></p>\n"
            "<noscript><iframe src=//www.googletagmanager.com/ns.html?id=GTM-AB12CD>\n"
            "<script src='https://connect.facebook.net/en_US/fbevents.js'")
    ctx = scan(text)
    assert [(p.vendor, p.role) for p in pixels(ctx)] == [("meta", "beacon"), ("gtm", "noscript")]
    assert [e.name for e in events(ctx)] == ["Lead"]


def test_script_never_closed_runs_to_the_end(js):
    text = "<p>x</p><script>fbq('track', 'Purchase', {value: 5});\n<p>never closed"
    [event] = events(scan(text))
    assert event.name == "Purchase"


def test_crlf_latin1_page_maps_to_stored_bytes():
    raw = ("<html>\r\n<head><title>Caf\u00e9 \u00e0 la cr\u00e8me</title>\r\n" + FB_LOADER +
           "\r\n</head>\r\n<body>\u00e9t\u00e9\r\n<noscript>" + FB_NOSCRIPT + "</noscript>\r\n</body></html>"
           ).encode("latin-1")
    source, note = SourceText.from_bytes("shop/page.html", raw)
    assert source.encoding == "latin-1" and note
    ctx = scan(source.text, source.path, source)
    loader, noscript = pixels(ctx)
    assert raw[loader.location.start:loader.location.end] == FB_LOADER.encode()
    assert raw[noscript.location.start:noscript.location.end] == FB_NOSCRIPT.encode()
    assert (loader.location.line, loader.location.column) == (3, 1)
    assert (noscript.location.line, noscript.location.column) == (6, 11)


def test_bom_utf8_page_maps_to_stored_bytes():
    text = "<p>\u2603 \u00fcber \U0001F600</p>\n<noscript>" + FB_NOSCRIPT + "</noscript>"
    raw = codecs.BOM_UTF8 + text.encode("utf-8")
    source, _ = SourceText.from_bytes("page.html", raw)
    [pixel] = pixels(scan(source.text, source.path, source))
    assert raw[pixel.location.start:pixel.location.end] == FB_NOSCRIPT.encode()


def test_template_conditional_around_snippet():
    text = ("{% if settings.meta_enabled %}\n<noscript>" + FB_NOSCRIPT + "</noscript>\n"
            "{% else %}<img src=\"https://www.facebook.com/tr?id=123456789012345&ev=Lead\">{% endif %}")
    found = {e.name: e.trigger.conditions for e in events(scan(text, "templates/base.html"))}
    assert found == {"PageView": ("settings.meta_enabled",), "Lead": ("!(settings.meta_enabled)",)}


def test_template_conditional_reaches_inline_script(js):
    text = ("<?php if ($pixel_on): ?>\n<script>fbq('track', 'ViewContent');</script>\n<?php endif; ?>\n"
            '<?php if ($in_stock) { ?><button id="buy" onclick="fbq(\'track\', \'AddToCart\')">Add</button><?php } ?>'
            '<a class="share" onclick="fbq(\'trackCustom\', \'Share\')">Share</a>')
    found = {e.name: e.trigger for e in events(scan(text, "product.php"))}
    assert found["ViewContent"].conditions == ("$pixel_on",)
    assert (found["AddToCart"].selector, found["AddToCart"].conditions) == ("button#buy", ("$in_stock",))
    assert (found["Share"].selector, found["Share"].conditions) == ("a.share", ())


def test_code_inside_noscript_never_runs(js):
    text = ("<noscript><script>fbq('track', 'Lead');</script>"
            "<a id=\"x\" onclick=\"fbq('track', 'Contact')\">x</a>" + FB_NOSCRIPT + "</noscript>")
    ctx = scan(text)
    assert [e.name for e in events(ctx)] == ["PageView"]
    assert [p.role for p in pixels(ctx)] == ["noscript"]


def test_alpine_and_vue_handler_spellings(js):
    text = ('<button id="a" x-on:click="fbq(\'track\', \'Lead\')">a</button>'
            '<form id="f" v-on:submit.prevent="fbq(\'track\', \'Subscribe\')"></form>')
    found = {e.name: (e.trigger.kind, e.trigger.selector) for e in events(scan(text))}
    assert found == {"Lead": (TriggerKind.CLICK, "button#a"), "Subscribe": (TriggerKind.SUBMIT, "form#f")}


def test_vue_single_file_component(js):
    text = ("<template>\n  <button class=\"buy\" @click=\"purchase()\">Buy</button>\n"
            "  <noscript>" + FB_NOSCRIPT + "</noscript>\n</template>\n"
            "<script setup lang=\"ts\">\n"
            "const price: number = 10;\n"
            "function purchase(): void { fbq('track', 'Purchase', {value: price}); }\n"
            "</script>\n<style scoped>.buy { color: red }</style>\n")
    ctx = scan(text, "src/components/BuyButton.vue")
    assert [(p.role, p.account_id) for p in pixels(ctx)] == [("noscript", "123456789012345")]
    purchase = [e for e in events(ctx) if e.name == "Purchase"]
    assert [(e.trigger.kind, e.trigger.selector) for e in purchase] == [(TriggerKind.CLICK, "button.buy")]


def test_page_without_signature_is_not_parsed():
    text = "<html><body>" + "<div onclick=\"go()\"><p>plain</p></div>" * 2000 + "</body></html>"
    ctx = scan(text)
    assert ctx.out.items == [] and ctx.out.diagnostics == []


def test_smarty_literal_blocks_are_dropped_from_account_expressions(js):
    text = ("{literal}<script async src=\"https://www.googletagmanager.com/gtag/js?id=AW-{/literal}{$ads_id}{literal}\">"
            "</script><script>\n gtag('config', 'AW-{/literal}{$ads_id|escape:'htmlall'}{literal}');\n"
            " gtag('event', 'page_view', {'send_to': 'AW-{/literal}{$ads_id}{literal}'});\n"
            " gtag('config', '{/literal}{$ga_id}{literal}');\n</script>{/literal}")
    ctx = scan(text, "views/hook/tag.tpl")
    assert [(p.vendor, p.account_id, p.account_expr) for p in pixels(ctx)] == [
        ("google_ads", None, "AW-{$ads_id}"), ("google_ads", None, "AW-{$ads_id|escape:'htmlall'}"),
        ("ga4", None, "{$ga_id}")]
    assert [(e.vendor, e.name) for e in events(ctx)] == [("google_ads", "page_view")]


def test_php_call_printing_an_id_is_an_expression_never_a_blank_literal(js):
    text = ("<script>fbq('init', '<?php the_field(\"pixel_id\"); ?>');</script>\n<noscript><img "
            "src=\"https://www.facebook.com/tr?id=<?php the_field('pixel_id'); ?>&ev=PageView&noscript=1\"/>"
            "</noscript>")
    found = pixels(scan(text, "header.php"))
    assert [(p.role, p.account_id, p.account_expr) for p in found] == [
        ("init", None, "<?php the_field(\"pixel_id\"); ?>"), ("noscript", None, "<?php the_field('pixel_id'); ?>")]


def test_nesting_survives_the_markup_bs4_never_sees(js):
    """bs4 is given only the tags the walk reads; the plain tags around them become filler,
    and what sits inside inert or noscript elements must still be seen as such."""
    text = (
        '<!DOCTYPE html>\n<html><body class="p">\n'
        '<div class="doc"><pre><div><span>' + FB_NOSCRIPT + '</span></div></pre></div>\n'
        '<section><noscript><div><p>' + FB_NOSCRIPT + '</p></div></noscript></section>\n'
        "<style>/* <script>fbq('track', 'Styled')</script> */</style>\n"
        "<ul><li><a href=\"#\" class=\"buy\"><b>Buy</b></a><button class=\"go\" "
        "onclick=\"fbq('track', 'Purchase')\">Go</button></li></ul>\n"
        "<template><div><button onclick=\"fbq('track', 'Lead')\">x</button></div></template>\n"
        '<div><!-- <script>fbq(\'track\', \'Old\')</script> --></div>\n'
        "</body></html>\n")
    ctx = scan(text)
    found = pixels(ctx)
    assert [(p.role, p.location.line) for p in found] == [("noscript", 4)]
    assert {(e.name, e.active, e.trigger.kind, e.trigger.selector, e.location.line) for e in events(ctx)} == {
        ("PageView", True, TriggerKind.PAGE_LOAD, None, 4),
        ("Purchase", True, TriggerKind.CLICK, "button.go", 6),
        ("Old", False, TriggerKind.PAGE_LOAD, None, 8),
    }


def test_start_tags_over_several_lines_keep_the_lines_after_them(js):
    text = ('<script\n  type="text/javascript"\n  src="/assets/app.js"\n  defer></script>\n'
            '<button\n  class="buy"\n  onclick="fbq(\'track\', \'AddToCart\')"\n>Buy</button>\n'
            "<script>\n  fbq('init', '123456789012345');\n  fbq('track', 'PageView');\n</script>\n")
    ctx = scan(text)
    assert sorted((e.name, e.location.line) for e in events(ctx)) == [("AddToCart", 7), ("PageView", 11)]
    assert [(p.account_id, p.location.line) for p in pixels(ctx)] == [("123456789012345", 10)]
