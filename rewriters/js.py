"""JS, TS, JSX and TSX: remove a chosen vendor's code with tree-sitter, keep everything else.

A finding marks a call, a URL string, an assignment or a snippet inside a string; what goes
is the smallest thing that removes it cleanly: the statement it is (through guards like
`window.fbq && ...`), an item of a sequence or declaration, the vendor's IIFE when the snippet
is one (its arguments name the vendor), or, where none of those fits, the expression replaced
by `void 0`. Removing code can empty its surroundings, and an empty shell goes too: a
listener or timer whose callback is empty loses its registration, an `if` with an empty body
and a pure test goes, a variable or import used only by removed code goes, a `<Script>`
whose child was only a snippet goes. Vendor stubs (`dataLayer = dataLayer || []`,
`function gtag(){...}`) go once nothing else names them. A cut that would take first-party
cookie or click-id code, or another vendor's code, is refused.
"""
from __future__ import annotations

import re
from dataclasses import replace

from scanner.static.context import Fragment, TemplateView
from scanner.static.js_shapes import match_call, profile_of
from scanner.static.js_syntax import (
    FUNCTION_TYPES, STRING_TYPES, WINDOW_NAMES, Unit, arguments, binding_at, climb, dotted, field, is_field,
    node_text, string_value, unwrap,
)
from scanner.static.js_values import to_arg
from rewriters.job import FileJob, StripContext, Stub, Target, run
from rewriters.result import RewriteResult

_HTML_LIKE = re.compile(r"<(?:script|img|noscript|iframe|link)\b", re.IGNORECASE)
_CONTAINERS = frozenset({"statement_block", "program", "class_body", "switch_case", "switch_default"})
_STATEMENTS = frozenset({
    "expression_statement", "variable_declaration", "lexical_declaration", "if_statement", "function_declaration",
    "generator_function_declaration", "class_declaration", "return_statement", "for_statement",
    "for_in_statement", "while_statement", "do_statement", "try_statement", "throw_statement", "empty_statement",
    "import_statement", "export_statement", "labeled_statement", "switch_statement", "statement_block",
})
_IMPURE = frozenset({"call_expression", "new_expression", "assignment_expression", "augmented_assignment_expression",
                     "update_expression", "await_expression", "yield_expression"})
_EFFECTS = frozenset({"assignment_expression", "augmented_assignment_expression", "update_expression",
                      "new_expression", "await_expression", "yield_expression", "delete"})
_LOOPS = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement", "labeled_statement"})
_HANDLER_PROPERTY = re.compile(r"on[a-z]+")
_SCRIPT_ELEMENT = re.compile(r"(?:no)?script", re.IGNORECASE)
_MAX_STEPS = 50


def _string_ish(node) -> bool:
    node = unwrap(node)
    return node is not None and (node.type in STRING_TYPES or (
        node.type == "binary_expression" and node_text(field(node, "operator")) == "+"))


