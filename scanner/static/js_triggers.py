"""When a piece of JS runs: trigger kind, element selector, enclosing conditions, consent.

Walking out from a node, each enclosing function says how it is invoked: a DOM or jQuery
listener, a timer, a React effect or handler, a consent platform callback, an immediately
invoked function, or a named function (then the answer is wherever that name is used,
which the analyzer resolves later, possibly in another fragment of the file). This is
generic JS knowledge, not vendor knowledge: vendor globals come in as `guards`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from scanner.model import Trigger, TriggerKind
from scanner.static.js_syntax import (
    FUNCTION_TYPES, STRING_TYPES, WINDOW_NAMES, Unit, arguments, climb, dotted, field, function_params,
    has_substitutions, is_field, is_window_parameter, node_text, string_value, unwrap,
)
from scanner.static.js_values import Lit, to_arg

K = TriggerKind
WEAK_KINDS = frozenset({K.TIMER, K.DOM_READY, K.WINDOW_LOAD, K.PAGE_LOAD})
"""Kinds that say when code runs but yield to an enclosing user interaction: a timer set
in a click handler runs on click."""
_CLICKS = frozenset({"click", "dblclick", "auxclick", "mousedown", "mouseup", "pointerdown", "pointerup",
                     "touchstart", "touchend", "tap"})
_DOM_EVENTS = {"submit": K.SUBMIT, "change": K.CHANGE, "input": K.CHANGE, "scroll": K.SCROLL,
               "visibilitychange": K.VISIBILITY, "pagehide": K.VISIBILITY, "unload": K.VISIBILITY,
               "beforeunload": K.VISIBILITY, "DOMContentLoaded": K.DOM_READY, "ready": K.DOM_READY,
               "load": K.WINDOW_LOAD, "pageshow": K.WINDOW_LOAD}
_JSX_HANDLERS = {"onClick": K.CLICK, "onDoubleClick": K.CLICK, "onMouseDown": K.CLICK, "onMouseUp": K.CLICK,
                 "onPointerDown": K.CLICK, "onPointerUp": K.CLICK, "onTouchStart": K.CLICK, "onTouchEnd": K.CLICK,
                 "onSubmit": K.SUBMIT, "onChange": K.CHANGE, "onInput": K.CHANGE, "onScroll": K.SCROLL,
                 "onLoad": K.WINDOW_LOAD, "onReady": K.WINDOW_LOAD}
_JQUERY_SHORTHANDS = frozenset(_CLICKS | {"submit", "change", "input", "scroll", "load", "focus", "blur",
                                          "keyup", "keydown", "hover", "mouseenter"})
# Event emitters and buses too: `prestashop.addListener('updateCart', fn)`, Shopify customer
# events `analytics.subscribe('page_viewed', fn)`, Nuxt runtime hooks `nuxtApp.hook('page:finish', fn)`.
_LISTEN = frozenset({"addEventListener", "attachEvent", "on", "one", "once", "bind", "live", "addListener",
                     "subscribe", "hook"})
# Callbacks a router or store calls on each navigation or change (Vue Router, Nuxt, RxJS, Redux).
_CHANGE_HOOKS = frozenset({"afterEach", "beforeEach", "beforeResolve", "subscribe", "onRouteChange"})
_TIMERS = frozenset({"setTimeout", "setInterval", "requestAnimationFrame", "requestIdleCallback"})
_PROMISE = frozenset({"then", "catch", "finally"})
_RESOURCE_EVENTS = frozenset({"load", "readystatechange"})
_EFFECTS = frozenset({"useEffect", "useLayoutEffect", "React.useEffect", "React.useLayoutEffect", "onMounted"})
# Component methods a framework calls once the page shows them (React, Vue, Angular, custom elements).
_LIFECYCLE = frozenset({"componentDidMount", "mounted", "created", "ngOnInit", "ngAfterViewInit",
                        "connectedCallback"})
_ITERATORS = frozenset({"forEach", "each", "map"})
# Consent platforms call these when the visitor has chosen.
_CONSENT_CALLEES = {"OneTrust.OnConsentChanged": "OneTrust.OnConsentChanged",
                    "Optanon.OnConsentChanged": "Optanon.OnConsentChanged",
                    "__tcfapi": "__tcfapi", "__cmp": "__cmp", "didomiOnReady.push": "didomiOnReady",
                    "Didomi.on": "Didomi.on", "Cookiebot.onaccept": "Cookiebot.onaccept"}
_CONSENT_FUNCTIONS = frozenset({"OptanonWrapper", "CookiebotCallback_OnAccept", "CookiebotCallback_OnConsentReady",
                                "CookieControlConsentChanged"})
_CONSENT_EVENT = re.compile(r"(?i:consent)|^CookiebotOn(?:Accept|ConsentReady)$|^UC_|^uc[A-Z]|^OneTrustGroupsUpdated$")
_CONSENT_TEST = re.compile(r"consent|Cookiebot|OnetrustActiveGroups|OptanonActiveGroups|Didomi|UC_UI|"
                           r"tarteaucitron|__tcfapi", re.IGNORECASE)
_HANDLER_PROPERTY = re.compile(r"^on([a-z]+)$")
_EQUALITY = frozenset({"===", "!==", "==", "!="})


@dataclass(frozen=True)
class FunctionDef:
    """A named function: findings inside run wherever its name is used."""

    unit: Unit
    node: object
    name: str
    member: bool = False
    """An object or class method: used as `x.name`."""
    constructor: bool = False
    """A class constructor: used as `new Name(...)`."""

    @property
    def key(self) -> tuple:
        return id(self.unit), self.node.start_byte, self.name

    @property
    def global_scope(self) -> bool:
        """Declared at the top of its fragment: other fragments of the page can call it."""
        parent = self.node.parent
        while parent is not None and parent.type not in FUNCTION_TYPES and parent.type not in ("program", "class_body"):
            parent = parent.parent
        return parent is not None and parent.type == "program"


@dataclass(frozen=True)
class Role:
    """How an enclosing function (or a use of a named function) is invoked."""

    kind: TriggerKind | None = None
    selector: str | None = None
    strong: bool = True
    consent: str | None = None
    named: FunctionDef | None = None
    call: object | None = None
    """For a use of a name: the call that invokes it."""
    inert: bool = False
    """For a use of a name: not an invocation (export, alias, removeEventListener)."""


TRANSPARENT = Role()
INERT = Role(inert=True)


@dataclass(frozen=True)
class Situation:
    """What a walk out from a node learned."""

    kind: TriggerKind | None = None
    selector: str | None = None
    strong: bool = False
    conditions: tuple[str, ...] = ()
    """Outermost first."""
    consent: bool = False
    function: FunctionDef | None = None
    """The named function the walk stopped at."""

    @property
    def deferred(self) -> bool:
        """The trigger depends on where the named function is used."""
        return self.function is not None and not self.strong


@dataclass(frozen=True)
class Partial:
    """A trigger being assembled from the inside out."""

    kind: TriggerKind | None = None
    selector: str | None = None
    strength: int = 0
    """2 user interaction or other definite event, 1 a weak kind (timer, load), 0 nothing."""
    conditions: tuple[str, ...] = ()
    consent: bool = False
    active: bool = True

    def trigger(self) -> Trigger:
        return Trigger(self.kind or K.PAGE_LOAD, self.selector if self.kind else None, self.conditions)


def wrap(outer: Partial, inner: Partial) -> Partial:
    """inner runs inside outer: the innermost definite kind wins, then the outer's. An inner
    selector without a kind is a handler's delegation target: it narrows the outer listener."""
    chosen = inner if inner.strength == 2 or (outer.strength < 2 and inner.strength > 0) else outer
    kind, selector, strength = chosen.kind, chosen.selector, chosen.strength
    if inner.kind is None and inner.selector and (kind is None or _delegates(kind)):
        selector = inner.selector
    conditions = tuple(dict.fromkeys(outer.conditions + inner.conditions))
    return Partial(kind, selector, strength, conditions, outer.consent or inner.consent, outer.active and inner.active)


