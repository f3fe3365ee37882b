"""Decoding a recorded runtime call or assignment with the catalog's shapes.

The page passed real values; the init script copied them to JSON. They become the same
argument values the static analyzer reads from syntax trees (scanner/static/js_values.py),
so one matcher (scanner/static/js_shapes.match_call) applies the catalog's shapes on both
sides. Values the copy could not hold arrive as {"$expr": text} and become expressions.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from scanner.catalog import Assignment, Catalog
from scanner.model import ParamValue
from scanner.static.js_shapes import match_call
from scanner.static.js_values import Arg, Arr, Dyn, Lit, Obj, entry, object_params, text_of

EXPR_KEY = "$expr"


@dataclass(frozen=True)
class Decoded:
    vendor: str
    role: str
    account_id: str | None = None
    event: str | None = None
    """None for a role event whose name the page computed at run time as something unrecordable."""
    params: tuple[tuple[str, ParamValue], ...] = ()


def to_arg(value: Any) -> Arg:
    """A recorded JSON value as the argument value the static side would have read."""
    if isinstance(value, dict):
        if set(value) == {EXPR_KEY}:
            return Dyn(str(value[EXPR_KEY]))
        return Obj(tuple((key, to_arg(item)) for key, item in value.items()), json.dumps(value))
    if isinstance(value, list):
        return Arr(tuple(to_arg(item) for item in value), json.dumps(value))
    return Lit(value)


def decode_call(catalog: Catalog, callee: str, args: list, is_new: bool = False) -> tuple[Decoded, ...]:
    """What a call to `callee` with these (JSON-copied) arguments is, per the catalog."""
    found = match_call(catalog.calls_by_callee.get(callee, ()), is_new, [to_arg(a) for a in args])
    return tuple(Decoded(f.vendor, f.role, f.account_id, None if f.event_is_expr else f.event, f.params)
                 for f in found)


def decode_assignment(assignment: Assignment, value: Any) -> Decoded | None:
    """What a catalog assignment target holding `value` says; None for an empty object or
    array (`x = x || {}` makes sure the global exists and says nothing)."""
    if value in ({}, []):
        return None
    arg = to_arg(value)
    obj = arg if isinstance(arg, Obj) else None
    account = arg if assignment.account_is_value else (entry(obj, assignment.account_key)
                                                       if assignment.account_key else None)
    event = None
    if assignment.role == "event":
        named = entry(obj, assignment.event_key) if assignment.event_key else None
        event = text_of(named) if named is not None else assignment.event_name
    params = ()
    if assignment.params_from_object and obj is not None:
        params = object_params(obj, frozenset(k for k in (assignment.account_key, assignment.event_key) if k))
    return Decoded(assignment.vendor, assignment.role, text_of(account), event, params)