class JsRegion:
    """One stretch of JS in a file: a whole .js file, a script body, a handler attribute, or a
    snippet kept in a string."""

    def __init__(self, job: FileJob, start: int, end: int, language: str, view: TemplateView | None = None):
        self.job = job
        self.start, self.end = start, end
        self.language = language
        self.unit = Unit(Fragment(job.source, start, end, language, view or job.view))
        self.root = self.unit.root
        self.module = any(c.type in ("import_statement", "export_statement") for c in self.root.children)
        self.touched: list = []
        self.nested: list = []
        self.snippets: list[tuple] = []
        """(string node, the region of its content, vendor) of snippets not emptied yet."""
        self.checked: set[int] = set()
        job.js_regions.append(self)
        self._keep_click_ids()

    # ---- offsets -------------------------------------------------------------------------
    def span(self, node) -> tuple[int, int]:
        return self.unit.span(node)

    def byte(self, char: int) -> int:
        """Byte offset in this region's parse of a file character offset."""
        parsed = self.unit.parsed
        relative = char - self.start
        starts, extras = parsed.byte_starts, parsed.extra_after
        lo, hi = 0, len(starts)
        while lo < hi:
            mid = (lo + hi) // 2
            if starts[mid] - (extras[mid - 1] if mid else 0) < relative:
                lo = mid + 1
            else:
                hi = mid
        return relative + (extras[lo - 1] if lo else 0)

    def node_for(self, start: int, end: int):
        return self.unit.node_at(self.byte(start), self.byte(end))

    def is_cut(self, node) -> bool:
        return self.job.covered(*self.span(node))

    def cut(self, node, reason: str, vendor: str | None, replacement: str = "") -> bool:
        if self.is_cut(node) and not replacement:
            return True
        if self.job.cut(*self.span(node), reason, vendor, replacement):
            self.touched.append(node)
            return True
        return False

    def cut_range(self, start: int, end: int, reason: str, vendor: str | None, anchor) -> bool:
        """Cut characters [start, end) for anchor (a list item with its comma)."""
        if self.job.cut(start, end, reason, vendor):
            self.touched.append(anchor)
            return True
        return False

    # ---- the pass ------------------------------------------------------------------------
    def run(self) -> None:
        for target in self.job.targets_in(self.start, self.end):
            if not any(r.start <= target.start and target.end <= r.end for r in self.nested):
                self.target(target)
        self.residual_calls()
        self.collect_stubs()
        self.propagate()

    def empty(self) -> bool:
        """Nothing but comments is left, and something was cut here."""
        children = [c for c in self.root.named_children if c.type != "comment"]
        return bool(self.touched) and all(self.is_cut(c) for c in children)

    def target(self, target: Target) -> None:
        job = self.job
        node = self.node_for(target.start, target.end)
        if node is None:
            job.leave(target, "not found in the parsed code")
            return
        comment = _ancestor(node, ("comment",))
        if comment is not None:
            self.comment(target, comment)
            return
        string = _ancestor(node, STRING_TYPES, limit=3)
        if string is not None:
            s, e = self.span(string)
            if s < target.start and target.end < e:
                self.snippet(string, target)
                return
        shared = self.shared(target, node)
        if shared:
            job.leave(target, shared)
            return
        function = self.wrapper(node)
        if function is not None and (job.veto(*self.span(function)) or job.veto(*self.span(node))) \
                and self.strip_wrapper(function, node, target):
            return
        node = self.vendor_iife(node, target.vendor) or node
        reason = f"{target.vendor} {target.label}"
        if not self.remove(node, reason, target.vendor, strict=True):
            why = job.veto(*self.span(node))
            job.leave(target, f"cannot be removed on its own{': ' + why if why else ''}")
        elif _string_ish(node):
            self.injection(node, reason, target.vendor)

    def wrapper(self, call):
        """The function a wrapper call (`track('AddToCart', {...})`) runs, when it is in this code."""
        if call.type != "call_expression":
            return None
        callee = unwrap(field(call, "function"))
        if callee is None or callee.type != "identifier" or node_text(callee) in profile_of(self.job.ctx.catalog).calls:
            return None
        binding = self.unit.binding(callee)
        if binding is None or binding.value is None:
            return None
        function = unwrap(binding.value) if binding.kind == "var" else binding.value
        return function if function is not None and function.type in FUNCTION_TYPES else None

    def strip_wrapper(self, function, call, target: Target) -> bool:
        """A wrapper that also holds code that stays (another vendor's call, first-party cookie
        code) keeps its call sites; the chosen vendor's calls inside it go instead."""
        profile = profile_of(self.job.ctx.catalog)
        done = False
        for inner in _calls(function):
            callee = dotted(field(inner, "function"), self.unit)
            shapes = profile.calls.get(callee or "")
            if not shapes or self.is_cut(inner):
                continue
            found = match_call(shapes, False, [to_arg(self.unit, a) for a in arguments(inner)])
            vendors = {f.vendor for f in found} or {s.vendor for s in shapes}
            if target.vendor in vendors and vendors <= self.job.ctx.chosen and \
                    self.remove(inner, f"{target.vendor} call in a shared wrapper", target.vendor, strict=True):
                done = True
        if done:
            name = node_text(field(call, "function"))
            self.job.extras.append((self.span(call)[0], target.vendor, f"{target.label} (inside {name})"))
        return done

    def injection(self, url, reason: str, vendor: str) -> None:
        """`s = document.createElement('script'); s.src = URL; ...insertBefore(s, ...)`: every
        statement that handles the injected element goes with its src."""
        assignment = _ancestor(url, ("assignment_expression",), 4)
        left = field(assignment, "left") if assignment is not None else None
        if left is None or left.type != "member_expression" or node_text(field(left, "property")) != "src":
            return
        element = unwrap(field(left, "object"))
        if element is None or element.type != "identifier":
            return
        binding = self.unit.binding(element)
        if binding is None or binding.kind != "var" or binding.value is None \
                or "createElement" not in node_text(binding.value):
            return
        scope = binding.scope
        for mention in self.unit.mentions([node_text(element)], scope.start_byte, scope.end_byte):
            if mention is None or mention.type != "identifier" or self.is_cut(mention):
                continue
            if mention.id == binding.name_node.id:
                self.remove_declarator(mention.parent, reason, vendor, strict=True)
                continue
            current = mention
            while current.parent is not None and current.parent.type not in (
                    "expression_statement", "sequence_expression") and current.type not in _STATEMENTS:
                current = current.parent
            if current.parent is not None:
                self.remove(current, reason, vendor, strict=True)

    def comment(self, target: Target, comment) -> None:
        """A commented-out pixel is dead code: the comment lines holding it go (a group of
        `//` lines is read as one block, so every line the finding spans)."""
        group = [comment]
        for step in ("prev_sibling", "next_sibling"):
            node = getattr(comment, step)
            while node is not None and node.type == "comment" and \
                    self.span(node)[0] < target.end and target.start < self.span(node)[1]:
                group.append(node)
                node = getattr(node, step)
        reason = f"{target.vendor} {target.label} (commented out)"
        if not all(self.cut(n, reason, target.vendor) for n in group):
            self.job.leave(target, "commented-out code shares its comment with code that stays")

    def shared(self, target: Target, node) -> str | None:
        """A call without an account that other vendors present here also need (`gtag('js', ...)`)."""
        finding = target.finding
        if getattr(finding, "role", None) not in ("config", "consent") or finding.account_id or finding.account_expr:
            return None
        call = node if node.type in ("call_expression", "new_expression") else _ancestor(node, ("call_expression",), 2)
        callee = dotted(field(call, "function"), self.unit) if call is not None else None
        shapes = profile_of(self.job.ctx.catalog).calls.get(callee or "", ())
        others = sorted({s.vendor for s in shapes} & self.job.other_vendors)
        if others:
            return f"{callee}(...) also serves {', '.join(others)} here; it goes when they do"
        return None

    def vendor_iife(self, node, vendor_id: str):
        """The innermost immediately invoked function around node that is the vendor's
        snippet: its arguments name the vendor (global, loader URL, account), or every
        statement in it names one of the vendor's globals. The whole snippet goes as one."""
        vendor = self.job.ctx.catalog.get(vendor_id)
        names = self.job.ctx.facts.names[vendor_id]
        current = node
        while current is not None:
            if current.type in FUNCTION_TYPES:
                parent, child = climb(current)
                if parent is not None and parent.type == "call_expression" and is_field(parent, "function", child) \
                        and (any(self.names_vendor(a, vendor) for a in arguments(parent))
                             or _all_name(field(current, "body"), names)) \
                        and self.job.veto(*self.span(parent)) is None:
                    return parent
            current = current.parent
        return None

    def names_vendor(self, node, vendor) -> bool:
        node = unwrap(node)
        if node is None:
            return False
        if node.type in STRING_TYPES:
            value = string_value(node)
            lowered = value.lower()
            return value in vendor.globals or any(s.lower() in lowered for s in vendor.signatures) or bool(
                vendor.account_pattern and vendor.account_pattern.search(value))
        name = dotted(node, self.unit)
        return bool(name) and any(part in vendor.globals for part in name.split("."))

    # ---- removing ------------------------------------------------------------------------
    def remove(self, node, reason: str, vendor: str | None, strict: bool) -> bool:
        """Remove node by the smallest enclosing construct that leaves valid code. Not strict
        (an emptied shell): give up rather than replace an expression or drop a used name."""
        origin_is_string = _string_ish(node)
        current = node
        for _ in range(_MAX_STEPS):
            if current.type in _STATEMENTS:
                return self.remove_statement(current, reason, vendor, strict)
            parent, child = climb(current)
            if parent is None:
                return self.cut(current, reason, vendor)
            kind = parent.type
            if kind == "expression_statement":
                return self.remove_statement(parent, reason, vendor, strict)
            if kind in ("await_expression", "unary_expression"):
                current = parent
            elif kind == "binary_expression" and node_text(field(parent, "operator")) in ("&&", "||", "??"):
                # `window.fbq && fbq(...)`: the guard goes with the call; a guard with effects
                # stays on its own where nothing uses the value (`ready() && fbq(...)`).
                if not is_field(parent, "right", child):
                    break
                if not _pure(field(parent, "left")):
                    holder, _ = climb(parent)
                    if holder is None or holder.type not in ("expression_statement", "sequence_expression"):
                        break
                    return self.cut_range(self.span(field(parent, "left"))[1], self.span(parent)[1], reason, vendor,
                                          child)
                current = parent
            elif kind == "binary_expression" and origin_is_string and node_text(field(parent, "operator")) == "+":
                current = parent
            elif (kind == "call_expression" and is_field(parent, "function", child)) or (
                    kind == "new_expression" and is_field(parent, "constructor", child)) or (
                    kind in ("member_expression", "subscript_expression") and is_field(parent, "object", child)):
                current = parent
            elif kind == "arguments" and (origin_is_string or child.type in FUNCTION_TYPES):
                current = parent.parent
            elif kind in ("pair", "object", "array", "template_substitution", "template_string") and origin_is_string:
                current = parent
            elif kind in ("assignment_expression", "augmented_assignment_expression") \
                    and is_field(parent, "right", child) and (origin_is_string or child.type in FUNCTION_TYPES):
                if child.type in FUNCTION_TYPES and not strict and not self.assigned_handler(parent):
                    return False
                current = parent
            elif kind == "variable_declarator" and is_field(parent, "value", child) \
                    and (origin_is_string or child.type in FUNCTION_TYPES or not strict):
                return self.remove_declarator(parent, reason, vendor, strict)
            elif kind == "sequence_expression":
                return self.remove_item(child, parent, reason, vendor, strict)
            elif kind == "arrow_function" and is_field(parent, "body", child):
                return self.function_emptied(parent, reason, vendor, strict) or (
                    strict and self.cut(child, reason, vendor, "{}"))
            elif kind == "jsx_expression":
                return self.remove_jsx(parent, reason, vendor, strict)
            else:
                break
        return strict and self.cut(current, reason, vendor, "void 0")

    def assigned_handler(self, assignment) -> bool:
        """`el.onclick = function () {...}`: a handler property, gone with its body."""
        left = field(assignment, "left")
        prop = field(left, "property") if left is not None and left.type == "member_expression" else None
        return prop is not None and bool(_HANDLER_PROPERTY.fullmatch(node_text(prop)))

    def remove_statement(self, statement, reason: str, vendor: str | None, strict: bool) -> bool:
        parent = statement.parent
        if parent is not None and parent.type == "export_statement":
            statement, parent = parent, parent.parent
        if parent is None or parent.type in _CONTAINERS:
            return self.cut(statement, reason, vendor)
        if parent.type == "else_clause":
            return self.cut(parent, reason, vendor)
        if parent.type == "if_statement" and is_field(parent, "consequence", statement):
            return self.if_emptied(parent, reason, vendor, strict) or self.cut(statement, reason, vendor, "{}")
        if parent.type in _LOOPS:
            return self.cut(statement, reason, vendor, "{}")
        return strict and self.cut(statement, reason, vendor, ";")

    def if_emptied(self, statement, reason: str, vendor: str | None, strict: bool) -> bool:
        """An `if` whose body went: it goes when it has no else and a test without effects."""
        if field(statement, "alternative") is not None or not _pure(field(statement, "condition")):
            return False
        return self.remove_statement(statement, reason, vendor, strict)

    def remove_declarator(self, declarator, reason: str, vendor: str | None, strict: bool) -> bool:
        name = field(declarator, "name")
        if not strict and (name is None or name.type != "identifier" or self.live_references(name) is not False):
            return False
        declaration = declarator.parent
        return self.remove_item(declarator, declaration, reason, vendor, strict)

    def remove_item(self, item, parent, reason: str, vendor: str | None, strict: bool) -> bool:
        """One item of a comma list (sequence, declaration), with its comma."""
        items = [c for c in parent.named_children if c.type != "comment"]
        if parent.type in ("variable_declaration", "lexical_declaration"):
            items = [c for c in items if c.type == "variable_declarator"]
        alive = [c for c in items if c.id == item.id or not self.is_cut(c)]
        if len(alive) == 1:
            if parent.type in ("variable_declaration", "lexical_declaration"):
                return self.remove_statement(parent, reason, vendor, strict)
            return self.remove(parent, reason, vendor, strict)
        index = next(i for i, c in enumerate(items) if c.id == item.id)
        if index + 1 < len(items):
            return self.cut_range(self.span(item)[0], self.span(items[index + 1])[0], reason, vendor, item)
        return self.cut_range(self.span(items[index - 1])[1], self.span(item)[1], reason, vendor, item)

    def function_emptied(self, function, reason: str, vendor: str | None, strict: bool) -> bool:
        """A function whose body was all vendor code: what registered or named it goes."""
        if function.type in ("function_declaration", "generator_function_declaration"):
            name = field(function, "name")
            return name is not None and self.live_references(name) is False and \
                self.remove_statement(function, reason, vendor, strict)
        parent, child = climb(function)
        if parent is None or function.type == "method_definition":
            return False
        if parent.type == "jsx_expression":
            attribute = parent.parent
            return attribute is not None and attribute.type == "jsx_attribute" and \
                self.cut_attribute(attribute, reason, vendor)
        if parent.type in ("pair", "field_definition", "public_field_definition"):
            return False
        return self.remove(function, reason, vendor, strict=False)

    def cut_attribute(self, attribute, reason: str, vendor: str | None) -> bool:
        """A JSX attribute with the blanks before it (a line of its own goes whole)."""
        start, end = self.span(attribute)
        text = self.job.text
        while start > 0 and text[start - 1] in " \t":
            start -= 1
        if text[start - 1:start] in ("\n", "\r"):
            start, _ = self.span(attribute)
        return self.cut_range(start, end, reason, vendor, attribute)

    def remove_jsx(self, expression, reason: str, vendor: str | None, strict: bool) -> bool:
        """A JSX expression container: an attribute goes with its element (next/script `src`),
        a child container goes on its own."""
        parent = expression.parent
        if parent is not None and parent.type == "jsx_attribute":
            element = parent.parent
            if element is not None and element.type == "jsx_opening_element":
                element = element.parent
            return element is not None and self.remove_element(element, reason, vendor, strict)
        return self.cut(expression, reason, vendor)

    def remove_element(self, element, reason: str, vendor: str | None, strict: bool) -> bool:
        current = element
        while True:
            parent, child = climb(current)
            if parent is None:
                return self.cut(current, reason, vendor)
            if parent.type == "binary_expression" and node_text(field(parent, "operator")) in ("&&", "||", "??"):
                current = parent
                continue
            if parent.type in ("jsx_element", "jsx_fragment"):
                return self.cut(current, reason, vendor)
            if parent.type == "jsx_expression":
                return self.cut(parent, reason, vendor)
            return self.cut(current, reason, vendor, "null")

    def live_references(self, name_node) -> bool | None:
        """Whether a declared name is still used outside cut code: None when that cannot be
        told (a global of a classic script, a name bound twice)."""
        binding = binding_at(name_node)
        if binding is None:
            return None
        scope = binding.scope
        if scope.type == "program" and not self.module:
            return None
        name = node_text(name_node)
        used_in_cut = False
        for mention in self.unit.mentions([name], scope.start_byte, scope.end_byte):
            if mention is None or mention.id == name_node.id or mention.type not in (
                    "identifier", "shorthand_property_identifier", "type_identifier"):
                continue
            other = binding_at(mention)
            if other is not None and other.kind in ("var", "function", "param") and other.name_node.id != name_node.id:
                return None
            if self.is_cut(mention):
                used_in_cut = True
            else:
                return True
        return False if used_in_cut else None

    # ---- strings holding snippets --------------------------------------------------------
    def snippet(self, string, target: Target) -> None:
        from rewriters.html import HtmlRegion
        s, e = self.span(string)
        start, end = s + 1, e - 1
        content = self.job.text[start:end]
        holes = [self.span(c) for c in string.children if c.type == "template_substitution"]
        view = _masked_view(self.job.view, holes) if holes else None
        if _HTML_LIKE.search(content):
            region = HtmlRegion(self.job, start, end, view)
        else:
            region = JsRegion(self.job, start, end, "js", view)
        self.nested.append(region)
        self.snippets.append((string, region, target.vendor))
        region.run()
        self.settle_snippets()

    def settle_snippets(self) -> None:
        """A string whose snippet has nothing left is emptied, and what only served it goes."""
        for item in list(self.snippets):
            string, region, vendor = item
            if not region.empty():
                continue
            self.snippets.remove(item)
            self.job.cut(region.start, region.end, f"{vendor} snippet", vendor)
            self.touched.append(string)
            self.value_emptied(string, f"{vendor} snippet", vendor)

    def value_emptied(self, node, reason: str, vendor: str) -> None:
        """A string (or a name bound to one) whose snippet is gone: what only served it goes."""
        current = node
        while True:
            parent, child = climb(current)
            if parent is None:
                return
            if parent.type == "binary_expression" and node_text(field(parent, "operator")) == "+":
                current = parent
                continue
            break
        kind = parent.type
        if kind == "jsx_expression" and parent.parent is not None and parent.parent.type == "jsx_element":
            element = parent.parent
            if _script_like(element) and self.only_child(element, parent):
                self.remove_element(element, reason, vendor, strict=False)
        elif kind == "pair" and _key_text(parent) == "__html":
            attribute = _ancestor(parent, ("jsx_attribute",), 4)
            element = attribute.parent if attribute is not None else None
            if element is not None and element.type == "jsx_opening_element":
                element = element.parent
            if element is not None:
                self.remove_element(element, reason, vendor, strict=False)
        elif kind in ("arguments", "assignment_expression"):
            self.remove(parent.parent if kind == "arguments" else parent, reason, vendor, strict=False)
        elif kind == "variable_declarator" and field(parent, "name") is not None:
            name = field(parent, "name")
            binding = binding_at(name)
            if binding is None:
                return
            for mention in self.unit.mentions([node_text(name)], binding.scope.start_byte, binding.scope.end_byte):
                if mention is not None and mention.id != name.id and mention.type == "identifier":
                    self.value_emptied(mention, reason, vendor)

    def only_child(self, element, child) -> bool:
        for c in element.named_children:
            if c.type in ("jsx_opening_element", "jsx_closing_element") or c.id == child.id:
                continue
            if c.type == "jsx_text" and not node_text(c).strip():
                continue
            if not self.is_cut(c):
                return False
        return True

    # ---- vendor calls without a finding, stubs -------------------------------------------
    def residual_calls(self) -> None:
        """Calls of a chosen vendor's API the scan does not report (consent calls, queue pushes
        without an event): left alone they would throw once the vendor's stub is gone."""
        ctx = self.job.ctx
        profile = profile_of(ctx.catalog)
        roots = ctx.removable_names
        if not roots:
            return
        for leaf in self.unit.mentions(roots):
            if leaf is None or leaf.type not in ("identifier", "property_identifier"):
                continue
            call = _call_of(leaf)
            if call is None or self.is_cut(call):
                continue
            callee = dotted(field(call, "constructor" if call.type == "new_expression" else "function"), self.unit)
            shapes = profile.calls.get(callee or "")
            if not shapes or any(a.type == "identifier" and node_text(a) == "arguments" for a in arguments(call)):
                continue  # a shim forwarding `arguments` is a stub: settle_stubs decides
            found = match_call(shapes, call.type == "new_expression", [to_arg(self.unit, a) for a in arguments(call)])
            vendors = {f.vendor for f in found} or {s.vendor for s in shapes}
            if vendors <= ctx.chosen and not ({s.vendor for s in shapes} & self.job.other_vendors):
                vendor = sorted(vendors)[0]
                first = arguments(call)[:1]
                what = f"{callee}({node_text(first[0]) + ', ...' if first and first[0].type == 'string' else '...'})"
                if self.remove(call, f"{vendor} API call", vendor, strict=True):
                    self.job.extras.append((self.span(call)[0], vendor, what))

    def collect_stubs(self) -> None:
        names = self.job.ctx.removable_names
        if not names:
            return
        for leaf in self.unit.mentions(names):
            statement = _stub_statement(leaf) if leaf is not None else None
            if statement is not None and not self.is_cut(statement):
                stub = Stub(node_text(leaf), *self.span(statement))
                if all((s.start, s.end) != (stub.start, stub.end) for s in self.job.stubs):
                    self.job.stubs.append(stub)
                    self.job.stub_regions[(stub.start, stub.end)] = (self, statement)

    def remove_stub(self, statement, name: str) -> None:
        owners = sorted(self.job.ctx.facts.owners.get(name, ()) & self.job.ctx.chosen)
        vendor = owners[0] if owners else None
        if self.remove_statement(statement, f"{name} stub, unused now", vendor, strict=True) and vendor:
            self.job.extras.append((self.span(statement)[0], vendor, f"{name} stub"))

    # ---- empty shells, dead names, framing comments ---------------------------------------
    def propagate(self) -> None:
        for _ in range(_MAX_STEPS):
            before = len(self.job.cuts)
            self.settle_snippets()
            self.shells()
            self.dead_names()
            if len(self.job.cuts) == before:
                break
        self.framing_comments()

    def shells(self) -> None:
        queue = list(self.touched)
        while queue:
            node = queue.pop()
            current = node.parent
            while current is not None:
                if current.id in self.checked or self.is_cut(current):
                    break
                if current.type in _CONTAINERS or (current.type == "jsx_element" and _script_like(current)):
                    if not self.container_empty(current):
                        break
                    self.checked.add(current.id)
                    count = len(self.touched)
                    self.owner_emptied(current)
                    queue.extend(self.touched[count:])
                    break
                current = current.parent

    def container_empty(self, container) -> bool:
        if container.type == "jsx_element":
            return self.only_child(container, container)
        return all(self.is_cut(c) for c in container.named_children if c.type != "comment")

    def owner_emptied(self, container) -> None:
        owner = container.parent
        if owner is None or container.type == "program":
            return
        reason = "left empty by the removal"
        if container.type == "jsx_element":
            self.remove_element(container, reason, None, strict=False)
        elif owner.type in FUNCTION_TYPES:
            self.function_emptied(owner, reason, None, strict=False)
        elif owner.type == "if_statement" and is_field(owner, "consequence", container):
            self.if_emptied(owner, reason, None, strict=False)
        elif owner.type == "else_clause":
            self.cut(owner, reason, None)

    def dead_names(self) -> None:
        """Variables, functions and imports that only removed code used."""
        names = set()
        for node in self.touched:
            names.update(_identifiers(node))
        if not names:
            return
        for leaf in self.unit.mentions(names):
            if leaf is None or self.is_cut(leaf):
                continue
            parent = leaf.parent
            if parent is None:
                continue
            if parent.type == "variable_declarator" and is_field(parent, "name", leaf):
                value = field(parent, "value")
                if (value is None or not _has(value, _EFFECTS)) and self.job.veto(*self.span(parent)) is None:
                    self.remove_declarator(parent, "used only by removed code", None, strict=False)
            elif parent.type in ("function_declaration", "generator_function_declaration") and \
                    is_field(parent, "name", leaf) and self.live_references(leaf) is False:
                self.remove_statement(parent, "used only by removed code", None, strict=False)
            elif self.module and _import_binding(leaf):
                self.unused_import(leaf)

    def unused_import(self, name_node) -> None:
        statement = _ancestor(name_node, ("import_statement",), 5)
        if statement is None:
            return
        used_in_cut = False
        for mention in self.unit.mentions([node_text(name_node)]):
            if mention is None or (statement.start_byte <= mention.start_byte < statement.end_byte):
                continue
            if not self.is_cut(mention):
                return
            used_in_cut = True
        if not used_in_cut:
            return
        specifier = name_node.parent if name_node.parent.type in ("import_specifier", "namespace_import") else name_node
        clause = _ancestor(name_node, ("import_clause",), 4)
        bindings = _import_bindings(clause) if clause is not None else []
        if all(b.id == name_node.id or self.is_cut(b) for b in bindings):
            self.cut(statement, "import used only by removed code", None)
        elif specifier.parent is not None and specifier.parent.type == "named_imports":
            self.remove_item(specifier, specifier.parent, "import used only by removed code", None, strict=False)

    def framing_comments(self) -> None:
        """Comment lines right above removed code that introduce only it: they name a removed
        vendor, or everything up to the next blank line went."""
        removed = self.job.removed_vendors()
        for comment in _comments(self.root):
            if self.is_cut(comment) or not self.own_line(comment):
                continue
            group = [comment]
            following = comment.next_sibling
            while following is not None and following.type == "comment" and \
                    following.start_point[0] == group[-1].end_point[0] + 1:
                group.append(following)
                following = following.next_sibling
            if following is None or following.start_point[0] != group[-1].end_point[0] + 1 \
                    or not self.is_cut(following) or (comment.prev_sibling is not None and
                                                       comment.prev_sibling.type == "comment" and
                                                       comment.prev_sibling.end_point[0] + 1 == comment.start_point[0]):
                continue
            text = " ".join(node_text(c) for c in group)
            if (removed and self.job.ctx.mentions_chosen(text, removed)) or self.paragraph_cut(following):
                for c in group:
                    self.cut(c, "comment introducing removed code", None)

    def own_line(self, node) -> bool:
        start, _ = self.span(node)
        line_start = self.job.text.rfind("\n", 0, start) + 1
        return not self.job.text[line_start:start].strip()

    def paragraph_cut(self, node) -> bool:
        current, previous = node, None
        while current is not None:
            if previous is not None and current.start_point[0] > previous.end_point[0] + 1:
                return True
            if current.type not in ("comment", "}", ")") and not self.is_cut(current):
                return False
            previous, current = current, current.next_sibling
        return True

    # ---- first-party click-id capture --------------------------------------------------------
    def _keep_click_ids(self) -> None:
        facts = self.job.ctx.facts
        if not facts.click_params:
            return
        for leaf in self.unit.mentions(facts.click_params):
            string = _ancestor(leaf, STRING_TYPES, 2) if leaf is not None else None
            param = string_value(string) if string is not None else None
            if param not in facts.click_params:
                continue
            vendor = facts.click_params[param]
            cookie = next((c.cookie for c in self.job.ctx.catalog.get(vendor).click_ids if c.param == param), None)
            reason = f"the server side needs {cookie or param}: see the spec"
            start, end = self.span(string)
            self.job.keep(start, end, f"{param} click-id capture", vendor, reason)


