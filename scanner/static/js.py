"""JavaScript / TypeScript analyzer: pixels, events and cookies in JS, JSX, TS and TSX.

Everything vendor-specific comes from the catalog: call shapes, assignments, loader and
beacon URLs, cookie names. The tree is never walked whole: one regex pass over the
fragment's bytes finds catalog signatures, callee roots and cookie words, and only the
nodes at those hits are looked at (a multi-MB bundle costs its parse and little more).

Findings inside named functions wait in the ScanContext until finish_js, which looks for
the places that use each function across all the file's fragments (the HTML analyzer runs
every script of a page, then the handler attributes that call into them) and gives each
finding the trigger of those places. A function that forwards its parameters to a pixel
call is a wrapper: each call site is reported as the event, with the call site's arguments.
"""
from __future__ import annotations

import bisect
import hashlib
import re
from collections import OrderedDict, deque
from dataclasses import dataclass, replace

from scanner.catalog.match import looks_like_url, match_beacon, match_url
from scanner.model import CookieFinding, CookieRole, EventFinding, Expr, PixelFinding, Value
from scanner.sources.text import SourceText
from scanner.static.context import Fragment, ScanContext, TemplateView, plain_view
from scanner.static.js_cookies import CookieUse, cookie_uses
from scanner.static.js_shapes import (
    PIXEL_ROLES, AssignmentGroup, Found, assignment_found, is_grant, is_self_default, match_call, profile_of,
)
from scanner.static.js_syntax import (
    FUNCTION_TYPES, STRING_TYPES, Unit, arguments, binding_at, climb, dotted, enclosing_scope, field, has_escapes,
    function_params, has_substitutions, iife_argument, iife_parameter, is_field, is_local, is_window_parameter,
    node_text, parse, root_identifier, string_value, unescape_js, unwrap, word_regex, word_starts,
)
from scanner.static.js_triggers import (
    UNKNOWN, FunctionDef, Partial, Role, Situation, child_trigger, partial_of, reference_role, surroundings, walk,
    wrap,
)
from scanner.static.snippets import analyze_detached, analyze_nested
from scanner.static.js_values import (
    Dyn, Lit, Obj, Par, ParamScope, canonical, has_param, source_of, substitute_args, text_of, to_arg, without_params,
)

MAX_DEPTH = 4
"""Snippets inside strings inside snippets: deeper than this is not real code."""
_HTML_LIKE = re.compile(r"<(?:script|img|noscript|iframe)\b", re.IGNORECASE)
_CODE_SHAPE = re.compile(r"[(=]")
_COOKIE_WORDS = word_regex(["cookie", "Cookies", "removeCookie", "localStorage", "sessionStorage"])
_BLOCK_COMMENT_STAR = re.compile(rb"(?m)^[ \t]*(\*)(?!/)")
_USE_LIMIT = 2000
"""Uses of one function name looked at per fragment; minified one-letter names stop here."""


def _placeholder(index: int) -> str:
    """Stands in for an expression inside a URL; letters only, so id patterns can see it."""
    return f"PMX{chr(65 + index % 26)}{chr(65 + index // 26 % 26)}X"


_PLACEHOLDERS = re.compile(r"(PMX[A-Z]{2}X)")


@dataclass(frozen=True)
class Forward:
    """A catalog call inside a wrapper, with the wrapper's parameters still in its arguments."""

    callee: str
    is_new: bool
    args: tuple


@dataclass(frozen=True)
class Deferred:
    """A finding inside a named function, placed once the function's uses are known."""

    function: FunctionDef
    inner: Partial
    """Trigger parts from the finding out to the function (and the fragment around it)."""
    unit: Unit
    node: object
    found: Found | None = None
    forward: Forward | None = None
    cookie: CookieUse | None = None


def analyze_js(fragment: Fragment, ctx: ScanContext) -> None:
    if ctx.depth > MAX_DEPTH:
        return
    unit = Unit(fragment)
    ctx.js_units.append(unit)
    key = _memo_key(unit, ctx)
    known = _memo.get(key) if key is not None else None
    if known is not None:
        _memo.move_to_end(key)
        source, start = fragment.source, fragment.start
        for finding, (rel_start, rel_end) in known:
            _add(ctx, replace(finding, location=source.location(start + rel_start, start + rel_end)))
        return
    before = _Counts.of(ctx)
    _Scan(unit, ctx).run()
    if key is not None:
        _remember(key, unit, ctx, before)


# ---- one analysis per distinct fragment ----------------------------------------------------
# A site repeats its layout snippets and handler attributes on every page: the findings of a
# fragment seen before (same code, same surroundings) are moved to the new copy instead of
# analysed again.

_memo: OrderedDict[tuple, tuple] = OrderedDict()
_MEMO_ENTRIES = 16384


@dataclass(frozen=True)
class _Counts:
    items: int
    diagnostics: int
    deferred: int
    units: int

    @staticmethod
    def of(ctx: ScanContext) -> "_Counts":
        return _Counts(len(ctx.out.items), len(ctx.out.diagnostics), len(ctx.js_deferred), len(ctx.js_units))


def _memo_key(unit: Unit, ctx: ScanContext) -> tuple | None:
    """What the analysis of a fragment depends on, when that is the fragment alone: a file
    with template syntax makes findings depend on where the fragment sits."""
    fragment = unit.fragment
    if fragment.view.masked is not fragment.source.text:
        return None
    # Profiles live as long as the process, so the id names one catalog.
    return (id(profile_of(ctx.catalog)), unit.language, hashlib.blake2b(unit.data, digest_size=16).digest(),
            fragment.active, fragment.trigger, fragment.conditions, fragment.after_consent, ctx.depth)


