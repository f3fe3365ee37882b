"""Code kept in a string literal of another language: HTML in a JS string, JS or HTML in a
Python string. Where the literal's characters are the code, it is a nested fragment of the
same file; where escapes or concatenation make its value differ from its characters,
offsets inside the value point nowhere in the file, so the value is analysed as a text of
its own and everything it holds is reported at the literal."""
from __future__ import annotations

from dataclasses import replace

from scanner.model import Finding, Location
from scanner.static.context import Fragment, ScanContext


def analyze_nested(child: Fragment, ctx: ScanContext) -> None:
    ctx.depth += 1
    try:
        _analyzer(child.language)(child, ctx)
    finally:
        ctx.depth -= 1


def analyze_detached(value: Fragment, ctx: ScanContext, where: Location) -> list[Finding]:
    """The findings of a value (a fragment over a SourceText of its own), moved to `where`;
    its diagnostics join ctx's."""
    from scanner.static.js import finish_js

    detached = ScanContext(ctx.catalog, depth=ctx.depth + 1)
    _analyzer(value.language)(value, detached)
    finish_js(detached)
    ctx.out.diagnostics.extend(detached.out.diagnostics)
    return [finding if finding.location is None else replace(finding, location=where)
            for finding in detached.out.items]


def _analyzer(language: str):
    if language == "html":
        from scanner.static.html import analyze_html
        return analyze_html
    from scanner.static.js import analyze_js
    return analyze_js