def settle_stubs(job: FileJob) -> None:
    """Remove the stubs of the file whose names nothing else uses any more; one going can
    free another (`function gtag(){dataLayer.push(...)}` holds the last `dataLayer`)."""
    pending = list(job.stubs)
    masked = job.view.masked
    while pending:
        dead = []
        for stub in pending:
            alive = False
            for hit in re.finditer(r"(?<![\w$])" + re.escape(stub.name) + r"(?![\w$])", masked):
                pos = hit.start()
                if job.covered(pos, hit.end()) or any(s.name == stub.name and s.start <= pos < s.end for s in pending):
                    continue
                if _in_code(job, pos, hit.end()):
                    alive = True
                    break
            if not alive:
                dead.append(stub)
        if not dead:
            break
        for stub in dead:
            pending.remove(stub)
            region, statement = job.stub_regions[(stub.start, stub.end)]
            region.remove_stub(statement, stub.name)
    for region in reversed(job.js_regions):  # inner regions first: their emptiness decides outer ones
        region.propagate()


def _in_code(job: FileJob, start: int, end: int) -> bool:
    """Whether a mention is JS code: inside a JS region of the file and not in a comment
    (page text, HTML comments and attribute values that are no handlers are not code)."""
    regions = [r for r in job.js_regions if r.start <= start and end <= r.end]
    if not regions:
        return False
    region = min(regions, key=lambda r: r.end - r.start)
    node = region.node_for(start, end)
    return node is not None and node.type != "comment"