def _remember(key: tuple, unit: Unit, ctx: ScanContext, before: _Counts) -> None:
    """Keep the fragment's findings when they are all it left: nothing waiting for finish_js,
    no nested units or aliases a later lookup could need, no diagnostics."""
    after = _Counts.of(ctx)
    if (after.diagnostics, after.deferred, after.units) != (before.diagnostics, before.deferred, before.units) \
            or unit.aliases or unit.grants:
        return
    start = unit.fragment.start
    kept = []
    for finding in ctx.out.items[before.items:]:
        span = unit.located.get(finding.location)
        if span is None:
            return
        kept.append((finding, (span[0] - start, span[1] - start)))
    _memo[key] = tuple(kept)
    if len(_memo) > _MEMO_ENTRIES:
        _memo.popitem(last=False)


def finish_js(ctx: ScanContext) -> None:
    """Place what waited for the uses of named functions; a function nobody uses gets unknown."""
    resolver = _Resolver(ctx)
    queue = deque(ctx.js_deferred)
    while queue:
        resolver.settle(queue.popleft(), queue)
    ctx.js_deferred.clear()
    ctx.js_units.clear()


# ---- emitting ----------------------------------------------------------------------------

def _add(ctx: ScanContext, finding) -> None:
    if finding not in ctx.js_seen:
        ctx.js_seen.add(finding)
        ctx.out.add(finding)


def _emit(ctx: ScanContext, found: Found, unit: Unit, node, partial: Partial) -> None:
    location = unit.location(node)
    if found.role == "event" and found.event is not None:
        _add(ctx, EventFinding(found.vendor, found.event, location, found.account_id, found.params,
                               partial.trigger(), partial.active, partial.consent, name_is_expr=found.event_is_expr))
    elif found.role in PIXEL_ROLES or found.role == "event":
        # An event whose name the code computes still shows the pixel is there.
        _add(ctx, PixelFinding(found.vendor, location, found.account_id, found.account_expr, partial.active,
                               found.role, partial.consent))


def _emit_cookie(ctx: ScanContext, unit: Unit, use: CookieUse, name: str, active: bool) -> None:
    if not active:
        return
    vendor, role = ctx.catalog.cookie_owner(name)
    _add(ctx, CookieFinding(name, use.access, unit.location(use.node), vendor, CookieRole(role), use.storage))


def _inner(unit: Unit, node, situation: Situation) -> Partial:
    """The trigger parts from node out to its named function, with the fragment's conditions."""
    return wrap(surroundings(unit, node, with_trigger=False), partial_of(unit, node, situation))


def _closed(unit: Unit, node, situation: Situation) -> Partial:
    """The whole trigger of node when nothing outside its fragment decides it."""
    return wrap(surroundings(unit, node), partial_of(unit, node, situation))


# ---- one fragment ------------------------------------------------------------------------

