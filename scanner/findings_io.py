"""Findings as JSON, so sharded scans can be merged exactly.

An inventory resolves accounts across the whole site (an event in cart.js takes the account
of the pixel in the layout); a shard sees only part of the site, so `scan --shard` keeps its
raw findings beside the inventory and `merge` rebuilds one inventory from all of them.
Fields are read off the dataclasses, so a field added to a finding travels without a change here.
"""
from __future__ import annotations

import dataclasses
import enum
from typing import Any

from scanner.model import (CookieFinding, CookieRole, EventFinding, Expr, Finding, Location, PixelFinding, Source,
                           Storage, Trigger, TriggerKind, Value)

_TYPES = {"pixel": PixelFinding, "event": EventFinding, "cookie": CookieFinding}
_NAMES = {cls: name for name, cls in _TYPES.items()}
_ENUMS = {"source": Source, "storage": Storage}


def _encode(value: Any) -> Any:
    if isinstance(value, (Location, Trigger)):
        return value.to_json()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Value):
        return {"value_json": value.json_text}
    if isinstance(value, Expr):
        return {"expr": value.source}
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def finding_to_json(finding: Finding) -> dict:
    data = {"type": _NAMES[type(finding)]}
    for field in dataclasses.fields(finding):
        data[field.name] = _encode(getattr(finding, field.name))
    return data


def _param(raw: list) -> tuple[str, Value | Expr]:
    name, value = raw
    return name, Value(value["value_json"]) if "value_json" in value else Expr(value["expr"])


def _decode(cls: type, name: str, raw: Any) -> Any:
    if raw is None:
        return None
    if name == "location":
        return Location(**raw)
    if name == "trigger":
        return Trigger(TriggerKind(raw["kind"]), raw["selector"], tuple(raw["conditions"]))
    if name == "params":
        return tuple(_param(p) for p in raw)
    if name == "role" and cls is CookieFinding:
        return CookieRole(raw)
    if name in _ENUMS:
        return _ENUMS[name](raw)
    return raw


def finding_from_json(raw: dict) -> Finding:
    """Raises KeyError, TypeError or ValueError on a record this version cannot read."""
    cls = _TYPES[raw["type"]]
    known = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: _decode(cls, k, v) for k, v in raw.items() if k in known})
