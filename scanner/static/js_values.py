"""Argument values of JS calls as the catalog matcher sees them.

A value is a literal, an object or array (whose parts may be anything), a parameter of the
wrapper function the call sits in (filled in at each call site of the wrapper), or an
expression kept as its source text. Literals become canonical JSON for params.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Union

from scanner.model import Expr, Value
from scanner.static.js_syntax import (
    STRING_TYPES, Unit, field, function_params, has_substitutions, node_text, string_value, unwrap,
    FUNCTION_TYPES,
)

# Values an identifier bound once can stand for (`const PIXEL_ID = '...'`, `var o = {ti: '...'}`).
_RESOLVABLE = frozenset({"string", "template_string", "number", "unary_expression", "object", "array"})
_JS_NUMBER = re.compile(r"^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?[\d_]*(?:[eE][+-]?\d+)?)$")


@dataclass(frozen=True)
class Lit:
    value: object
    """str, int, float, bool or None."""


@dataclass(frozen=True)
class Dyn:
    source: str


@dataclass(frozen=True)
class Obj:
    entries: tuple[tuple[str | None, "Arg"], ...]
    """(key, value) in source order; key None for a spread, whose value is what is spread."""
    source: str


@dataclass(frozen=True)
class Arr:
    items: tuple["Arg", ...]
    source: str


@dataclass(frozen=True)
class Par:
    """A parameter of the wrapper function: replaced by the call site's argument."""

    index: int
    rest: bool
    source: str


@dataclass(frozen=True)
class Spread:
    """`...x` in an argument list or array."""

    inner: "Arg"
    source: str


Arg = Union[Lit, Dyn, Obj, Arr, Par, Spread]


def source_of(arg: Arg) -> str:
    if isinstance(arg, Lit):
        return json.dumps(arg.value)
    return arg.source


def literal(arg: Arg | None) -> tuple[bool, object]:
    """(True, python value) when the whole value is literal."""
    if isinstance(arg, Lit):
        return True, arg.value
    if isinstance(arg, Obj):
        result = {}
        for key, value in arg.entries:
            ok, inner = literal(value)
            if key is None or not ok:
                return False, None
            result[key] = inner
        return True, result
    if isinstance(arg, Arr):
        items = []
        for item in arg.items:
            ok, inner = literal(item)
            if not ok:
                return False, None
            items.append(inner)
        return True, items
    return False, None


def canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def param_value(arg: Arg) -> Value | Expr:
    ok, value = literal(arg)
    return Value(canonical(value)) if ok else Expr(source_of(arg))


def text_of(arg: Arg | None) -> str | None:
    """A string or number literal as text (event names, commands, accounts)."""
    if not isinstance(arg, Lit) or isinstance(arg.value, bool) or arg.value is None:
        return None
    value = arg.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, str) else str(value)


def entry(obj: Arg | None, key: str) -> Arg | None:
    """The value a key ends up with (the last one wins, as in JS); a dotted key that is no
    key of its own reads nested objects (`dataLayer.event` in `{dataLayer: {event: ...}}`)."""
    if not isinstance(obj, Obj):
        return None
    found = None
    for name, value in obj.entries:
        if name == key:
            found = value
    if found is None and "." in key:
        head, rest = key.split(".", 1)
        return entry(entry(obj, head), rest)
    return found


def object_params(obj: Obj, skip: frozenset[str] = frozenset()) -> tuple:
    params = []
    for key, value in obj.entries:
        if key is None:
            params.append((f"...{source_of(value)}", Expr(source_of(value))))
        elif key not in skip:
            params.append((key, param_value(value)))
    return tuple(params)


def params_of(arg: Arg | None) -> tuple:
    """Params from a params argument: its entries, or one '*' entry for anything else."""
    if arg is None or arg == Dyn("undefined"):
        return ()
    if isinstance(arg, Obj):
        return object_params(arg)
    return (("*", param_value(arg)),)


def has_param(arg: Arg | None) -> bool:
    if isinstance(arg, Par):
        return True
    if isinstance(arg, Obj):
        return any(has_param(v) for _, v in arg.entries)
    if isinstance(arg, Arr):
        return any(has_param(v) for v in arg.items)
    if isinstance(arg, Spread):
        return has_param(arg.inner)
    return False


def substitute_args(args: list, actuals: list) -> list:
    """A wrapper's argument templates with its parameters replaced by a call site's arguments."""
    result = []
    for arg in args:
        if isinstance(arg, Spread) and isinstance(arg.inner, Par) and arg.inner.rest:
            result.extend(actuals[arg.inner.index:])
        elif isinstance(arg, Spread) and isinstance(arg.inner, Par):
            spread = _actual(arg.inner, actuals)
            result.extend(spread.items if isinstance(spread, Arr) else [Spread(spread or Dyn("undefined"), arg.source)])
        else:
            result.append(substitute(arg, actuals))
    return result


def _actual(par: Par, actuals: list) -> Arg | None:
    if par.rest:
        return Arr(tuple(actuals[par.index:]), par.source)
    return actuals[par.index] if par.index < len(actuals) else None


def substitute(arg: Arg | None, actuals: list) -> Arg | None:
    if isinstance(arg, Par):
        return _actual(arg, actuals)
    if isinstance(arg, Obj):
        entries = []
        for key, value in arg.entries:
            value = substitute(value, actuals)
            if key is None and isinstance(value, Obj):
                entries.extend(value.entries)
            elif value is not None:
                entries.append((key, value))
        return Obj(tuple(entries), arg.source)
    if isinstance(arg, Arr):
        return Arr(tuple(substitute_args(list(arg.items), actuals)), arg.source)
    if isinstance(arg, Spread):
        return Spread(substitute(arg.inner, actuals) or Dyn("undefined"), arg.source)
    return arg


