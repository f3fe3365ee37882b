"""Template syntax in pages: a masked view that HTML and JS parsers can read as plain code.

One forward pass over the text with one compiled regex of the openers the file's dialects
use; each opener's handler finds its own closer with str.find, so a multi-MB page costs a
few linear scans. What the masking does is described on TemplateView.

Conditional ranges cover a branch's content only: from the end of the tag that opens the
branch to the start of the tag that ends it (next branch or closing tag; the end of the
text for a block never closed). A branch's condition spells out the whole chain:
`{% if a %}` -> `a`, `{% elif b %}` -> `!(a) && b`, `{% else %}` -> `!(a) && !(b)`;
`unless c` -> `!(c)` with its else `c`. Comment spans include their delimiters.

Broken syntax never raises: an opener without its closer is left as text, a block never
closed ends at the end of the text, a stray closer is ignored.
"""
from __future__ import annotations

import functools
import re
from operator import itemgetter
from dataclasses import dataclass, field

from scanner.static.context import Conditional, TemplateView

_JINJA = frozenset({"jinja"})
_HANDLEBARS = frozenset({"handlebars"})
_PHP = frozenset({"php"})
_ERB = frozenset({"erb"})
# Longest suffix first: `.blade.php` before `.php`.
_SUFFIXES: tuple[tuple[str, frozenset[str]], ...] = (
    (".blade.php", frozenset({"blade", "php"})),
    (".php", _PHP), (".phtml", _PHP),
    # Django, Jinja and Vue sites keep their templates in .html.
    (".html", frozenset({"jinja", "handlebars"})), (".htm", frozenset({"jinja", "handlebars"})),
    (".liquid", _JINJA), (".njk", _JINJA), (".j2", _JINJA), (".jinja", _JINJA),
    (".jinja2", _JINJA), (".twig", _JINJA), (".djhtml", _JINJA),
    (".volt", _JINJA), (".swig", _JINJA),  # Phalcon Volt and Swig (Hexo) share Jinja's tags
    (".eex", _ERB), (".heex", _ERB), (".leex", _ERB),  # Elixir EEx: <%= %>
    # Grails GSP and JSP print ${...} like FreeMarker; JSP scriptlets are <% %>.
    (".gsp", frozenset({"freemarker"})), (".jsp", frozenset({"freemarker", "erb"})),
    (".jspf", frozenset({"freemarker", "erb"})),
    (".hbs", _HANDLEBARS), (".handlebars", _HANDLEBARS), (".mustache", _HANDLEBARS),
    (".erb", _ERB), (".ejs", _ERB),  # EJS shares ERB's <% %> tags
    (".tpl", frozenset({"smarty"})),
    (".ftl", frozenset({"freemarker"})), (".ftlh", frozenset({"freemarker"})),
    (".cshtml", frozenset({"razor"})), (".razor", frozenset({"razor"})),
    (".gohtml", frozenset({"go"})), (".tmpl", frozenset({"go"})),
)


def dialects_for(path: str) -> frozenset[str]:
    lowered = path.lower()
    for suffix, dialects in _SUFFIXES:
        if lowered.endswith(suffix):
            return dialects
    return frozenset()


_NOT_NEWLINE = re.compile(r"[^\r\n]")
_GLUED_TO_TAG_NAME = re.compile(r"<[A-Za-z][\w:-]*\Z")
_SPLIT_TAG_OPENER = re.compile(r"< +(?=/?[A-Za-z]|!--)")
_WORD_REST = re.compile(r"(\w+)\s*(.*)", re.DOTALL)

_SMARTY_KEYWORDS = (r"if|elseif|else|foreach|foreachelse|section|sectionelse|while|for|literal|ldelim|rdelim"
                    r"|include|include_php|assign|append|capture|block|extends|function|call|strip|nocache"
                    r"|config_load|insert|break|continue|eval|fetch|html_\w+|mailto|math|counter|cycle"
                    r"|textformat|debug")
_BLADE_CONDITIONS = frozenset({"if", "unless", "isset", "empty", "auth", "guest", "production", "env",
                               "can", "cannot", "canany", "hasSection", "sectionMissing", "session",
                               "error"})
_BLADE_DIRECTIVES = _BLADE_CONDITIONS | frozenset({
    "elseif", "else", "switch", "case", "break", "default", "for", "foreach", "forelse", "while",
    "continue", "include", "includeIf", "includeWhen", "includeUnless", "includeFirst", "each", "once",
    "push", "prepend", "pushOnce", "prependOnce", "stack", "section", "show", "yield", "extends",
    "parent", "component", "slot", "props", "aware", "php", "verbatim", "csrf", "method", "lang",
    "choice", "json", "js", "vite", "viteReactRefresh", "class", "style", "checked", "selected",
    "disabled", "readonly", "required", "stop", "append", "overwrite", "dd", "dump", "inject",
    "fragment", "use", "livewire", "livewireStyles", "livewireScripts",
})
_BLADE_EXPRESSIONS = frozenset({"json", "js"})
_RAZOR_LINE_DIRECTIVES = frozenset({"model", "inject", "page", "inherits", "layout", "addTagHelper",
                                    "removeTagHelper", "tagHelperPrefix", "namespace", "implements",
                                    "attribute", "rendermode", "typeparam", "preservewhitespace"})
