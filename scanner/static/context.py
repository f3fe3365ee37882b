"""What an analyzer is handed: a fragment of one file, and what surrounds it.

A fragment is a character range of a SourceText in one language (a whole .js file, an
inline <script>, a handler attribute, a snippet kept in a string literal). Analyzers nest:
HTML hands script bodies to the JS analyzer, JS hands HTML-looking string literals back to
the HTML analyzer, Python hands string literals to both. Offsets are always characters of
the whole file's text, so every finding maps to bytes through SourceText.location.
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field, replace

from scanner.catalog import Catalog
from scanner.model import Findings, Trigger
from scanner.sources.text import SourceText

_BLANK_RUN = re.compile(r" +")
_NON_SPACE_SPAN = re.compile(r"\S(?:.*\S)?", re.DOTALL)


@dataclass(frozen=True)
class Conditional:
    """A template conditional block: `{% if x %}...{% endif %}`, `@if(x)...@endif`, ..."""

    start: int
    end: int
    condition: str
    """The condition as written (`settings.meta_enabled`, `!(x)` for an else branch)."""


@dataclass(frozen=True)
class TemplateView:
    """A file's text with template syntax masked, same length as the text.

    Template expressions (`{{ x }}`, `<?= $x ?>`, `{$x}`, `@json(x)`) become runs of `_`, a
    valid identifier inside JS and plain text inside HTML, so parsers see ordinary code;
    block tags (`{% if %}`, `<?php if (...): ?>`) become spaces (newlines kept). Template
    comments keep their content (so a commented-out pixel is still found) and only lose
    their delimiters; findings inside them are inactive.
    """

    masked: str
    expressions: tuple[tuple[int, int], ...] = ()
    comments: tuple[tuple[int, int], ...] = ()
    conditionals: tuple[Conditional, ...] = ()

    def expression_in(self, start: int, end: int) -> bool:
        """Whether [start, end) overlaps a template expression."""
        i = bisect.bisect_left(self.expressions, (start, -1))
        for j in (i - 1, i):
            if 0 <= j < len(self.expressions):
                s, e = self.expressions[j]
                if s < end and start < e:
                    return True
        return False

    def is_commented(self, pos: int) -> bool:
        # Comments do not overlap, so only the last one starting at or before pos can hold it.
        i = bisect.bisect_right(self.comments, (pos, float("inf"))) - 1
        return i >= 0 and self.comments[i][0] <= pos < self.comments[i][1]

    def conditions_at(self, pos: int) -> tuple[str, ...]:
        """Conditions of the template blocks enclosing pos, outermost first."""
        if not self.conditionals:
            return ()
        return tuple(c.condition for c in self.conditionals[:self._conditionals_starting_by(pos)] if pos < c.end)

    def _conditionals_starting_by(self, pos: int) -> int:
        return bisect.bisect_right(self._conditional_starts, pos)

    @functools.cached_property
    def _conditional_starts(self) -> list[int]:
        return [c.start for c in self.conditionals]


def plain_view(text: str) -> TemplateView:
    return TemplateView(masked=text)


@dataclass(frozen=True)
class Fragment:
    source: SourceText
    start: int
    end: int
    language: str
    """js, jsx, ts, tsx, html or python."""
    view: TemplateView
    """Template view of the whole file (plain_view for files without template syntax)."""
    active: bool = True
    """False inside commented-out code."""
    trigger: Trigger | None = None
    """Inherited trigger: a handler attribute's event and element selector."""
    conditions: tuple[str, ...] = ()
    """Inherited conditions (enclosing template blocks, consent gating)."""
    after_consent: bool = False
    """Inside a consent-gated script (`type="text/plain" data-cookieconsent=...`)."""

    @property
    def text(self) -> str:
        """The fragment's masked text: what parsers see."""
        return self.view.masked[self.start:self.end]

    def original(self, start: int, end: int) -> str:
        """Unmasked source text of file characters [start, end)."""
        return self.source.text[start:end]

    def rewritten(self, start: int, end: int) -> bool:
        """Whether template syntax was masked anywhere in file characters [start, end)."""
        return self.view.masked[start:end] != self.source.text[start:end]

    def written(self, start: int, end: int) -> str:
        """Source text of [start, end) as it shows the value: template expressions kept,
        block tags (`{/literal}`, `{if $x}`: masked to spaces) dropped."""
        original = self.source.text[start:end]
        masked = self.view.masked[start:end]
        if original == masked:
            return original
        kept, pos = [], 0
        for run in _BLANK_RUN.finditer(masked):
            inner = _NON_SPACE_SPAN.search(original, run.start(), run.end())
            if inner is None:
                continue
            kept.append(original[pos:inner.start()])
            pos = inner.end()
        kept.append(original[pos:])
        return "".join(kept)

    def child(self, start: int, end: int, language: str, **changes) -> "Fragment":
        return replace(self, start=start, end=end, language=language, **changes)


@dataclass
class ScanContext:
    """Shared by every analyzer on one file."""

    catalog: Catalog
    out: Findings = field(default_factory=Findings)
    depth: int = 0
    """Nesting of snippet-in-string analysis, bounded to stop pathological recursion."""
    js_units: list = field(default_factory=list)
    """JS fragments of this file analysed so far; finish_js looks in them for the places
    that use named functions (a handler attribute calls a function an earlier script defined)."""
    js_deferred: list = field(default_factory=list)
    """What the JS analyzer found inside named functions, waiting for finish_js to learn
    where those functions run."""
    js_seen: set = field(default_factory=set)
    """Findings the JS analyzer already added, so a function used twice the same way reports once."""