UNKNOWN = Partial(K.UNKNOWN, None, 2)


def _delegates(kind: TriggerKind | None) -> bool:
    """A listener of this kind reacts to a particular element, which delegation can name."""
    return kind is not None and kind not in WEAK_KINDS and kind != K.UNKNOWN


def partial_of(unit: Unit, node, situation: Situation) -> Partial:
    """The walk's answer plus what the fragment adds at node: vendor consent grants above it."""
    conditions = situation.conditions
    consent = situation.consent
    for grant in unit.grants:
        block = _block_of(grant)
        if grant.end_byte <= node.start_byte and block is not None and \
                block.start_byte <= node.start_byte < block.end_byte:
            conditions = ("consent: " + " ".join(unit.source(grant).split()),) + conditions
            consent = True
    strength = 2 if situation.strong else (1 if situation.kind is not None else 0)
    return Partial(situation.kind, situation.selector, strength, conditions, consent, unit.active(node))


def surroundings(unit: Unit, node, with_trigger: bool = True) -> Partial:
    """What the fragment itself says: inherited trigger, template conditions, consent gating."""
    fragment = unit.fragment
    position = unit.span(node)[0]
    conditions = fragment.conditions + fragment.view.conditions_at(position)
    trigger = fragment.trigger if with_trigger else None
    if trigger is None:
        kind, selector, strength = (K.PAGE_LOAD if with_trigger else None), None, 0
    else:
        kind, selector = trigger.kind, trigger.selector
        strength = 1 if kind in WEAK_KINDS else 2
        conditions += trigger.conditions
    return Partial(kind, selector, strength, tuple(dict.fromkeys(conditions)), fragment.after_consent)