class _Scan:
    def __init__(self, unit: Unit, ctx: ScanContext):
        self.unit = unit
        self.ctx = ctx
        self.profile = profile_of(ctx.catalog)
        self.done: set[int] = set()
        self.groups: dict = {}
        self.pending_aliases: list = []
        self.signatures: list[int] = []

    def run(self) -> None:
        data = self.unit.data
        self.signatures = self.profile.signature_hits(data)
        hits = {(start, False) for start in self.signatures}
        hits.update((start, False) for start, _ in word_starts(self.profile.roots, data))
        hits.update((start, True) for start, _ in word_starts(_COOKIE_WORDS, data))
        if not hits:
            return
        for start, is_cookie in sorted(hits):
            leaf = self.unit.node_at(start, start + 1)
            if leaf is not None and not leaf.is_named:  # a quote or bracket a signature starts with
                leaf = leaf.parent
            if leaf is None:
                continue
            if is_cookie:
                self.cookie(leaf)
            else:
                self.visit(leaf)
        self.follow_aliases()
        self.flush_assignments()

    def signed(self, start: int, end: int) -> bool:
        """Whether bytes [start, end) of the fragment hold a catalog signature."""
        index = bisect.bisect_left(self.signatures, start)
        return index < len(self.signatures) and self.signatures[index] < end

    def first_time(self, node) -> bool:
        if node.id in self.done:
            return False
        self.done.add(node.id)
        return True

    def visit(self, leaf) -> None:
        kind = leaf.type
        if kind == "comment":
            self.comment(leaf)
        elif kind in ("string_fragment", "escape_sequence") or kind in STRING_TYPES:
            string = leaf if kind in STRING_TYPES else leaf.parent
            if string is None or string.type not in STRING_TYPES:
                return
            parent, child = climb(string)
            if parent is not None and parent.type == "subscript_expression" and is_field(parent, "index", child):
                self.chain(string)
            else:
                self.iife_global(string)
                self.module_import(string)
                self.config_entry(string)
                self.string(string)
        elif kind == "jsx_text":
            if self.first_time(leaf) and self.signed(leaf.start_byte, leaf.end_byte) \
                    and _CODE_SHAPE.search(node_text(leaf)):
                self.snippet(leaf, self.unit.language, leaf.start_byte, leaf.end_byte)
        elif kind in ("identifier", "property_identifier", "shorthand_property_identifier"):
            parent = leaf.parent
            if parent is not None and parent.type in ("jsx_opening_element", "jsx_self_closing_element") \
                    and is_field(parent, "name", leaf):
                self.component(parent, node_text(leaf))
            else:
                self.chain(leaf)

    # -- calls, aliases, assignments --

    def chain(self, leaf) -> None:
        top, calls = _climb_chain(leaf)
        for call in calls:
            self.call(call)
        parent, child = climb(top)
        if parent is None:
            return
        kind = parent.type
        if kind in ("assignment_expression", "augmented_assignment_expression"):
            if is_field(parent, "left", child):
                self.assign(parent, top, field(parent, "right"))
            elif is_field(parent, "right", child):
                self.alias(field(parent, "left"), top, parent)
        elif kind == "variable_declarator":
            if is_field(parent, "name", child):
                self.assign(parent, top, field(parent, "value"))
            elif is_field(parent, "value", child):
                self.alias(field(parent, "name"), top, parent)

    def call(self, call) -> None:
        if not self.first_time(call):
            return
        is_new = call.type == "new_expression"
        callee = field(call, "constructor" if is_new else "function")
        name = dotted(callee, self.unit)
        if name is not None and name not in self.profile.calls and "." in name:
            root = root_identifier(callee)
            if root is not None and is_window_parameter(root):
                name = name.split(".", 1)[1]
            else:
                name = _plugin_member(name)
        argument_nodes = arguments(call)
        method = name.rsplit(".", 1)[-1] if name else None
        if method in ("call", "apply") and name[:-len(method) - 1] in self.profile.calls:
            # fbq.call(null, 'track', ...) and fbq.apply(null, ['track', ...]) call fbq
            name, argument_nodes = name[:-len(method) - 1], argument_nodes[1:]
            if method == "apply":
                array = unwrap(argument_nodes[0]) if argument_nodes else None
                if array is None or array.type != "array":
                    return
                argument_nodes = [a for a in array.named_children if a.type != "comment"]
        shapes = self.profile.calls.get(name) if name else None
        if not shapes:
            return
        unit = self.unit
        if any(shape.global_only for shape in shapes):
            root = root_identifier(callee)
            if root is not None and node_text(root) == name.split(".", 1)[0] and is_local(unit, root):
                shapes = tuple(shape for shape in shapes if not shape.global_only)
                if not shapes:
                    return
        situation = walk(unit, call, self.profile.callee_guards[name])
        scope = ParamScope(situation.function.node) if situation.function is not None else None
        args = [to_arg(unit, a, scope) for a in argument_nodes]
        if any(has_param(a) for a in args):
            self.ctx.js_deferred.append(Deferred(situation.function, _inner(unit, call, situation), unit, call,
                                                 forward=Forward(name, is_new, tuple(args))))
            return
        for found in match_call(shapes, is_new, args):
            if found.role == "consent" and is_grant(args):
                unit.grants.append(call)
            self.place(found, call if found.argument is None else argument_nodes[found.argument], situation)

    def place(self, found: Found, node, situation: Situation) -> None:
        if found.role == "event" and found.event is not None and situation.deferred:
            self.ctx.js_deferred.append(Deferred(situation.function, _inner(self.unit, node, situation),
                                                 self.unit, node, found=found))
        else:
            _emit(self.ctx, found, self.unit, node, _closed(self.unit, node, situation))

    def iife_global(self, string) -> None:
        """`(function(w,d,t,r,u){ w[u].push('pageLoad') })(window, document, 'script', url, 'uetq')`:
        a snippet that receives a vendor global's name uses it as `w[u]`."""
        received = iife_parameter(string)
        if received is None or string_value(string) not in self.profile.root_names:
            return
        function, name = received
        for leaf in self.unit.mentions([name], function.start_byte, function.end_byte, limit=_USE_LIMIT):
            parent = leaf.parent if leaf is not None and leaf.type == "identifier" else None
            if parent is not None and parent.type == "subscript_expression" and is_field(parent, "index", leaf):
                self.chain(leaf)

    def component(self, element, name: str) -> None:
        """`<GoogleTagManager gtmId="GTM-..." />`: a component that installs the pixel."""
        spec = self.profile.components.get(name)
        if spec is None or not self.first_time(element):
            return
        vendor, prop = spec
        account = account_expr = None
        for attribute in (a for a in element.named_children if a.type == "jsx_attribute"):
            if node_text(attribute.named_children[0]) != prop or len(attribute.named_children) < 2:
                continue
            value = attribute.named_children[-1]
            if value.type == "jsx_expression":
                value = next((c for c in value.named_children if c.type != "comment"), None)
            arg = to_arg(self.unit, value) if value is not None else None
            if isinstance(arg, Lit) and isinstance(arg.value, str):
                account = arg.value
            elif arg is not None:
                account_expr = self.unit.source(value) if not isinstance(arg, Dyn) else arg.source
        self.place(Found(vendor, "init", account, account_expr), element, walk(self.unit, element))

    def config_entry(self, string) -> None:
        """`gtm: {id: 'GTM-ABC123'}` in a module's settings: the id of a pixel the module installs."""
        parent, child = climb(string)
        if parent is None or parent.type != "pair" or not is_field(parent, "value", child):
            return
        key = node_text(field(parent, "key")).strip("'\"")
        value = string_value(string)
        for vendor, keys, pattern in self.profile.config_keys:
            if key in keys and pattern.search(value):
                self.place(Found(vendor, "config", value), parent, walk(self.unit, parent))
                return

    def module_import(self, string) -> None:
        """`import FB from 'react-facebook-pixel'`, `import('react-facebook-pixel').then(m => (fb = m.default))`:
        the local name stands for the package's callee prefix (catalog `modules`)."""
        prefix = self.profile.modules.get(string_value(string))
        parent = string.parent
        if prefix is None or parent is None:
            return
        if parent.type == "import_statement":
            for clause in (c for c in parent.named_children if c.type == "import_clause"):
                for part in clause.named_children:
                    if part.type == "named_imports":
                        for spec in (s for s in part.named_children if s.type == "import_specifier"):
                            name = node_text(field(spec, "name"))
                            self.module_alias(field(spec, "alias") or field(spec, "name"),
                                              f"{prefix}.{name}" if prefix else name)
                    else:  # default import, or `* as name`
                        local = part if part.type == "identifier" else \
                            next((c for c in part.named_children if c.type == "identifier"), None)
                        self.module_alias(local, prefix)
            return
        call = parent.parent if parent.type == "arguments" else None
        if call is None or call.type != "call_expression" or field(call, "function").type != "import":
            return
        for local in _dynamic_import_names(call):
            self.module_alias(local, prefix)

    def module_alias(self, local, target: str) -> None:
        if local is None or not target or node_text(local) == target:
            return
        name = node_text(local)
        scope = self.unit.declaring_scope(local)
        self.unit.aliases.setdefault(name, []).append((scope.start_byte, scope.end_byte, target))
        self.pending_aliases.append((name, scope))

    def alias(self, name_node, value, at) -> None:
        """`const track = window.fbq`, `var t = BrTrk.getTracker()`: later uses of the name."""
        if name_node is None or name_node.type != "identifier":
            return
        target = dotted(value, self.unit)
        if target is None or target not in self.profile.prefixes:
            return
        name = node_text(name_node)
        scope = enclosing_scope(at)
        self.unit.aliases.setdefault(name, []).append((scope.start_byte, scope.end_byte, target))
        self.pending_aliases.append((name, scope))

    def follow_aliases(self) -> None:
        followed = set()
        while self.pending_aliases:
            name, scope = self.pending_aliases.pop()
            if (name, scope.id) in followed:
                continue
            followed.add((name, scope.id))
            for leaf in self.unit.mentions([name], scope.start_byte, scope.end_byte, limit=_USE_LIMIT):
                if leaf is not None and leaf.type == "identifier":
                    self.chain(leaf)

    def assign(self, at, target, value) -> None:
        name = dotted(target, self.unit)
        if not name or not self.first_time(at):
            return
        for spec, key in self.profile.assignment_targets(name):
            group = self.groups.get(spec)
            if group is None:
                group = self.groups[spec] = AssignmentGroup(spec, _statement_of(at), {})
            arg = to_arg(self.unit, value) if value is not None else None
            if key is not None:
                group.entries[key] = arg
            elif arg is not None and not is_self_default(arg, spec.target, self.unit.source(value)):
                if isinstance(arg, Obj):
                    group.entries.update((k, v) for k, v in arg.entries if k is not None)
                if group.value is None:
                    group.value = arg

    def flush_assignments(self) -> None:
        for group in sorted(self.groups.values(), key=lambda g: g.first.start_byte):
            if not group.entries and group.value is None:
                continue
            found = assignment_found(group)
            situation = walk(self.unit, group.first, self.profile.guards[found.vendor])
            self.place(found, group.first, situation)

    # -- strings: URLs and snippets --

    def string(self, node) -> None:
        if not self.first_time(node):
            return
        content = self.unit.data[node.start_byte + 1:node.end_byte - 1]
        top, parts = _concatenation(node)
        if top.id != node.id and not self.first_time(top):
            return
        if _HTML_LIKE.search(content.decode("utf-8", "replace")):
            if top.id != node.id:
                self.concatenated_html(top, parts)
            elif self.signed(node.start_byte, node.end_byte):
                self.snippet(node, "html", node.start_byte + 1, node.end_byte - 1)
            return
        if self.url(top, parts):
            return
        if top.id == node.id and self.signed(node.start_byte, node.end_byte) \
                and _CODE_SHAPE.search(content.decode("utf-8", "replace")):
            self.snippet(node, self.unit.language, node.start_byte + 1, node.end_byte - 1)

    def url(self, top, parts) -> bool:
        """A loader or beacon URL, possibly built by concatenation or holding template syntax."""
        pieces = [piece for part in parts for piece in self.url_pieces(part)]
        if not any(text for text, _ in pieces):
            return False
        expressions = {}
        for use_placeholders in (True, False):
            text = []
            for text_piece, expression in pieces:
                if expression is None:
                    text.append(text_piece)
                elif use_placeholders:
                    token = _placeholder(len(expressions))
                    expressions[token] = expression
                    text.append(token)
            url = "".join(text)
            if looks_like_url(url):
                found = match_url(url, self.ctx.catalog)
                if found is not None:
                    break
        else:
            return False
        if found.kind == "beacon" and use_placeholders:
            body = self.beacon_body(top, expressions)
            if body:
                found = match_beacon(url, self.ctx.catalog, body) or found

        def resolved(value: str | None) -> tuple[str | None, str | None]:
            if not value or not use_placeholders or not any(t in value for t in expressions):
                return value, None
            for token, expression in expressions.items():
                value = value.replace(token, expression)
            return None, value

        vendor = self.ctx.catalog.get(found.vendor)
        account, account_expr = resolved(_leading_value(found.account_id, vendor))
        if found.kind == "loader":
            if account is None and account_expr is None:
                account_expr = _expression_after_param(vendor, url, pieces)
            # The id written elsewhere in the snippet, when the URL names it by no expression or
            # by a parameter of the loading function (`analytics.load = function (key) {...}`).
            if account is None and vendor.snippet_pattern is not None \
                    and (account_expr is None or _is_parameter(top, account_expr)):
                snippet = vendor.snippet_pattern.search(self.unit.text)
                if snippet is not None and snippet.groupdict().get("account"):
                    account, account_expr = snippet.group("account"), None
            found_pixel = Found(vendor.id, "loader", account, account_expr)
        else:
            found_pixel = Found(vendor.id, "beacon", account, account_expr)
        situation = walk(self.unit, top, self.profile.guards[vendor.id])
        self.place(found_pixel, top, situation)
        event, _ = resolved(found.event)
        if found.kind == "beacon" and event and not self.command_argument(top):
            params = []
            for key, value in found.params:
                literal, expression = resolved(value)
                params.append((key, Value(canonical(literal)) if expression is None else Expr(expression)))
            self.place(Found(vendor.id, "event", account, None, event, tuple(params)), top, situation)
        return True

    def command_argument(self, node) -> bool:
        """Inside the arguments of a vendor call (`_paq.push(['setTrackerUrl', u + 'matomo.php'])`):
        the endpoint handed to the vendor's library, not a request the code makes."""
        parent, child = climb(node)
        while parent is not None and parent.type in ("array", "object", "pair", "arguments"):
            if parent.type == "arguments":
                call = parent.parent
                name = dotted(field(call, "function"), self.unit) if call.type == "call_expression" else None
                return name is not None and name.removeprefix("window.") in self.profile.calls
            parent, child = climb(parent)
        return False

    def beacon_body(self, top, expressions: dict) -> list[tuple[str, str]]:
        """`navigator.sendBeacon(url, new URLSearchParams({tid: ..., t: 'pageview'}))`: the body's
        params; an expression value stands in as a placeholder, like one in the URL."""
        parent, child = climb(top)
        call = parent.parent if parent is not None and parent.type == "arguments" else None
        if call is None or call.type != "call_expression" or not (dotted(field(call, "function")) or "").endswith(
                "sendBeacon"):
            return []
        args = arguments(call)
        if len(args) < 2 or args[0].id != child.id:
            return []
        body = unwrap(args[1])
        if body.type == "new_expression" and dotted(field(body, "constructor")) == "URLSearchParams":
            body = arguments(body)[0] if arguments(body) else body
        value = to_arg(self.unit, body)
        if not isinstance(value, Obj):
            return []
        params = []
        for key, item in value.entries:
            if key is None:
                continue
            text = text_of(item)
            if text is None:
                text = _placeholder(len(expressions))
                expressions[text] = source_of(item)
            params.append((key, text))
        return params

    def url_pieces(self, part):
        """(literal text, None) and (None-ish text, expression source) pieces of one URL part."""
        part = unwrap(part)
        unit = self.unit
        if part.type == "string" or (part.type == "template_string" and not has_substitutions(part)):
            start, end = unit.chars(part.start_byte + 1, part.end_byte - 1)
            yield from _template_pieces(unit.fragment, start, end)
        elif part.type == "template_string":
            for child in part.children:
                if child.type in ("string_fragment", "escape_sequence"):
                    yield from _template_pieces(unit.fragment, *unit.span(child))
                elif child.type == "template_substitution":
                    inner = child.named_children[0] if child.named_children else child
                    yield from self.url_pieces(inner)
        else:
            value = _url_literal(unit, part)
            bound = unit.binding(part) if part.type == "identifier" and value is None else None
            argument = iife_argument(part) if bound is not None and bound.kind == "param" else None
            if value is not None:
                yield value, None
            elif argument is not None:
                # `(function(w,d,s,l,i){ ... '?id='+i ... })(window,document,'script','dataLayer','GTM-X')`
                yield from self.url_pieces(argument)
            else:
                yield "", unit.source(part)

    def snippet(self, node, language: str, start_byte: int, end_byte: int) -> None:
        """Code kept in a string, template literal or JSX text, analysed as a fragment of its own."""
        ctx = self.ctx
        if ctx.depth >= MAX_DEPTH:
            return
        unit = self.unit
        inherited = _inherited(_closed(unit, node, walk(unit, node)))
        if node.type in STRING_TYPES and has_escapes(node):
            text = unescape_js(node.text[1:-1].decode("utf-8", "replace"))
            if language == "html" or _looks_like_code(language, text):
                _analyze_detached(language, text, unit, node, ctx, inherited, plain_view(text))
            return
        start, end = unit.chars(start_byte, end_byte)
        holes = [unit.span(c) for c in node.children if c.type == "template_substitution"]
        view = _derived_view(unit.fragment.view, holes=holes) if holes else unit.fragment.view
        child = unit.fragment.child(start, end, language, view=view, **inherited)
        if language == "html" or _looks_like_code(language, child.text):
            analyze_nested(child, ctx)

    def concatenated_html(self, top, parts) -> None:
        """`'<img src="https://www.facebook.com/tr?id=' + id + '">'`: the markup the parts
        make, with each expression kept as a template expression of its source text."""
        if self.ctx.depth >= MAX_DEPTH:
            return
        text, masked, expressions = [], [], []
        length = 0
        for literal, expression in (piece for part in parts for piece in self.url_pieces(part)):
            piece = literal if expression is None else expression
            if expression is not None:
                expressions.append((length, length + len(piece)))
            text.append(piece)
            masked.append(piece if expression is None else "_" * len(piece))
            length += len(piece)
        joined = "".join(text)
        if not self.profile.has_signature(joined.encode("utf-8", "surrogatepass")):
            return
        partial = _closed(self.unit, top, walk(self.unit, top))
        _analyze_detached("html", joined, self.unit, top, self.ctx, _inherited(partial),
                          TemplateView("".join(masked), tuple(expressions)))

    def comment(self, node) -> None:
        """A comment holding a pixel: analysed as code that does not run."""
        group = _comment_group(node)
        if not self.first_time(group[0]):
            return
        data = self.unit.data
        first, last = group[0], group[-1]
        if node_text(first).startswith("/*"):
            start, end = first.start_byte + 2, max(first.start_byte + 2, first.end_byte - 2)
            blanks = [m.span(1) for m in _BLOCK_COMMENT_STAR.finditer(data, start, end)]
        else:
            start, end = first.start_byte + 2, last.end_byte
            blanks = [(c.start_byte, c.start_byte + 2) for c in group[1:]]
        if not self.signed(start, end):
            return
        language = "html" if _HTML_LIKE.search(data[start:end].decode("utf-8", "replace")) else self.unit.language
        unit = self.unit
        view = unit.fragment.view
        if blanks:
            view = _derived_view(view, blanks=[unit.chars(s, e) for s, e in blanks])
        # Commented out where it stands: it would run under the same listener and conditions.
        inherited = dict(_inherited(_closed(unit, first, walk(unit, first))), active=False)
        analyze_nested(unit.fragment.child(*unit.chars(start, end), language, view=view, **inherited), self.ctx)

    # -- cookies --

    def cookie(self, leaf) -> None:
        if leaf.type not in ("identifier", "property_identifier"):
            return
        unit = self.unit
        situation = None

        def scope_of():
            nonlocal situation
            situation = walk(unit, leaf)
            return ParamScope(situation.function.node) if situation.function is not None else None

        for use in cookie_uses(unit, leaf, scope_of):
            if use.name is not None:
                _emit_cookie(self.ctx, unit, use, use.name, unit.active(use.node))
            elif use.param is not None and situation is not None and situation.function is not None:
                self.ctx.js_deferred.append(Deferred(situation.function, _inner(unit, use.node, situation), unit,
                                                     use.node, cookie=use))


