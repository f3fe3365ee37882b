"""Python sources: pixel snippets kept in string literals, and django-analytical settings.

A string literal holding a snippet is handed to the HTML or JS analyzer as a child fragment
over exactly its content characters in the file. What Python puts between or inside those
characters is masked in a derived template view, keeping every offset: f-string
substitutions and format placeholders become template expressions (`_` runs whose
original text is the account_expr), the seams of implicit concatenation become spaces,
and doubled braces (`{{`) keep one brace.
"""
from __future__ import annotations

import ast
import functools
import itertools
import re
from dataclasses import dataclass, replace

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from scanner.catalog import Catalog, Vendor
from scanner.model import CookieFinding, CookieRole, Level, PixelFinding
from scanner.sources.text import SourceText
from scanner.static.context import Fragment, ScanContext, TemplateView
from scanner.static.snippets import analyze_detached, analyze_nested

# libcst costs about 12 ms per KB; past this size a file is generated or vendored code, and
# the string scan of the fallback finds its snippets in one regex pass.
_PARSE_LIMIT = 512 * 1024
# Django's HttpResponse and Flask's Response write cookies through these.
_COOKIE_WRITES = frozenset({"set_cookie", "set_signed_cookie", "delete_cookie"})
_HTML_SNIPPET = re.compile(r"<(?:script|img|noscript|iframe)\b", re.IGNORECASE)
# A lone name ('_fbp', 'FACEBOOK_PIXEL_ID') parses as JS too, but as a Python string it is a
# key or a cookie name; a snippet calls or assigns something.
_CODE_SHAPE = re.compile(r"[(=]")
# Python's newlines; libcst counts lines the same way.
_NEWLINE = re.compile(r"\r\n?|\n")
_NOT_NEWLINE = re.compile(r"[^\r\n]")
# Joining two concatenated parts with spaces between them keeps the code's meaning only
# where the seam already is a token boundary.
_SEAM_SAFE = frozenset(" \t\r\n;,{}()[]<>")
_BRACE_ESCAPE = re.compile(r"\{\{|\}\}")
_PERCENT_ESCAPE = re.compile(r"%%")
_BRACE_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{[^{}]*\}")
_PERCENT_PLACEHOLDER = re.compile(r"%%|%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[a-zA-Z]")
# `# FACEBOOK_PIXEL_ID = '...'`: a setting someone switched off.
_COMMENTED_SETTING = re.compile(r"#\s*(?P<name>[A-Z][A-Z0-9_]*)\s*(?::[^=]*)?=\s*(?P<value>[^#]*?)\s*$")
# Tokens for the fallback when the file does not parse: comments first, so quotes in them
# are not taken for strings.
_FALLBACK_TOKEN = re.compile(r"""
    \#[^\r\n]*
  | (?<!\w)(?P<prefix>[rRbBuUfF]{0,2})
    (?: (?P<triple>'''|\"\"\")(?P<long>(?:\\.|[^\\])*?)(?P=triple)
      | (?P<single>['"])(?P<short>(?:\\.|[^\\\r\n])*?)(?P=single) )
""", re.VERBOSE | re.DOTALL)


@dataclass(frozen=True)
class _Part:
    """One string token: its content's file offsets and what Python makes of them."""

    content_start: int
    content_end: int
    prefix: str
    quote: str
    holes: tuple[tuple[int, int], ...] = ()
    """Substitutions: f-string `{expr}` or a `%s` / `{}` placeholder that a format call fills."""
    escape: re.Pattern | None = None
    """Doubled characters that stand for one (`{{` in f-strings and .format, `%%` with %)."""

    @property
    def raw(self) -> bool:
        return "r" in self.prefix.lower()


@dataclass(frozen=True)
class _Literal:
    start: int
    end: int
    """File offsets of the whole literal, prefixes and quotes included."""
    parts: tuple[_Part, ...]