def _block_of(node):
    cur = node.parent
    while cur is not None and cur.type not in ("statement_block", "program"):
        cur = cur.parent
    return cur


def walk(unit: Unit, node, guards: frozenset[str] = frozenset(), first: Role | None = None) -> Situation:
    """Walk out from node to the fragment's top or the first named function. `first` is the
    role of node itself when node is a use of a function name rather than code inside one."""
    conditions: list[str] = []  # innermost first while walking
    found_kind, selector, strong, consent = None, None, False, False

    def apply(role: Role) -> None:
        nonlocal found_kind, selector, strong, consent
        if role.consent:
            conditions.append("consent: " + role.consent)
            consent = True
        if role.kind is not None and (role.strong and not strong or not role.strong and found_kind is None):
            found_kind, selector, strong = role.kind, role.selector, role.strong

    def add(text: str | None) -> None:
        nonlocal consent
        if text:
            conditions.append(text)
            consent = consent or bool(_CONSENT_TEST.search(text))

    if first is not None:
        apply(first)
    child, cur = node, node.parent
    function = delegated = None
    while cur is not None:
        kind = cur.type
        if kind == "if_statement":
            test = field(cur, "condition")
            if test is not None and test.id != child.id:
                text = condition_text(unit, test, guards)
                if is_field(cur, "consequence", child):
                    add(text)
                elif child.type == "else_clause":
                    add(text and f"!({text})")
        elif kind == "binary_expression" and is_field(cur, "right", child):
            operator = node_text(field(cur, "operator"))
            text = condition_text(unit, field(cur, "left"), guards) if operator in ("&&", "||") else None
            add(text if operator == "&&" else (text and f"!({text})"))
        elif kind == "ternary_expression" and not is_field(cur, "condition", child):
            text = condition_text(unit, field(cur, "condition"), guards)
            add(text if is_field(cur, "consequence", child) else (text and f"!({text})"))
        elif kind in FUNCTION_TYPES:
            delegation = _delegation(unit, cur, node) if delegated is None else None
            if delegation is not None:
                # Checking that closest() found an element is the delegation, not a condition.
                delegated, found_element = delegation
                conditions[:] = [c for c in conditions if c != found_element]
            role = function_role(unit, cur)
            if role.named is not None:
                function = role.named
                break
            apply(role)
        child, cur = cur, cur.parent
    if delegated is not None and (found_kind is None or _delegates(found_kind)):
        selector = delegated
    return Situation(found_kind, selector, strong, tuple(reversed(conditions)), consent, function)