def _looks_like_code(language: str, text: str) -> bool:
    """A string that holds a snippet rather than data: not JSON, and mostly valid JS."""
    stripped = text.strip()
    if not stripped or (stripped[0] in "{[" and stripped[-1] in "}]"):
        return False
    data = text.encode("utf-8", "surrogatepass")
    root = parse(language, text, data).tree.root_node
    if not root.has_error:
        return True
    broken = sum(c.end_byte - c.start_byte for c in root.children if c.type == "ERROR")
    return broken * 2 < len(data)


def _climb_chain(leaf):
    """The member/call chain a name sits in, and the calls along it whose callee it is part of."""
    node, calls = leaf, []
    while True:
        parent, child = climb(node)
        if parent is None:
            return node, calls
        kind = parent.type
        if kind in ("member_expression", "subscript_expression") and (
                is_field(parent, "object", child) or is_field(parent, "property", child)
                or is_field(parent, "index", child)):
            node = parent
        elif kind == "call_expression" and is_field(parent, "function", child):
            calls.append(parent)
            node = parent
        elif kind == "new_expression" and is_field(parent, "constructor", child):
            calls.append(parent)
            node = parent
        else:
            return node, calls


def _dynamic_import_names(call) -> list:
    """Identifiers that receive the default export of `import('pkg')`: `x = (await import(p)).default`,
    `const {default: x} = await import(p)`, `import(p).then(m => (x = m.default))`, `.then(({default: x}) => ...)`."""
    node, parent = call, call.parent
    if parent is not None and parent.type == "await_expression":
        node, parent = parent, parent.parent
    while parent is not None and parent.type == "parenthesized_expression":
        node, parent = parent, parent.parent
    if parent is not None and parent.type == "member_expression" and node_text(field(parent, "property")) == "default":
        return [_receiver(parent)]
    if parent is not None and parent.type == "variable_declarator" and is_field(parent, "value", node):
        return [_default_of_pattern(field(parent, "name"))]
    if parent is None or parent.type != "member_expression" or node_text(field(parent, "property")) != "then":
        return []
    then, _ = climb(parent)
    callback = unwrap(arguments(then)[0]) if then is not None and then.type == "call_expression" \
        and arguments(then) else None
    if callback is None or callback.type not in ("arrow_function", "function_expression", "function"):
        return []
    param = field(callback, "parameter")
    if param is None:
        params = field(callback, "parameters")
        param = params.named_children[0] if params is not None and params.named_children else None
    if param is not None and param.type == "object_pattern":
        return [_default_of_pattern(param)]
    if param is None or param.type != "identifier":
        return []
    found = []
    for use in _descendants_named(callback, node_text(param)):
        member = use.parent
        if member.type == "member_expression" and is_field(member, "object", use) \
                and node_text(field(member, "property")) == "default":
            found.append(_receiver(member))
    return found