def analyze_python(fragment: Fragment, ctx: ScanContext) -> None:
    path = fragment.source.path
    if fragment.end - fragment.start > _PARSE_LIMIT:
        ctx.out.warn(path, f"python: {(fragment.end - fragment.start) // 1024} KB: strings scanned "
                           f"without parsing, settings not read", Level.INFO)
        _analyze_snippets(_fallback_literals(fragment), fragment, ctx)
        return
    try:
        module = cst.parse_module(fragment.text)
    except cst.ParserSyntaxError as exc:
        ctx.out.warn(path, f"python: cannot parse: {_syntax_error(fragment, exc)}")
        _analyze_snippets(_fallback_literals(fragment), fragment, ctx)
        return
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    collector = _Collector(ctx.catalog)
    wrapper.module.visit(collector)
    if not collector.literals and not collector.settings and not collector.cookies:
        return  # positions cost more than the parse: only resolve them for something found
    locator = _Locator(fragment, wrapper.resolve(PositionProvider))
    for setting in collector.settings:
        ctx.out.add(locator.setting(setting, ctx.catalog))
    if fragment.active:
        for node, name, access in collector.cookies:
            ctx.out.add(locator.cookie(node, name, access, ctx.catalog))
    _analyze_snippets([locator.literal(*found) for found in collector.literals], fragment, ctx)


def _syntax_error(fragment: Fragment, exc: cst.ParserSyntaxError) -> str:
    """One line naming where and why. libcst's positions are rough, Python's own parser
    names the line and the cause; it runs only for files that failed to parse."""
    try:
        ast.parse(fragment.text)
    except SyntaxError as error:
        line = fragment.source.line_column(fragment.start)[0] + (error.lineno or 1) - 1
        return f"line {line}: {error.msg}"
    except ValueError as error:  # a NUL byte
        return str(error)
    return (exc.message.splitlines() or ["syntax error"])[0]


@dataclass(frozen=True)
class _Setting:
    name: str
    account_id: str | None
    """The literal value, or None when code computes it."""
    node: cst.CSTNode
    """The assignment, or the comment holding it."""
    value: cst.BaseExpression | None = None
    """Live assignments: the value, whose source text is the account_expr."""
    commented: re.Match | None = None
    """Commented-out assignments: the match in the comment's text."""