_RAZOR_BLOCKS = frozenset({"foreach", "for", "while", "using", "lock", "switch", "try", "catch",
                           "finally", "do", "section"})
_RAZOR_CODE = frozenset({"functions", "code"})
# CSS at-rules Razor authors leave alone in <style> (Razor itself wants @@media).
_CSS_AT_RULES = frozenset({"media", "import", "keyframes", "font", "charset", "supports", "layer",
                           "container", "property", "counter", "document", "viewport", "tailwind",
                           "apply"})

_PHP_CONTROL = (
    ("branch", re.compile(r"(?:\}\s*)?(?:elseif|else\s+if)\s*\((?P<cond>.*)\)\s*[:{]", re.DOTALL)),
    ("else", re.compile(r"(?:\}\s*)?else\s*[:{]")),
    ("if", re.compile(r"if\s*\((?P<cond>.*)\)\s*[:{]", re.DOTALL)),
    ("endif", re.compile(r"endif\s*;?")),
    ("loop", re.compile(r"(?P<kind>foreach|for|while|switch)\s*\(.*\)\s*[:{]", re.DOTALL)),
    ("endloop", re.compile(r"end(?P<kind>foreach|for|while|switch)\s*;?")),
    ("close", re.compile(r"\}")),
)
_PHP_ECHO = re.compile(r"(?:echo|print)\b[^;]*;?", re.DOTALL)
# One function or method call alone in a tag may print (`<?php the_field('pixel_id'); ?>`).
_PHP_CALL = re.compile(r"(?!(?:if|elseif|while|for|foreach|switch|function|isset|empty|unset|include|require"
                       r"|include_once|require_once|array|list|exit|die)\b)"
                       r"(?:\$?[A-Za-z_\\][\w\\]*(?:->|::))*[A-Za-z_\\][\w\\]*\s*\([^;]*\)\s*;?", re.DOTALL)