def _receiver(value):
    """The identifier a value is assigned or declared to."""
    parent, child = climb(value)
    if parent is None:
        return None
    if parent.type == "assignment_expression" and is_field(parent, "right", child):
        left = field(parent, "left")
        return left if left.type == "identifier" else None
    if parent.type == "variable_declarator" and is_field(parent, "value", child):
        name = field(parent, "name")
        return name if name.type == "identifier" else None
    return None


def _default_of_pattern(pattern):
    """x in `{default: x}`."""
    if pattern is None or pattern.type != "object_pattern":
        return None
    for pair in pattern.named_children:
        if pair.type == "pair_pattern" and node_text(field(pair, "key")) == "default":
            value = field(pair, "value")
            return value if value.type == "identifier" else None
    return None


def _descendants_named(node, name: str):
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type == "identifier" and node_text(cur) == name:
            yield cur
        stack.extend(cur.named_children)


def _plugin_member(name: str) -> str:
    """`this.$gtag.event`, `Vue.$gtm.push`, `app.$fb.track`: Vue and Nuxt plugins hang their
    API on every instance as a `$name` member, so the chain from that member on is the callee."""
    plugin = name.find(".$")
    if plugin >= 0:
        return name[plugin + 1:]
    return name.removeprefix("this.")


def _statement_of(node):
    """`var x = ...;` as a whole when the declarator is its only one."""
    parent = node.parent
    if node.type == "variable_declarator" and parent is not None and \
            sum(1 for c in parent.named_children if c.type == "variable_declarator") == 1:
        return parent
    return node


