"""Python sources: snippets in string literals, django-analytical settings and template tags."""
import importlib

import pytest

from scanner.catalog import default_catalog
from scanner.model import CookieFinding, CookieRole, Level, PixelFinding, Storage
from scanner.sources.text import SourceText
from scanner.static.context import Fragment, ScanContext, plain_view
from scanner.static.django import analyze_django_tags
from scanner.static.python import analyze_python


def _require(*modules: str) -> None:
    """Skip while another part of the scanner this case runs through is not written yet."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            pytest.skip(f"{module} does not exist yet")


def _require_vendor(vendor_id: str, setting: str | None = None) -> None:
    vendor = default_catalog().by_id.get(vendor_id)
    if vendor is None or (setting is not None and setting not in vendor.django_settings):
        pytest.skip(f"catalog has no {vendor_id} vendor{' with ' + setting if setting else ''}")


def _scan_python(text: str, path: str = "app/module.py") -> tuple[ScanContext, bytes]:
    raw = text.encode("utf-8")
    source, _ = SourceText.from_bytes(path, raw)
    ctx = ScanContext(default_catalog())
    analyze_python(Fragment(source, 0, len(source.text), "python", plain_view(source.text)), ctx)
    return ctx, raw


def _pixels(ctx: ScanContext, vendor: str) -> list[PixelFinding]:
    return [f for f in ctx.out.items if isinstance(f, PixelFinding) and f.vendor == vendor]


SETTINGS = """\
import os
import environ

env = environ.Env()
INSTALLED_APPS = ["django.contrib.admin", "analytical"]
FACEBOOK_PIXEL_ID = '1234567890123456'
# FACEBOOK_PIXEL_ID = '6543210987654321'


def helper():
    FACEBOOK_PIXEL_ID = '1111111111111111'
"""


def test_settings_literal_and_commented_out_setting():
    ctx, raw = _scan_python(SETTINGS, "mysite/settings.py")
    pixels = _pixels(ctx, "meta")
    assert [(p.account_id, p.active, p.role) for p in pixels] == [
        ("1234567890123456", True, "settings"), ("6543210987654321", False, "settings")]
    live, commented = pixels
    assert raw[live.location.start:live.location.end] == b"FACEBOOK_PIXEL_ID = '1234567890123456'"
    assert (live.location.line, live.location.column) == (6, 1)
    assert raw[commented.location.start:commented.location.end] == b"FACEBOOK_PIXEL_ID = '6543210987654321'"
    assert ctx.out.diagnostics == []


@pytest.mark.parametrize("value", ["os.environ.get('FACEBOOK_PIXEL_ID', '1234567890123456')",
                                   "env('FACEBOOK_PIXEL_ID')"])
def test_settings_from_the_environment_keep_their_source(value):
    ctx, _ = _scan_python(f"FACEBOOK_PIXEL_ID = {value}\n", "settings.py")
    [pixel] = _pixels(ctx, "meta")
    assert (pixel.account_id, pixel.account_expr) == (None, value)


def test_empty_setting_and_installed_app_alone_are_not_pixels():
    ctx, _ = _scan_python("INSTALLED_APPS = ['analytical']\nFACEBOOK_PIXEL_ID = None\n", "settings.py")
    assert ctx.out.items == []


def test_gtag_property_setting_is_ga4():
    _require_vendor("ga4", "GOOGLE_ANALYTICS_GTAG_PROPERTY_ID")
    ctx, _ = _scan_python("GOOGLE_ANALYTICS_GTAG_PROPERTY_ID = 'G-ABC123XYZ9'\n", "settings.py")
    [pixel] = _pixels(ctx, "ga4")
    assert (pixel.account_id, pixel.role) == ("G-ABC123XYZ9", "settings")


def test_syntax_error_warns_and_still_finds_string_snippets():
    _require("scanner.static.js", "scanner.static.html")
    ctx, _ = _scan_python("def broken(:\n    pass\n"
                          "SNIPPET = '<script>fbq(\"init\", \"1234567890123456\");</script>'\n",
                          "app/broken.py")
    [warning] = ctx.out.diagnostics
    assert warning.level is Level.WARNING and warning.path == "app/broken.py"
    assert warning.message.startswith("python: cannot parse: line 1: ")
    assert "\n" not in warning.message
    assert [p.account_id for p in _pixels(ctx, "meta")] == ["1234567890123456"]


def test_syntax_error_with_nothing_to_find_is_one_warning():
    ctx, _ = _scan_python("x = (\n")
    assert [d.message for d in ctx.out.diagnostics] == ["python: cannot parse: line 1: '(' was never closed"]
    assert ctx.out.items == []


def test_docstrings_and_prose_mentioning_a_vendor_are_not_snippets():
    ctx, _ = _scan_python('"""Sends fbq(\'init\', \'1234567890123456\') for us."""\n'
                          "HELP = 'add the fbq pixel here'\n")
    assert ctx.out.items == []


VIEW = """\
from django.http import HttpResponse


def landing(request):
    pixel_id = request.site.settings.meta_pixel_id
    return HttpResponse(f"<html><head><script>fbq('init', '{pixel_id}');</script></head></html>")
"""


def test_fstring_substitution_is_an_account_expression():
    _require("scanner.static.js", "scanner.static.html")
    ctx, raw = _scan_python(VIEW, "shop/views.py")
    [pixel] = [p for p in _pixels(ctx, "meta") if p.role == "init"]
    assert (pixel.account_id, pixel.account_expr) == (None, "{pixel_id}")
    assert pixel.location.line == 6
    assert raw[pixel.location.start:pixel.location.end].startswith(b"fbq('init', '{pixel_id}')")


