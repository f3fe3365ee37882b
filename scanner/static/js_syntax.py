"""Parsing JS/TS fragments with tree-sitter, and the node helpers every js_* module shares.

A fragment's text is parsed once per process: the same inline snippet shows up on hundreds
of pages, so parse results are cached by content hash. tree-sitter counts UTF-8 bytes;
`Unit` maps node offsets back to characters of the file for Locations.
"""
from __future__ import annotations

import bisect
import functools
import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass

import tree_sitter
import tree_sitter_javascript
import tree_sitter_typescript

from scanner.model import Location
from scanner.static.context import Fragment

_GRAMMARS = {"js": "javascript", "jsx": "javascript", "ts": "typescript", "tsx": "tsx"}
_GRAMMAR_LOADERS = {
    "javascript": tree_sitter_javascript.language,
    "typescript": tree_sitter_typescript.language_typescript,
    "tsx": tree_sitter_typescript.language_tsx,
}
# Parse trees of recently seen texts (inline snippets repeat across pages), bounded by the
# source bytes they stand for; a tree takes many times its source in memory. Big bundles
# are unique per site, so they are not kept.
_CACHE_BYTES = 8 * 1024 * 1024
_CACHE_ITEM_BYTES = 512 * 1024
_NON_ASCII = re.compile(r"[^\x00-\x7f]")

FUNCTION_TYPES = frozenset({
    "function_declaration", "generator_function_declaration", "function_expression", "function",
    "generator_function", "arrow_function", "method_definition",
})
# Wrappers that change nothing about what an expression names: (x), x!, x as T, <T>x.
_TRANSPARENT = frozenset({"parenthesized_expression", "non_null_expression", "as_expression",
                          "satisfies_expression", "type_assertion"})
WINDOW_NAMES = frozenset({"window", "self", "globalThis", "top", "parent"})
STRING_TYPES = frozenset({"string", "template_string"})
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def grammar_of(language: str) -> str:
    return _GRAMMARS.get(language, "javascript")


@functools.lru_cache(maxsize=None)
def _parser(grammar: str) -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(_GRAMMAR_LOADERS[grammar]()))


@dataclass(frozen=True)
class Parsed:
    data: bytes
    tree: tree_sitter.Tree
    byte_starts: tuple[int, ...]
    """Byte offset of each non-ASCII character; empty when bytes and characters coincide."""
    extra_after: tuple[int, ...]
    """UTF-8 bytes beyond one spent up to and including each of those characters."""

    def char(self, byte: int) -> int:
        if not self.byte_starts:
            return byte
        before = bisect.bisect_left(self.byte_starts, byte)
        return byte - (self.extra_after[before - 1] if before else 0)


_cache: OrderedDict[tuple[str, bytes], Parsed] = OrderedDict()
_cache_size = 0