# ---- node helpers ----------------------------------------------------------------------------

def _ancestor(node, types, limit: int = 1000):
    current = node
    for _ in range(limit + 1):
        if current is None:
            return None
        if current.type in types:
            return current
        current = current.parent
    return None


def _all_name(body, names: frozenset[str]) -> bool:
    """Every statement of a function body names one of names."""
    if body is None or body.type != "statement_block" or not names:
        return False
    pattern = re.compile(r"(?<![\w$])(?:" + "|".join(sorted(map(re.escape, names))) + r")(?![\w$])")
    statements = [c for c in body.named_children if c.type != "comment"]
    return bool(statements) and all(pattern.search(node_text(c)) for c in statements)


def _pure(node) -> bool:
    return node is not None and not _has(node, _IMPURE)


def _has(node, types) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in types:
            return True
        stack.extend(current.children)
    return False


def _identifiers(node) -> set[str]:
    names, stack = set(), [node]
    while stack:
        current = stack.pop()
        if current.type in ("identifier", "shorthand_property_identifier", "type_identifier"):
            names.add(node_text(current))
        stack.extend(current.children)
    return names


def _comments(root):
    stack = [root]
    while stack:
        current = stack.pop()
        if current.type == "comment":
            yield current
        else:
            stack.extend(reversed(current.children))