def _concatenation(node):
    """The whole `'a' + x + 'b'` around a string part, and its parts left to right."""
    top = node
    while True:
        parent, child = climb(top)
        if parent is None or parent.type != "binary_expression" or node_text(field(parent, "operator")) != "+":
            break
        top = parent

    def flatten(n):
        n = unwrap(n)
        if n.type == "binary_expression" and node_text(field(n, "operator")) == "+":
            return flatten(field(n, "left")) + flatten(field(n, "right"))
        return [n]
    return top, flatten(top)


def _template_pieces(fragment: Fragment, start: int, end: int):
    """Literal text and template expressions (their original text) of file characters [start, end)."""
    expressions = fragment.view.expressions
    pos = start
    first = max(bisect.bisect_left(expressions, (start, -1)) - 1, 0)
    for s, e in expressions[first:]:
        if s >= end:
            break
        if e <= start:
            continue
        if s > pos:
            yield unescape_js(fragment.written(pos, s)), None
        yield "", fragment.original(max(s, start), min(e, end))
        pos = min(e, end)
    if pos < end:
        yield unescape_js(fragment.written(pos, end)), None


def _url_literal(unit: Unit, node) -> str | None:
    """The text a URL part adds when it is a literal string or number."""
    value = to_arg(unit, node)
    if isinstance(value, Lit) and isinstance(value.value, (str, int, float)) and not isinstance(value.value, bool):
        return str(value.value)
    return None


