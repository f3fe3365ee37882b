"""django-analytical template tags: `{% facebook_pixel_head %}` renders a vendor's snippet
from a setting, so the tag is where the pixel sits in the page.

The template view masks block tags to spaces, so tags are read from the original text.
"""
from __future__ import annotations

import re

from scanner.catalog import Catalog
from scanner.model import Level, PixelFinding
from scanner.static.context import Fragment, ScanContext

BLOCK_TAG = re.compile(r"\{%-?\s*(?P<name>[A-Za-z_]\w*)[^%]*?-?%\}")
# These render every service configured in settings, so the settings file names the pixels.
GENERIC_TAGS = frozenset({"analytical_head_top", "analytical_head_bottom",
                           "analytical_body_top", "analytical_body_bottom"})


def analyze_django_tags(fragment: Fragment, ctx: ScanContext) -> None:
    source = fragment.source
    if source.text.find("{%", fragment.start, fragment.end) == -1:
        return
    vendor_of_tag = _vendor_of_tag(ctx.catalog)
    for tag in BLOCK_TAG.finditer(source.text, fragment.start, fragment.end):
        name = tag["name"]
        if name in GENERIC_TAGS:
            line = source.line_column(tag.start())[0]
            ctx.out.warn(source.path, f"line {line}: django-analytical tag {{% {name} %}} renders every "
                                      f"service configured in settings", Level.INFO)
        elif name in vendor_of_tag:
            commented = fragment.view.is_commented(tag.start())
            ctx.out.add(PixelFinding(
                vendor=vendor_of_tag[name], location=source.location(*tag.span()),
                active=fragment.active and not commented, role="template_tag",
                after_consent=fragment.after_consent))


def _vendor_of_tag(catalog: Catalog) -> dict[str, str]:
    return {tag: vendor.id for vendor in catalog for tag in vendor.django_template_tags}