def _delegation(unit: Unit, fn, node) -> tuple[str, str] | None:
    """(selector, element variable) for a handler that first finds its element with
    `const card = event.target.closest('[data-pid]')`, above node: it is bound to that selector."""
    params = function_params(fn)
    body = field(fn, "body")
    if not params or params[0][0] is None or body is None or body.type != "statement_block":
        return None
    target = f"{params[0][0]}.target"
    for statement in body.named_children:
        if statement.start_byte >= node.start_byte:
            break
        if statement.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for declarator in statement.named_children:
            name, value = field(declarator, "name"), unwrap(field(declarator, "value"))
            if name is None or name.type != "identifier" or value is None or value.type != "call_expression":
                continue
            callee = unwrap(field(value, "function"))
            args = arguments(value)
            if callee is None or callee.type != "member_expression" or not args \
                    or node_text(field(callee, "property")) != "closest" or dotted(field(callee, "object")) != target:
                continue
            found = literal_text(unit, args[0])
            if found:
                return found, node_text(name)
    return None


def condition_text(unit: Unit, test, guards: frozenset[str]) -> str | None:
    """The test as written, without the parts that only check a vendor global exists."""
    test = unwrap(test)
    if test is None:
        return None
    parts = _conjuncts(test)
    kept = [p for p in parts if not _is_guard(p, guards)]
    if not kept:
        return None
    if len(kept) == len(parts):
        return unit.source(test)
    return " && ".join(unit.source(p) for p in kept)


def _conjuncts(node) -> list:
    node = unwrap(node)
    if node.type == "binary_expression" and node_text(field(node, "operator")) == "&&":
        return _conjuncts(field(node, "left")) + _conjuncts(field(node, "right"))
    return [node]


def _is_guard(node, guards: frozenset[str]) -> bool:
    node = unwrap(node)
    if node is None or not guards:
        return False
    kind = node.type
    if kind == "unary_expression":
        operator = node_text(field(node, "operator"))
        if operator == "!":
            return _is_guard(field(node, "argument"), guards)
        return operator == "typeof" and _is_guard(field(node, "argument"), guards)
    if kind in ("identifier", "member_expression", "subscript_expression"):
        name = dotted(node)
        return name is not None and name.split(".")[0].removesuffix("()") in guards
    if kind == "binary_expression":
        operator = node_text(field(node, "operator"))
        left, right = unwrap(field(node, "left")), unwrap(field(node, "right"))
        if operator in _EQUALITY:
            return any(side is not None and side.type == "unary_expression" and _is_guard(side, guards)
                       and other is not None and other.type in STRING_TYPES
                       for side, other in ((left, right), (right, left)))
        if operator == "in":
            return left is not None and left.type == "string" and string_value(left) in guards
    return False


def function_role(unit: Unit, fn) -> Role:
    kind = fn.type
    if kind in ("function_declaration", "generator_function_declaration"):
        name = node_text(field(fn, "name"))
        if name in _CONSENT_FUNCTIONS:
            return Role(consent=name)
        return Role(named=FunctionDef(unit, fn, name))
    if kind == "method_definition":
        name_node = field(fn, "name")
        name = node_text(name_node) if name_node is not None else ""
        if name in _LIFECYCLE:
            return Role(K.PAGE_LOAD)
        listener = _host_listener(unit, fn)
        if listener is not None:
            return listener
        if name == "constructor":
            cls = _enclosing_class(fn)
            class_name = field(cls, "name") if cls is not None else None
            if class_name is not None:
                return Role(named=FunctionDef(unit, fn, node_text(class_name), constructor=True))
        parent, _ = climb(fn)
        if parent is not None and parent.type == "object" and _object_is_argument(parent):
            return TRANSPARENT
        return Role(named=FunctionDef(unit, fn, name, member=True))
    return position_role(unit, fn, reference=False)


