"""HTML pages and templates: remove a chosen vendor's elements and code, keep the page.

The page is read from its template view (template syntax masked, offsets unchanged) by a
small lexer that knows what the strip needs: comments, raw-text elements (script bodies),
noscript content, start tags with attribute value ranges. Script bodies and handler
attributes are JS regions (rewriters.js); snippets kept in JS strings come back here as
regions of their own.

What goes: loader and pixel elements (`<script src>`, `<img>`, `<iframe>`); a script whose
body has nothing left; the pixel calls in a handler attribute, and the attribute when nothing
else is left; a `<noscript>` left empty; an HTML or template comment holding a commented-out
pixel; `preconnect` / `dns-prefetch` links to hosts only removed vendors use; the comments
that only frame removed code (`<!-- Meta Pixel Code -->` ... `<!-- End Meta Pixel Code -->`);
a template conditional that wraps nothing else; django-analytical tags, and its generic
tags and `{% load analytical %}` once django-analytical itself goes.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace

from scanner.static.context import TemplateView
from scanner.static.django import BLOCK_TAG, GENERIC_TAGS
from scanner.static.html import read_start_tag
from rewriters.job import FileJob, StripContext, Target, host_of, run
from rewriters.result import RewriteResult
from rewriters.js import JsRegion, settle_stubs

_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "noscript", "iframe"})
JS_TYPES = {"": "js", "text/javascript": "js", "application/javascript": "js", "module": "js",
             "text/ecmascript": "js", "application/ecmascript": "js", "application/x-javascript": "js",
             "text/plain": "js", "text/jsx": "jsx", "text/babel": "jsx"}
_TS_LANGS = {"ts": "ts", "typescript": "ts", "tsx": "tsx", "jsx": "jsx"}
_HANDLER = re.compile(r"(?:on|@|v-on:|x-on:|on:)[a-z][\w.:|-]*")
_LINK_RELS = frozenset({"preconnect", "dns-prefetch"})
_END_COMMENT = re.compile(r"\s*(?:end\b|/)", re.IGNORECASE)
# Template conditionals: the tag that opens a branch (ending where its content starts) and
# the tag that closes a block (starting where the content ends), per template language.
_BLADE_IF = r"@(?:if|unless|isset|empty|auth|guest|production|env|can|cannot|canany|hasSection|sectionMissing" \
            r"|session|error)\b\s*(?:\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\))?"
_OPENERS = re.compile(
    r"(?:\{%[-+]?\s*(?:if|unless|ifequal|ifnotequal)\b(?:(?!%\}).)*?[-+]?%\}"
    r"|\{\{~?#(?:if|unless)\b[^}]*\}\}"
    r"|" + _BLADE_IF +
    r"|<\?php\s+if\s*\(.*?\)\s*(?::|\{)\s*\?>"
    r"|<%[-=]?\s*(?:if|unless)\b.*?%>"
    r"|\{if\s[^}]*\}"
    r"|\{\{-?\s*if\s[^}]*\}\})[ \t]*\Z", re.DOTALL)
_CLOSERS = re.compile(
    r"\{%[-+]?\s*end(?:if|unless|ifequal|ifnotequal)\s*[-+]?%\}"
    r"|\{\{~?/(?:if|unless)~?\}\}"
    r"|@end(?:if|unless|isset|empty|auth|guest|production|env|can|cannot|canany|session|error)\b"
    r"|<\?php\s+(?:endif\s*;?|\})\s*\?>"
    r"|<%[-=]?\s*(?:end|\})\s*-?%>"
    r"|\{/if\}"
    r"|\{\{-?\s*end\s*-?\}\}")
_REFERENCES = re.compile(r"(?:&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)+")
_MARKUP_TAG = re.compile(r"<[^>]*>")
_FETCHING = re.compile(r"<(?:img|iframe|script|link|object|embed|video|audio|source|picture)\b", re.IGNORECASE)
_LOAD_TAG = re.compile(r"\{%-?\s*load\s+(?P<libs>[^%]*?)\s*-?%\}")


@dataclass(frozen=True)
class Element:
    name: str
    start: int
    tag_end: int
    end: int
    """End of the element: past its closing tag for raw-text elements, else the start tag's end."""
    attributes: dict
    body: tuple[int, int] | None = None
    """Content range of a raw-text element (script body, noscript content)."""


