"""The strip of a source tree: scan, rewrite file by file, check, and say what is left.

Every file is read once and scanned with the static scanner; the files that hold something
of the chosen vendors (or a link hint, or django-analytical) go to the rewriter of their
kind. A rewrite runs in rounds: the edits are applied to a copy in memory and the copy is
scanned again, so code that only showed once other code went (a wrapper whose call sites
were removed) goes in the next round. Then the checks: no active finding of a chosen vendor
may be left that no note explains, and the file must still parse as well as before. A file
that fails is left out of the patch with the reason; a broken patch is never produced.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

from bs4 import BeautifulSoup

from scanner.catalog import Catalog
from scanner.inventory import Inventory, build_inventory
from scanner.model import EventFinding, FileResult, PixelFinding
from scanner.sources.text import SourceText
from scanner.sources.walk import SourceFile, WalkOptions, walk
from scanner.static import scan_bytes
from scanner.static.js_syntax import parse
from scanner.static.templates import dialects_for, template_view
from rewriters import gtm
from rewriters.edits import apply, original_offset
from rewriters.job import StripContext, host_of, label
from rewriters.patch import tree_patch
from rewriters.result import Edits, Failure, Left, Note, NoteKind, Removal, Skip

MAX_ROUNDS = 4
# Files without a finding that may still need a change: a connection hint, django-analytical.
_EXTRA = {"html": re.compile(rb"preconnect|dns-prefetch|analytical", re.IGNORECASE),
          "python": re.compile(rb"analytical")}
_URL = re.compile(r"(?:https?:)?//[^\s'\"`<>)]+", re.IGNORECASE)
_URL_ROLES = frozenset({"loader", "beacon", "noscript"})


@dataclass(frozen=True)
class FileChange:
    path: str
    old: bytes
    new: bytes
    removals: tuple[Removal, ...]
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class LeftOut:
    """A file the strip does not touch because its change failed a check."""

    path: str
    reason: str
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class Elsewhere:
    """Something of a chosen vendor that is not in the source, and where to remove it."""

    vendor: str
    what: str
    where: str
    resolved: bool = False
    """Taken care of by the paused GTM export."""


@dataclass(frozen=True)
class GtmOutcome:
    name: str
    result: Edits | Skip | Failure


@dataclass(frozen=True)
class StripPlan:
    chosen: tuple[str, ...]
    changes: tuple[FileChange, ...] = ()
    left_out: tuple[LeftOut, ...] = ()
    notes: tuple[Note, ...] = ()
    """Notes about files the strip does not change."""
    elsewhere: tuple[Elsewhere, ...] = ()
    gtm: GtmOutcome | None = None

    def patch(self) -> bytes:
        return tree_patch((c.path, c.old, c.new) for c in self.changes)

    def rollback(self) -> bytes:
        return tree_patch((c.path, c.new, c.old) for c in self.changes)

    def all_notes(self) -> tuple[Note, ...]:
        gtm_notes = self.gtm.result.notes if self.gtm is not None else ()
        return tuple(n for c in self.changes for n in c.notes) + tuple(n for f in self.left_out for n in f.notes) \
            + self.notes + tuple(gtm_notes)

    @property
    def remaining(self) -> bool:
        """Something of the chosen vendors is still there after the patch."""
        return bool(self.left_out) or any(n.kind == NoteKind.MANUAL for n in self.all_notes()) \
            or any(not e.resolved for e in self.elsewhere) \
            or (self.gtm is not None and isinstance(self.gtm.result, Failure))


@dataclass(frozen=True)
class _Scanned:
    file: SourceFile
    raw: bytes
    result: FileResult


def plan_strip(root: Path, chosen: frozenset[str], catalog: Catalog, walk_options: WalkOptions = WalkOptions(),
               inventory: Inventory | None = None, gtm_export: tuple[str, bytes] | None = None) -> StripPlan:
    results: list[FileResult] = []
    scanned: list[_Scanned] = []
    left_out: list[LeftOut] = []
    for item in walk(Path(root), walk_options):
        if not isinstance(item, SourceFile):
            continue
        try:
            raw = item.path.read_bytes()
        except OSError as exc:
            left_out.append(LeftOut(item.rel, f"cannot read: {exc.strerror or exc}"))
            continue
        result = scan_bytes(item.rel, raw, item.kind, catalog)
        results.append(result)
        if result.skipped is not None:
            if result.skipped != "binary content":
                left_out.append(LeftOut(item.rel, f"not analysed: {result.skipped}"))
        elif catalog.has_signature(raw) or (item.kind in _EXTRA and _EXTRA[item.kind].search(raw)):
            scanned.append(_Scanned(item, raw, result))
    ctx = _context(catalog, chosen, scanned, results)
    # Vendor API calls the scan does not report (consent calls) are code of the vendor too.
    words = re.compile(rb"(?<![\w$])(?:" + b"|".join(re.escape(n.encode()) for n in sorted(ctx.removable_names))
                       + rb")(?![\w$])") if ctx.removable_names else None
    candidates = [s for s in scanned if any(f.vendor in chosen for f in s.result.findings)
                  or (s.file.kind in _EXTRA and _EXTRA[s.file.kind].search(s.raw))
                  or (words is not None and s.file.kind != "python" and words.search(s.raw))]
    changes, notes = [], []
    for candidate in candidates:
        outcome = strip_file(candidate.file.rel, candidate.raw, candidate.file.kind, candidate.result.findings, ctx)
        if isinstance(outcome, FileChange):
            changes.append(outcome)
        elif isinstance(outcome, LeftOut):
            left_out.append(outcome)
        else:
            notes += outcome
    gtm_outcome = None
    if gtm_export is not None:
        gtm_outcome = GtmOutcome(gtm_export[0], gtm.pause_tags(gtm_export[0], gtm_export[1], chosen, catalog))
    elsewhere = _elsewhere(results, catalog, chosen, inventory, gtm_outcome)
    return StripPlan(tuple(sorted(chosen)), tuple(sorted(changes, key=lambda c: c.path)),
                     tuple(sorted(left_out, key=lambda f: f.path)), tuple(sorted(set(notes))), tuple(elsewhere),
                     gtm_outcome)


def _context(catalog: Catalog, chosen: frozenset[str], candidates: list[_Scanned],
             results: list[FileResult]) -> StripContext:
    # Code that cannot run (commented out) needs no loader or stub: only active findings keep shared code.
    present = {f.vendor for r in results for f in r.findings
               if isinstance(f, (PixelFinding, EventFinding)) and f.active}
    settings = [f for r in results for f in r.findings if isinstance(f, PixelFinding) and f.role == "settings"]
    analytical_goes = any(f.vendor in chosen for f in settings) and all(f.vendor in chosen for f in settings)
    hosts: dict[str, set[str]] = {}
    for scanned in candidates:
        for finding in scanned.result.findings:
            if isinstance(finding, PixelFinding) and finding.vendor in chosen and finding.role in _URL_ROLES:
                span = scanned.raw[finding.location.start:finding.location.end].decode("utf-8", "replace")
                for url in _URL.findall(span):
                    host = host_of(url)
                    if host:
                        hosts.setdefault(finding.vendor, set()).add(host)
    return StripContext(catalog, chosen, frozenset(present - chosen), analytical_goes,
                        {v: frozenset(h) for v, h in hosts.items()})


def strip_file(path: str, raw: bytes, kind: str, findings, ctx: StripContext) -> FileChange | LeftOut | list[Note]:
    """The checked change of one file; only notes when nothing changes."""
    from rewriters import html, js, python
    rewriter = {"html": html, "python": python}.get(kind, js)
    current = raw
    history: list[tuple] = []
    removals: dict[tuple, Removal] = {}
    notes: dict[Note, None] = {}
    left: set[Left] = set()
    for _ in range(MAX_ROUNDS):
        try:
            result = rewriter.rewrite(path, current, kind, findings, ctx)
        except Exception as exc:  # a rewriter bug must cost one file, never the strip
            return LeftOut(path, f"internal error while rewriting ({type(exc).__name__}: {exc}); remove by hand")
        if isinstance(result, Failure):
            return LeftOut(path, result.reason, tuple(notes))
        for note in result.notes:
            notes.setdefault(_remapped(note, current, history, raw), None)
        left.update(result.left)
        if isinstance(result, Skip):
            break
        for removal in result.removals:
            removal = replace(removal, line=_original_line(removal.line, current, history, raw))
            removals.setdefault((removal.line, removal.vendor, removal.what), removal)
        current = apply(current, result.edits)
        history.append(result.edits)
        rescan = scan_bytes(path, current, kind, ctx.catalog)
        if rescan.skipped is not None:
            return LeftOut(path, f"the changed file could not be scanned again: {rescan.skipped}", tuple(notes))
        findings = rescan.findings
        if not _unexplained(findings, ctx, current, left, everything=True):
            break
    if current == raw:
        return list(notes)
    leftovers = _unexplained(findings, ctx, current, left, everything=False)
    if leftovers:
        first = leftovers[0]
        line = _original_line(current.count(b"\n", 0, first.location.start) + 1, current, history, raw)
        return LeftOut(path, f"{first.vendor} {label(first)} (line {line}) would still be active after the strip",
                       tuple(notes))
    broken = _breakage(path, kind, raw, current)
    if broken:
        return LeftOut(path, broken, tuple(notes))
    return FileChange(path, raw, current, tuple(sorted(removals.values())), tuple(notes))


def _unexplained(findings, ctx: StripContext, current: bytes, left: set[Left], everything: bool) -> list:
    """Findings of the chosen vendors still there that no note explains (active ones only,
    unless everything)."""
    remaining = []
    for finding in findings:
        if not isinstance(finding, (PixelFinding, EventFinding)) or finding.vendor not in ctx.chosen:
            continue
        if not finding.active and not everything:
            continue
        if Left(finding.vendor, label(finding), current[finding.location.start:finding.location.end]) not in left:
            remaining.append(finding)
    return remaining


def _original_line(line: int, current: bytes, history: list, raw: bytes) -> int:
    """A line of the text after some rounds of edits, as a line of the original file."""
    if not history:
        return line
    pos = 0
    for _ in range(line - 1):
        pos = current.find(b"\n", pos) + 1
    for edits in reversed(history):
        pos = original_offset(pos, edits)
    return raw.count(b"\n", 0, pos) + 1


def _remapped(note: Note, current: bytes, history: list, raw: bytes) -> Note:
    if not history or note.line <= 0:
        return note
    return Note(note.path, _original_line(note.line, current, history, raw), note.kind, note.vendor, note.what,
                note.reason)


def _breakage(path: str, kind: str, old: bytes, new: bytes) -> str | None:
    """Why the changed file is broken where the original was not, or None."""
    if kind == "python":
        try:
            compile(old, path, "exec")
        except (SyntaxError, ValueError):
            return None
        try:
            compile(new, path, "exec")
        except (SyntaxError, ValueError) as exc:
            return f"the change would break Python ({exc})"
        return None
    old_text, new_text = (SourceText.from_bytes(path, data)[0].text for data in (old, new))
    if kind == "html":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                BeautifulSoup(new_text, "html.parser")
            except Exception as exc:  # the parser's own failure, of any kind, is the check failing
                return f"the changed page does not parse as HTML ({type(exc).__name__})"
        before, after = _script_errors(path, old_text), _script_errors(path, new_text)
    else:
        before, after = error_count(kind, old_text), error_count(kind, new_text)
    if after > before:
        return f"the change would add {after - before} JavaScript syntax error(s)"
    return None


def _script_errors(path: str, text: str) -> int:
    from rewriters.html import lex, script_language
    dialects = dialects_for(path)
    masked = template_view(text, dialects).masked if dialects else text
    elements, _ = lex(masked, 0, len(masked))
    return sum(error_count(script_language(e), masked[e.body[0]:e.body[1]]) for e in elements
               if e.name == "script" and e.body and script_language(e))


def error_count(language: str, text: str) -> int:
    """ERROR and MISSING nodes in tree-sitter's parse of text."""
    tree = parse(language, text, text.encode("utf-8", "surrogatepass")).tree
    if not tree.root_node.has_error:
        return 0
    count, stack = 0, [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            count += 1
        stack.extend(c for c in node.children if c.has_error or c.is_missing)
    return count


def _elsewhere(results: list[FileResult], catalog: Catalog, chosen: frozenset[str], inventory: Inventory | None,
               gtm_outcome: GtmOutcome | None) -> list[Elsewhere]:
    paused = set()
    if gtm_outcome is not None and isinstance(gtm_outcome.result, Edits):
        paused = {r.vendor for r in gtm_outcome.result.removals}
    found: dict[tuple[str, str], Elsewhere] = {}
    static = build_inventory(results, catalog)
    for pixel in static.pixels:
        if pixel.vendor in chosen and "implied" in pixel.roles:
            item = Elsewhere(pixel.vendor, "pixel whose events the code sends but whose loader is not in the source",
                             "remove its tag in the tag manager (GTM container) or the CMS plugin that loads it",
                             pixel.vendor in paused)
            found[(item.vendor, item.what)] = item
    if inventory is not None:
        runtime = [(p.vendor, f"{'/'.join(p.roles) or 'pixel'}", p.sources, p.pages, p.injected_by)
                   for p in inventory.pixels] + \
                  [(e.vendor, f"event {e.name}", e.sources, e.pages, ()) for e in inventory.events]
        for vendor, what, sources, pages, injected_by in runtime:
            if vendor not in chosen or "runtime" not in sources or "static" in sources:
                continue
            on = f" on {', '.join(pages[:3])}{' ...' if len(pages) > 3 else ''}" if pages else ""
            by = f" (injected by {', '.join(injected_by)})" if injected_by else ""
            where = ("pause its tag in the GTM container (--gtm-export)" if any("googletagmanager" in s
                                                                                 for s in injected_by)
                     else "remove it where it is configured: tag manager, CMS plugin or app settings")
            item = Elsewhere(vendor, f"{what} seen only at runtime{on}{by}", where, vendor in paused)
            found.setdefault((item.vendor, item.what), item)
    return sorted(found.values(), key=lambda e: (e.vendor, e.what))