GTM_MODULE = '''\
GTM_HEAD = """<!-- Google Tag Manager -->
<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':
new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],
j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src=
'https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);
})(window,document,'script','dataLayer','GTM-ABC1234');</script>
<!-- End Google Tag Manager -->"""
'''


def test_triple_quoted_gtm_snippet():
    _require("scanner.static.js", "scanner.static.html")
    _require_vendor("gtm")
    ctx, raw = _scan_python(GTM_MODULE)
    pixels = _pixels(ctx, "gtm")
    assert {p.account_id for p in pixels} == {"GTM-ABC1234"}
    content_start = GTM_MODULE.index('"""') + 3
    content_end = GTM_MODULE.rindex('"""')
    assert all(content_start <= p.location.start and p.location.end <= content_end for p in pixels)
    assert all(2 <= p.location.line <= 7 for p in pixels)


def test_offsets_are_bytes_after_non_ascii_text():
    _require("scanner.static.js")
    text = "# Café — 日本語 ✓\nLABEL = 'ünïcode'; SNIPPET = 'fbq(\"init\", \"1234567890123456\")'\n"
    ctx, raw = _scan_python(text)
    [pixel] = _pixels(ctx, "meta")
    assert raw[pixel.location.start:pixel.location.end].decode("utf-8").startswith('fbq("init"')
    assert (pixel.location.line, pixel.location.column) == (2, text.split("\n")[1].index("fbq") + 1)


def test_string_with_escapes_reports_the_whole_literal():
    _require("scanner.static.js")
    text = "SNIPPET = 'fbq(\\'init\\', \\'1234567890123456\\')'\n"
    ctx, raw = _scan_python(text)
    [pixel] = _pixels(ctx, "meta")
    assert pixel.account_id == "1234567890123456"
    assert raw[pixel.location.start:pixel.location.end] == text[len("SNIPPET = "):-1].encode()


CONCATENATED = """\
SNIPPET = ("<script>"
           "fbq('init', '1234567890123457');"
           "fbq('track', 'Purchase', {value: 1});"
           "</script>")
"""


def test_implicit_concatenation_keeps_exact_offsets():
    _require("scanner.static.js", "scanner.static.html")
    ctx, raw = _scan_python(CONCATENATED)
    [pixel] = _pixels(ctx, "meta")
    [event] = [f for f in ctx.out.items if not isinstance(f, PixelFinding)]
    assert (pixel.account_id, pixel.location.line) == ("1234567890123457", 2)
    assert raw[pixel.location.start:pixel.location.end] == b"fbq('init', '1234567890123457')"
    assert (event.name, event.location.line) == ("Purchase", 3)


def test_percent_format_placeholder_is_an_account_expression():
    _require("scanner.static.js")
    ctx, _ = _scan_python("def page(pid):\n    return \"fbq('init', '%s');\" % pid\n")
    [pixel] = _pixels(ctx, "meta")
    assert (pixel.account_id, pixel.account_expr) == (None, "%s")


TEMPLATE = """\
{% load analytical %}
<html><head>{% facebook_pixel_head %}{% analytical_head_top %}</head>
<body>{# {% facebook_pixel_body %} #}</body></html>
"""


def test_django_template_tags():
    _require("scanner.static.templates")
    from scanner.static.templates import dialects_for, template_view

    source = SourceText("templates/base.html", TEMPLATE)
    view = template_view(TEMPLATE, dialects_for(source.path))
    ctx = ScanContext(default_catalog())
    analyze_django_tags(Fragment(source, 0, len(TEMPLATE), "html", view), ctx)
    pixels = _pixels(ctx, "meta")
    assert [(TEMPLATE[p.location.start:p.location.end], p.active, p.role, p.account_id) for p in pixels] == [
        ("{% facebook_pixel_head %}", True, "template_tag", None),
        ("{% facebook_pixel_body %}", False, "template_tag", None)]
    assert [(d.level, d.message) for d in ctx.out.diagnostics] == [
        (Level.INFO, "line 2: django-analytical tag {% analytical_head_top %} renders every "
                     "service configured in settings")]


def test_setting_that_is_not_an_account_names_none():
    _require_vendor("matomo", "MATOMO_DOMAIN_PATH")
    ctx, _ = _scan_python("MATOMO_DOMAIN_PATH = 'stats.example.com'\nMATOMO_SITE_ID = 3\n", "settings.py")
    assert [p.account_id for p in _pixels(ctx, "matomo")] == [None, "3"]


def test_cookie_reads_and_writes_in_views():
    _require_vendor("meta")
    text = ('def view(request):\n'
            '    fbp = request.COOKIES.get("_fbp", "")\n'
            '    fbc = request.COOKIES["_fbc"]\n'
            '    other = request.COOKIES.get(name)\n'
            '    response = render(request, "x.html")\n'
            '    response.set_cookie("cart_id", "1", max_age=3600)\n'
            '    return response\n')
    ctx, raw = _scan_python(text)
    found = [(f.name, f.access, f.vendor, f.role, f.storage, f.location.line,
              raw[f.location.start:f.location.end].decode())
             for f in ctx.out.items if isinstance(f, CookieFinding)]
    assert found == [
        ("_fbp", "read", "meta", CookieRole.IDENTITY, Storage.COOKIE, 2, 'request.COOKIES.get("_fbp", "")'),
        ("_fbc", "read", "meta", CookieRole.CLICK_ID, Storage.COOKIE, 3, 'request.COOKIES["_fbc"]'),
        ("cart_id", "write", None, CookieRole.OTHER, Storage.COOKIE, 6,
         'response.set_cookie("cart_id", "1", max_age=3600)'),
    ]
