"""Catalog call shapes and assignments applied to argument values (js_values).

Pure functions of the catalog and the values: no tree, no fragment. What a match yields is
a `Found`: a pixel or event not yet placed (location, trigger) by the analyzer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from scanner.catalog import Assignment, CallShape, Catalog
from scanner.static.js_syntax import word_regex
from scanner.static.js_values import (
    Arg, Arr, Dyn, Lit, Obj, Par, Spread, entry, object_params, param_value, params_of, source_of, text_of,
)

PIXEL_ROLES = frozenset({"init", "config", "loader", "beacon"})


@dataclass(frozen=True)
class Found:
    """A pixel or event the code makes, before the analyzer gives it a place and a trigger."""

    vendor: str
    role: str
    account_id: str | None = None
    account_expr: str | None = None
    event: str | None = None
    """Event name for role event (the source text of the expression when the code computes
    it); None when the call names none."""
    params: tuple = ()
    event_is_expr: bool = False
    argument: int | None = None
    """An event of an object_arg '*' shape: the position of its command object among the
    call's arguments, which is where the event is written."""


class Profile:
    """What the JS analyzer derives once from a catalog."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.calls = catalog.calls_by_callee
        self.assignments = catalog.assignments_by_target
        self.prefixes = {callee[:cut] for callee in self.calls for cut in _cuts(callee)} | set(self.calls)
        roots = {_root(name) for name in list(self.calls) + list(self.assignments)} | set(catalog.components)
        self.roots = word_regex(roots)
        self.root_names = frozenset(roots)
        self.modules = catalog.modules
        self.components = catalog.components
        self.config_keys = [(v.id, frozenset(v.config_keys), v.account_pattern) for v in catalog
                            if v.config_keys and v.account_pattern is not None]
        self.guards: dict[str, frozenset[str]] = {}
        for vendor in catalog:
            names = set(vendor.globals) | {_root(c.callee) for c in vendor.calls} \
                | {_root(a.target) for a in vendor.assignments}
            self.guards[vendor.id] = frozenset(names)
        self.callee_guards = {callee: frozenset().union(*(self.guards[s.vendor] for s in shapes))
                              for callee, shapes in self.calls.items()}

    def signature_hits(self, data: bytes) -> list[int]:
        return self.catalog.signature_hits(data)

    def has_signature(self, data: bytes) -> bool:
        return self.catalog.has_signature(data)

    def assignment_targets(self, name: str) -> list[tuple[Assignment, str | None]]:
        """(assignment, key) for a normalised assignment target: key None when the whole
        target is assigned (`br_data = {...}`, `h._hjSettings = {...}`), else the member
        of the target assigned alone (`br_data.ptype = ...`)."""
        found = []
        for target, specs in self.assignments.items():
            if name == target or name.endswith("." + target):
                found += [(spec, None) for spec in specs]
            elif name.startswith(target + ".") and _is_member(name[len(target) + 1:]):
                found += [(spec, name[len(target) + 1:]) for spec in specs]
        return found


def _is_member(rest: str) -> bool:
    return bool(rest) and "." not in rest and "(" not in rest


def _root(name: str) -> str:
    return re.split(r"[.(]", name, maxsplit=1)[0]


def _cuts(callee: str):
    for found in re.finditer(r"\.|\(\)", callee):
        yield found.start() if found.group() == "." else found.end()


_profiles: dict[int, tuple[Catalog, Profile]] = {}


def profile_of(catalog: Catalog) -> Profile:
    known = _profiles.get(id(catalog))
    if known is None or known[0] is not catalog:
        known = (catalog, Profile(catalog))
        _profiles[id(catalog)] = known
    return known[1]


def _at(seq: list, index: int | None) -> Arg | None:
    if index is None or index >= len(seq):
        return None
    value = seq[index]
    return Dyn(value.source) if isinstance(value, Spread) else value


def _keys_match(obj: Arg | None, rules) -> bool:
    """Each key's value matches its regex: a literal's text, or an expression's source
    where it already shows what the rule looks for (`send_to: 'AW-{$id}'`)."""
    for key, pattern in rules:
        value = entry(obj, key)
        text = text_of(value) if isinstance(value, Lit) else (value.source if isinstance(value, Dyn) else None)
        if text is None or not pattern.search(text):
            return False
    return True


def _account(value: Arg | None) -> tuple[str | None, str | None]:
    """(literal id, expression) of an account value."""
    if value is None:
        return None, None
    text = text_of(value)
    if text is not None:
        return text, None
    if isinstance(value, Lit):
        return None, None
    return None, source_of(value)


def _event_name(shape: CallShape, seq: list, obj: Arg | None) -> tuple[str | None, bool]:
    """(name, whether it is an expression's source text)."""
    if shape.event_arg:
        values = [_at(seq, i) for i in shape.event_arg]
        if None in values:
            return shape.event_name, False  # the name the API sends when the call names none
        return _name_of(values)
    if shape.event_key:
        value = entry(obj, shape.event_key)
        if value is not None:
            return _name_of([value])
    return shape.event_name, False


def _name_of(values: list) -> tuple[str, bool]:
    parts = [text_of(v) for v in values]
    if None not in parts:
        return ":".join(parts), False
    return ":".join(p if p is not None else source_of(v) for p, v in zip(parts, values)), True


_IGNORED = object()


def _try_shape(shape: CallShape, seq: list, obj: Arg | None):
    if shape.command and text_of(_at(seq, shape.command_arg)) not in shape.command:
        return None
    if shape.match and not _keys_match(obj, shape.match):
        return None
    params_arg = _at(seq, shape.params_arg)
    if shape.params_match and not _keys_match(params_arg, shape.params_match):
        return None
    if shape.account_arg is not None:
        account = _at(seq, shape.account_arg)
    elif shape.account_key:
        account = entry(obj, shape.account_key)
    elif shape.account_param:
        account = entry(params_arg, shape.account_param)
    else:
        account = None
    literal_id, expression = _account(account)
    applies, narrowed = shape.account.accepts(literal_id, expression is not None, expression)
    if not applies:
        return None
    event, event_is_expr = _event_name(shape, seq, obj) if shape.role == "event" else (None, False)
    if event is not None and not event_is_expr and event in shape.ignore_events:
        return _IGNORED
    params = params_of(params_arg)
    params += tuple((name, param_value(value)) for name, index in shape.param_args
                    if (value := _at(seq, index)) is not None)
    if shape.params_from_object and isinstance(obj, Obj):
        skip = {shape.event_key, shape.account_key} | {key for key, _ in shape.match}
        params += object_params(obj, frozenset(k for k in skip if k))
    return Found(shape.vendor, shape.role, narrowed if literal_id is not None else None, expression, event, params,
                 event_is_expr)


def match_call(shapes: tuple[CallShape, ...], is_new: bool, args: list) -> list[Found]:
    """What a call with these arguments is, per the first shape that fits; with
    object_arg '*' every object argument is matched on its own."""
    found: list[Found] = []
    claimed: set = set()
    for shape in shapes:
        if shape.is_new != is_new:
            continue
        seq = args
        if shape.array_arg is not None:
            array = _at(args, shape.array_arg)
            if not isinstance(array, Arr):
                continue
            seq = list(array.items)
        if shape.object_arg == "*":
            targets = [(i, item) for i, item in enumerate(seq) if isinstance(item, Obj)]
        elif shape.object_arg is not None:
            obj = _at(seq, shape.object_arg)
            targets = [("call", obj)] if isinstance(obj, Obj) else []
        else:
            targets = [("call", None)]
        for key, obj in targets:
            if key in claimed or "call" in claimed:
                continue
            result = _try_shape(shape, seq, obj)
            if result is None:
                continue
            claimed.add(key)
            if result is _IGNORED:
                continue
            if shape.object_arg == "*" and shape.array_arg is None and result.role == "event":
                result = replace(result, argument=key)
            found.append(result)
    return found


def is_grant(args: list) -> bool:
    """A consent call that grants: `fbq('consent', 'grant')`, `gtag('consent', 'update', {...: 'granted'})`."""
    return any("grant" in source_of(a).lower() for a in args if not isinstance(a, Par))


@dataclass
class AssignmentGroup:
    """Every assignment to one catalog target in a fragment, merged into one finding."""

    spec: Assignment
    first: object
    """The node of the first assignment: where the finding is reported."""
    entries: dict
    value: Arg | None = None


def assignment_found(group: AssignmentGroup) -> Found:
    spec = group.spec
    if spec.account_is_value:
        account = group.value
    elif spec.account_key:
        account = group.entries.get(spec.account_key)
    else:
        account = None
    literal_id, expression = _account(account)
    event, event_is_expr = None, False
    if spec.role == "event":
        named = group.entries.get(spec.event_key) if spec.event_key else None
        event, event_is_expr = _name_of([named]) if named is not None else (spec.event_name, False)
    params: tuple = ()
    if spec.params_from_object:
        skip = frozenset(k for k in (spec.account_key, spec.event_key) if k)
        params = object_params(Obj(tuple(group.entries.items()), ""), skip)
    return Found(spec.vendor, spec.role, literal_id, expression, event, params, event_is_expr)


def is_self_default(value: Arg | None, target: str, value_source: str) -> bool:
    """`x = x || {}` / `var x = x || []` / `x = {}`: makes sure the global exists, says nothing."""
    if isinstance(value, (Obj, Arr)) and not (value.entries if isinstance(value, Obj) else value.items):
        return True
    compact = re.sub(r"\s+", "", value_source)
    return bool(re.fullmatch(r"(?:window\.)?" + re.escape(target.split(".")[-1]) + r"\|\|(?:\{\}|\[\])", compact))