def _host_listener(unit: Unit, method) -> Role | None:
    """Angular's `@HostListener('click') onClick() {...}`."""
    sibling = method.prev_named_sibling
    while sibling is not None and sibling.type == "decorator":
        call = next((c for c in sibling.named_children if c.type == "call_expression"), None)
        if call is not None and dotted(field(call, "function")) == "HostListener" and arguments(call):
            event = literal_text(unit, arguments(call)[0])
            if event:
                return _listener_role(unit, event.rsplit(":", 1)[-1], None, None)
        sibling = sibling.prev_named_sibling
    return None


def _enclosing_class(node):
    cur = node.parent
    while cur is not None and cur.type not in ("class_declaration", "class", "abstract_class_declaration"):
        cur = cur.parent
    return cur


def _object_is_argument(obj) -> bool:
    parent, _ = climb(obj)
    return parent is not None and parent.type == "arguments"


def reference_role(unit: Unit, ref) -> Role:
    return position_role(unit, ref, reference=True)


def position_role(unit: Unit, node, reference: bool) -> Role:
    """How the function at node (a function expression, or a use of a function's name) is invoked."""
    parent, child = climb(node)
    if parent is None:
        return INERT if reference else TRANSPARENT
    kind = parent.type
    otherwise = INERT if reference else TRANSPARENT
    if kind == "call_expression" and is_field(parent, "function", child):
        return Role(call=parent) if reference else TRANSPARENT
    if kind == "new_expression" and is_field(parent, "constructor", child):
        return Role(call=parent) if reference else TRANSPARENT
    if kind == "arguments":
        call = parent.parent
        args = arguments(call)
        index = next((i for i, a in enumerate(args) if a.id == child.id), -1)
        return callback_role(unit, call, index)
    if kind == "member_expression" and reference and is_field(parent, "object", child):
        method = node_text(field(parent, "property"))
        outer, member = climb(parent)
        if outer is not None and outer.type == "call_expression" and is_field(outer, "function", member):
            if method in ("call", "apply"):
                return Role(call=outer)
            if method == "bind":
                return position_role(unit, outer, reference=True)
        return INERT
    if kind == "jsx_expression" and parent.parent is not None and parent.parent.type == "jsx_attribute":
        return jsx_role(unit, parent.parent)
    if kind in ("assignment_expression", "augmented_assignment_expression") and is_field(parent, "right", child):
        left = field(parent, "left")
        name = dotted(left) or ""
        last = name.rsplit(".", 1)[-1]
        handler = _HANDLER_PROPERTY.match(last)
        if handler and left.type == "member_expression":
            return _listener_role(unit, handler.group(1), field(left, "object"), None)
        if last in _CONSENT_FUNCTIONS:
            return Role(consent=last)
        if reference or not last:
            return otherwise
        return Role(named=FunctionDef(unit, node, last, member="." in name))
    if kind == "variable_declarator" and is_field(parent, "value", child):
        if reference:
            return INERT
        name = node_text(field(parent, "name"))
        return Role(consent=name) if name in _CONSENT_FUNCTIONS else Role(named=FunctionDef(unit, node, name))
    if kind == "pair" and is_field(parent, "value", child):
        key = node_text(field(parent, "key")).strip("'\"")
        obj = parent.parent
        if key == "js" and _assigned_under(obj, "tarteaucitron"):
            return Role(consent="tarteaucitron")
        if reference or _object_is_argument(obj):
            return otherwise
        return Role(named=FunctionDef(unit, node, key, member=True))
    if kind in ("field_definition", "public_field_definition") and not reference:
        name = field(parent, "property") or field(parent, "name")
        if name is not None:
            return Role(named=FunctionDef(unit, node, node_text(name), member=True))
    return otherwise


def _assigned_under(obj, root: str) -> bool:
    parent, _ = climb(obj)
    if parent is None or parent.type != "assignment_expression":
        return False
    name = dotted(field(parent, "left")) or ""
    return name.split(".")[0] == root


