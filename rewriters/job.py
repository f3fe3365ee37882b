"""What every rewriter of one file shares: the tree-wide decision inputs, the findings of the
chosen vendors (targets), what must stay (first-party id capture, other vendors' code), and
the cuts and notes made so far.

Rewriters nest (a script body in a page, a snippet in a string, a page in a Python string):
all of them mark cuts on the same FileJob, in character offsets of the file's text, so the
page-level decisions (is this script empty now? does this conditional wrap anything else?)
see every cut made below them.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scanner.catalog import Catalog
from scanner.model import CookieFinding, EventFinding, PixelFinding
from scanner.sources.text import SourceText
from scanner.static.context import TemplateView, plain_view
from scanner.static.templates import dialects_for, template_view
from rewriters.edits import Cut, EditConflict, Spans, tidy, to_edits
from rewriters.result import Edits, Failure, Left, Note, NoteKind, Removal, RewriteResult, Skip

class Unrewritable(Exception):
    """A file the rewriters cannot work on safely (it does not parse): it stays out of the patch."""


SERVER_NEEDS = "the server side needs {name}: see the spec"
_NAME_WORDS = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# Words of vendor names that say nothing about which vendor a comment is about.
_GENERIC_WORDS = frozenset({"pixel", "tag", "tags", "code", "base", "analytics", "insight", "manager", "google",
                            "microsoft", "advertising", "universal", "onetag", "discovery", "engagement", "the"})


def label(finding: PixelFinding | EventFinding) -> str:
    return finding.name if isinstance(finding, EventFinding) else finding.role


@dataclass(frozen=True)
class Target:
    """A finding of a chosen vendor, in character offsets of the file's text."""

    finding: PixelFinding | EventFinding
    start: int
    end: int

    @property
    def vendor(self) -> str:
        return self.finding.vendor

    @property
    def label(self) -> str:
        return label(self.finding)


@dataclass(frozen=True)
class Keep:
    """Code that must stay: a cut containing it is refused."""

    start: int
    end: int
    what: str
    vendor: str | None
    reason: str


class VendorFacts:
    """What the rewriters derive once from the catalog."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        owners: dict[str, set[str]] = {}
        for vendor in catalog:
            names = set(vendor.globals) | {_root(c.callee) for c in vendor.calls} \
                | {_root(a.target) for a in vendor.assignments}
            for name in names:
                owners.setdefault(name, set()).add(vendor.id)
        self.owners = {name: frozenset(vs) for name, vs in owners.items()}
        self.names = {vendor.id: frozenset(n for n, vs in owners.items() if vendor.id in vs) for vendor in catalog}
        """Vendor id -> its globals and callee roots."""
        self.click_params = {c.param: vendor.id for vendor in catalog for c in vendor.click_ids}
        self.host_patterns = {
            vendor.id: tuple(p for p in map(_host_pattern, vendor.loaders + vendor.beacons) if p is not None)
            for vendor in catalog}
        self.mentions = {vendor.id: _mention_pattern(vendor) for vendor in catalog}

    def vendors_of_host(self, host: str) -> frozenset[str]:
        return frozenset(v for v, patterns in self.host_patterns.items() if any(p.search(host) for p in patterns))


def _root(name: str) -> str:
    return re.split(r"[.(]", name, maxsplit=1)[0]


def _host_pattern(spec) -> re.Pattern | None:
    """The host part of a loader or beacon URL pattern: everything before its first '/'."""
    head = spec.url.pattern.split("/", 1)[0]
    if "." not in head:
        return None
    try:
        return re.compile(head + r"\Z", re.IGNORECASE)
    except re.error:
        return None


def _mention_pattern(vendor) -> re.Pattern:
    """Words that name the vendor in a comment: its name, id, globals, distinctive name words."""
    words = {vendor.name, vendor.id, vendor.id.replace("_", " ")} | set(vendor.globals)
    words |= {w for w in _NAME_WORDS.findall(vendor.name) if w.lower() not in _GENERIC_WORDS}
    long_words = sorted((re.escape(w) for w in words if len(w) >= 4), key=len, reverse=True)
    short_words = sorted(re.escape(w) for w in words if len(w) < 4)
    alternatives = []
    if long_words:
        alternatives.append(r"(?i:\b(?:" + "|".join(long_words) + r")\b)")
    if short_words:
        alternatives.append(r"\b(?:" + "|".join(short_words) + r")\b")
    return re.compile("|".join(alternatives))


_facts: dict[int, tuple[Catalog, VendorFacts]] = {}


def vendor_facts(catalog: Catalog) -> VendorFacts:
    """Built once per catalog (keyed by identity: hashing a catalog costs more than this)."""
    known = _facts.get(id(catalog))
    if known is None or known[0] is not catalog:
        known = _facts[id(catalog)] = (catalog, VendorFacts(catalog))
    return known[1]


@dataclass(frozen=True)
class StripContext:
    """Tree-wide inputs to every file's decisions."""

    catalog: Catalog
    chosen: frozenset[str]
    remaining: frozenset[str] = frozenset()
    """Vendors with findings in the tree that are not being removed."""
    analytical_goes: bool = False
    """django-analytical itself goes: every vendor it configured is being removed."""
    hosts: dict = field(default_factory=dict)
    """Vendor id -> hosts its loaders and beacons use in this tree."""

    @property
    def facts(self) -> VendorFacts:
        return vendor_facts(self.catalog)

    @functools.cached_property
    def removable_names(self) -> frozenset[str]:
        """Vendor globals and callee roots whose every vendor present is going."""
        return frozenset(name for name in self.facts.owners if self.name_removable(name))

    def host_removable(self, host: str) -> bool:
        """A link to this host serves only vendors being removed."""
        host = host.lower()
        vendors = self.facts.vendors_of_host(host) | {v for v, hs in self.hosts.items() if host in hs}
        return bool(vendors & self.chosen) and not vendors & self.remaining

    def name_removable(self, name: str) -> bool:
        """A vendor global (queue, stub function) whose every vendor present is going."""
        owners = self.facts.owners.get(name, frozenset())
        return bool(owners & self.chosen) and not owners & self.remaining

    def mentions_chosen(self, text: str, vendors: frozenset[str] | None = None) -> bool:
        return any(self.facts.mentions[v].search(text) for v in (vendors or self.chosen))