def without_params(arg: Arg | None) -> Arg | None:
    """Parameters left as the expressions they are (a wrapper nobody calls)."""
    if isinstance(arg, Par):
        return Dyn(arg.source)
    if isinstance(arg, Obj):
        return Obj(tuple((k, without_params(v)) for k, v in arg.entries), arg.source)
    if isinstance(arg, Arr):
        return Arr(tuple(without_params(v) for v in arg.items), arg.source)
    if isinstance(arg, Spread):
        return Spread(without_params(arg.inner), arg.source)
    return arg


class ParamScope:
    """The parameters of the named function a call sits in: they make it a wrapper."""

    def __init__(self, function):
        self.function = function
        self.params = {name: (i, rest) for i, (name, rest) in enumerate(function_params(function)) if name}

    def par(self, ident, name: str) -> Par | None:
        if name not in self.params:
            return None
        cur = ident.parent
        while cur is not None and cur.id != self.function.id:
            if cur.type in FUNCTION_TYPES and any(p == name for p, _ in function_params(cur)):
                return None  # an inner function's own parameter shadows it
            cur = cur.parent
        if cur is None:
            return None
        index, rest = self.params[name]
        return Par(index, rest, name)


def js_number(text: str) -> int | float | None:
    if not _JS_NUMBER.match(text) or text in ("", "."):
        return None
    clean = text.replace("_", "")
    try:
        if clean[:2].lower() in ("0x", "0o", "0b"):
            return int(clean, 0)
        number = float(clean)
    except ValueError:
        return None
    return int(number) if number.is_integer() and abs(number) < 2 ** 53 else number


def _strip_quotes(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`":
        return text[1:-1]
    return text


def to_arg(unit: Unit, node, scope: ParamScope | None = None, depth: int = 0) -> Arg:
    """The value of an expression node, as far as the fragment tells."""
    node = unwrap(node)
    if node is None:
        return Dyn("")
    kind = node.type
    if kind in STRING_TYPES:
        if unit.templated(node):
            return Dyn(_strip_quotes(unit.written(node)))
        if has_substitutions(node):
            return Dyn(unit.source(node))
        return Lit(string_value(node))
    if kind == "number":
        number = js_number(node_text(node))
        return Lit(number) if number is not None else Dyn(unit.source(node))
    if kind in ("true", "false"):
        return Lit(kind == "true")
    if kind == "null":
        return Lit(None)
    if kind == "unary_expression":
        operand = unwrap(field(node, "argument"))
        operator = field(node, "operator")
        if operator is not None and node_text(operator) == "-" and operand is not None and operand.type == "number":
            number = js_number(node_text(operand))
            if number is not None:
                return Lit(-number)
        return Dyn(unit.source(node))
    if kind in ("identifier", "shorthand_property_identifier"):
        return _identifier(unit, node, scope, depth)
    if kind == "object":
        return Obj(tuple(_entries(unit, node, scope, depth)), unit.source(node))
    if kind == "array":
        return Arr(tuple(to_arg(unit, item, scope, depth) if item.type != "spread_element"
                         else _spread(unit, item, scope, depth)
                         for item in node.named_children if item.type != "comment"), unit.source(node))
    if kind == "spread_element":
        return _spread(unit, node, scope, depth)
    return Dyn(unit.source(node))


def _spread(unit: Unit, node, scope, depth) -> Spread:
    inner = next((c for c in node.named_children if c.type != "comment"), None)
    return Spread(to_arg(unit, inner, scope, depth), unit.source(inner) if inner is not None else "")


def _identifier(unit: Unit, node, scope: ParamScope | None, depth: int) -> Arg:
    name = node_text(node)
    if unit.templated(node):
        return Dyn(unit.written(node))
    if scope is not None:
        par = scope.par(node, name)
        if par is not None:
            return par
    if depth < 3 and name != "undefined":
        bound = unit.binding(node)
        if bound is not None and bound.kind in ("var", "assign") and bound.value is not None:
            value = unwrap(bound.value)
            if value is not None and (value.type in _RESOLVABLE or unit.templated(value)):
                resolved = to_arg(unit, value, None, depth + 1)
                # An object's keys tell even where its values are expressions: `const o = {apiKey: k}`.
                if literal(resolved)[0] or unit.templated(value) or isinstance(resolved, Obj):
                    return resolved
    return Dyn(unit.source(node))


def _entries(unit: Unit, node, scope, depth):
    for child in node.named_children:
        kind = child.type
        if kind == "pair":
            key = _key(unit, field(child, "key"))
            yield key, to_arg(unit, field(child, "value"), scope, depth)
        elif kind == "shorthand_property_identifier":
            yield node_text(child), to_arg(unit, child, scope, depth)
        elif kind == "spread_element":
            yield None, _spread(unit, child, scope, depth).inner
        elif kind == "method_definition":
            name = field(child, "name")
            yield (node_text(name) if name is not None else "?"), Dyn(unit.source(child))


def _key(unit: Unit, key) -> str:
    if key is None:
        return "?"
    if key.type == "string":
        return string_value(key)
    if key.type == "computed_property_name":
        return unit.source(key)
    return node_text(key)