def jsx_role(unit: Unit, attribute) -> Role:
    name_node = next((c for c in attribute.named_children if c.type == "property_identifier"), None)
    name = node_text(name_node) if name_node is not None else ""
    if not name.startswith("on"):
        return TRANSPARENT
    kind = _JSX_HANDLERS.get(name, K.CUSTOM)
    if kind in WEAK_KINDS:
        return Role(kind, strong=False)
    return Role(kind, jsx_selector(attribute.parent))


def jsx_selector(element) -> str | None:
    if element is None or element.type not in ("jsx_opening_element", "jsx_self_closing_element"):
        return None
    name = field(element, "name")
    selector = node_text(name) if name is not None else ""
    ident = classes = None
    for attribute in element.named_children:
        if attribute.type != "jsx_attribute" or not attribute.named_children:
            continue
        key = node_text(attribute.named_children[0])
        value = _jsx_literal(attribute.named_children[-1])
        if value is None:
            continue
        if key == "id":
            ident = value
        elif key in ("className", "class"):
            classes = value
    if ident:
        selector += "#" + ident
    if classes:
        selector += "".join("." + c for c in classes.split())
    return selector or None


def _jsx_literal(value) -> str | None:
    if value.type == "jsx_expression":
        value = next((c for c in value.named_children if c.type != "comment"), None)
    if value is None or value.type not in STRING_TYPES or has_substitutions(value):
        return None
    return string_value(value)


def callback_role(unit: Unit, call, index: int) -> Role:
    """How a function passed as argument `index` of call is invoked."""
    if call.type == "new_expression":
        name = dotted(field(call, "constructor")) or ""
        if name.endswith("IntersectionObserver"):
            return Role(K.VISIBILITY, _observed_selector(unit, call))
        return TRANSPARENT
    callee = unwrap(field(call, "function"))
    name = dotted(callee, unit) or ""
    last = name.rsplit(".", 1)[-1]
    args = arguments(call)
    if name in _CONSENT_CALLEES:
        return Role(consent=_CONSENT_CALLEES[name])
    if last in _CHANGE_HOOKS and callee.type == "member_expression" and index == 0:
        return Role(K.CUSTOM)
    # A bare addEventListener(...) is the window's.
    if last in _LISTEN and (callee.type == "member_expression" or name == "addEventListener") and args:
        target = field(callee, "object") if callee.type == "member_expression" else None
        event = literal_text(unit, args[0])
        if event is None:
            return Role(K.CUSTOM, selector_of(unit, target) if target is not None else None) if index >= 1 \
                else TRANSPARENT
        if last == "attachEvent":
            event = event.removeprefix("on")
        if _CONSENT_EVENT.search(event):
            return Role(consent=event)
        delegated = None
        if last in ("on", "one", "live") and index == 2 and args[1].type in STRING_TYPES:
            delegated = literal_text(unit, args[1])
        elif index != len(args) - 1 and index != 1:
            return TRANSPARENT
        return _listener_role(unit, event, target, delegated)
    if last in ("removeEventListener", "off", "unbind"):
        return INERT
    if last == "delegate" and len(args) >= 3 and callee.type == "member_expression":
        event = literal_text(unit, args[1]) or ""
        return _listener_role(unit, event, field(callee, "object"), literal_text(unit, args[0]))
    if name in _TIMERS:
        return Role(K.TIMER, strong=False)
    if last in _PROMISE or last in _ITERATORS:
        return TRANSPARENT
    if name in _EFFECTS:
        return Role(K.PAGE_LOAD)
    if name in ("$", "jQuery") and index == 0:
        return Role(K.DOM_READY, strong=False)
    if last == "ready":
        return Role(K.DOM_READY, strong=False)
    if last in _JQUERY_SHORTHANDS and callee.type == "member_expression" and is_jquery(unit, field(callee, "object")):
        return _listener_role(unit, last, field(callee, "object"), None)
    return TRANSPARENT