_PHP_BLOCK_COMMENT = re.compile(r"\s*/\*(?P<body>(?:(?!\*/).)*)\*/\s*", re.DOTALL)
_PHP_LINE_COMMENT = re.compile(r"\s*(?://|#)(?P<body>[^\n]*)\s*")
# Inside PHP code: what may hold a `<` that is no markup (strings, heredocs, comments), and
# markup written raw at the start of a line, which PHP cannot compile but the author meant
# to print (HTML pasted into a function body without closing the PHP tag).
_PHP_SKIPPED_OR_MARKUP = re.compile(
    r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|<<<[ \t]*(['\"]?)(\w+)\1.*?^[ \t]*\2\b|//[^\n]*|#[^\n]*"
    r"|/\*.*?\*/|(?P<markup>(?<![^\n])[ \t]*<(?=!--|/?[A-Za-z]))", re.DOTALL | re.MULTILINE)
# One piece of a raw markup run: a comment, a script or style element, a tag, or text
# after markup on the same line.
_MARKUP_PIECE = re.compile(r"[ \t]*(?:<!--.*?(?:-->|\Z)|<(script|style)\b.*?(?:</\1\s*>|\Z)"
                           r"|</?[A-Za-z!][^<>]*>?|(?P<text>[^<\s][^<\n]*))"
                           r"|\s+(?=<!--|</?[A-Za-z])", re.DOTALL | re.IGNORECASE)

# EJS writes JavaScript in its tags, ERB Ruby; JavaScript forms are tried first.
_ERB_CONTROL = (
    ("if", re.compile(r"if\s*\((?P<cond>.*)\)\s*\{", re.DOTALL)),
    ("branch", re.compile(r"\}\s*else\s+if\s*\((?P<cond>.*)\)\s*\{", re.DOTALL)),
    ("else", re.compile(r"\}\s*else\s*\{")),
    ("close", re.compile(r"\}\s*\)*\s*;?")),
    ("if", re.compile(r"if\s+(?P<cond>.+?)(?:\s+then)?", re.DOTALL)),
    ("unless", re.compile(r"unless\s+(?P<cond>.+?)(?:\s+then)?", re.DOTALL)),
    ("branch", re.compile(r"elsif\s+(?P<cond>.+)", re.DOTALL)),
    ("else", re.compile(r"else")),
    ("close", re.compile(r"end")),
    ("open", re.compile(r".*(?:\bdo(?:\s*\|[^|]*\|)?|\{)|(?:case|while|until|for|begin)\b.*", re.DOTALL)),
)

_SMARTY_TAG = re.compile(
    r"\{(?:(?P<var>\$(?=(?P<name>[A-Za-z_]\w*))(?P=name)(?!\s*:)[^{}\n;]*)|(?P<config>#\w+#)|/(?P<close>\w+)"
    r"|(?P<cond>if|elseif|while)\s+(?P<args>[^{}]*)"
    r"|(?P<keyword>" + _SMARTY_KEYWORDS + r")(?:\s[^{}]*)?)\}")
_SMARTY_LITERAL_END = re.compile(r"\{/literal\}")
_JINJA_ENDS = {word: re.compile(r"\{%[-+]?\s*end" + word + r"\s*[-+]?%\}")
               for word in ("comment", "raw", "verbatim")}
_BLADE_ENDS = {word: re.compile(r"(?<![\w@])@end" + word + r"\b") for word in ("php", "verbatim")}
_FTL_NAME = re.compile(r"</?[#@]([\w.]*)")
_RAZOR_IDENT = re.compile(r"[A-Za-z_]\w*")
_RAZOR_ELSE = re.compile(r"\s*else\b\s*(?:if\b\s*(?=\())?")
_SPACE = re.compile(r"\s*")
_LINE_END = re.compile(r"[^\r\n]*")
_BRACKETS = re.compile(r"""[()\[\]"']""")
_BRACES = re.compile(r"[{}]")
_OPENING = {")": "(", "]": "["}
_ELSE_WORD = re.compile(r"else\b")
_QUOTED = {'"': re.compile(r'"(?:\\.|[^"\\\n])*"'), "'": re.compile(r"'(?:\\.|[^'\\\n])*'")}


@dataclass(frozen=True)
class _Openers:
    pattern: re.Pattern
    """One regex of every opener the dialects use; the group name picks the handler."""
    literals: tuple[str, ...]
    """Text every opener starts with: a file holding none of it has no template syntax, and
    `in` finds that out ten times faster than the regex."""

    def may_be_in(self, text: str) -> bool:
        return any(literal in text for literal in self.literals)


@functools.lru_cache(maxsize=None)
def _openers(dialects: frozenset[str]) -> _Openers | None:
    parts: list[tuple[str, tuple[str, ...]]] = []
    if "blade" in dialects:
        parts += [(r"(?P<blade_escape>@\{\{)", ("@{{",)), (r"(?P<blade_raw>\{!!)", ("{!!",)),
                  (r"(?P<blade_directive>(?<![\w@])@[A-Za-z]\w*)", ("@",))]
    if dialects & {"jinja", "handlebars", "blade", "go"}:
        parts.append((r"(?P<double>\{\{)", ("{{",)))
    if "jinja" in dialects:
        parts += [(r"(?P<jinja_tag>\{%)", ("{%",)), (r"(?P<jinja_comment>\{#)", ("{#",))]
    if "php" in dialects:
        parts.append((r"(?P<php><\?(?:(?i:php)(?=\s)|=|(?=\s)))", ("<?",)))
    if "erb" in dialects:
        parts.append((r"(?P<erb><%)", ("<%",)))
    if "smarty" in dialects:
        parts.append((r"(?P<smarty>\{(?=\$[A-Za-z_]|#\w|/\w|\*|(?:" + _SMARTY_KEYWORDS + r")[\s}]))", ("{",)))
    if "freemarker" in dialects:
        parts += [(r"(?P<ftl_expression>[$#]\{)", ("${", "#{")), (r"(?P<ftl_tag></?[#@])", ("<#", "</#", "<@", "</@"))]
    if "razor" in dialects:
        parts.append((r"(?P<razor>(?<![\w@])@(?=[*({:@A-Za-z_]))", ("@",)))
    if not parts:
        return None
    return _Openers(re.compile("|".join(regex for regex, _ in parts)),
                    tuple(dict.fromkeys(literal for _, literals in parts for literal in literals)))


@dataclass
class _Block:
    """An open template block. Conditional blocks report each branch; other blocks (loops,
    case) are tracked so their else/empty branches are not taken for an if's."""

    kind: str
    content_start: int
    conditional: bool
    own: str | None = None
    """Condition of the current branch; None for an else branch."""
    negated: str | None = None
    negations: list[str] = field(default_factory=list)
    close: int = -1
    """Razor blocks: index of the closing brace."""

    def condition(self) -> str:
        return " && ".join(self.negations + ([self.own] if self.own is not None else []))


def _negate(cond: str) -> str:
    return f"!({cond})"


class _Scanner:
    def __init__(self, text: str, dialects: frozenset[str], openers: _Openers):
        self.text = text
        self.dialects = dialects
        self.openers = openers
        self.edits: list[tuple[int, int, str | None]] = []
        """(start, end, replacement): replacement None blanks, "_" marks an expression,
        anything else is written then padded with spaces."""
        self.comments: list[tuple[int, int]] = []
        self.conditionals: list[Conditional] = []
        self.stack: list[_Block] = []
        self._found: dict[str, tuple[int, int, int]] = {}
        self._bracket_pairs: dict[int, int] | None = None
        self._brace_pairs: dict[int, int] | None = None
        self.brace_blocks: list[_Block] = []
        """Open Razor blocks, innermost last; each knows the index of its closing brace."""
        self.handlers = {name: getattr(self, "_" + name) for name in openers.pattern.groupindex}

    # ---- driving -------------------------------------------------------------------
    def run(self, lo: int, hi: int) -> None:
        """Handle every opener in [lo, hi). Razor brace blocks opened here are scanned in
        this loop, not by recursion, so deep or unclosed nesting costs no stack."""
        pos = lo
        search = self.openers.pattern.search
        base = len(self.brace_blocks)
        while True:
            limit = self.brace_blocks[-1].close if len(self.brace_blocks) > base else hi
            m = search(self.text, pos, limit) if pos < limit else None
            if m is not None:
                pos = max(self.handlers[m.lastgroup](m, limit), m.start() + 1)
            elif len(self.brace_blocks) > base:
                pos = self._end_brace_block(hi)
            else:
                return

    def run_isolated(self, lo: int, hi: int) -> None:
        """Scan a comment's content: blocks opened inside end with it."""
        saved, self.stack = self.stack, []
        self.run(lo, hi)
        self.close_all(hi)
        self.stack = saved

    def find(self, closer: str, pos: int, hi: int) -> int:
        """str.find remembering its last answer, so many openers without a closer stay linear."""
        memo = self._found.get(closer)
        if memo is not None:
            searched_from, found, memo_hi = memo
            if memo_hi == hi and searched_from <= pos and (found < 0 or pos <= found):
                return found
        found = self.text.find(closer, pos, hi)
        self._found[closer] = (pos, found, hi)
        return found

    # ---- edits ---------------------------------------------------------------------
    def blank(self, start: int, end: int) -> None:
        if start < end:
            self.edits.append((start, end, None))

    def expression(self, start: int, end: int) -> None:
        if _GLUED_TO_TAG_NAME.search(self.text, max(0, start - 32), start):
            self.blank(start, end)  # `<script{{ attrs }}>` prints attributes: the tag stays a script
            return
        self.edits.append((start, end, "_"))

    def comment(self, start: int, content_start: int, content_end: int, end: int) -> int:
        """Only the delimiters go. Expressions inside are masked (a commented-out snippet
        still parses); blocks inside are no conditions of anything."""
        self.blank(start, content_start)
        self.comments.append((start, end))
        reported = len(self.conditionals)
        self.run_isolated(content_start, content_end)
        del self.conditionals[reported:]
        self.blank(content_end, end)
        return end

    # ---- blocks --------------------------------------------------------------------
    def open(self, kind: str, content_start: int, cond: str | None = None, negated: str | None = None) -> None:
        conditional = cond is not None
        self.stack.append(_Block(kind, content_start, conditional, cond,
                                 negated if negated is not None else (_negate(cond) if conditional else None)))

    def branch(self, tag_start: int, content_start: int, cond: str | None = None,
               negated: str | None = None) -> None:
        if not self.stack or not self.stack[-1].conditional:
            return
        block = self.stack[-1]
        self._report(block, tag_start)
        if block.own is not None:  # after an else there is nothing left to negate
            block.negations.append(block.negated)
        block.own = cond
        block.negated = negated if negated is not None else (_negate(cond) if cond is not None else None)
        block.content_start = content_start

    def close(self, tag_start: int, kinds: set[str] | frozenset[str] | None = None) -> None:
        """Close the innermost block of one of `kinds` (the innermost block when None),
        ending the blocks left open inside it; a closer nothing matches is ignored."""
        for depth in range(len(self.stack) - 1, -1, -1):
            if kinds is None or self.stack[depth].kind in kinds:
                while len(self.stack) > depth:
                    self._report(self.stack.pop(), tag_start)
                return

    def close_all(self, end: int) -> None:
        while self.stack:
            self._report(self.stack.pop(), end)

    def _report(self, block: _Block, end: int) -> None:
        if block.conditional and block.content_start <= end:
            self.conditionals.append(Conditional(block.content_start, end, block.condition()))

    # ---- balanced scans ------------------------------------------------------------
    def balanced(self, pos: int, hi: int) -> int:
        """Index after the bracket matching the `(` or `[` at pos, or -1."""
        if self._bracket_pairs is None:
            self._bracket_pairs = self._pair_brackets()
        end = self._bracket_pairs.get(pos, -1)
        return end if end <= hi else -1

    def _pair_brackets(self) -> dict[int, int]:
        """Every matched ( ) and [ ] of the text in one pass, so unbalanced code costs no
        rescans. Quotes make a string only inside brackets and only closed on their line,
        so an apostrophe in markup text does not swallow the page."""
        text = self.text
        pairs: dict[int, int] = {}
        stack: list[int] = []
        pos = 0
        search = _BRACKETS.search
        while True:
            m = search(text, pos)
            if m is None:
                return pairs
            ch, pos = m.group(), m.end()
            if ch in "([":
                stack.append(m.start())
            elif ch in ")]":
                if stack and text[stack[-1]] == _OPENING[ch]:
                    pairs[stack.pop()] = pos
            elif stack:
                quoted = _QUOTED[ch].match(text, m.start())
                if quoted:
                    pos = quoted.end()

    def brace_block(self, pos: int, hi: int) -> int:
        """Index of the `}` matching the `{` at pos, or hi when it never closes. Markup
        between them is not C#, so quotes are not strings here."""
        if self._brace_pairs is None:
            pairs: dict[int, int] = {}
            stack: list[int] = []
            for m in _BRACES.finditer(self.text):
                if m.group() == "{":
                    stack.append(m.start())
                elif stack:
                    pairs[stack.pop()] = m.start()
            self._brace_pairs = pairs
        return min(self._brace_pairs.get(pos, hi), hi)

    # ---- Jinja, Django, Liquid, Twig, Nunjucks ---------------------------------------
    def _jinja_tag(self, m: re.Match, hi: int) -> int:
        start = m.start()
        end = self.find("%}", start + 2, hi)
        if end < 0:
            return start + 2
        stop = end + 2
        parsed = _WORD_REST.match(self.text[start + 2:end].strip().strip("-+").strip())
        word, rest = (parsed.group(1), parsed.group(2).strip()) if parsed else ("", "")
        if word in _JINJA_ENDS:
            return self._jinja_region(word, start, stop, hi)
        self.blank(start, stop)
        if word == "if":
            self.open("if", stop, rest)
        elif word in ("elif", "elsif"):
            self.branch(start, stop, rest)
        elif word in ("else", "empty", "when"):
            self.branch(start, stop)
        elif word == "unless":
            self.open("unless", stop, _negate(rest), rest)
        elif word in ("for", "case"):
            self.open(word, stop)
        elif word in ("endif", "endunless", "endfor", "endcase"):
            self.close(start, {word[3:]})
        return stop

    def _jinja_region(self, word: str, start: int, content_start: int, hi: int) -> int:
        closing = _JINJA_ENDS[word].search(self.text, content_start, hi)
        content_end, end = (closing.start(), closing.end()) if closing else (hi, hi)
        if word == "comment":
            return self.comment(start, content_start, content_end, end)
        self.blank(start, content_start)  # raw / verbatim: content is literal text
        self.blank(content_end, end)
        return end

    def _jinja_comment(self, m: re.Match, hi: int) -> int:
        start = m.start()
        end = self.find("#}", start + 2, hi)
        if end < 0:
            return start + 2
        return self.comment(start, start + 2, end, end + 2)

    # ---- {{ ... }}: Jinja/Vue expressions, Handlebars, Blade, Go -------------------
    def _double(self, m: re.Match, hi: int) -> int:
        text, dialects, start = self.text, self.dialects, m.start()
        handlebars = "handlebars" in dialects
        if handlebars and text.startswith("{{{", start):
            end = self.find("}}}", start + 3, hi)
            if end < 0:
                return start + 3
            self.expression(start, end + 3)
            return end + 3
        if text.startswith("{{--", start) and "blade" in dialects or handlebars and text.startswith("{{!--", start):
            opener = 4 if text[start + 2] == "-" else 5
            end = self.find("--}}", start + opener, hi)
            if end < 0:
                return start + opener
            return self.comment(start, start + opener, end, end + 4)
        end = self.find("}}", start + 2, hi)
        if end < 0:
            return start + 2
        stop = end + 2
        inner = text[start + 2:end]
        body = inner.strip().strip("-~").strip()
        lead = start + 2 + inner.index(body[0]) if body else end
        if "go" in dialects and body.startswith("/*"):
            close = text.rfind("*/", lead + 2, end)
            return self.comment(start, lead + 2, close if close >= 0 else end, stop)
        if handlebars and body.startswith("!"):
            return self.comment(start, lead + 1, start + 2 + len(inner.rstrip().rstrip("~")), stop)
        if handlebars and self._handlebars_tag(body, start, stop):
            return stop
        if "go" in dialects and self._go_action(body, start, stop):
            return stop
        self.expression(start, stop)
        return stop

    def _handlebars_tag(self, body: str, start: int, stop: int) -> bool:
        """Blocks, else, partials; False for an expression."""
        sigil = body[:1]
        if sigil not in ("#", "^", "/", ">") and not _ELSE_WORD.match(body):
            return False
        self.blank(start, stop)
        if sigil == "#":
            parsed = _WORD_REST.match(body.lstrip("#>*").strip())
            if parsed is None:
                return True
            name, args = parsed.group(1), parsed.group(2).strip()
            if body[1:2] in (">", "*"):  # partial block, decorator block
                self.open(name, stop)
            elif name == "if":
                self.open("if", stop, args)
            elif name == "unless":
                self.open("unless", stop, _negate(args), args)
            elif not args and name not in ("each", "with", "let"):
                self.open(name, stop, name)  # a Mustache section renders when its value is truthy
            else:
                self.open(name, stop)
        elif sigil == "^":
            name = body[1:].strip()
            if name:
                self.open(name, stop, _negate(name), name)
            else:
                self.branch(start, stop)
        elif sigil == "/":
            self.close(start, {body[1:].strip()})
        elif sigil != ">":
            rest = body[4:].strip()
            if rest.startswith("if "):
                self.branch(start, stop, rest[3:].strip())
            elif rest.startswith("unless "):
                cond = rest[7:].strip()
                self.branch(start, stop, _negate(cond), cond)
            else:
                self.branch(start, stop)
        return True

    def _go_action(self, body: str, start: int, stop: int) -> bool:
        parsed = _WORD_REST.match(body)
        word = parsed.group(1) if parsed else ""
        if word not in ("if", "else", "end", "range", "with", "block", "define", "template",
                        "break", "continue"):
            return False
        self.blank(start, stop)
        rest = parsed.group(2).strip()
        if word == "if":
            self.open("if", stop, rest)
        elif word == "else":
            self.branch(start, stop, rest[3:].strip() if rest.startswith("if ") else None)
        elif word == "end":
            self.close(start)
        elif word in ("range", "with", "block", "define"):
            self.open(word, stop)
        return True

    # ---- Blade ---------------------------------------------------------------------
    def _blade_escape(self, m: re.Match, hi: int) -> int:
        """`@{{ x }}` is printed as is for a JavaScript framework."""
        end = self.find("}}", m.start() + 3, hi)
        return end + 2 if end >= 0 else m.end()

    def _blade_raw(self, m: re.Match, hi: int) -> int:
        end = self.find("!!}", m.end(), hi)
        if end < 0:
            return m.end()
        self.expression(m.start(), end + 3)
        return end + 3

    def _blade_directive(self, m: re.Match, hi: int) -> int:
        name = m.group()[1:]
        start = m.start()
        closes = name[3:4].lower() + name[4:] if name.startswith("end") else None
        if name not in _BLADE_DIRECTIVES and closes not in _BLADE_DIRECTIVES:
            return m.end()
        stop, args = m.end(), None
        paren = _SPACE.match(self.text, stop, hi).end()
        if paren < hi and self.text[paren] == "(":
            closed = self.balanced(paren, hi)
            if closed > 0:
                stop, args = closed, self.text[paren + 1:closed - 1].strip()
        if name in _BLADE_EXPRESSIONS:
            self.expression(start, stop)
            return stop
        self.blank(start, stop)
        if name in ("php", "verbatim") and args is None:
            closing = _BLADE_ENDS[name].search(self.text, stop, hi)
            end = closing.end() if closing else hi
            if name == "php":
                self.blank(stop, end)
            else:
                self.blank(closing.start() if closing else hi, end)
            return end
        if name == "if":
            self.open("if", stop, args or "")
        elif name == "unless":
            self.open("unless", stop, _negate(args or ""), args or "")
        elif name in _BLADE_CONDITIONS and (args is not None or name not in ("empty", "error")):
            written = name + (f"({args})" if args is not None else "")
            self.open(name, stop, written)
        elif name == "elseif":
            self.branch(start, stop, args or "")
        elif name in ("else", "empty"):
            self.branch(start, stop)
        elif name == "forelse":
            self.open(name, stop)
        elif closes is not None:
            self.close(start, {closes})
        return stop

    # ---- PHP -----------------------------------------------------------------------
    def _php(self, m: re.Match, hi: int) -> int:
        start, code_start = m.start(), m.end()
        end = self.find("?>", code_start, hi)
        echo_tag = m.group().endswith("=")
        if end < 0 and echo_tag:
            return m.end()
        # A file may end in PHP code without a closing tag.
        code_end, stop = (hi, hi) if end < 0 else (end, end + 2)
        if echo_tag:
            self.expression(start, stop)
            return stop
        code = self.text[code_start:code_end]
        stripped = code.strip()
        for pattern in (_PHP_BLOCK_COMMENT, _PHP_LINE_COMMENT):
            found = pattern.fullmatch(code)
            if found:
                return self.comment(start, code_start + found.start("body"), code_start + found.end("body"), stop)
        if _PHP_ECHO.fullmatch(stripped) or _PHP_CALL.fullmatch(stripped):
            self.expression(start, stop)
            return stop
        pos = start
        for markup_start, markup_end in _raw_markup(self.text, code_start, code_end):
            self.blank(pos, markup_start)
            self.comments.append((markup_start, markup_end))  # cannot run: the file does not compile
            pos = markup_end
        self.blank(pos, stop)
        for action, pattern in _PHP_CONTROL:
            found = pattern.fullmatch(stripped)
            if found:
                self._control(action, found, start, stop)
                break
        return stop

    def _control(self, action: str, found: re.Match, start: int, stop: int) -> None:
        """Shared by PHP and ERB/EJS: the block action a tag's code performs."""
        groups = found.groupdict()
        cond = (groups.get("cond") or "").strip()
        if action == "if":
            self.open("if", stop, cond)
        elif action == "unless":
            self.open("if", stop, _negate(cond), cond)
        elif action == "branch":
            self.branch(start, stop, cond)
        elif action == "else":
            self.branch(start, stop)
        elif action == "endif":
            self.close(start, {"if"})
        elif action == "loop":
            self.open(groups["kind"], stop)
        elif action == "endloop":
            self.close(start, {groups["kind"]})
        elif action == "open":
            self.open("block", stop)
        elif action == "close":
            self.close(start)

    # ---- ERB / EJS -----------------------------------------------------------------
    def _erb(self, m: re.Match, hi: int) -> int:
        text, start = self.text, m.start()
        if text.startswith("<%%", start):
            return start + 3
        end = self.find("%>", start + 2, hi)
        if end < 0:
            return start + 2
        stop = end + 2
        marker = text[start + 2:start + 3]
        if marker == "#":
            return self.comment(start, start + 3, end - 1 if text[end - 1] == "-" else end, stop)
        code = text[start + 2:end].strip("=").strip().strip("-_").strip()
        control = None
        if marker != "=":
            control = next(((action, found) for action, pattern in _ERB_CONTROL
                            if (found := pattern.fullmatch(code))), None)
        if control is None and marker in ("=", "-"):
            self.expression(start, stop)
            return stop
        self.blank(start, stop)
        if control is not None:
            self._control(control[0], control[1], start, stop)
        return stop

    # ---- Smarty --------------------------------------------------------------------
    def _smarty(self, m: re.Match, hi: int) -> int:
        text, start = self.text, m.start()
        if text.startswith("{*", start):
            end = self.find("*}", start + 2, hi)
            if end < 0:
                return start + 2
            return self.comment(start, start + 2, end, end + 2)
        tag = _SMARTY_TAG.match(text, start, hi)
        if tag is None:
            return start + 1
        stop = tag.end()
        if tag.group("var") or tag.group("config"):
            self.expression(start, stop)
            return stop
        keyword = tag.group("keyword")
        if keyword in ("ldelim", "rdelim"):
            self.edits.append((start, stop, "{" if keyword == "ldelim" else "}"))
            return stop
        self.blank(start, stop)
        cond, closed = tag.group("cond"), tag.group("close")
        if cond == "if":
            self.open("if", stop, tag.group("args").strip())
        elif cond == "elseif":
            self.branch(start, stop, tag.group("args").strip())
        elif cond == "while" or keyword in ("foreach", "section", "for"):
            self.open(cond or keyword, stop)
        elif keyword in ("else", "foreachelse", "sectionelse"):
            self.branch(start, stop)
        elif closed:
            self.close(start, {closed})
        elif keyword == "literal":
            closing = _SMARTY_LITERAL_END.search(text, stop, hi)
            if closing is None:
                return hi
            self.blank(closing.start(), closing.end())
            return closing.end()
        return stop

    # ---- FreeMarker ----------------------------------------------------------------
    def _ftl_expression(self, m: re.Match, hi: int) -> int:
        end = self.find("}", m.end(), hi)
        if end < 0:
            return m.end()
        self.expression(m.start(), end + 1)
        return end + 1

    def _ftl_tag(self, m: re.Match, hi: int) -> int:
        text, start = self.text, m.start()
        if text.startswith("<#--", start):
            end = self.find("-->", start + 4, hi)
            content_end, stop = (hi, hi) if end < 0 else (end, end + 3)
            return self.comment(start, start + 4, content_end, stop)
        named = _FTL_NAME.match(text, start, hi)
        stop = self._tag_end(named.end(), hi)
        if stop < 0:
            return m.end()
        self.blank(start, stop)
        name = named.group(1)
        if text[start + 1] == "/":
            self.close(start, {name})
        elif text[start + 1] == "#":
            args = text[named.end():stop - 1].rstrip("/").strip()
            if name == "if":
                self.open("if", stop, args)
            elif name == "elseif":
                self.branch(start, stop, args)
            elif name == "else":
                self.branch(start, stop)
            elif name in ("list", "items", "switch"):
                self.open(name, stop)
        return stop

    def _tag_end(self, pos: int, hi: int) -> int:
        """Index after the `>` ending a FreeMarker tag; parentheses and strings may hold `>`."""
        depth = 0
        i = pos
        limit = min(hi, pos + 10_000)
        while i < limit:
            ch = self.text[i]
            if ch in "\"'":
                quoted = _QUOTED[ch].match(self.text, i, limit)
                i = quoted.end() if quoted else i + 1
                continue
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth = max(depth - 1, 0)
            elif ch == ">" and depth == 0:
                return i + 1
            elif ch == "<" and depth == 0:
                return -1
            i += 1
        return -1

    # ---- Razor ---------------------------------------------------------------------
    def _razor(self, m: re.Match, hi: int) -> int:
        text, start = self.text, m.start()
        at = start + 1
        ch = text[at]
        if ch == "@":
            return at + 1
        if ch == "*":
            end = self.find("*@", at + 1, hi)
            content_end, stop = (hi, hi) if end < 0 else (end, end + 2)
            return self.comment(start, at + 1, content_end, stop)
        if ch == "(":
            stop = self.balanced(at, hi)
            if stop < 0:
                return at
            self.expression(start, stop)
            return stop
        if ch == "{":
            stop = min(self.brace_block(at, hi) + 1, hi)
            self.blank(start, stop)
            return stop
        if ch == ":":
            self.blank(start, at + 1)
            return at + 1
        word = _RAZOR_IDENT.match(text, at, hi).group()
        after = at + len(word)
        if word == "if":
            return self._razor_if(start, after, hi)
        if word in _RAZOR_LINE_DIRECTIVES or word == "using" and self._next_char(after, hi) not in "({":
            stop = _LINE_END.match(text, after, hi).end()
            self.blank(start, stop)
            return stop
        if word in _RAZOR_BLOCKS or word in _RAZOR_CODE:
            return self._razor_block(word, start, after, hi)
        if word in _CSS_AT_RULES:
            return after
        if word == "await":
            after = _SPACE.match(text, after, hi).end()
            name = _RAZOR_IDENT.match(text, after, hi)
            if name is None:
                return after
            after = name.end()
        stop = self._razor_chain(after, hi)
        self.expression(start, stop)
        return stop

    def _next_char(self, pos: int, hi: int) -> str:
        pos = _SPACE.match(self.text, pos, hi).end()
        return self.text[pos] if pos < hi else ""

    def _razor_chain(self, pos: int, hi: int) -> int:
        """End of an implicit expression: `Model.Settings.PixelId`, `Html.Raw(x)`, `a[0]`."""
        text = self.text
        while pos < hi:
            ch = text[pos]
            if ch == "." and pos + 1 < hi and (text[pos + 1].isalpha() or text[pos + 1] == "_"):
                pos = _RAZOR_IDENT.match(text, pos + 1, hi).end()
            elif ch in "([":
                closed = self.balanced(pos, hi)
                if closed < 0:
                    return pos
                pos = closed
            else:
                return pos
        return pos

    def _razor_if(self, start: int, pos: int, hi: int) -> int:
        """`@if (a) { ... }`: the block's content is scanned by run(), which ends it."""
        head = self._razor_head(pos, hi)
        if head is None or head[0] is None:
            return pos
        cond, brace = head
        self.blank(start, brace + 1)
        self.brace_blocks.append(_Block("if", brace + 1, True, cond, _negate(cond),
                                        close=self.brace_block(brace, hi)))
        return brace + 1

    def _razor_head(self, pos: int, hi: int) -> tuple[str | None, int] | None:
        """`(condition) {` or a bare `{` at pos: (condition, index of the brace)."""
        text = self.text
        cond = None
        paren = _SPACE.match(text, pos, hi).end()
        if paren < hi and text[paren] == "(":
            closed = self.balanced(paren, hi)
            if closed < 0:
                return None
            cond, pos = text[paren + 1:closed - 1].strip(), closed
        brace = _SPACE.match(text, pos, hi).end()
        if brace >= hi or text[brace] != "{":
            return None
        return cond, brace

    def _end_brace_block(self, hi: int) -> int:
        """Close the innermost Razor block at its brace; `else if (b) {` / `else {` after an
        if's block opens the next branch."""
        block = self.brace_blocks.pop()
        close = block.close
        self._report(block, close)
        if close >= hi:
            return hi
        self.blank(close, close + 1)
        following = _RAZOR_ELSE.match(self.text, close + 1, hi) if block.conditional and block.own else None
        head = self._razor_head(following.end(), hi) if following else None
        if head is None:
            return close + 1
        cond, brace = head
        self.blank(close + 1, brace + 1)
        block.negations.append(block.negated)
        block.own, block.negated = cond, (_negate(cond) if cond is not None else None)
        block.content_start, block.close = brace + 1, self.brace_block(brace, hi)
        self.brace_blocks.append(block)
        return brace + 1

    def _razor_block(self, word: str, start: int, pos: int, hi: int) -> int:
        """`@foreach (...) { markup }`, `@section Scripts { markup }`, `@code { C# }`."""
        text = self.text
        brace = text.find("{", pos, min(hi, pos + 2000))
        paren = text.find("(", pos, brace) if brace >= 0 else -1
        if paren >= 0:
            closed = self.balanced(paren, hi)
            brace = text.find("{", closed, min(hi, closed + 200)) if closed > 0 else -1
        if brace < 0:
            return pos
        close = self.brace_block(brace, hi)
        if word in _RAZOR_CODE:
            stop = min(close + 1, hi)
            self.blank(start, stop)
            return stop
        self.blank(start, brace + 1)
        self.brace_blocks.append(_Block(word, brace + 1, False, close=close))
        return brace + 1

    # ---- result --------------------------------------------------------------------
    def view(self) -> TemplateView:
        text = self.text
        if not self.edits:
            masked = text
        else:
            pieces = []
            pos = 0
            for start, end, replacement in sorted(self.edits, key=itemgetter(0)):
                if start < pos:  # never expected; keep the view the text's length regardless
                    start = pos
                    if start >= end:
                        continue
                pieces.append(text[pos:start])
                if replacement is None:
                    pieces.append(_NOT_NEWLINE.sub(" ", text[start:end]))
                elif replacement == "_":
                    pieces.append("_" * (end - start))
                else:
                    pieces.append(replacement.ljust(end - start))
                pos = end
            pieces.append(text[pos:])
            masked = _rejoin_tag_openers(text, "".join(pieces))
        expressions = tuple(sorted((s, e) for s, e, r in self.edits if r == "_"))
        conditionals = tuple(sorted(self.conditionals, key=lambda c: (c.start, -c.end)))
        return TemplateView(masked, expressions, tuple(sorted(self.comments)), conditionals)


def _rejoin_tag_openers(text: str, masked: str) -> str:
    """`<{if $debug} {/if}script>` renders `<script>` when the condition is false: a `<` that
    only template syntax (and blanks) keeps from its tag name moves up to it."""
    if "<" not in masked:
        return masked

    def rejoin(found: re.Match) -> str:
        if text[found.start():found.end()] == found.group():
            return found.group()  # a `<` and spaces in the text itself: no tag
        return " " * (len(found.group()) - 1) + "<"
    return _SPLIT_TAG_OPENER.sub(rejoin, masked)


def _raw_markup(text: str, start: int, end: int):
    """(start, end) of each run of markup written raw inside PHP code [start, end)."""
    pos = start
    while True:
        found = _PHP_SKIPPED_OR_MARKUP.search(text, pos, end)
        if found is None:
            return
        if found.group("markup") is None:
            pos = found.end()
            continue
        run_start = pos = found.start("markup")
        while True:
            piece = _MARKUP_PIECE.match(text, pos, end)
            if piece is None or piece.end() == pos or \
                    (piece.group("text") is not None and "\n" in text[pos:piece.start("text")]):
                break
            pos = piece.end()
        yield run_start, pos


def template_view(text: str, dialects: frozenset[str]) -> TemplateView:
    openers = _openers(frozenset(dialects))
    if openers is None or not openers.may_be_in(text) or openers.pattern.search(text) is None:
        return TemplateView(masked=text)
    scanner = _Scanner(text, frozenset(dialects), openers)
    scanner.run(0, len(text))
    scanner.close_all(len(text))
    return scanner.view()
