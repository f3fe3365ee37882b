"""Cookie and web storage access in JS: which names the code reads and writes.

document.cookie writes and reads (split/match/startsWith with literal names, regexes),
js-cookie, jQuery.cookie, localStorage/sessionStorage. A name that comes from a parameter
of the enclosing function makes that function a cookie helper: its call sites name the
cookie (`getCookie('_fbp')`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from scanner.model import Storage
from scanner.static.js_syntax import STRING_TYPES, Unit, arguments, climb, dotted, field, is_field, node_text, \
    string_value, unwrap
from scanner.static.js_values import Lit, Par, ParamScope, to_arg

_STORAGE_CALLS = {
    "Cookies.get": ("read", Storage.COOKIE), "Cookies.getJSON": ("read", Storage.COOKIE),
    "Cookies.set": ("write", Storage.COOKIE), "Cookies.remove": ("write", Storage.COOKIE),
    "$.cookie": (None, Storage.COOKIE), "jQuery.cookie": (None, Storage.COOKIE),
    "$.removeCookie": ("write", Storage.COOKIE), "jQuery.removeCookie": ("write", Storage.COOKIE),
}
for _area, _storage in (("localStorage", Storage.LOCAL_STORAGE), ("sessionStorage", Storage.SESSION_STORAGE)):
    _STORAGE_CALLS.update({f"{_area}.getItem": ("read", _storage), f"{_area}.setItem": ("write", _storage),
                           f"{_area}.removeItem": ("write", _storage)})
# Words that name a cookie in a cookie string or a regex over document.cookie: `_fbp=`.
_NAME_BEFORE_EQUALS = re.compile(r"(?<![\w$.\-\\])([A-Za-z_$][\w$.\-]*)=")
_BARE_NAME = re.compile(r"^\s*;?\s*([A-Za-z_$][\w$.\-]*)=?\s*$")
_ATTRIBUTES = frozenset({"path", "domain", "expires", "max-age", "samesite", "secure", "httponly"})
_DECODERS = frozenset({"decodeURIComponent", "decodeURI", "unescape"})


@dataclass(frozen=True)
class CookieUse:
    access: str
    """read or write."""
    storage: Storage
    node: object
    """Where it is reported."""
    name: str | None = None
    param: Par | None = None
    """The enclosing function's parameter that names the cookie (a helper)."""


def cookie_uses(unit: Unit, leaf, scope_of: Callable[[], ParamScope | None]) -> list[CookieUse]:
    """Cookie or storage access around an identifier the pre-filter hit; scope_of gives the
    parameters of the enclosing named function, asked only once an access is certain."""
    parent = leaf.parent
    if parent is None or parent.type != "member_expression":
        return []
    if node_text(leaf) == "cookie" and is_field(parent, "property", leaf) \
            and dotted(field(parent, "object")) == "document":
        return _document_cookie(unit, parent, scope_of())
    call, member = climb(parent)
    while call is not None and call.type == "member_expression":
        call, member = climb(call)
    if call is None or call.type != "call_expression" or not is_field(call, "function", member):
        return []
    known = _STORAGE_CALLS.get(dotted(member, unit) or "")
    args = arguments(call)
    if known is None or not args:
        return []
    access, storage = known
    if access is None:  # $.cookie(name) reads, $.cookie(name, value) writes
        access = "write" if len(args) > 1 else "read"
    return _named(unit, args[0], scope_of(), access, storage, call)


def _named(unit: Unit, node, scope, access: str, storage: Storage, where) -> list[CookieUse]:
    value = to_arg(unit, node, scope)
    if isinstance(value, Par):
        return [CookieUse(access, storage, where, param=value)]
    if isinstance(value, Lit) and isinstance(value.value, str) and value.value:
        return [CookieUse(access, storage, where, name=value.value)]
    return []


def _document_cookie(unit: Unit, member, scope) -> list[CookieUse]:
    parent, child = climb(member)
    if parent is not None and parent.type in ("assignment_expression", "augmented_assignment_expression") \
            and is_field(parent, "left", child):
        return _cookie_write(unit, field(parent, "right"), scope, parent)
    top = _read_chain(member)
    uses = [CookieUse("read", Storage.COOKIE, top, name=name) for name in dict.fromkeys(_literal_names(top))]
    if uses:
        return uses
    par = _parameter_in(top, scope)
    if par is None and scope is not None and scope.params:
        # `function getCookie(name) { const all = decodeURIComponent(document.cookie); ... }`
        first = min(scope.params.items(), key=lambda item: item[1][0])
        par = Par(first[1][0], first[1][1], first[0])
    return [CookieUse("read", Storage.COOKIE, top, param=par)] if par is not None else []


def _cookie_write(unit: Unit, value, scope, where) -> list[CookieUse]:
    first = _first_part(unwrap(value))
    if first is None:
        return []
    if first.type in STRING_TYPES:
        leading = _leading_text(first)
        found = re.match(r"\s*([^=;\s]+)\s*=", leading) if leading is not None else None
        if found:
            return [CookieUse("write", Storage.COOKIE, where, name=found.group(1))]
        substitution = next((c for c in first.named_children if c.type == "template_substitution"), None)
        if leading == "" and substitution is not None and substitution.named_children:
            return _named(unit, substitution.named_children[0], scope, "write", Storage.COOKIE, where)
        return []
    return _named(unit, first, scope, "write", Storage.COOKIE, where)


def _first_part(node):
    while node is not None and node.type == "binary_expression" and node_text(field(node, "operator")) == "+":
        node = unwrap(field(node, "left"))
    return node


def _leading_text(string) -> str | None:
    """The literal text a string or template literal starts with."""
    if string.type == "string":
        return string_value(string)
    text = []
    for child in string.children[1:]:
        if child.type in ("string_fragment", "escape_sequence"):
            text.append(node_text(child))
        else:
            break
    return "".join(text)


def _read_chain(member):
    """The whole expression that reads document.cookie: `document.cookie.split('; ').find(...)`."""
    top = member
    while True:
        parent, child = climb(top)
        if parent is None:
            return top
        kind = parent.type
        if (kind in ("member_expression", "subscript_expression") and is_field(parent, "object", child)) \
                or (kind == "call_expression" and is_field(parent, "function", child)):
            top = parent
        elif kind == "arguments" and (dotted(field(parent.parent, "function")) or "") in _DECODERS:
            top = parent.parent
        else:
            return top


def _literal_names(top):
    stack = [top]
    while stack:
        node = stack.pop()
        if node.type == "regex_pattern":
            yield from _names_in(node_text(node))
        elif node.type in STRING_TYPES:
            text = string_value(node) if node.type == "string" else node_text(node)[1:-1]
            bare = _BARE_NAME.match(text)
            if bare and bare.group(1).lower() not in _ATTRIBUTES and len(bare.group(1)) > 1:
                yield bare.group(1)
            else:
                yield from _names_in(text)
        else:
            stack.extend(reversed(node.children))


def _names_in(text: str):
    for found in _NAME_BEFORE_EQUALS.finditer(text):
        if found.group(1).lower() not in _ATTRIBUTES:
            yield found.group(1)


def _parameter_in(top, scope: ParamScope | None) -> Par | None:
    if scope is None or not scope.params:
        return None
    stack = [top]
    while stack:
        node = stack.pop()
        if node.type == "identifier":
            par = scope.par(node, node_text(node))
            if par is not None:
                return par
        stack.extend(reversed(node.children))
    return None