def lex(text: str, start: int, end: int) -> tuple[list[Element], list[tuple[int, int]]]:
    """Elements with their start tags, and comments, in [start, end) of the masked text."""
    elements: list[Element] = []
    comments: list[tuple[int, int]] = []
    pos = start
    while True:
        i = text.find("<", pos, end)
        if i < 0:
            break
        if text.startswith("<!--", i):
            close = text.find("-->", i + 4, end)
            stop = end if close < 0 else close + 3
            comments.append((i, stop))
            pos = stop
            continue
        if text.startswith(("</", "<!", "<?"), i):
            close = text.find(">", i, end)
            pos = end if close < 0 else close + 1
            continue
        tag = read_start_tag(text, i)
        if tag is None or tag.end > end:
            pos = i + 1
            continue
        body = None
        element_end = tag.end
        if tag.name in _RAW_TEXT:
            closing = re.compile(r"</" + re.escape(tag.name) + r"[\s/>]", re.IGNORECASE).search(text, tag.end, end)
            body_end = end if closing is None else closing.start()
            close = text.find(">", body_end, end) if closing is not None else -1
            element_end = end if close < 0 else close + 1
            body = (tag.end, body_end)
        elements.append(Element(tag.name, i, tag.end, element_end, tag.attributes, body))
        pos = element_end if tag.name in ("script", "style", "textarea", "title", "xmp") else tag.end
    return elements, comments