def _listener_role(unit: Unit, event: str, target, delegated: str | None) -> Role:
    event = event.split()[0].split(".")[0] if event.strip() else ""
    if event in _RESOURCE_EVENTS and target is not None and not _is_window(target):
        # A loader script (or image) the page adds reports it has loaded: still the page load.
        return Role(K.PAGE_LOAD, strong=False)
    kind = K.CLICK if event in _CLICKS else _DOM_EVENTS.get(event, K.CUSTOM)
    if kind in WEAK_KINDS:
        return Role(kind, strong=False)
    base = selector_of(unit, target) if target is not None else None
    if delegated:
        base = f"{base} {delegated}" if base else delegated
    return Role(kind, base)


def _is_window(target) -> bool:
    """`window`, `document`, `document.body`, `$(window)`, or a snippet's `w` parameter."""
    target = unwrap(target)
    if target is None:
        return False
    if target.type == "call_expression":
        args = arguments(target)
        return dotted(field(target, "function")) in ("$", "jQuery") and bool(args) and _is_window(args[0])
    name = dotted(target) or ""
    if name in WINDOW_NAMES or name in ("document", "document.body", "document.documentElement"):
        return True
    return target.type == "identifier" and is_window_parameter(target)


def literal_text(unit: Unit, node) -> str | None:
    """A string (or an identifier bound once to one) as text."""
    value = to_arg(unit, node)
    return value.value if isinstance(value, Lit) and isinstance(value.value, str) else None


def is_jquery(unit: Unit, node, depth: int = 0) -> bool:
    node = unwrap(node)
    if node is None or depth > 4:
        return False
    name = dotted(node) or ""
    root = name.split(".")[0]
    if root in ("$()", "jQuery()") or name.startswith(("$(", "jQuery(")):
        return True
    if node.type == "identifier":
        if root.startswith("$"):
            return True
        bound = unit.binding(node)
        return bound is not None and bound.value is not None and bound.kind in ("var", "assign") \
            and is_jquery(unit, bound.value, depth + 1)
    return node.type == "member_expression" and name.rsplit(".", 1)[-1].startswith("$")


# ---- selectors -------------------------------------------------------------------------

def selector_of(unit: Unit, node, depth: int = 0) -> str | None:
    """A CSS selector for the element(s) an expression stands for, when the code says."""
    node = unwrap(node)
    if node is None or depth > 6:
        return None
    kind = node.type
    if kind == "call_expression":
        return _call_selector(unit, node, depth)
    if kind == "subscript_expression":
        return selector_of(unit, field(node, "object"), depth + 1)
    if kind == "member_expression":
        name = dotted(node) or ""
        if name == "document.body":
            return "body"
        obj = unwrap(field(node, "object"))
        if obj is not None and obj.type == "this":
            return _this_member_selector(unit, node, depth)
        return None
    if kind == "this":
        return _this_selector(unit, node, depth)
    if kind == "identifier":
        if node_text(node) in WINDOW_NAMES or node_text(node) == "document":
            return None
        bound = unit.binding(node)
        if bound is None:
            return None
        if bound.kind in ("var", "assign", "loop") and bound.value is not None:
            return selector_of(unit, bound.value, depth + 1)
        if bound.kind == "param":
            return _iterated_selector(unit, bound.scope, bound.index, depth)
    return None


def _call_selector(unit: Unit, call, depth: int) -> str | None:
    callee = unwrap(field(call, "function"))
    name = dotted(callee) or ""
    last = name.rsplit(".", 1)[-1]
    args = arguments(call)
    first = literal_text(unit, args[0]) if args else None
    base = None
    if callee is not None and callee.type == "member_expression":
        obj = unwrap(field(callee, "object"))
        if obj is not None and dotted(obj) not in ("document", "window"):
            base = selector_of(unit, obj, depth + 1)
    if last in ("querySelector", "querySelectorAll", "find", "children") and first:
        return f"{base} {first}" if base else first
    if last == "closest" and first:
        return first
    if last == "getElementById" and first:
        return "#" + first
    if last == "getElementsByClassName" and first:
        return "".join("." + c for c in first.split())
    if last == "getElementsByTagName" and first:
        return first
    if last == "getElementsByName" and first:
        return f'[name="{first}"]'
    if name in ("$", "jQuery") and args:
        return first if first is not None else selector_of(unit, args[0], depth + 1)
    if name == "Array.from" and args:
        return selector_of(unit, args[0], depth + 1)
    if last in ("first", "last", "eq", "get", "item", "filter", "not"):
        return base
    return None