def _non_ascii_table(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    starts: list[int] = []
    extras: list[int] = []
    extra = 0
    for found in _NON_ASCII.finditer(text):
        starts.append(found.start() + extra)
        extra += len(found.group().encode("utf-8", "surrogatepass")) - 1
        extras.append(extra)
    return tuple(starts), tuple(extras)


def parse(language: str, text: str, data: bytes) -> Parsed:
    """The parse of `text` (encoded as `data`), from the per-process cache when seen before."""
    global _cache_size
    grammar = grammar_of(language)
    key = (grammar, hashlib.blake2b(data, digest_size=16).digest())
    found = _cache.get(key)
    if found is not None:
        _cache.move_to_end(key)
        return found
    starts, extras = _non_ascii_table(text) if len(data) != len(text) else ((), ())
    parsed = Parsed(data, _parser(grammar).parse(data), starts, extras)
    if len(data) > _CACHE_ITEM_BYTES:
        return parsed
    _cache[key] = parsed
    _cache_size += len(data)
    while _cache_size > _CACHE_BYTES and len(_cache) > 1:
        _, old = _cache.popitem(last=False)
        _cache_size -= len(old.data)
    return parsed


def unwrap(node):
    while node is not None and node.type in _TRANSPARENT:
        inner = node.named_children
        node = next((c for c in inner if c.type != "comment" and not c.type.startswith("type")), None)
    return node


def climb(node):
    """(parent, child) above the wrappers `unwrap` looks through."""
    parent = node.parent
    while parent is not None and parent.type in _TRANSPARENT:
        node, parent = parent, parent.parent
    return parent, node


def field(node, name: str):
    return node.child_by_field_name(name)


def is_field(parent, name: str, node) -> bool:
    child = parent.child_by_field_name(name)
    return child is not None and child.id == node.id


def arguments(call) -> list:
    args = call.child_by_field_name("arguments")
    if args is None or args.type != "arguments":
        return []
    return [a for a in args.named_children if a.type != "comment"]


def node_text(node) -> str:
    """The node's text as parsed; "" for a part broken code lacks."""
    return node.text.decode("utf-8", "replace") if node is not None else ""


def unescape_js(raw: str) -> str:
    def one(found: re.Match) -> str:
        body = found.group(1)
        if body[0] == "u":
            return chr(int(body[2:-1] if body.startswith("u{") else body[1:], 16))
        if body[0] == "x":
            return chr(int(body[1:], 16))
        if body in ("\n", "\r\n", "\r", "\u2028", "\u2029"):
            return ""
        return _SIMPLE_ESCAPES.get(body, body)
    return _ESCAPE.sub(one, raw) if "\\" in raw else raw


def has_escapes(node) -> bool:
    return any(c.type == "escape_sequence" for c in node.children)


def has_substitutions(node) -> bool:
    return node.type == "template_string" and any(c.type == "template_substitution" for c in node.children)


def string_value(node) -> str:
    """The value of a string literal or a template literal without substitutions."""
    raw = node.text[1:-1].decode("utf-8", "replace") if node.end_byte - node.start_byte >= 2 else ""
    return unescape_js(raw)


def function_params(fn) -> list[tuple[str | None, bool]]:
    """(name, is_rest) per declared parameter, None for destructuring patterns."""
    single = fn.child_by_field_name("parameter")
    if single is not None:
        return [(node_text(single), False)]
    params = fn.child_by_field_name("parameters")
    if params is None:
        return []
    return [_param_name(p) for p in params.named_children if p.type != "comment"]


def _param_name(node) -> tuple[str | None, bool]:
    if node.type in ("required_parameter", "optional_parameter"):
        pattern = node.child_by_field_name("pattern")
        return _param_name(pattern) if pattern is not None else (None, False)
    if node.type == "identifier":
        return node_text(node), False
    if node.type == "assignment_pattern":
        left = node.child_by_field_name("left")
        return (node_text(left), False) if left is not None and left.type == "identifier" else (None, False)
    if node.type == "rest_pattern":
        inner = next((c for c in node.named_children if c.type == "identifier"), None)
        return (node_text(inner), True) if inner is not None else (None, True)
    return None, False


def enclosing_scope(node):
    """The function (or the program) whose body holds node."""
    cur = node.parent
    while cur is not None and cur.type not in FUNCTION_TYPES and cur.type != "program":
        cur = cur.parent
    return cur


@dataclass(frozen=True)
class Binding:
    kind: str
    """var (declaration), assign, param, loop (for-of/in), function, import."""
    name_node: object
    value: object | None
    scope: object
    index: int = -1
    """Parameter position, for kind param."""


_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


def word_regex(names) -> re.Pattern:
    """Finds names as whole identifiers, with `word_starts`."""
    alternatives = sorted({re.escape(n.encode()) for n in names}, key=len, reverse=True)
    return re.compile(rb"(?:" + b"|".join(alternatives) + rb")(?![\w$])")


def word_starts(regex: re.Pattern, data: bytes, start: int = 0, end: int | None = None):
    """(start, end) of word_regex matches not preceded by an identifier character; checked
    here because a leading lookbehind would stop the regex engine skipping ahead fast."""
    for found in regex.finditer(data, start, len(data) if end is None else end):
        if found.start() == 0 or data[found.start() - 1] not in _WORD_BYTES:
            yield found.start(), found.end()


class Unit:
    """One fragment being analysed: its parse, offsets and the lookups on its tree."""

    _BINDING_HITS = 3000  # past this many mentions a name is too common to resolve cheaply

    def __init__(self, fragment: Fragment, language: str | None = None):
        self.fragment = fragment
        self.language = language or fragment.language
        self.text = fragment.text
        self.data = self.text.encode("utf-8", "surrogatepass")
        self._parsed: Parsed | None = None
        self._bindings: dict[tuple[str, int], list[Binding]] = {}
        self.aliases: dict[str, list[tuple[int, int, str]]] = {}
        """Local name -> (scope start byte, scope end byte, normalised callee prefix)."""
        self.grants: list = []
        """Vendor consent calls that grant consent; code after them in their block is gated."""
        self.located: dict[Location, tuple[int, int]] = {}
        """Locations handed out, with their file character spans: how a finding is moved
        to another copy of the same fragment."""

    @property
    def parsed(self) -> Parsed:
        if self._parsed is None:
            self._parsed = parse(self.language, self.text, self.data)
        return self._parsed

    @property
    def root(self):
        return self.parsed.tree.root_node

    def node_at(self, start: int, end: int):
        return self.root.descendant_for_byte_range(start, end)

    def chars(self, start_byte: int, end_byte: int) -> tuple[int, int]:
        """File character offsets of a byte range of the fragment."""
        char = self.parsed.char
        return self.fragment.start + char(start_byte), self.fragment.start + char(end_byte)

    def span(self, node) -> tuple[int, int]:
        return self.chars(node.start_byte, node.end_byte)

    def location(self, node) -> Location:
        span = self.span(node)
        location = self.fragment.source.location(*span)
        self.located[location] = span
        return location

    def source(self, node) -> str:
        """The node's text as written (template syntax unmasked)."""
        return self.fragment.original(*self.span(node))

    def written(self, node) -> str:
        """The node's text as it shows a value: template expressions kept, block tags dropped."""
        return self.fragment.written(*self.span(node))

    def templated(self, node) -> bool:
        """Whether template syntax (an expression, or a block tag masked away) is in node."""
        view = self.fragment.view
        if view.masked is self.fragment.source.text:
            return False
        start, end = self.span(node)
        return view.expression_in(start, end) or self.fragment.rewritten(start, end)

    def active(self, node) -> bool:
        return self.fragment.active and not self.fragment.view.is_commented(self.span(node)[0])

    def mentions(self, names, start: int = 0, end: int | None = None, limit: int | None = None) -> list:
        """Identifier-like nodes spelled like one of names, in [start, end) bytes."""
        found = []
        for hit_start, hit_end in word_starts(word_regex(names), self.data, start, end):
            if limit is not None and len(found) >= limit:
                break
            found.append(self.node_at(hit_start, hit_end))
        return found

    def _bindings_in(self, name: str, scope) -> list[Binding]:
        """The places that bind name directly in scope (not in functions nested in it)."""
        key = (name, scope.id)
        known = self._bindings.get(key)
        if known is None:
            mentions = self.mentions([name], scope.start_byte, scope.end_byte, limit=self._BINDING_HITS)
            known = [b for n in mentions if (b := binding_at(n)) is not None and b.scope.id == scope.id]
            self._bindings[key] = known
        return known

    def binding(self, ident) -> Binding | None:
        """The binding of an identifier in the nearest scope that binds it, if it binds it once.
        Scopes are searched from the inside out, so a minified one-letter name is found near
        its use."""
        name = node_text(ident)
        scope = enclosing_scope(ident)
        while scope is not None:
            found = self._bindings_in(name, scope)
            if found:
                return found[0] if len(found) == 1 else None
            scope = enclosing_scope(scope)
        return None

    def declaring_scope(self, ident):
        """The innermost scope that declares the name (let/const/var, parameter, import), else the program."""
        name = node_text(ident)
        scope = enclosing_scope(ident)
        while scope is not None:
            if any(b.kind in ("var", "param", "import", "function") for b in self._bindings_in(name, scope)):
                return scope
            if scope.type == "program":
                return scope
            scope = enclosing_scope(scope)
        return self.root

    def alias_of(self, name: str, pos: int) -> str | None:
        best = None
        for start, end, target in self.aliases.get(name, ()):
            if start <= pos < end and (best is None or start >= best[0]):
                best = (start, target)
        return best[1] if best else None


def binding_at(node) -> Binding | None:
    if node is None or node.type not in ("identifier", "shorthand_property_identifier_pattern"):
        return None
    parent = node.parent
    if parent is None:
        return None
    kind = parent.type
    if kind == "variable_declarator" and is_field(parent, "name", node):
        loop = parent.parent.parent if parent.parent is not None else None
        if loop is not None and loop.type == "for_in_statement":
            return Binding("loop", node, field(loop, "right"), enclosing_scope(loop))
        return Binding("var", node, field(parent, "value"), enclosing_scope(parent))
    if kind in ("assignment_expression", "augmented_assignment_expression") and is_field(parent, "left", node):
        return Binding("assign", node, field(parent, "right"), enclosing_scope(parent))
    if kind == "for_in_statement" and is_field(parent, "left", node):
        return Binding("loop", node, field(parent, "right"), enclosing_scope(parent))
    if kind in ("function_declaration", "class_declaration", "generator_function_declaration") \
            and is_field(parent, "name", node):
        return Binding("function", node, parent, enclosing_scope(parent))
    fn, index = _parameter_of(node)
    if fn is not None:
        return Binding("param", node, None, fn, index)
    if _imported(node):
        return Binding("import", node, None, enclosing_scope(node))
    return None


def _imported(node) -> bool:
    """The local name an import statement binds (`import x`, `{a as x}`, `{x}`, `* as x`)."""
    parent = node.parent
    kind = parent.type
    if kind == "import_specifier":
        alias = field(parent, "alias")
        return (alias or field(parent, "name")).id == node.id
    return kind in ("import_clause", "namespace_import")


def is_local(unit: "Unit", ident) -> bool:
    """Whether a name is a binding of this code rather than the page's global of that name:
    a parameter, an import, a let/const, or a var inside a function, not taken from the global
    (`var dataLayer = window.dataLayer || []` is the global)."""
    bound = unit.binding(ident)
    if bound is None:
        return False
    if bound.kind in ("param", "import"):
        return not is_window_parameter(ident) if bound.kind == "param" else True
    if bound.kind != "var":
        return False
    if bound.value is not None and re.search(r"(?<![\w$])" + re.escape(node_text(ident)) + r"(?![\w$])",
                                             node_text(bound.value)):
        return False
    declaration = bound.name_node.parent.parent
    return (declaration is not None and declaration.type == "lexical_declaration") or bound.scope.type != "program"


def _parameter_of(node):
    """(function, position) when node names one of the function's parameters."""
    cur, child = node.parent, node
    while cur is not None and cur.type in ("assignment_pattern", "rest_pattern", "required_parameter",
                                           "optional_parameter"):
        if cur.type == "assignment_pattern" and not is_field(cur, "left", child):
            return None, -1
        cur, child = cur.parent, cur
    if cur is None:
        return None, -1
    if cur.type in ("arrow_function",) and is_field(cur, "parameter", child):
        return cur, 0
    if cur.type == "formal_parameters" and cur.parent is not None and cur.parent.type in FUNCTION_TYPES:
        params = [p for p in cur.named_children if p.type != "comment"]
        index = next((i for i, p in enumerate(params) if p.id == child.id), -1)
        return cur.parent, index
    return None, -1


def dotted(node, unit: Unit | None = None) -> str | None:
    """Normalised name of a callee or member chain: `window.` and friends dropped, `?.` read
    as `.`, `x['y']` as `x.y`, calls inside the chain as `()`, local aliases followed."""
    node = unwrap(node)
    if node is None:
        return None
    kind = node.type
    if kind == "identifier":
        name = node_text(node)
        alias = unit.alias_of(name, node.start_byte) if unit is not None else None
        return alias if alias is not None else name
    if kind == "this":
        return "this"
    if kind == "member_expression":
        base = dotted(field(node, "object"), unit)
        prop = field(node, "property")
        if base is None or prop is None:
            return None
        return _join(base, node_text(prop))
    if kind == "subscript_expression":
        index = unwrap(field(node, "index"))
        base = dotted(field(node, "object"), unit)
        if base is None or index is None:
            return None
        if index.type == "identifier":  # `w[u]` in `(function(w,d,t,r,u){...})(window,...,"uetq")`
            index = unwrap(iife_argument(index))
        if index is None or index.type != "string":
            return None
        return _join(base, string_value(index))
    if kind == "call_expression":
        base = dotted(field(node, "function"), unit)
        return base + "()" if base else None
    return None


def _join(base: str, prop: str) -> str:
    return prop if base in WINDOW_NAMES else f"{base}.{prop}"


def root_identifier(node):
    """The identifier a member/call chain starts from, if it starts from one."""
    node = unwrap(node)
    while node is not None and node.type in ("member_expression", "subscript_expression", "call_expression"):
        node = unwrap(node.child_by_field_name("function" if node.type == "call_expression" else "object"))
    return node if node is not None and node.type == "identifier" else None


def is_window_parameter(ident) -> bool:
    """`(function (w) { w.fbq(...) })(window)`: a parameter bound to the global object."""
    argument = unwrap(iife_argument(ident))
    return argument is not None and argument.type == "identifier" and node_text(argument) in WINDOW_NAMES


def iife_parameter(argument) -> tuple[object, str] | None:
    """(function, parameter name) where argument is passed to an immediately invoked function."""
    parent, child = climb(argument)
    if parent is None or parent.type != "arguments" or parent.parent is None:
        return None
    call = parent.parent
    function = unwrap(field(call, "function")) if call.type == "call_expression" else None
    if function is None or function.type not in FUNCTION_TYPES:
        return None
    index = next((i for i, a in enumerate(arguments(call)) if a.id == child.id), -1)
    params = function_params(function)
    if not 0 <= index < len(params) or params[index][0] is None or params[index][1]:
        return None
    return function, params[index][0]


def iife_argument(ident):
    """The argument an immediately invoked function passes for the parameter ident names."""
    name = node_text(ident)
    cur = ident.parent
    while cur is not None:
        if cur.type in FUNCTION_TYPES:
            params = function_params(cur)
            names = [p for p, _ in params]
            if name in names:
                parent, child = climb(cur)
                if parent is None or parent.type != "call_expression" or not is_field(parent, "function", child):
                    return None
                args = arguments(parent)
                index = names.index(name)
                return args[index] if index < len(args) else None
        cur = cur.parent
    return None
