"""Decoding a file's bytes and mapping character offsets back to the bytes as stored.

Analyzers work on `str` in character offsets; a Location must carry byte offsets into the
file exactly as stored (BOM, latin-1 and CRLF included) so the rewriters can cut there.
"""
from __future__ import annotations

import bisect
import codecs
import functools
import re
from dataclasses import dataclass, field

from scanner.model import Location

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# A charset declared in the first bytes: <meta charset>, http-equiv content, PEP 263, @charset.
_DECLARED = re.compile(
    rb"""(?:charset\s*=\s*["']?|coding[:=]\s*|@charset\s+["'])([A-Za-z0-9_.:-]{2,40})""", re.IGNORECASE)
_SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "ascii"}
_CHUNK = 4096
"""Characters per step of the UTF-8 offset table: a lookup encodes at most this many."""


def _declared_encoding(head: bytes) -> str | None:
    found = _DECLARED.search(head)
    if not found:
        return None
    try:
        return codecs.lookup(found.group(1).decode("ascii")).name
    except LookupError:
        return None


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    bom: int
    """Length of the byte-order mark in bytes."""
    note: str | None = None
    """Why the encoding is not what the file declared or UTF-8, for a diagnostic."""


def decode(raw: bytes) -> Decoded:
    """Decode without ever failing: BOM, then a declared charset, then UTF-8, then latin-1
    (which maps every byte to one character, so offsets stay exact)."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return Decoded(raw[len(bom):].decode(encoding), encoding, len(bom))
            except UnicodeDecodeError:
                break
    declared = _declared_encoding(raw[:2048])
    if declared and declared not in ("utf-8", "utf_8"):
        try:
            return Decoded(raw.decode(declared), declared, 0)
        except UnicodeDecodeError:
            pass
    try:
        return Decoded(raw.decode("utf-8"), "utf-8", 0)
    except UnicodeDecodeError as exc:
        note = f"not valid UTF-8 (byte {exc.start}); read as latin-1"
        return Decoded(raw.decode("latin-1"), "latin-1", 0, note)


@dataclass(frozen=True)
class SourceText:
    """One file: its path relative to the scanned root, its text, and offset mapping."""

    path: str
    text: str
    encoding: str = "utf-8"
    bom: int = 0
    raw_length: int = field(default=-1, compare=False)

    @classmethod
    def from_bytes(cls, path: str, raw: bytes) -> tuple["SourceText", str | None]:
        decoded = decode(raw)
        return cls(path, decoded.text, decoded.encoding, decoded.bom, len(raw)), decoded.note

    @functools.cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        find = self.text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        return starts

    @functools.cached_property
    def _utf8_chunks(self) -> list[int] | None:
        """UTF-8 bytes before each chunk of the text; None when characters and bytes coincide."""
        text = self.text
        if text.isascii():
            return None
        totals = [0]
        for start in range(0, len(text), _CHUNK):
            totals.append(totals[-1] + len(text[start:start + _CHUNK].encode("utf-8", "surrogatepass")))
        return totals

    def byte_offset(self, index: int) -> int:
        """Byte offset in the stored file of character `index` of the text."""
        if self.encoding in _SINGLE_BYTE or self.encoding.startswith("iso8859"):
            return self.bom + index
        if self.encoding in ("utf-8", "utf_8"):
            totals = self._utf8_chunks
            if totals is None:
                return self.bom + index
            chunk = index // _CHUNK
            partial = self.text[chunk * _CHUNK:index]
            return self.bom + totals[chunk] + len(partial.encode("utf-8", "surrogatepass"))
        return self.bom + len(self.text[:index].encode(self.encoding, "replace"))

    def line_column(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, index)
        return line, index - self._line_starts[line - 1] + 1

    def location(self, start: int, end: int) -> Location:
        """Location of the characters [start, end) of the text."""
        line, column = self.line_column(start)
        return Location(self.path, line, column, self.byte_offset(start), self.byte_offset(end))