def host_of(url: str) -> str | None:
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower() if host else None


@dataclass(frozen=True)
class Stub:
    """A statement that only sets up a vendor global (`dataLayer = dataLayer || []`,
    `function gtag(){...}`); it goes once nothing else in the file names the global."""

    name: str
    start: int
    end: int


class FileJob:
    def __init__(self, ctx: StripContext, source: SourceText, view: TemplateView, kind: str, findings) -> None:
        self.ctx = ctx
        self.source = source
        self.text = source.text
        self.view = view
        self.kind = kind
        self.targets: list[Target] = []
        self.others: list[tuple[int, int, str]] = []
        self.keeps: list[Keep] = []
        chars = _CharIndex(source)
        active_others: set[str] = set()
        for finding in findings:
            if finding.location is None:
                continue
            start, end = chars.char(finding.location.start), chars.char(finding.location.end)
            if isinstance(finding, CookieFinding):
                why = SERVER_NEEDS.format(name=finding.name) if finding.vendor else "first-party cookie code"
                self.keeps.append(Keep(start, end, f"{finding.name} {finding.access}", finding.vendor, why))
            elif finding.vendor in ctx.chosen:
                self.targets.append(Target(finding, start, end))
            else:
                self.others.append((start, end, finding.vendor))
                if finding.active:
                    active_others.add(finding.vendor)
        self.targets.sort(key=lambda t: (t.start, -t.end))
        self.other_vendors = frozenset(active_others)
        """Vendors that stay and run in this file: code shared with them (a loader, a queue) stays."""
        self.cuts: list[Cut] = []
        self.spans = Spans()
        self.notes: list[Note] = []
        self.left: list[Target] = []
        """Targets deliberately left in place (explained by a note)."""
        self.stubs: list[Stub] = []
        self.extras: list[tuple[int, str, str]] = []
        """(position, vendor, what) of vendor code removed without a finding: API calls the
        scan does not report (consent calls), stubs."""
        self.stub_regions: dict[tuple[int, int], tuple] = {}
        """Stub span -> (the JS region holding it, its statement node)."""
        self.js_regions: list = []
        """Every JS region made on this file, so stubs and shells settle across them."""

    # ---- cuts ----------------------------------------------------------------------------
    def keep(self, start: int, end: int, what: str, vendor: str | None, reason: str) -> None:
        keep = Keep(start, end, what, vendor, reason)
        if keep not in self.keeps:
            self.keeps.append(keep)

    def veto(self, start: int, end: int) -> str | None:
        """Why [start, end) must not be cut, or None."""
        for keep in self.keeps:
            if start <= keep.start and keep.end <= end:
                return f"holds {keep.what}, which stays: {keep.reason}"
        for s, e, vendor in self.others:
            if start <= s and e <= end:
                return f"also holds {vendor} code, which stays"
        return None

    def cut(self, start: int, end: int, reason: str, vendor: str | None = None, replacement: str = "") -> bool:
        if end <= start or self.veto(start, end) is not None:
            return False
        self.cuts.append(Cut(start, end, replacement, reason, vendor))
        self.spans.add(start, end)
        return True

    def covered(self, start: int, end: int) -> bool:
        return end <= start or self.spans.covers(start, end)

    def remaining_text(self, start: int, end: int) -> str:
        """The file's text of [start, end) without what is cut."""
        pieces, pos = [], start
        for s, e in self.spans:
            if e <= start or s >= end:
                continue
            pieces.append(self.text[pos:max(s, pos)])
            pos = max(pos, min(e, end))
        pieces.append(self.text[pos:end])
        return "".join(pieces)

    # ---- targets and notes ---------------------------------------------------------------
    def targets_in(self, start: int, end: int) -> list[Target]:
        return [t for t in self.targets if start <= t.start and t.end <= end]

    def line(self, pos: int) -> int:
        return self.source.line_column(pos)[0]

    def note(self, kind: NoteKind, pos: int, vendor: str | None, what: str, reason: str) -> None:
        note = Note(self.source.path, self.line(pos) if pos >= 0 else 0, kind, vendor, what, reason)
        if note not in self.notes:
            self.notes.append(note)

    def leave(self, target: Target, reason: str, kind: NoteKind = NoteKind.MANUAL) -> None:
        """A target that stays, with why."""
        if target not in self.left:
            self.left.append(target)
        self.note(kind, target.start, target.vendor, target.label, reason)

    def removed_vendors(self) -> frozenset[str]:
        return frozenset(t.vendor for t in self.targets if self.covered(t.start, t.end))


