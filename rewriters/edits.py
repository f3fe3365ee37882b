"""Cuts in a file's text, merged into byte edits.

Rewriters mark cuts in character offsets of the decoded text (the offsets every analyzer
works in). Here they are merged (containment, overlap, touching), widened so that a cut that
covers whole lines takes the lines with their line ends (no blank-line litter), narrowed to
nothing else, and turned into byte edits of the file as stored (BOM, latin-1, CRLF kept).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

from scanner.sources.text import SourceText
from rewriters.result import Edit


class EditConflict(Exception):
    """Two cuts overlap and one of them replaces text: no safe way to combine them."""


@dataclass(frozen=True, order=True)
class Cut:
    start: int
    """Character offset in the file's text."""
    end: int
    replacement: str = ""
    reason: str = ""
    vendor: str | None = None


class Spans:
    """A union of character ranges with cheap covers/overlaps queries."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def add(self, start: int, end: int) -> None:
        if end <= start:
            return
        i = bisect.bisect_left(self._ends, start)
        j = bisect.bisect_right(self._starts, end)
        if i < j:
            start = min(start, self._starts[i])
            end = max(end, self._ends[j - 1])
        self._starts[i:j] = [start]
        self._ends[i:j] = [end]

    def covers(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self._starts, start) - 1
        return i >= 0 and self._ends[i] >= end

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self._ends, start)
        return i < len(self._starts) and self._starts[i] < end

    def __iter__(self):
        return iter(zip(self._starts, self._ends))


def merge(cuts: list[Cut]) -> list[Cut]:
    """Cuts sorted and combined: an outer cut absorbs what it contains, overlapping or
    touching deletions join. Raises EditConflict for an overlap that involves a replacement."""
    merged: list[Cut] = []
    for cut in sorted(cuts, key=lambda c: (c.start, -c.end)):
        if not merged:
            merged.append(cut)
            continue
        last = merged[-1]
        if (cut.start, cut.end) == (last.start, last.end):
            merged[-1] = _joined(last, cut, last.start, last.end, last.replacement or cut.replacement)
        elif cut.end <= last.end and cut.start >= last.start and cut.start < last.end:
            merged[-1] = _joined(last, cut, last.start, last.end, last.replacement)
        elif cut.start < last.end or (cut.start == last.end and not last.replacement and not cut.replacement):
            if last.replacement or cut.replacement:
                raise EditConflict(f"edits at characters {last.start}-{last.end} and {cut.start}-{cut.end} overlap")
            merged[-1] = _joined(last, cut, last.start, max(last.end, cut.end), "")
        else:
            merged.append(cut)
    return merged


def _joined(a: Cut, b: Cut, start: int, end: int, replacement: str) -> Cut:
    reasons = a.reason if b.reason in a.reason.split("; ") else f"{a.reason}; {b.reason}"
    vendor = a.vendor if a.vendor == b.vendor or b.vendor is None else (
        b.vendor if a.vendor is None else f"{a.vendor},{b.vendor}")
    return Cut(start, end, replacement, reasons.strip("; "), vendor)


def tidy(text: str, cuts: list[Cut]) -> list[Cut]:
    """Merged cuts widened to whole lines where only whitespace shares their lines, or over
    the horizontal whitespace that would be left dangling. A whole-line cut takes along a
    blank line that would otherwise double another, open a block or the file, or close a block."""
    result = merge([_widen(text, c) for c in merge(cuts)])
    while True:
        tidied = merge([_blank_lines(text, c) for c in result])
        if tidied == result:
            return result
        result = tidied


def _blank_lines(text: str, cut: Cut) -> Cut:
    if cut.replacement or not _whole_lines(text, cut.start, cut.end):
        return cut
    before, after = _blank_line_before(text, cut.start), _blank_line_at(text, cut.end)
    if after and (before or cut.start == 0 or _previous_line(text, cut.start).rstrip().endswith(_OPENERS)):
        return Cut(cut.start, _line_end(text, cut.end), "", cut.reason, cut.vendor)
    if before and (cut.end == len(text) or text[cut.end:_line_end(text, cut.end)].lstrip().startswith(_CLOSERS)
                   or _previous_line(text, _line_start(text, cut.start - 1)).rstrip().endswith(_OPENERS)):
        return Cut(_line_start(text, cut.start - 1), cut.end, "", cut.reason, cut.vendor)
    return cut


_OPENERS = ("{", "(", "[")
_CLOSERS = ("}", ")", "]", "</")


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _previous_line(text: str, pos: int) -> str:
    return text[_line_start(text, pos - 1):pos] if pos > 0 else ""


def _widen(text: str, cut: Cut) -> Cut:
    if cut.replacement:
        return cut
    start, end = cut.start, cut.end
    line_start = text.rfind("\n", 0, start) + 1
    newline = text.find("\n", end)
    content_end = len(text) if newline < 0 else newline
    if not text[line_start:start].strip() and not text[end:content_end].strip():
        if newline < 0 and line_start > 0:
            # The last line, without a line end: it takes the line end before it, so the
            # file still ends without one.
            line_start -= 2 if text[line_start - 2:line_start] == "\r\n" else 1
        return Cut(line_start, len(text) if newline < 0 else newline + 1, "", cut.reason, cut.vendor)
    after = text[end] if end < len(text) else "\n"
    if after in "\r\n\"'`<)]}" and start > line_start and text[start - 1] in " \t":
        while start > line_start and text[start - 1] in " \t":
            start -= 1
    elif after in " \t" and not text[start].isspace() and (start == line_start or text[start - 1] in " \t\"'`({["):
        while end < content_end and text[end] in " \t":
            end += 1
    return Cut(start, end, "", cut.reason, cut.vendor)


def _whole_lines(text: str, start: int, end: int) -> bool:
    return (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end - 1] == "\n")


def _line_end(text: str, pos: int) -> int:
    newline = text.find("\n", pos)
    return len(text) if newline < 0 else newline + 1


def _blank_line_at(text: str, pos: int) -> bool:
    return pos < len(text) and not text[pos:_line_end(text, pos)].strip()


def _blank_line_before(text: str, pos: int) -> bool:
    if pos == 0:
        return False
    previous = text.rfind("\n", 0, pos - 1) + 1
    return not text[previous:pos].strip()


def to_edits(source: SourceText, cuts: list[Cut]) -> tuple[Edit, ...]:
    """Byte edits of the file as stored; replacements in the file's own encoding."""
    edits = []
    for cut in cuts:
        vendors = tuple(sorted(set(cut.vendor.split(",")))) if cut.vendor else ()
        edits.append(Edit(source.byte_offset(cut.start), source.byte_offset(cut.end),
                          cut.replacement.encode(source.encoding), source.text[cut.start:cut.end],
                          tuple(r for r in cut.reason.split("; ") if r), vendors))
    return tuple(edits)


def apply(raw: bytes, edits: tuple[Edit, ...]) -> bytes:
    parts, pos = [], 0
    for edit in sorted(edits):
        parts += [raw[pos:edit.start], edit.replacement]
        pos = edit.end
    parts.append(raw[pos:])
    return b"".join(parts)


def original_offset(pos: int, edits: tuple[Edit, ...]) -> int:
    """Where a byte offset of the edited file was before the edits."""
    shift = 0
    for edit in sorted(edits):
        new_start = edit.start + shift
        if new_start >= pos:
            break
        new_end = new_start + len(edit.replacement)
        if pos < new_end:
            return edit.start
        shift += len(edit.replacement) - (edit.end - edit.start)
    return pos - shift
