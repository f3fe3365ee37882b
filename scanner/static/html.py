"""HTML pages and HTML-looking fragments: loader scripts, inline scripts, beacons, handlers.

BeautifulSoup ('html.parser') gives the element structure and each start tag's line and
column, built for the few elements that can matter (`_structure_only`: scripts, noscript
and inert elements, pixel images and iframes, handlers); everything that needs exact offsets (the end of a start tag, attribute value
ranges, script bodies, comments) is read from the fragment's masked text here, because
the parser unescapes attribute values and drops raw positions. Script bodies and handler
attributes go to the JS analyzer as child fragments over exactly their characters.

Only markup the browser acts on counts: text, <pre>/<code>/<textarea>/<template> content,
escaped markup and ordinary attribute values are never findings.
"""
from __future__ import annotations

import bisect
import functools
import html
import json
import re
import sys
import warnings
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, Tag
from bs4.exceptions import ParserRejectedMarkup

from scanner.catalog import Catalog
from scanner.catalog.match import UrlMatch, match_beacon, match_loader
from scanner.model import EventFinding, Expr, PixelFinding, Trigger, TriggerKind, Value
from scanner.static.context import Fragment, ScanContext

# Content the browser does not run as markup (or that only shows code).
_INERT = frozenset({"pre", "code", "textarea", "xmp", "template", "plaintext", "listing", "title", "style"})
# Elements that can be a pixel by their src alone; any other element matters with a handler.
_MEDIA = frozenset({"img", "iframe"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"})
_JS_TYPES = {"": "js", "text/javascript": "js", "application/javascript": "js", "module": "js",
             "text/ecmascript": "js", "application/ecmascript": "js", "application/x-javascript": "js",
             "text/jsx": "jsx", "text/babel": "jsx"}
_SFC_LANGUAGES = {"js": "js", "javascript": "js", "ts": "ts", "typescript": "ts", "jsx": "jsx", "tsx": "tsx"}
# Consent platforms keep a script inert as `type="text/plain"` and name its category in an
# attribute: Cookiebot, Complianz / cookieconsent, Usercentrics, CookieYes, Termly, Klaro.
_CONSENT_ATTRIBUTES = ("data-cookieconsent", "data-category", "data-cookiecategory", "data-usercentrics",
                       "data-cookieyes", "data-categories", "data-name")
_ONETRUST_CLASS = re.compile(r"\boptanon-category-([\w-]+)")
_HANDLER_KINDS = {"click": TriggerKind.CLICK, "submit": TriggerKind.SUBMIT, "change": TriggerKind.CHANGE,
                  "input": TriggerKind.CHANGE, "load": TriggerKind.WINDOW_LOAD,
                  "scroll": TriggerKind.SCROLL, "visibilitychange": TriggerKind.VISIBILITY,
                  "pagehide": TriggerKind.VISIBILITY, "unload": TriggerKind.VISIBILITY,
                  "beforeunload": TriggerKind.VISIBILITY}
# `onclick`, and the framework spellings: Vue/Alpine `@click` / `v-on:click` / `x-on:click`, Svelte `on:click`.
_HANDLER_NAME = re.compile(r"(?:on|@|v-on:|x-on:|on:)([a-z][\w.:|-]*)")

_TAG_NAME = re.compile(r"<([a-zA-Z][^\t\n\r\f />\x00]*)")
_ATTRIBUTE = re.compile(r"""(?P<name>[^\s/>][^\s/=>]*)(?:\s*=+\s*(?P<value>"[^"]*"|'[^']*'|(?!['"])[^>\s]*))?""")
_SCRIPT_END = re.compile(r"</script[\s/>]|</script\Z", re.IGNORECASE)
_CSS_IDENT = re.compile(r"-?[_a-zA-Z][\w-]*\Z")
_CSS_ESCAPE = re.compile(r"([^\w-])")
_TELLING = ("name", "type")
# Elements whose start and end tags shape what the walk sees: inert content, noscript, scripts.
_STRUCTURE = (_INERT | {"noscript", "script"}) - _VOID
# Python 3.11 has possessive quantifiers: the tokenizer below then takes whole runs per step
# (twice as fast). Python 3.10 steps one character at a time, which keeps backtracking linear.
_ONCE, _RUN = ("+", "++") if sys.version_info >= (3, 11) else ("", "")
# What the walk may read, in one pass: comments, scripts and styles whole, the end tags of
# structure elements, and start tags. Other end tags never matter and are left as text.
_MARKUP_TOKEN = re.compile(
    r"""(?P<comment><!--(?:[^-]{run}|-(?!->))*{once}(?:-->|\Z))"""
    r"""|(?P<open><(?P<raw>script|style)\b(?:[^>"']{run}|"[^"]*{once}"|'[^']*{once}')*{once}>)"""
    r"""[^<]*{once}(?:<(?!/(?P=raw)\b)[^<]*{once})*{once}(?P<close></(?P=raw)\b[^>]*{once}(?:>|\Z)|\Z)"""
    r"""|(?P<shut></(?:{structure})\b[^>]*{once}>)"""
    r"""|<(?P<name>[a-zA-Z][^\t\n\r\f />\x00]*{once})(?:[^>"']{run}|"[^"]*{once}"|'[^']*{once}')*{once}>""".format(
        once=_ONCE, run=_RUN, structure="|".join(sorted(_STRUCTURE - {"script"}))),
    re.IGNORECASE)
_HANDLER_ATTRIBUTE = re.compile(r"""[\s"'/](?:on[a-z:]|@[a-z]|v-on:|x-on:)[^\s=>"'/]*\s*=""", re.IGNORECASE)


@dataclass(frozen=True)
class TagAttribute:
    start: int
    """Offset of the value's first character in the fragment text (inside the quotes)."""
    end: int
    raw: str
    """The value as the masked text has it: entities not decoded."""

    @property
    def value(self) -> str:
        return html.unescape(self.raw)


@dataclass(frozen=True)
class StartTag:
    name: str
    start: int
    end: int
    attributes: dict[str, TagAttribute]


@dataclass(frozen=True)
class _Element:
    start_tag: StartTag
    in_noscript: bool
    script_end: tuple[int, int] | None = None
    """Scripts: (end of body, end of element)."""


def read_start_tag(text: str, start: int) -> StartTag | None:
    """Read `<name attr=value ...>` at start as html.parser does; attribute names lowercased,
    the first of duplicate attributes wins (as in browsers)."""
    named = _TAG_NAME.match(text, start)
    if named is None:
        return None
    attributes: dict[str, TagAttribute] = {}
    pos = named.end()
    length = len(text)
    while pos < length:
        while pos < length and (text[pos].isspace() or text[pos] == "/" and not text.startswith("/>", pos)):
            pos += 1
        if pos >= length:
            break
        if text[pos] == ">" or text.startswith("/>", pos):
            pos += 1 if text[pos] == ">" else 2
            break
        found = _ATTRIBUTE.match(text, pos)
        name = found.group("name").lower()
        value = found.group("value")
        if value is None:
            span = (found.end(), found.end())
        elif value[:1] in "\"'":
            span = (found.start("value") + 1, found.end("value") - 1)
        else:
            span = found.span("value")
        attributes.setdefault(name, TagAttribute(span[0], span[1], text[span[0]:span[1]]))
        pos = max(found.end(), pos + 1)
    return StartTag(named.group(1).lower(), start, min(pos, length), attributes)


@functools.lru_cache(maxsize=32)
def _end_tag(name: str) -> re.Pattern:
    return re.compile(r"</" + re.escape(name) + r"\s*>", re.IGNORECASE)


def _merge(*groups: tuple[str, ...]) -> tuple[str, ...]:
    """Conditions in order without repeats: a nested fragment inherits its parent's."""
    return tuple(dict.fromkeys(c for group in groups for c in group))


def _blank(text: str, fill: str = ".") -> str:
    """Filler of the same length with the newlines kept (html.parser counts lines by them).
    Dots, not spaces, between tags: bs4 inspects whitespace-only text one character at a time."""
    if "\n" not in text:
        return fill * len(text)
    return "\n".join(fill * len(line) for line in text.split("\n"))


def _bare(tag: str, name: str) -> str:
    """`<name ...>` without its attributes, same length and lines: spaces where they were."""
    return "<" + name + _blank(tag[len(name) + 1:-1], " ") + ">"


def _has_handler(tag: str) -> bool:
    """Whether a start tag has a handler attribute; the substring test spares the regex nine
    tags in ten."""
    folded = tag.lower()
    return ("on" in folded or "@" in folded) and _HANDLER_ATTRIBUTE.search(folded) is not None


def _structure_only(text: str, catalog: Catalog) -> str:
    """The text for bs4, same length and lines, holding only the elements the walk reads:
    inert, noscript and script elements, images and iframes with a signature, elements with
    a handler, and comments with a signature. Start tags lose their attributes (the walk reads
    them from the text itself); everything else (most of a page: text, divs, links,
    script bodies, styles, attributes) becomes filler, so bs4 builds a few bare elements
    instead of every one, at their lines and columns, nested as in the page."""
    # Signatures are looked for in the few tags and comments that need one, not in the page.
    signed = catalog.has_signature
    pieces: list[str] = []
    done = 0
    for token in _MARKUP_TOKEN.finditer(text):
        start, end = token.span()
        kind = token.lastgroup
        if kind == "name":
            name, tag = token.group("name", 0)
            lowered = name.lower()
            if lowered not in _STRUCTURE and not _has_handler(tag) and not (lowered in _MEDIA and signed(tag)):
                continue
            markup = _bare(tag, name)
        elif kind == "close":
            if token.group("raw").lower() != "script":
                continue  # a style: inert, and nothing inside it is an element
            pieces.append(_blank(text[done:start]))
            pieces.append(_bare(token.group("open"), token.group("raw")))
            start, done = token.start("close"), token.end("open")
            markup = text[start:end]
        elif kind == "comment" and not signed(token.group()):
            continue
        else:
            markup = text[start:end]
        pieces.append(_blank(text[done:start]))
        pieces.append(markup)
        done = start + len(markup)
    pieces.append(_blank(text[done:]))
    return "".join(pieces)


def analyze_html(fragment: Fragment, ctx: ScanContext) -> None:
    _Page(fragment, ctx).analyze()


class _Page:
    def __init__(self, fragment: Fragment, ctx: ScanContext, in_noscript: bool = False):
        self.fragment = fragment
        self.ctx = ctx
        self.text = fragment.text
        self.in_noscript = in_noscript
        self.is_component = fragment.source.path.lower().endswith((".vue", ".svelte"))

    def analyze(self) -> None:
        catalog = self.ctx.catalog
        if not catalog.has_signature(self.text):
            return
        self.parsed = _structure_only(self.text, catalog)
        """What bs4 parses; offsets and lines are those of self.text."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                soup = BeautifulSoup(self.parsed, "html.parser")
            except ParserRejectedMarkup as exc:
                self.ctx.out.warn(self.fragment.source.path, f"HTML not parsed: {exc}")
                return
        elements, comments = self._walk(soup)
        # Script and handler code never runs inside noscript; its images do load.
        for element in elements:
            if element.script_end is not None and not element.in_noscript:
                self._script(element)
            elif element.start_tag.name in _MEDIA:
                self._beacon(element)
        for element in elements:
            if not element.in_noscript:
                self._handlers(element)
        # bs4 saw only comments holding a signature (_structure_only).
        for start, end in comments:
            _Page(self._child(start, end, "html", active=False), self.ctx, self.in_noscript).analyze()

    # ---- structure -----------------------------------------------------------------
    def _walk(self, soup: BeautifulSoup) -> tuple[list[_Element], list[tuple[int, int]]]:
        """Elements the browser acts on and HTML comment content ranges, in document order
        (fragment-text offsets)."""
        line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        inert: set[int] = set()
        noscript: set[int] = set()
        elements: list[_Element] = []
        comments: list[tuple[int, int]] = []
        cursor = 0  # comments are searched from here: past every start tag and script body
        for node in soup.descendants:
            parent = id(node.parent)
            if parent in inert:
                if isinstance(node, Tag):
                    inert.add(id(node))
                continue
            if isinstance(node, Comment):
                found = self._comment(node, cursor)
                if found is not None:
                    comments.append(found)
                    cursor = found[1] + 3
                continue
            if not isinstance(node, Tag) or node.sourceline is None:
                continue
            if parent in noscript:
                noscript.add(id(node))
            start = line_starts[node.sourceline - 1] + node.sourcepos
            start_tag = read_start_tag(self.text, start) if start < len(self.text) else None
            if start_tag is None:
                continue
            cursor = max(cursor, start_tag.end)
            name = start_tag.name
            if name in _INERT and not (name == "template" and self.is_component and node.parent is soup):
                inert.add(id(node))
                continue
            in_noscript = self.in_noscript or parent in noscript
            if name == "noscript" or in_noscript:
                noscript.add(id(node))
            script_end = self._script_end(start_tag) if name == "script" else None
            if script_end is not None:
                cursor = max(cursor, script_end[0])
            elements.append(_Element(start_tag, in_noscript, script_end))
        return elements, comments

    def _comment(self, node: Comment, cursor: int) -> tuple[int, int] | None:
        """Content range of a comment node: the first `<!--` after cursor holding its text."""
        body = str(node)
        pos = self.parsed.find("<!--", cursor)
        while pos >= 0:
            if self.parsed.startswith(body, pos + 4):
                return pos + 4, pos + 4 + len(body)
            pos = self.parsed.find("<!--", pos + 4)
        return None

    def _script_end(self, start_tag: StartTag) -> tuple[int, int]:
        """(end of body, end of element); a script never closed runs to the end."""
        closing = _SCRIPT_END.search(self.text, start_tag.end)
        if closing is None:
            return len(self.text), len(self.text)
        close = self.text.find(">", closing.start())
        return closing.start(), len(self.text) if close < 0 else close + 1

    def _element_end(self, start_tag: StartTag) -> int:
        if start_tag.name in _VOID:
            return start_tag.end
        found = _end_tag(start_tag.name).search(self.text, start_tag.end)
        return found.end() if found else start_tag.end

    # ---- context of a position -------------------------------------------------------
    def _abs(self, offset: int) -> int:
        return self.fragment.start + offset

    def _active(self, offset: int) -> bool:
        return self.fragment.active and not self.fragment.view.is_commented(self._abs(offset))

    def _conditions(self, offset: int, *extra: str) -> tuple[str, ...]:
        return _merge(self.fragment.conditions, self.fragment.view.conditions_at(self._abs(offset)), extra)

    def _child(self, start: int, end: int, language: str, active: bool = True, **changes) -> Fragment:
        return self.fragment.child(self._abs(start), self._abs(end), language,
                                   active=active and self._active(start), **changes)

    def _location(self, start: int, end: int):
        return self.fragment.source.location(self._abs(start), self._abs(end))

    # ---- scripts -------------------------------------------------------------------
    def _script(self, element: _Element) -> None:
        start_tag = element.start_tag
        attributes = start_tag.attributes
        kind = attributes["type"].value.strip().lower() if "type" in attributes else ""
        consent = self._consent_category(attributes) if kind == "text/plain" else None
        if consent is not None:
            kind = attributes["data-type"].value.strip().lower() if "data-type" in attributes else ""
        language = _JS_TYPES.get(kind)
        if language is None:
            return
        if "lang" in attributes and self.is_component:
            language = _SFC_LANGUAGES.get(attributes["lang"].value.strip().lower(), language)
        body_end, element_end = element.script_end
        gated = consent is not None
        extra = (f"consent: {consent}",) if gated else ()
        src = attributes.get("src") or (attributes.get("data-src") if gated else None)
        if src is not None and src.raw.strip():
            found = self._match(src, attributes, loader=True)
            if found is not None:
                matched, account, account_expr, _ = found
                self.ctx.out.add(PixelFinding(
                    vendor=matched.vendor, location=self._location(start_tag.start, element_end),
                    account_id=account, account_expr=account_expr, active=self._active(start_tag.start),
                    role="loader", after_consent=self.fragment.after_consent or gated))
        if self.text[start_tag.end:body_end].strip():
            child = self._child(start_tag.end, body_end, language,
                                conditions=self._conditions(start_tag.end, *extra),
                                after_consent=self.fragment.after_consent or gated)
            from scanner.static.js import analyze_js
            analyze_js(child, self.ctx)

    @staticmethod
    def _consent_category(attributes: dict[str, TagAttribute]) -> str | None:
        for name in _CONSENT_ATTRIBUTES:
            if name in attributes and attributes[name].value.strip():
                return attributes[name].value.strip()
        if "class" in attributes:
            onetrust = _ONETRUST_CLASS.search(attributes["class"].value)
            if onetrust:
                return onetrust.group(1)
        if "data-type" in attributes:
            return "unspecified"
        return None

    # ---- beacons -------------------------------------------------------------------
    def _beacon(self, element: _Element) -> None:
        start_tag = element.start_tag
        src = start_tag.attributes.get("src")
        if src is None or not src.raw.strip():
            return
        found = self._match(src, start_tag.attributes, loader=False)
        if found is None:
            return
        matched, account, account_expr, params = found
        location = self._location(start_tag.start, self._element_end(start_tag))
        active = self._active(start_tag.start)
        self.ctx.out.add(PixelFinding(
            vendor=matched.vendor, location=location, account_id=account, account_expr=account_expr,
            active=active, role="noscript" if element.in_noscript else "beacon",
            after_consent=self.fragment.after_consent))
        if matched.event:
            inherited = self.fragment.trigger
            trigger = Trigger(inherited.kind if inherited else TriggerKind.PAGE_LOAD,
                              inherited.selector if inherited else None,
                              _merge(inherited.conditions if inherited else (), self._conditions(start_tag.start)))
            self.ctx.out.add(EventFinding(
                vendor=matched.vendor, name=matched.event, location=location, account_id=account,
                params=params, trigger=trigger, active=active, after_consent=self.fragment.after_consent))

    # ---- URLs with template expressions ----------------------------------------------
    def _match(self, src: TagAttribute, attributes: dict[str, TagAttribute], loader: bool
               ) -> tuple[UrlMatch, str | None, str | None, tuple] | None:
        """The vendor a src names, with (account id, account expression, event params).
        A template expression is a `_` run in the masked text; where the account or a param
        value is one, its original text is reported instead."""
        catalog = self.ctx.catalog
        values = {name: a.value for name, a in attributes.items()}
        url = src.value
        matched = match_loader(url, catalog, values) if loader else match_beacon(url, catalog)
        if matched is None and loader and self._expressions(src):
            # A specific loader rejects an id it cannot read; fallback loaders claim expressions.
            stripped = self._without_expressions(src)
            matched = match_loader(stripped, catalog, values)
            if matched is not None and matched.account_id is None:
                return matched, None, self._account_expression(matched.vendor, stripped, src, attributes), ()
        if matched is None:
            return None
        holders = [src] + [a for a in attributes.values() if a is not src]
        account, account_expr = matched.account_id, None
        if account is not None and not account.strip():
            account = None  # template syntax masked to spaces is no id
        if account is not None:
            account_expr = self._original(account, holders)
            if account_expr is not None:
                account = None
        params = []
        for name, value in matched.params:
            original = self._original(value, [src])
            params.append((name, Expr(original) if original is not None
                           else Value(json.dumps(value, sort_keys=True, separators=(",", ":")))))
        return matched, account, account_expr, tuple(params)

    def _expressions(self, attribute: TagAttribute) -> list[tuple[int, int]]:
        """Template expressions inside an attribute value, in file offsets."""
        spans = self.fragment.view.expressions
        start, end = self._abs(attribute.start), self._abs(attribute.end)
        i = max(bisect.bisect_left(spans, (start, -1)) - 1, 0)
        found = []
        for s, e in spans[i:]:
            if s >= end:
                break
            if e > start:
                found.append((s, e))
        return found

    def _without_expressions(self, attribute: TagAttribute) -> str:
        kept, pos = [], self._abs(attribute.start)
        masked = self.fragment.view.masked
        for s, e in self._expressions(attribute):
            kept.append(masked[pos:max(s, pos)])
            pos = max(pos, e)
        kept.append(masked[pos:self._abs(attribute.end)])
        return html.unescape("".join(kept))

    def _original(self, value: str, holders: list[TagAttribute]) -> str | None:
        """Original text of `value` where it sits on a template expression in one of the
        holders' masked values; None when it is plain text."""
        if "_" not in value:
            return None
        for holder in holders:
            expressions = self._expressions(holder)
            if not expressions:
                continue
            raw = holder.raw
            pos = raw.find(value)
            while pos >= 0:
                after = pos + len(value)
                # A run of `_` inside a longer run is part of another expression.
                whole = raw[pos - 1:pos] != "_" and raw[after:after + 1] != "_"
                start, end = self._abs(holder.start + pos), self._abs(holder.start + after)
                if whole and any(s < end and start < e for s, e in expressions):
                    return self.fragment.written(start, end)
                pos = raw.find(value, pos + 1)
        return None

    def _account_expression(self, vendor: str, url: str, src: TagAttribute,
                            attributes: dict[str, TagAttribute]) -> str | None:
        """The expression a fallback loader's account comes from: its query parameter or attribute."""
        for loader in self.ctx.catalog.get(vendor).loaders:
            if not loader.url.search(url):
                continue
            if loader.account_param:
                param = re.search(r"[?&]" + re.escape(loader.account_param) + r"=([^&#]*)", src.raw)
                if param:
                    start, end = self._abs(src.start + param.start(1)), self._abs(src.start + param.end(1))
                    if any(s < end and start < e for s, e in self._expressions(src)):
                        return self.fragment.written(start, end)
            holder = attributes.get(loader.account_attr) if loader.account_attr else None
            if holder is not None and self._expressions(holder):
                return self.fragment.written(self._abs(holder.start), self._abs(holder.end))
        return None

    # ---- handler attributes --------------------------------------------------------
    def _handlers(self, element: _Element) -> None:
        start_tag = element.start_tag
        for name, attribute in start_tag.attributes.items():
            handler = _HANDLER_NAME.fullmatch(name)
            if handler is None or not attribute.raw.strip():
                continue
            start, end = attribute.start, attribute.end
            if name.startswith("on:") and attribute.raw.startswith("{") and attribute.raw.endswith("}"):
                start, end = start + 1, end - 1  # Svelte: on:click={handler}
            event = re.split(r"[.|]", handler.group(1))[0]
            trigger = Trigger(_HANDLER_KINDS.get(event, TriggerKind.CUSTOM), self._selector(start_tag))
            child = self._child(start, end, "js", trigger=trigger, conditions=self._conditions(start))
            from scanner.static.js import analyze_js
            analyze_js(child, self.ctx)

    def _selector(self, start_tag: StartTag) -> str:
        """`tag#id`, else `tag.class.class`, else the tag with telling attributes."""
        attributes = start_tag.attributes
        usable = {name: a.value.strip() for name, a in attributes.items() if not self._expressions(a)}
        if usable.get("id"):
            ident = usable["id"]
            return start_tag.name + (f"#{ident}" if _CSS_IDENT.match(ident) else _attribute_selector("id", ident))
        classes = usable.get("class", "").split()
        if classes:
            return start_tag.name + "".join("." + _CSS_ESCAPE.sub(r"\\\1", c) for c in classes)
        telling = [name for name in _TELLING if name in usable] + [
            name for name in usable if name.startswith("data-")]
        return start_tag.name + "".join(_attribute_selector(name, usable[name]) for name in telling)


def _attribute_selector(name: str, value: str) -> str:
    if not value:
        return f"[{name}]"
    if _CSS_IDENT.match(value):
        return f"[{name}={value}]"
    return '[{}="{}"]'.format(name, value.replace("\\", "\\\\").replace('"', '\\"'))

