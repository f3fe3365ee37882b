"""What a rewriter hands back for one file, shaped like LibCST's codemod results.

`Edits` carries byte ranges of the file as stored and what happens to each; `Skip` says why a
file needs no change; `Failure` says why a file cannot be changed safely, so it stays out of
the patch. Notes record what was kept on purpose and what is left for a person to do. All
records are frozen: they cross module boundaries unchanged.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Union


class NoteKind(str, enum.Enum):
    KEPT = "kept"
    """Deliberately left in place: first-party id capture, code another vendor still uses."""
    MANUAL = "manual"
    """Something of a chosen vendor that is still there and needs a person."""
    INFO = "info"
    """Worth knowing, nothing left behind (an id that also lives in CMS settings)."""


@dataclass(frozen=True, order=True)
class Note:
    path: str
    line: int
    """1-based line in the file as it was before the strip; 0 when the note is about no line."""
    kind: NoteKind
    vendor: str | None
    what: str
    """The code or thing the note is about, short."""
    reason: str


@dataclass(frozen=True, order=True)
class Edit:
    start: int
    """Byte offset in the file as stored."""
    end: int
    replacement: bytes
    removed: str
    """The text taken out, as decoded."""
    reasons: tuple[str, ...]
    vendors: tuple[str, ...]


@dataclass(frozen=True, order=True)
class Removal:
    """One finding of a chosen vendor that the edits take out."""

    path: str
    line: int
    vendor: str
    what: str
    """role or event name: loader, init, noscript, PageView, ..."""
    active: bool = True


@dataclass(frozen=True, order=True)
class Left:
    """A finding of a chosen vendor deliberately left in place (a note says why), known by
    its code so a scan of the changed file can tell it from one the edits missed."""

    vendor: str
    what: str
    code: bytes


@dataclass(frozen=True)
class Edits:
    edits: tuple[Edit, ...]
    removals: tuple[Removal, ...] = ()
    notes: tuple[Note, ...] = ()
    left: tuple[Left, ...] = ()


@dataclass(frozen=True)
class Skip:
    reason: str
    notes: tuple[Note, ...] = ()
    left: tuple[Left, ...] = ()


@dataclass(frozen=True)
class Failure:
    reason: str
    notes: tuple[Note, ...] = ()


RewriteResult = Union[Edits, Skip, Failure]