class _Collector(cst.CSTVisitor):
    """One walk over the tree, before any position is known: the literals that may hold a
    snippet, and the settings (live or commented out) that configure a vendor."""

    def __init__(self, catalog: Catalog) -> None:
        super().__init__()
        self.catalog = catalog
        self.setting_names = {name for vendor in catalog for name in vendor.django_settings}
        self.literals: list[tuple[cst.CSTNode, list, re.Pattern | None]] = []
        """(literal, its string tokens, placeholder syntax of the format call filling it)."""
        self.settings: list[_Setting] = []
        self.cookies: list[tuple[cst.CSTNode, str, str]] = []
        """(node, cookie name, read or write): `request.COOKIES.get("_fbp")`, `response.set_cookie(...)`."""
        self.scope_depth = 0
        self.placeholders: dict[int, re.Pattern] = {}
        """id() of string nodes a format call fills, with their placeholder syntax."""

    # Settings are module-level names: inside a def or class they are something else. The
    # scope starts at the body, since comments above a def belong to the def's node.
    def visit_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self.scope_depth += 1

    def leave_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self.scope_depth -= 1

    def visit_ClassDef_body(self, node: cst.ClassDef) -> None:
        self.scope_depth += 1

    def leave_ClassDef_body(self, node: cst.ClassDef) -> None:
        self.scope_depth -= 1

    def visit_Expr(self, node: cst.Expr) -> bool:
        # A bare string statement is a docstring: documentation, not code that runs.
        return not isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, cst.Modulo):
            self.placeholders[id(node.left)] = _PERCENT_PLACEHOLDER

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and node.args:
            name = _literal_value(node.args[0].value)
            if func.attr.value == "get" and _is_cookie_jar(func.value):
                self._cookie(node, name, "read")
            elif func.attr.value in _COOKIE_WRITES:
                self._cookie(node, name, "write")
        if isinstance(func, cst.Attribute) and func.attr.value == "format":
            self.placeholders[id(func.value)] = _BRACE_PLACEHOLDER
        elif isinstance(func, cst.Name) and func.value == "format_html" and node.args:
            self.placeholders[id(node.args[0].value)] = _BRACE_PLACEHOLDER

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if _is_cookie_jar(node.value) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            self._cookie(node, _literal_value(node.slice[0].slice.value), "read")

    def _cookie(self, node: cst.CSTNode, name: str | None, access: str) -> None:
        if name:  # a computed name says nothing about which cookie
            self.cookies.append((node, name, access))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self._literal(node, [node])

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        self._literal(node, [node])
        return False  # strings inside a substitution are Python code, masked in the snippet

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
        tokens: list[cst.CSTNode] = []
        pending: list[cst.CSTNode] = [node]
        while pending:
            item = pending.pop()
            if isinstance(item, cst.ConcatenatedString):
                pending += (item.right, item.left)
            else:
                tokens.append(item)
        if not all(isinstance(t, (cst.SimpleString, cst.FormattedString)) for t in tokens):
            return True  # a t-string in it: its plain parts are still literals of their own
        self._literal(node, tokens)
        return False

    def _literal(self, node: cst.CSTNode, tokens: list) -> None:
        # A signature must show in one token's own text: one split by a seam or an escape
        # is not worth a position pass.
        for token in tokens:
            texts = ([token.value] if isinstance(token, cst.SimpleString) else
                     [p.value for p in token.parts if isinstance(p, cst.FormattedStringText)])
            if any(self.catalog.has_signature(t) for t in texts):
                self.literals.append((node, tokens, self.placeholders.get(id(node))))
                return

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self.scope_depth:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self._setting(target.target.value, node.value, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if not self.scope_depth and node.value is not None and isinstance(node.target, cst.Name):
            self._setting(node.target.value, node.value, node)

    def visit_Comment(self, node: cst.Comment) -> None:
        found = _COMMENTED_SETTING.match(node.value)
        if self.scope_depth or not found or found["name"] not in self.setting_names:
            return
        try:
            value = cst.parse_expression(found["value"])
        except cst.ParserSyntaxError:
            return
        self._setting(found["name"], value, node, found)

    def _setting(self, name: str, value: cst.BaseExpression, node: cst.CSTNode,
                 commented: re.Match | None = None) -> None:
        if name not in self.setting_names:
            return
        literal = _literal_value(value)
        if literal != "":  # an empty or None setting switches the service off
            self.settings.append(_Setting(name, literal, node, None if commented else value, commented))


class _Locator:
    """File offsets of the nodes the collector kept."""

    def __init__(self, fragment: Fragment, positions) -> None:
        self.fragment = fragment
        self.positions = positions
        # libcst counts lines as Python does, a lone CR included.
        self.line_starts = [0] + [m.end() for m in _NEWLINE.finditer(fragment.text)]

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        code_range = self.positions[node]
        return tuple(self.fragment.start + self.line_starts[p.line - 1] + p.column
                     for p in (code_range.start, code_range.end))

    def literal(self, node: cst.CSTNode, tokens: list, placeholder: re.Pattern | None) -> _Literal:
        parts = []
        for token in tokens:
            start, end = self.span(token)
            if isinstance(token, cst.SimpleString):
                content = (start + len(token.prefix) + len(token.quote), end - len(token.quote))
                parts.append(_format_part(self.fragment.view.masked, content, token.prefix,
                                          token.quote, placeholder))
            else:
                holes = tuple(self.span(p) for p in token.parts if isinstance(p, cst.FormattedStringExpression))
                parts.append(_Part(start + len(token.start), end - len(token.end),
                                   token.prefix, token.end, holes, _BRACE_ESCAPE))
        return _Literal(*self.span(node), tuple(parts))

    def cookie(self, node: cst.CSTNode, name: str, access: str, catalog: Catalog) -> CookieFinding:
        vendor, role = catalog.cookie_owner(name)
        return CookieFinding(name, access, self.fragment.source.location(*self.span(node)), vendor, CookieRole(role))

    def setting(self, setting: _Setting, catalog: Catalog) -> PixelFinding:
        start, end = self.span(setting.node)
        expr = None
        if setting.commented is not None:
            start += setting.commented.start("name")
            if setting.account_id is None:
                expr = setting.commented["value"]
        elif setting.account_id is None:
            expr = self.fragment.original(*self.span(setting.value))
        vendor, account_id = _setting_account([v for v in catalog if setting.name in v.django_settings],
                                              setting.account_id)
        return PixelFinding(
            vendor=vendor.id, location=self.fragment.source.location(start, end),
            account_id=account_id, account_expr=expr,
            active=setting.commented is None and self.fragment.active, role="settings",
            after_consent=self.fragment.after_consent)


def _is_cookie_jar(node: cst.BaseExpression) -> bool:
    """`request.COOKIES` (Django) or `request.cookies` (Flask, Starlette)."""
    return isinstance(node, cst.Attribute) and node.attr.value in ("COOKIES", "cookies")


def _literal_value(node: cst.BaseExpression) -> str | None:
    """The setting's literal value ("" for None or empty), or None when code computes it."""
    if isinstance(node, cst.Name) and node.value == "None":
        return ""
    if isinstance(node, cst.Integer):
        return node.value.replace("_", "")
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return value
    return None



def _setting_account(vendors: list[Vendor], literal: str | None) -> tuple[Vendor, str | None]:
    """The vendor a setting configures and the account it names. A setting vendors share
    goes by the id's form; a value not in the vendor's id form (Matomo's tracker host)
    configures the vendor but names no account."""
    if literal is not None:
        for vendor in vendors:
            if vendor.account_pattern is None or vendor.account_pattern.search(literal):
                return vendor, literal
    return vendors[0], None


def _format_part(masked: str, content: tuple[int, int], prefix: str, quote: str,
                 placeholder: re.Pattern | None) -> _Part:
    """A plain string token; a format call's placeholders in it become holes."""
    start, end = content
    if placeholder is None:
        return _Part(start, end, prefix, quote)
    holes = tuple(m.span() for m in placeholder.finditer(masked, start, end)
                  if m.group() not in ("{{", "}}", "%%"))
    escape = _PERCENT_ESCAPE if placeholder is _PERCENT_PLACEHOLDER else _BRACE_ESCAPE
    return _Part(start, end, prefix, quote, holes, escape)


def _fallback_literals(fragment: Fragment) -> list[_Literal]:
    """String-looking spans of a file libcst cannot parse, one token each."""
    literals = []
    masked = fragment.view.masked
    for token in _FALLBACK_TOKEN.finditer(masked, fragment.start, fragment.end):
        if token["prefix"] is None:
            continue  # a comment
        body = "long" if token["triple"] else "short"
        prefix = token["prefix"]
        placeholder = _BRACE_PLACEHOLDER if "f" in prefix.lower() else None
        part = _format_part(masked, token.span(body), prefix, token["triple"] or token["single"], placeholder)
        literals.append(_Literal(token.start(), token.end(), (part,)))
    return literals


def _analyze_snippets(literals: list[_Literal], fragment: Fragment, ctx: ScanContext) -> None:
    """Hand every literal holding a snippet to the HTML or JS analyzer, in source order."""
    masked = fragment.view.masked
    jobs: list[tuple[str, _Literal, tuple | None]] = []
    edits: list[tuple[int, int, str]] = []
    holes: list[tuple[int, int]] = []
    for literal in literals:
        decoded = _decoded(literal, fragment)
        language = _snippet_language(decoded[1], ctx.catalog)
        if language is None:
            continue
        if _is_exact(literal, masked):
            edits += _exact_edits(literal, masked)
            holes += (hole for part in literal.parts for hole in part.holes)
            jobs.append((language, literal, None))
        else:
            jobs.append((language, literal, decoded))
    # One derived view for the whole file, built once, serves every exact snippet.
    view = _view_with(fragment.view, edits, holes) if edits else fragment.view
    for language, literal, decoded in jobs:
        if decoded is None:
            content = [p for p in literal.parts if p.content_start < p.content_end]
            child = fragment.child(content[0].content_start, content[-1].content_end, language, view=view)
            analyze_nested(child, ctx)
        else:
            _analyze_detached(language, literal, decoded, fragment, ctx)


def _analyze_detached(language: str, literal: _Literal, decoded: tuple[str, str, tuple],
                      fragment: Fragment, ctx: ScanContext) -> None:
    """Escapes (`\\n`, `\\'`) make a literal's value differ from its characters in the file:
    what the value holds is reported at the whole literal."""
    text, masked, holes = decoded
    value = fragment.child(0, len(text), language, source=SourceText(fragment.source.path, text),
                           view=TemplateView(masked, expressions=holes))
    for finding in analyze_detached(value, ctx, fragment.source.location(literal.start, literal.end)):
        ctx.out.add(finding)


def _segments(part: _Part):
    """(start, end, is_hole) pieces covering the part's content."""
    pos = part.content_start
    for start, end in part.holes:
        yield pos, start, False
        yield start, end, True
        pos = end
    yield pos, part.content_end, False


def _decoded(literal: _Literal, fragment: Fragment) -> tuple[str, str, tuple[tuple[int, int], ...]]:
    """The literal's value with its parts joined: (text with the holes' source, text with
    holes masked to `_` runs, hole offsets in that text)."""
    texts: list[str] = []
    masks: list[str] = []
    holes: list[tuple[int, int]] = []
    length = 0
    for part in literal.parts:
        for start, end, is_hole in _segments(part):
            if is_hole:
                piece = fragment.original(start, end)
                mask = "_" * len(piece)
                holes.append((length, length + len(piece)))
            else:
                piece = mask = _decode(fragment.view.masked[start:end], part)
            texts.append(piece)
            masks.append(mask)
            length += len(piece)
    return "".join(texts), "".join(masks), tuple(holes)


def _decode(segment: str, part: _Part) -> str:
    if part.escape is not None:
        segment = part.escape.sub(lambda m: m.group()[0], segment)
    if part.raw or "\\" not in segment:
        return segment
    try:
        value = ast.literal_eval(part.prefix.lower().replace("f", "") + part.quote + segment + part.quote)
    except (SyntaxError, ValueError):
        return segment
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _is_exact(literal: _Literal, masked: str) -> bool:
    """Whether the characters in the file, masked, read as the value: no escapes, and
    concatenation seams only where a token ends anyway."""
    content = [p for p in literal.parts if p.content_start < p.content_end]
    for part in content:
        if not part.raw and any("\\" in masked[s:e] for s, e, is_hole in _segments(part) if not is_hole):
            return False
    for left, right in itertools.pairwise(content):
        before = "_" if left.holes and left.holes[-1][1] == left.content_end else masked[left.content_end - 1]
        after = "_" if right.holes and right.holes[0][0] == right.content_start else masked[right.content_start]
        if before not in _SEAM_SAFE and after not in _SEAM_SAFE:
            return False
    return True


def _exact_edits(literal: _Literal, masked: str) -> list[tuple[int, int, str]]:
    edits = []
    content = [p for p in literal.parts if p.content_start < p.content_end]
    for part in content:
        for start, end, is_hole in _segments(part):
            if is_hole:
                edits.append((start, end, "_" * (end - start)))
            elif part.escape is not None:
                edits += ((m.start() + 1, m.end(), " ") for m in part.escape.finditer(masked, start, end))
    for left, right in itertools.pairwise(content):
        edits.append((left.content_end, right.content_start,
                      _NOT_NEWLINE.sub(" ", masked[left.content_end:right.content_start])))
    return edits


def _view_with(view: TemplateView, edits: list[tuple[int, int, str]],
               holes: list[tuple[int, int]]) -> TemplateView:
    """The view with same-length replacements applied and the holes added as expressions."""
    pieces, last = [], 0
    for start, end, replacement in sorted(edits):
        pieces += (view.masked[last:start], replacement)
        last = end
    pieces.append(view.masked[last:])
    return replace(view, masked="".join(pieces), expressions=tuple(sorted((*view.expressions, *holes))))


def _snippet_language(value: str, catalog: Catalog) -> str | None:
    """html or js when the value holds a snippet of a catalog vendor, else None."""
    if not catalog.has_signature(value):
        return None
    encoded = value.encode("utf-8", "surrogatepass")
    if _HTML_SNIPPET.search(value):
        return "html"
    if not _CODE_SHAPE.search(value) or _js_parser().parse(encoded).root_node.has_error:
        return None
    return "js"


@functools.cache
def _js_parser():
    import tree_sitter
    import tree_sitter_javascript

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))
