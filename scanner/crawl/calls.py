"""Decoding a recorded runtime call or assignment with the catalog's shapes.

The runtime twin of scanner/static/js_shapes.py: there a shape is matched against argument
values read from syntax trees, here against the JSON copy of the arguments a page really
passed, with the same rules. Values the copy could not hold arrive as {"$expr": text} and
become Expr params.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from scanner.catalog import Assignment, CallShape, Catalog
from scanner.model import Expr, ParamValue, Value

EXPR_KEY = "$expr"
_IGNORED = object()


@dataclass(frozen=True)
class Decoded:
    vendor: str
    role: str
    account_id: str | None = None
    event: str | None = None
    params: tuple[tuple[str, ParamValue], ...] = ()


def _is_object(value: Any) -> bool:
    return isinstance(value, dict) and set(value) != {EXPR_KEY}


def param_value(value: Any) -> ParamValue:
    if isinstance(value, dict) and not _is_object(value):
        return Expr(str(value[EXPR_KEY]))
    return Value(json.dumps(value, sort_keys=True, separators=(",", ":")))


def _text(value: Any) -> str | None:
    """A string or number as text (commands, event names, accounts)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _at(items: list, index: int | None) -> Any:
    return items[index] if index is not None and 0 <= index < len(items) else None


def _entry(obj: Any, key: str | None) -> Any:
    return obj.get(key) if key and _is_object(obj) else None


def _matches(obj: Any, rules) -> bool:
    for key, pattern in rules:
        text = _text(_entry(obj, key))
        if text is None or not pattern.search(text):
            return False
    return True


def _object_params(obj: dict, skip: set) -> tuple:
    return tuple((key, param_value(value)) for key, value in obj.items() if key not in skip)


def _params(value: Any) -> tuple:
    if value is None:
        return ()
    return _object_params(value, set()) if _is_object(value) else (("*", param_value(value)),)


def _apply(shape: CallShape, seq: list, obj: dict | None):
    """The shape's reading of the call; None when it does not apply, _IGNORED when it
    applies to an event the catalog ignores."""
    if shape.command and _text(_at(seq, shape.command_arg)) not in shape.command:
        return None
    if shape.match and not _matches(obj, shape.match):
        return None
    params_arg = _at(seq, shape.params_arg)
    if shape.params_match and not _matches(params_arg, shape.params_match):
        return None
    if shape.account_arg is not None:
        account = _at(seq, shape.account_arg)
    elif shape.account_key:
        account = _entry(obj, shape.account_key)
    else:
        account = _entry(params_arg, shape.account_param)
    literal = _text(account)
    applies, narrowed = shape.account.accepts(literal, account is not None and literal is None
                                              and not isinstance(account, bool))
    if not applies:
        return None
    event = None
    if shape.role == "event":
        if shape.event_arg:
            parts = [_text(_at(seq, i)) for i in shape.event_arg]
            event = None if None in parts else ":".join(parts)
        elif shape.event_key and _entry(obj, shape.event_key) is not None:
            event = _text(_entry(obj, shape.event_key))
        else:
            event = shape.event_name
    if event is not None and event in shape.ignore_events:
        return _IGNORED
    params = _params(params_arg)
    params += tuple((name, param_value(value)) for name, index in shape.param_args
                    if (value := _at(seq, index)) is not None)
    if shape.params_from_object and _is_object(obj):
        params += _object_params(obj, {shape.event_key, shape.account_key} | {key for key, _ in shape.match})
    return Decoded(shape.vendor, shape.role, narrowed if literal is not None else None, event, params)


def decode_call(catalog: Catalog, callee: str, args: list, is_new: bool = False) -> tuple[Decoded, ...]:
    """What a call to `callee` with these (JSON-copied) arguments is, per the first shape
    that fits; with object_arg '*' every object argument is matched on its own."""
    found: list[Decoded] = []
    claimed: set = set()
    for shape in catalog.calls_by_callee.get(callee, ()):
        if shape.is_new != is_new:
            continue
        seq = args
        if shape.array_arg is not None:
            seq = _at(args, shape.array_arg)
            if not isinstance(seq, list):
                continue
        if shape.object_arg == "*":
            targets = [(i, item) for i, item in enumerate(seq) if _is_object(item)]
        elif shape.object_arg is not None:
            obj = _at(seq, shape.object_arg)
            targets = [("call", obj)] if _is_object(obj) else []
        else:
            targets = [("call", None)]
        for key, obj in targets:
            if key in claimed or "call" in claimed:
                continue
            result = _apply(shape, seq, obj)
            if result is None:
                continue
            claimed.add(key)
            if result is not _IGNORED:
                found.append(result)
    return tuple(found)


def decode_assignment(assignment: Assignment, value: Any) -> Decoded | None:
    """What a catalog assignment target holding `value` says; None for an empty object or
    array (`x = x || {}` makes sure the global exists and says nothing)."""
    if value in ({}, []):
        return None
    obj = value if _is_object(value) else None
    account = value if assignment.account_is_value else _entry(obj, assignment.account_key)
    event = None
    if assignment.role == "event":
        named = _entry(obj, assignment.event_key)
        event = _text(named) if named is not None else assignment.event_name
    params = ()
    if assignment.params_from_object and obj is not None:
        params = _object_params(obj, {assignment.account_key, assignment.event_key})
    return Decoded(assignment.vendor, assignment.role, _text(account), event, params)