def _calls(node):
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "call_expression":
            yield current
        stack.extend(current.children)


def _call_of(leaf):
    current = leaf
    while True:
        parent, child = climb(current)
        if parent is None:
            return None
        if parent.type in ("member_expression", "subscript_expression") and is_field(parent, "object", child):
            current = parent
        elif parent.type == "member_expression" and is_field(parent, "property", child):
            current = parent
        elif parent.type == "call_expression" and is_field(parent, "function", child):
            return parent
        elif parent.type == "new_expression" and is_field(parent, "constructor", child):
            return parent
        else:
            return None


def _stub_statement(leaf):
    """The statement if all it does is set up the global leaf names: `X = X || []`,
    `var X = ...`, `window.X = function () {...}`, `X.queue = []`, `function X() {...}`.
    Such a statement goes once nothing else in the file names X."""
    parent = leaf.parent
    if parent is None:
        return None
    if parent.type == "function_declaration" and is_field(parent, "name", leaf):
        return parent
    target = leaf
    if parent.type == "member_expression" and is_field(parent, "property", leaf):
        owner = unwrap(field(parent, "object"))
        if owner is None or owner.type != "identifier" or node_text(owner) not in WINDOW_NAMES:
            return None
        target = parent
    while target.parent is not None and target.parent.type == "member_expression" and \
            is_field(target.parent, "object", target):
        target = target.parent
    holder = target.parent
    if holder is None:
        return None
    if holder.type == "assignment_expression" and is_field(holder, "left", target):
        statement = holder.parent
        return statement if statement is not None and statement.type == "expression_statement" else None
    if holder.type == "variable_declarator" and is_field(holder, "name", target):
        statement = holder.parent
        if statement is not None and len([c for c in statement.named_children if c.type == "variable_declarator"]) == 1:
            return statement
    return None