def _iterated_selector(unit: Unit, function, index: int, depth: int) -> str | None:
    """A callback parameter of `list.forEach(el => ...)` or jQuery `.each((i, el) => ...)`."""
    parent, child = climb(function)
    if parent is None or parent.type != "arguments":
        return None
    call = parent.parent
    callee = unwrap(field(call, "function"))
    if callee is None or callee.type != "member_expression":
        return None
    method = node_text(field(callee, "property"))
    if (method == "forEach" and index == 0) or (method == "each" and index == 1):
        return selector_of(unit, field(callee, "object"), depth + 1)
    return None


def _this_selector(unit: Unit, node, depth: int) -> str | None:
    """`this` inside a non-arrow listener or `.each` callback is the element."""
    cur = node.parent
    while cur is not None and (cur.type not in FUNCTION_TYPES or cur.type == "arrow_function"):
        cur = cur.parent
    if cur is None:
        return None
    parent, _ = climb(cur)
    if parent is None or parent.type != "arguments":
        return None
    callee = unwrap(field(parent.parent, "function"))
    if callee is None or callee.type != "member_expression":
        return None
    return selector_of(unit, field(callee, "object"), depth + 1)


def _this_member_selector(unit: Unit, member, depth: int) -> str | None:
    """`this.el` set in the constructor, possibly from a `new Class(el)` argument."""
    prop = node_text(field(member, "property"))
    cls = _enclosing_class(member)
    if cls is None:
        return None
    body = field(cls, "body")
    constructor = next((m for m in (body.named_children if body is not None else ())
                        if m.type == "method_definition" and node_text(field(m, "name")) == "constructor"), None)
    if constructor is None:
        return None
    block = field(constructor, "body")
    for statement in block.named_children if block is not None else ():
        assignment = statement.named_children[0] if statement.type == "expression_statement" \
            and statement.named_children else None
        if assignment is None or assignment.type != "assignment_expression":
            continue
        if dotted(field(assignment, "left")) != f"this.{prop}":
            continue
        value = unwrap(field(assignment, "right"))
        names = [p for p, _ in function_params(constructor)]
        if value is not None and value.type == "identifier" and node_text(value) in names:
            return _constructed_with(unit, cls, names.index(node_text(value)), depth)
        return selector_of(unit, value, depth + 1)
    return None


def _constructed_with(unit: Unit, cls, index: int, depth: int) -> str | None:
    name = field(cls, "name")
    if name is None:
        return None
    for mention in unit.mentions([node_text(name)], limit=200):
        parent, child = climb(mention)
        if parent is not None and parent.type == "new_expression" and is_field(parent, "constructor", child):
            args = arguments(parent)
            if index < len(args):
                found = selector_of(unit, args[index], depth + 1)
                if found:
                    return found
    return None


def _observed_selector(unit: Unit, new_observer) -> str | None:
    """`const io = new IntersectionObserver(cb); io.observe(el)`: the selector of el."""
    parent, _ = climb(new_observer)
    if parent is None or parent.type != "variable_declarator":
        return None
    name = node_text(field(parent, "name"))
    for mention in unit.mentions([name], limit=200):
        member = mention.parent
        if member is None or member.type != "member_expression" or node_text(field(member, "property")) != "observe":
            continue
        call, _ = climb(member)
        if call is not None and call.type == "call_expression" and arguments(call):
            return selector_of(unit, arguments(call)[0])
    return None


def child_trigger(partial: Partial) -> Trigger | None:
    """The trigger a snippet nested in a string inherits (None: it runs at page load)."""
    if partial.strength == 0 and partial.kind in (None, K.PAGE_LOAD):
        return None
    return Trigger(partial.kind, partial.selector)