class HtmlRegion:
    def __init__(self, job: FileJob, start: int, end: int, view: TemplateView | None = None):
        self.job = job
        self.start, self.end = start, end
        self.view = view or job.view
        self.elements, self.comments = lex(self.view.masked, start, end)
        self.scripts: dict[int, JsRegion] = {}
        self.handlers: list[tuple[Element, object, JsRegion]] = []
        self.commented: dict[tuple[int, int], list[Target]] = {}
        self.cut_here = False
        words = job.ctx.removable_names
        self.vendor_words = re.compile(r"(?<![\w$])(?:" + "|".join(sorted(map(re.escape, words))) + r")(?![\w$])") \
            if words else None

    def run(self, finish: bool = True) -> None:
        job = self.job
        for target in job.targets_in(self.start, self.end):
            self.dispatch(target)
        for element in self.elements:
            if element.name == "script" and element.body and element.start not in self.scripts \
                    and script_language(element) and self.mentions_vendor(*element.body):
                self.script_region(element)
            for name, attribute in element.attributes.items():
                if _HANDLER.fullmatch(name) and attribute.raw.strip() and \
                        not any(a is attribute for _, a, _ in self.handlers) and \
                        self.mentions_vendor(attribute.start, attribute.end):
                    self.handler_region(element, attribute)
        for region in list(self.scripts.values()) + [r for _, _, r in self.handlers]:
            region.run()
        if finish:
            self.finish()

    def mentions_vendor(self, start: int, end: int) -> bool:
        return self.vendor_words is not None and self.vendor_words.search(self.view.masked, start, end) is not None

    def empty(self) -> bool:
        return self.cut_here and not self.job.remaining_text(self.start, self.end).strip()

    def cut(self, start: int, end: int, reason: str, vendor: str | None = None) -> bool:
        done = self.job.cut(start, end, reason, vendor)
        self.cut_here = self.cut_here or done
        return done

    # ---- targets -------------------------------------------------------------------------
    def dispatch(self, target: Target) -> None:
        job = self.job
        pos = target.start
        comment = next(((s, e) for s, e in self.view.comments if s <= pos < e), None)
        if comment is not None:
            if not self.cut(*comment, f"{target.vendor} {target.label} (commented out)", target.vendor):
                job.leave(target, "a template comment that also holds code that stays")
            return
        comment = next(((s, e) for s, e in self.comments if s <= pos < e), None)
        if comment is not None:
            self.commented.setdefault(comment, []).append(target)
            return
        if getattr(target.finding, "role", None) == "template_tag":
            self.cut(target.start, target.end, f"{target.vendor} template tag", target.vendor)
            return
        for element in self.elements:
            if element.body and element.body[0] <= pos < element.body[1] and element.name == "script":
                if script_language(element):
                    self.script_region(element)
                else:
                    job.leave(target, "in a script of a type the rewriter does not read as JavaScript")
                return
            if element.start == pos and element.name in ("script", "img", "iframe", "link", "embed"):
                self.remove_element(element, target)
                return
            if element.start < pos < element.tag_end:
                attribute = next((a for n, a in element.attributes.items()
                                  if a.start <= pos < max(a.end, a.start + 1) and _HANDLER.fullmatch(n)), None)
                if attribute is not None:
                    self.handler_region(element, attribute)
                    return
        job.leave(target, "not in a construct the rewriter removes (remove it by hand)")

    def remove_element(self, element: Element, target: Target) -> None:
        src = element.attributes.get("src")
        if element.name == "script" and src is not None:
            sharing = sorted({loader.vendor for loader in self.job.ctx.catalog.loaders
                              if loader.url.search(src.value)} & self.job.other_vendors)
            if sharing:
                self.job.leave(target, f"this script also loads {', '.join(sharing)} here; change or remove it "
                                       f"when they go")
                return
        if not self.cut(element.start, element.end, f"{target.vendor} {target.label}", target.vendor):
            self.job.leave(target, f"cannot be removed: {self.job.veto(element.start, element.end)}")

    def script_region(self, element: Element) -> JsRegion:
        region = self.scripts.get(element.start)
        if region is None:
            region = JsRegion(self.job, *element.body, script_language(element), self.view)
            self.scripts[element.start] = region
        return region

    def handler_region(self, element: Element, attribute) -> JsRegion:
        for _, known, region in self.handlers:
            if known is attribute:
                return region
        region = JsRegion(self.job, attribute.start, attribute.end, "js",
                          _unescaped(self.view, attribute.start, attribute.end))
        self.handlers.append((element, attribute, region))
        return region

    # ---- what the removals leave ------------------------------------------------------------
    def finish(self) -> None:
        job = self.job
        for start, region in self.scripts.items():
            if region.empty():
                element = next(e for e in self.elements if e.start == start)
                self.cut(element.start, element.end, "script left empty")
            elif region.touched:
                self.cut_here = True
        for element, attribute, region in self.handlers:
            if region.empty():
                masked = self.view.masked
                self.cut(_attribute_start(masked, attribute.start), _attribute_end(masked, attribute),
                         "handler attribute left empty")
            elif region.touched:
                self.cut_here = True
        for comment, targets in self.commented.items():
            vendor = targets[0].vendor
            if not self.cut(*comment, f"{vendor} (commented out)", vendor):
                for target in targets:
                    job.leave(target, "a commented-out snippet that shares its comment with code that stays")
        for element in self.elements:
            if element.name == "noscript" and element.body and job.spans.overlaps(*element.body) \
                    and _blank_markup(job.remaining_text(*element.body)):
                self.cut(element.start, element.end, "noscript left empty")
            elif element.name == "link" and self.vendor_link(element):
                self.cut(element.start, element.end, "connection hint to a removed vendor's host")
        self.framing_comments()
        if self.start == 0 and self.end == len(job.text):
            self.conditionals()
            self.analytical_tags()
            self.framing_comments()

    def vendor_link(self, element: Element) -> bool:
        rel = element.attributes.get("rel")
        href = element.attributes.get("href")
        if rel is None or href is None or not set(rel.value.lower().split()) & _LINK_RELS:
            return False
        host = host_of(href.value)
        return host is not None and self.job.ctx.host_removable(host)

    def framing_comments(self) -> None:
        """`<!-- Meta Pixel Code -->` right before removed code and `<!-- End Meta Pixel Code -->`
        right after it, naming a vendor removed from this file."""
        job = self.job
        text = job.text
        removed = job.removed_vendors()
        if not removed:
            return
        changed = True
        while changed:
            changed = False
            for start, end in self.comments:
                if job.covered(start, end):
                    continue
                body = text[start + 4:end - 3]
                if "<" in body or not job.ctx.mentions_chosen(body, removed):
                    continue
                after = _skip_space(text, end, self.end)
                before = _skip_space_back(text, start, self.start)
                if _END_COMMENT.match(body):
                    framing = before > self.start and job.covered(before - 1, before)
                else:
                    framing = after < self.end and job.covered(after, after + 1)
                if framing and self.cut(start, end, "comment framing removed code"):
                    changed = True

    def conditionals(self) -> None:
        """`{% if x %}...{% endif %}` / `@if(...)...@endif` holding nothing but removed code go whole."""
        job = self.job
        text = job.text
        changed = True
        while changed:
            changed = False
            for conditional in sorted(self.view.conditionals, key=lambda c: c.end - c.start):
                start, end = conditional.start, conditional.end
                if not job.spans.overlaps(start, end) or job.remaining_text(start, end).strip():
                    continue
                opener = _OPENERS.search(text, max(0, start - 600), start)
                closer = _CLOSERS.match(text, end)
                if opener is None or closer is None:
                    continue
                if job.covered(opener.start(), closer.end()):
                    continue
                if self.cut(opener.start(), closer.end(), f"template conditional {conditional.condition!r} "
                                                          f"wrapped only removed code"):
                    changed = True

    def analytical_tags(self) -> None:
        """django-analytical's generic tags render every service in settings: they go when
        django-analytical goes; `{% load analytical %}` goes when no tag of it is left."""
        job = self.job
        text = job.text
        vendor_tags = {tag for vendor in job.ctx.catalog for tag in vendor.django_template_tags}
        tags = [m for m in BLOCK_TAG.finditer(text) if m["name"] in GENERIC_TAGS or m["name"] in vendor_tags]
        if job.ctx.analytical_goes:
            for tag in tags:
                if tag["name"] in GENERIC_TAGS:
                    self.cut(tag.start(), tag.end(), "django-analytical tag; django-analytical goes")
        if not tags or any(not job.covered(t.start(), t.end()) for t in tags):
            return
        for load in _LOAD_TAG.finditer(text):
            libs = load["libs"].split()
            if "analytical" not in libs:
                continue
            if len(libs) == 1:
                self.cut(load.start(), load.end(), "django-analytical tags all removed")
            else:
                word = re.search(r"\s+analytical\b", text[load.start("libs") - 1:load.end("libs")])
                if word is not None:
                    base = load.start("libs") - 1
                    self.cut(base + word.start(), base + word.end(), "django-analytical tags all removed")