class _CharIndex:
    """Byte offsets of the stored file back to characters of its text (binary search over
    SourceText.byte_offset, which is monotonic)."""

    def __init__(self, source: SourceText):
        self.source = source
        self.ascii = source.raw_length == len(source.text) + source.bom

    def char(self, byte: int) -> int:
        if self.ascii:
            return byte - self.source.bom
        lo, hi = 0, len(self.source.text)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.source.byte_offset(mid) < byte:
                lo = mid + 1
            else:
                hi = mid
        return lo


_STORED_ID = "also clear the stored id where it is set (CMS, theme or app settings, environment)"


def run(strip, path: str, raw: bytes, kind: str, findings, ctx: StripContext) -> RewriteResult:
    """One rewriter over one file's bytes and findings: its cuts as byte edits, with what they
    remove, what stays and why. Lines in the result are lines of raw."""
    source, _ = SourceText.from_bytes(path, raw)
    dialects = dialects_for(path)
    view = template_view(source.text, dialects) if dialects else plain_view(source.text)
    job = FileJob(ctx, source, view, kind, findings)
    try:
        strip(job)
        edits = to_edits(source, tidy(source.text, job.cuts))
    except Unrewritable as exc:
        return Failure(str(exc))
    except EditConflict as exc:
        return Failure(f"the rewriter made conflicting edits ({exc}); remove this file's pixels by hand")
    except RecursionError:
        return Failure("nesting too deep to rewrite")
    removals, notes = [], list(job.notes)
    for target in job.targets:
        if job.covered(target.start, target.end):
            line = job.line(target.start)
            removals.append(Removal(path, line, target.vendor, target.label, target.finding.active))
            expr = getattr(target.finding, "account_expr", None)
            if expr and view.expression_in(target.start, target.end):
                notes.append(Note(path, line, NoteKind.INFO, target.vendor, f"id {expr}", _STORED_ID))
    removals += [Removal(path, job.line(pos), vendor, what) for pos, vendor, what in job.extras]
    seen = set()
    for keep in job.keeps:  # first-party id capture of the chosen vendors, once per name
        if keep.vendor in ctx.chosen and keep.what not in seen:
            seen.add(keep.what)
            notes.append(Note(path, job.line(keep.start), NoteKind.KEPT, keep.vendor, keep.what, keep.reason))
    left = tuple(Left(t.vendor, t.label, raw[source.byte_offset(t.start):source.byte_offset(t.end)])
                 for t in job.left)
    notes = tuple(dict.fromkeys(notes))
    if not edits:
        return Skip("nothing to remove", notes, left)
    return Edits(edits, tuple(dict.fromkeys(removals)), notes, left)