def _script_like(element) -> bool:
    """A JSX `<Script>`, `<script>` or `<noscript>`: nothing but a wrapper of what it holds."""
    opening = element.child_by_field_name("open_tag") or (element.named_children[0] if element.named_children else None)
    name = field(opening, "name") if opening is not None else None
    return name is not None and bool(_SCRIPT_ELEMENT.fullmatch(node_text(name)))


def _key_text(pair) -> str:
    key = field(pair, "key")
    if key is None:
        return ""
    return string_value(key) if key.type == "string" else node_text(key)


def _import_binding(leaf) -> bool:
    parent = leaf.parent
    if parent is None or leaf.type != "identifier":
        return False
    if parent.type == "import_clause" or parent.type == "namespace_import":
        return True
    if parent.type == "import_specifier":
        alias = field(parent, "alias")
        return (alias or field(parent, "name")).id == leaf.id
    return False


def _import_bindings(clause) -> list:
    found = []
    for child in clause.named_children:
        if child.type == "identifier":
            found.append(child)
        elif child.type == "namespace_import":
            found += [c for c in child.named_children if c.type == "identifier"]
        elif child.type == "named_imports":
            for spec in child.named_children:
                if spec.type == "import_specifier":
                    found.append(field(spec, "alias") or field(spec, "name"))
    return found


def _masked_view(view: TemplateView, holes: list[tuple[int, int]]) -> TemplateView:
    """The file's view with template-literal substitutions masked as `_` runs, so the snippet
    inside the literal parses as plain code."""
    masked = view.masked
    pieces, pos = [], 0
    for start, end in sorted(holes):
        pieces += [masked[pos:start], "_" * (end - start)]
        pos = end
    pieces.append(masked[pos:])
    return replace(view, masked="".join(pieces), expressions=tuple(sorted(set(view.expressions) | set(holes))))


def strip_js(job: FileJob) -> None:
    """A whole JS/TS file."""
    JsRegion(job, 0, len(job.text), job.kind).run()
    settle_stubs(job)


def rewrite(path: str, raw: bytes, kind: str, findings, ctx: StripContext) -> RewriteResult:
    """Edits | Skip | Failure for one file."""
    return run(strip_js, path, raw, kind, findings, ctx)