def _is_parameter(node, name: str) -> bool:
    """name is a parameter of a function around node."""
    cur = node.parent
    while cur is not None:
        if cur.type in FUNCTION_TYPES and any(param == name for param, _ in function_params(cur)):
            return True
        cur = cur.parent
    return False


def _leading_value(account: str | None, vendor) -> str | None:
    """`'?id=' + i + dl`: an id followed only by expressions is the id alone; what follows
    adds other params (the GTM snippet's `dl` is `'&l=' + l` or nothing)."""
    if not account:
        return account
    pieces = [piece for piece in _PLACEHOLDERS.split(account) if piece]
    if len(pieces) < 2 or not all(_PLACEHOLDERS.fullmatch(piece) for piece in pieces[1:]):
        return account
    first = pieces[0]
    if _PLACEHOLDERS.fullmatch(first) or (vendor.account_pattern is not None and vendor.account_pattern.search(first)):
        return first
    return account


def _expression_after_param(vendor, url: str, pieces) -> str | None:
    """`'.../gtag/js?id=' + GA_ID`: the expression right after the loader's account parameter."""
    params = [loader.account_param for loader in vendor.loaders if loader.account_param and loader.url.search(url)]
    for (text, _), (_, expression) in zip(pieces, pieces[1:]):
        if expression and text and any(text.endswith(f"{p}=") for p in params):
            return expression
    return None


def _comment_group(node) -> list:
    """Consecutive `//` lines read as one block; a block comment alone."""
    if not node_text(node).startswith("//"):
        return [node]
    group = [node]
    prev = node.prev_sibling
    while prev is not None and _line_comment_before(prev, group[0]):
        group.insert(0, prev)
        prev = prev.prev_sibling
    nxt = node.next_sibling
    while nxt is not None and _line_comment_before(group[-1], nxt):
        group.append(nxt)
        nxt = nxt.next_sibling
    return group


def _line_comment_before(a, b) -> bool:
    """a and b are `//` comments on consecutive lines with nothing but blanks between."""
    if a.type != "comment" or b.type != "comment":
        return False
    if not node_text(a).startswith("//") or not node_text(b).startswith("//"):
        return False
    return b.start_point[0] == a.end_point[0] + 1


def _derived_view(view: TemplateView, blanks=(), holes=()) -> TemplateView:
    """The file's view with comment markers blanked and template-literal substitutions turned
    into template expressions, so a snippet inside parses and its `${id}` is an expression."""
    edits = sorted([(s, e, " ") for s, e in blanks] + [(s, e, "_") for s, e in holes])
    masked = view.masked
    pieces, pos = [], 0
    for start, end, fill in edits:
        pieces += [masked[pos:start], fill * (end - start)]
        pos = end
    pieces.append(masked[pos:])
    expressions = tuple(sorted(set(view.expressions) | set(holes)))
    return TemplateView("".join(pieces), expressions, view.comments, view.conditionals)


def _inherited(partial: Partial) -> dict:
    """What a snippet nested in a string takes from where the string is."""
    return dict(trigger=child_trigger(partial), conditions=partial.conditions, after_consent=partial.consent,
                active=partial.active)


def _analyze_detached(language: str, text: str, unit: Unit, node, ctx: ScanContext, inherited: dict,
                      view: TemplateView) -> None:
    """A string with escapes, or built by concatenation: what its value holds is reported at node."""
    value = Fragment(SourceText(unit.fragment.source.path, text), 0, len(text), language, view, **inherited)
    for finding in analyze_detached(value, ctx, unit.location(node)):
        _add(ctx, finding)


# ---- uses of named functions -------------------------------------------------------------

def _binds(binding, function: FunctionDef) -> bool:
    """Whether the binding a use sees is the function's own (for a constructor: its class's)."""
    value = unwrap(binding.value) if binding.value is not None else None
    if value is None:
        return False
    if function.constructor:
        return value.start_byte <= function.node.start_byte < value.end_byte
    return value.id == function.node.id


