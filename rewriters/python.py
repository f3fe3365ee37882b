"""Python: pixel snippets in string literals, django-analytical settings, with libcst.

A snippet in a string is stripped as the page or JS it is (rewriters.html / rewriters.js)
over exactly the string's content; a string left with nothing but whitespace keeps its
quotes, empty, so the code around it stays valid. A vendor's django-analytical setting goes
line and all; once django-analytical itself goes (no vendor it configures is left), its
`INSTALLED_APPS` entry and its own `ANALYTICAL_*` settings go too. A block that would be
left without statements gets `pass`.
"""
from __future__ import annotations

import re
from dataclasses import replace

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from rewriters.job import FileJob, StripContext, Target, Unrewritable, run
from rewriters.result import RewriteResult

_NEWLINE = re.compile(r"\r\n?|\n")
_HTML_SNIPPET = re.compile(r"<(?:script|img|noscript|iframe|link)\b", re.IGNORECASE)
_DOUBLED_BRACE = re.compile(r"\{\{|\}\}")
_COMMA = re.compile(r"\s*,")
_TRAILING_COMMENT = re.compile(r"[ \t]*#[^\r\n]*")
_ANALYTICAL_APP = "analytical"
_ANALYTICAL_SETTING = "ANALYTICAL_"


class _Collector(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.statements: list[cst.SimpleStatementLine] = []
        self.strings: list[cst.CSTNode] = []
        self.apps: list[cst.Element] = []
        self.analytical_settings: list[cst.SimpleStatementLine] = []
        self.depth = 0

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.statements.append(node)
        if self.depth == 0 and len(node.body) == 1 and isinstance(node.body[0], (cst.Assign, cst.AnnAssign)):
            statement = node.body[0]
            targets = [t.target for t in statement.targets] if isinstance(statement, cst.Assign) else [statement.target]
            names = [t.value for t in targets if isinstance(t, cst.Name)]
            if any(n.startswith(_ANALYTICAL_SETTING) for n in names):
                self.analytical_settings.append(node)
            if "INSTALLED_APPS" in names and isinstance(statement.value, (cst.List, cst.Tuple)):
                self.apps += [e for e in statement.value.elements if isinstance(e.value, cst.SimpleString)
                              and e.value.evaluated_value == _ANALYTICAL_APP]

    def visit_FunctionDef_body(self, node) -> None:
        self.depth += 1

    def leave_FunctionDef_body(self, node) -> None:
        self.depth -= 1

    def visit_ClassDef_body(self, node) -> None:
        self.depth += 1

    def leave_ClassDef_body(self, node) -> None:
        self.depth -= 1

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self.strings.append(node)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        self.strings.append(node)


class _PythonFile:
    def __init__(self, job: FileJob):
        self.job = job
        try:
            module = cst.parse_module(job.text)
        except cst.ParserSyntaxError as exc:
            raise Unrewritable(f"Python does not parse: {exc.message.splitlines()[0] if exc.message else exc}") \
                from None
        self.module = module
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.positions = wrapper.resolve(PositionProvider)
        self.parents = wrapper.resolve(ParentNodeProvider)
        self.found = _Collector()
        wrapper.module.visit(self.found)
        self.line_starts = [0] + [m.end() for m in _NEWLINE.finditer(job.text)]
        self.statement_cuts: list[cst.SimpleStatementLine] = []

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        code_range = self.positions[node]
        return tuple(self.line_starts[p.line - 1] + p.column for p in (code_range.start, code_range.end))

    def run(self) -> None:
        job = self.job
        for target in job.targets:
            if job.covered(target.start, target.end):
                continue
            if getattr(target.finding, "role", None) == "settings":
                self.setting(target)
            else:
                self.snippet(target)
        if job.ctx.analytical_goes:
            for element in self.found.apps:
                start, end = self.span(element)
                comma = _COMMA.match(job.text, end)
                job.cut(start, comma.end() if comma else end, "django-analytical app; every vendor it configured goes")
            for statement in self.found.analytical_settings:
                self.cut_statement(statement, "django-analytical setting; django-analytical goes", None)
        self.keep_blocks_valid()
        self.framing_comments()

    def framing_comments(self) -> None:
        """Comment lines right above removed statements that introduce nothing else: every
        line up to the next blank line went."""
        job = self.job
        lines = job.text.splitlines(keepends=True)
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line))
        index = 0
        while index < len(lines):
            if not lines[index].lstrip().startswith("#") or job.covered(starts[index], starts[index + 1]):
                index += 1
                continue
            first = index
            while index < len(lines) and lines[index].lstrip().startswith("#"):
                index += 1
            paragraph = index
            while paragraph < len(lines) and lines[paragraph].strip():
                paragraph += 1
            if paragraph > index and all(job.covered(*_content(lines[i], starts[i])) for i in range(index, paragraph)):
                job.cut(starts[first], starts[index], "comment introducing removed settings", None)
    def setting(self, target: Target) -> None:
        statement = self.innermost(self.found.statements, target)
        if statement is None:  # a commented-out setting: the comment line goes
            line_end = self.job.text.find("\n", target.start)
            comment = self.job.text.rfind("#", 0, target.start + 1)
            end = len(self.job.text) if line_end < 0 else line_end
            if comment < 0 or not self.job.cut(comment, end, f"{target.vendor} setting (commented out)", target.vendor):
                self.job.leave(target, "a commented-out setting the rewriter cannot place")
            return
        self.cut_statement(statement, f"{target.vendor} django-analytical setting", target.vendor)

    def cut_statement(self, statement: cst.SimpleStatementLine, reason: str, vendor: str | None) -> None:
        start, end = self.span(statement)
        trailing = _TRAILING_COMMENT.match(self.job.text, end)
        if self.job.cut(start, trailing.end() if trailing else end, reason, vendor):
            self.statement_cuts.append(statement)

    def snippet(self, target: Target) -> None:
        from rewriters.html import HtmlRegion
        from rewriters.js import JsRegion
        string = self.innermost(self.found.strings, target)
        if string is None:
            self.job.leave(target, "not in a string literal or setting the rewriter knows")
            return
        start, end, view = self.content(string)
        if _HTML_SNIPPET.search(self.job.text, start, end):
            region = HtmlRegion(self.job, start, end, view)
        else:
            region = JsRegion(self.job, start, end, "js", view)
        region.run()
        if region.empty():
            self.job.cut(start, end, f"{target.vendor} snippet; the string is left empty", target.vendor)

    def content(self, string) -> tuple[int, int, object]:
        """Content range of a string literal, with a view that masks f-string substitutions
        as `_` runs and doubled braces as one brace and a space, offsets unchanged."""
        start, end = self.span(string)
        job = self.job
        if isinstance(string, cst.SimpleString):
            return start + len(string.prefix) + len(string.quote), end - len(string.quote), None
        content_start, content_end = start + len(string.start), end - len(string.end)
        masked = list(job.view.masked[content_start:content_end])
        holes = []
        for part in string.parts:
            s, e = self.span(part)
            if isinstance(part, cst.FormattedStringExpression):
                masked[s - content_start:e - content_start] = "_" * (e - s)
                holes.append((s, e))
            else:
                for doubled in _DOUBLED_BRACE.finditer(job.text, s, e):
                    masked[doubled.start() + 1 - content_start] = " "
        whole = job.view.masked
        view = replace(job.view, masked=whole[:content_start] + "".join(masked) + whole[content_end:],
                       expressions=tuple(sorted(set(job.view.expressions) | set(holes))))
        return content_start, content_end, view

    def innermost(self, nodes, target: Target):
        best = None
        for node in nodes:
            start, end = self.span(node)
            if start <= target.start and target.end <= end and (best is None or end - start < best[1] - best[0]):
                best = (start, end, node)
        return best[2] if best else None

    def keep_blocks_valid(self) -> None:
        """A block whose every statement went keeps one `pass`."""
        blocks: dict[int, cst.CSTNode] = {}
        for statement in self.statement_cuts:
            parent = self.parents.get(statement)
            if isinstance(parent, cst.IndentedBlock):
                blocks[id(parent)] = parent
        for block in blocks.values():
            spans = [self.span(s) for s in block.body]
            if all(self.job.covered(s, e) for s, e in spans):
                first_start, first_end = spans[0]
                self.job.cut(first_start, first_end, "block kept valid", None, "pass")


def _content(line: str, start: int) -> tuple[int, int]:
    """The characters of a line without its line end."""
    return start, start + len(line.rstrip("\r\n"))


def strip_python(job: FileJob) -> None:
    _PythonFile(job).run()


def rewrite(path: str, raw: bytes, kind: str, findings, ctx: StripContext) -> RewriteResult:
    """Edits | Skip | Failure for one file."""
    return run(strip_python, path, raw, kind, findings, ctx)