def _unescaped(view: TemplateView, start: int, end: int) -> TemplateView:
    """The view with character references in [start, end) decoded for the JS parser
    (`&amp;&amp;` -> `&&`), each run padded with spaces to its length so offsets stay."""
    masked = view.masked
    if "&" not in masked[start:end]:
        return view

    def decode(found: re.Match) -> str:
        text = html.unescape(found.group())
        return text + " " * (len(found.group()) - len(text)) if len(text) <= len(found.group()) else found.group()
    return replace(view, masked=masked[:start] + _REFERENCES.sub(decode, masked[start:end]) + masked[end:])


def script_language(element: Element) -> str | None:
    """js, jsx, ts or tsx for a script element the browser (or a build step) runs; None for
    data and template scripts (`application/ld+json`, `text/x-template`)."""
    kind = element.attributes["type"].value.strip().lower() if "type" in element.attributes else ""
    language = JS_TYPES.get(kind)
    if language is not None and "lang" in element.attributes:
        return _TS_LANGS.get(element.attributes["lang"].value.strip().lower(), language)
    return language


def _blank_markup(text: str) -> bool:
    """Nothing shows or loads: no text, no element that fetches something, only wrappers."""
    return not _MARKUP_TAG.sub("", text).strip() and not _FETCHING.search(text)


def _attribute_start(text: str, value_start: int) -> int:
    """Start of the whitespace before the attribute whose value starts at value_start."""
    pos = value_start
    if pos > 0 and text[pos - 1] in "\"'":
        pos -= 1
    while pos > 0 and text[pos - 1].isspace():
        pos -= 1
    if pos > 0 and text[pos - 1] == "=":
        pos -= 1
    while pos > 0 and text[pos - 1].isspace():
        pos -= 1
    while pos > 0 and not text[pos - 1].isspace() and text[pos - 1] not in "<>\"'":
        pos -= 1
    while pos > 0 and text[pos - 1] in " \t\r\n":
        pos -= 1
    return pos


def _attribute_end(text: str, attribute) -> int:
    end = attribute.end
    return end + 1 if end < len(text) and text[end] in "\"'" and attribute.start > 0 \
        and text[attribute.start - 1] == text[end] else end


def _skip_space(text: str, pos: int, limit: int) -> int:
    while pos < limit and text[pos].isspace():
        pos += 1
    return pos


def _skip_space_back(text: str, pos: int, limit: int) -> int:
    while pos > limit and text[pos - 1].isspace():
        pos -= 1
    return pos


def strip_html(job: FileJob) -> None:
    """A whole page or template."""
    region = HtmlRegion(job, 0, len(job.text))
    region.run(finish=False)
    settle_stubs(job)
    region.finish()


def rewrite(path: str, raw: bytes, kind: str, findings, ctx: StripContext) -> RewriteResult:
    """Edits | Skip | Failure for one file."""
    return run(strip_html, path, raw, kind, findings, ctx)