class _Resolver:
    _MAX_NESTING = 6

    def __init__(self, ctx: ScanContext):
        self.ctx = ctx
        self.profile = profile_of(ctx.catalog)
        self._uses: dict[tuple, list] = {}
        self._outers: dict[tuple, list[Partial]] = {}

    def uses(self, function: FunctionDef) -> list[tuple[Unit, object, Role]]:
        """Where a named function is called, passed as a handler or bound, in this file."""
        known = self._uses.get(function.key)
        if known is not None:
            return known
        found = []
        units = self.ctx.js_units if (function.member or function.global_scope) else [function.unit]
        for unit in units:
            if unit is function.unit and not (function.member or function.global_scope or function.constructor):
                scope = enclosing_scope(function.node)
                start, end = scope.start_byte, scope.end_byte
            else:
                start, end = 0, None
            for leaf in unit.mentions([function.name], start, end, limit=_USE_LIMIT):
                ref = self._reference(function, unit, leaf)
                if ref is None:
                    continue
                role = reference_role(unit, ref)
                if not role.inert:
                    found.append((unit, ref, role))
        self._uses[function.key] = found
        return found

    def _reference(self, function: FunctionDef, unit: Unit, leaf):
        if leaf is None:
            return None
        if unit is function.unit and function.node.start_byte <= leaf.start_byte < function.node.end_byte:
            return None  # its own name inside it: recursion, or the declaration itself
        if function.member:
            parent = leaf.parent
            if leaf.type not in ("property_identifier", "private_property_identifier") or parent is None \
                    or parent.type != "member_expression":
                return None
            if dotted(parent, unit) in self.profile.calls:
                return None
            return parent
        if leaf.type != "identifier" or binding_at(leaf) is not None:
            return None
        bound = unit.binding(leaf)
        if bound is not None and not _binds(bound, function):
            return None  # another function's parameter or variable of the same name
        return leaf

    def outers(self, function: FunctionDef, stack: tuple = ()) -> list[Partial]:
        """Every complete trigger under which the function runs."""
        if function.key in stack or len(stack) > self._MAX_NESTING:
            return []
        known = self._outers.get(function.key)
        if known is not None:
            return known
        result: list[Partial] = []
        for unit, ref, role in self.uses(function):
            result += self.outers_of_use(unit, ref, role, stack + (function.key,))
        result = list(dict.fromkeys(result))
        self._outers[function.key] = result
        return result

    def outers_of_use(self, unit: Unit, ref, role: Role, stack: tuple) -> list[Partial]:
        situation = walk(unit, ref, first=role)
        if situation.deferred:
            inner = _inner(unit, ref, situation)
            return [wrap(o, inner) for o in self.outers(situation.function, stack)] or [wrap(UNKNOWN, inner)]
        return [_closed(unit, ref, situation)]

    def settle(self, item: Deferred, queue: deque) -> None:
        uses = self.uses(item.function)
        in_place = uses
        if item.forward is not None or item.cookie is not None:
            in_place = [use for use in uses if use[2].call is None]
            for unit, ref, role in uses:
                if role.call is not None:
                    self.call_site(item, unit, ref, role, queue)
        stack = (item.function.key,)
        for unit, ref, role in in_place:
            for outer in self.outers_of_use(unit, ref, role, stack):
                self.emit_in_place(item, wrap(outer, item.inner))
        if not uses:
            self.emit_in_place(item, wrap(UNKNOWN, item.inner))

    def emit_in_place(self, item: Deferred, partial: Partial) -> None:
        if item.found is not None:
            _emit(self.ctx, item.found, item.unit, item.node, partial)
        elif item.forward is not None:
            forward = item.forward
            args = [without_params(a) for a in forward.args]
            for found in match_call(self.profile.calls[forward.callee], forward.is_new, args):
                _emit(self.ctx, found, item.unit, item.node, partial)

    def call_site(self, item: Deferred, unit: Unit, ref, role: Role, queue: deque) -> None:
        """A call of a wrapper or cookie helper: the finding, with this call's arguments, is here."""
        call = role.call
        situation = walk(unit, ref, first=role)
        outer_function = situation.function
        scope = ParamScope(outer_function.node) if outer_function is not None else None
        actuals = [to_arg(unit, a, scope) for a in arguments(call)]
        inner = wrap(_inner(unit, call, situation), item.inner)
        if item.cookie is not None:
            name = substitute_args([item.cookie.param], actuals)
            value = name[0] if name else None
            use = replace(item.cookie, node=call, param=None)
            if isinstance(value, Lit) and isinstance(value.value, str) and value.value:
                _emit_cookie(self.ctx, unit, use, value.value, inner.active)
            elif isinstance(value, Par) and outer_function is not None:
                queue.append(Deferred(outer_function, inner, unit, call, cookie=replace(use, param=value)))
            return
        forward = item.forward
        args = substitute_args(list(forward.args), actuals)
        if any(has_param(a) for a in args) and outer_function is not None:
            queue.append(Deferred(outer_function, inner, unit, call, forward=replace(forward, args=tuple(args))))
            return
        args = [without_params(a) for a in args]
        if situation.deferred:
            partials = [wrap(o, inner) for o in self.outers(outer_function, (item.function.key,))] \
                or [wrap(UNKNOWN, inner)]
        else:
            partials = [wrap(surroundings(unit, call), inner)]
        for found in match_call(self.profile.calls[forward.callee], forward.is_new, args):
            for partial in partials:
                _emit(self.ctx, found, unit, call, partial)

