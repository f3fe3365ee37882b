"""The records every stage shares: findings made by the scanners, and diagnostics.

Findings are what one source file (or one crawled page) says on its own; the inventory
module merges them into the inventory of `shared/formats.md`. All records are frozen and
picklable, so they cross process pools unchanged.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Union


class TriggerKind(str, enum.Enum):
    PAGE_LOAD = "page_load"
    DOM_READY = "dom_ready"
    WINDOW_LOAD = "window_load"
    CLICK = "click"
    SUBMIT = "submit"
    CHANGE = "change"
    SCROLL = "scroll"
    TIMER = "timer"
    VISIBILITY = "visibility"
    CUSTOM = "custom"
    UNKNOWN = "unknown"


class CookieRole(str, enum.Enum):
    IDENTITY = "identity"
    CLICK_ID = "click_id"
    SESSION = "session"
    CONSENT = "consent"
    OTHER = "other"


class Level(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Source(str, enum.Enum):
    """Where a finding was observed."""

    STATIC = "static"
    RUNTIME = "runtime"
    CATALOG = "catalog"  # implied by the catalog (a vendor's identity cookies), not seen in code


@dataclass(frozen=True, order=True)
class Location:
    path: str
    """Relative to the scanned root with "/" separators, or a URL for runtime findings."""
    line: int
    """1-based line of the start."""
    column: int
    """1-based column of the start, in characters."""
    start: int
    """Byte offset of the start in the file as stored (BOM included)."""
    end: int
    """Byte offset one past the end in the file as stored."""

    def to_json(self) -> dict:
        return {"path": self.path, "line": self.line, "column": self.column,
                "start": self.start, "end": self.end}


@dataclass(frozen=True, order=True)
class Value:
    """A param value that is a literal, held as canonical JSON text so records stay hashable."""

    json_text: str


@dataclass(frozen=True, order=True)
class Expr:
    """A param value that is not a literal: the source text that computes it."""

    source: str


ParamValue = Union[Value, Expr]


@dataclass(frozen=True, order=True)
class Trigger:
    kind: TriggerKind = TriggerKind.UNKNOWN
    selector: str | None = None
    """CSS selector of the element the handler is bound to, where there is one."""
    conditions: tuple[str, ...] = ()
    """Enclosing conditions as source text: `if` tests, template conditionals, consent callbacks."""

    def to_json(self) -> dict:
        return {"kind": self.kind.value, "selector": self.selector,
                "conditions": list(self.conditions)}


@dataclass(frozen=True)
class PixelFinding:
    """One place that loads, configures or beacons a vendor's pixel."""

    vendor: str
    location: Location
    account_id: str | None = None
    account_expr: str | None = None
    """Source text where the id is a template or JS expression."""
    active: bool = True
    """False for code that cannot run: commented out in HTML, JS or template syntax."""
    role: str = "loader"
    """What the code does: loader, init, config, noscript, beacon, settings, template_tag."""
    after_consent: bool = False
    source: Source = Source.STATIC
    script_url: str | None = None
    """Runtime only: the script that made the call or request."""
    page: str | None = None
    """Runtime only: URL path of the page it was seen on."""


@dataclass(frozen=True)
class EventFinding:
    vendor: str
    name: str
    location: Location
    account_id: str | None = None
    params: tuple[tuple[str, ParamValue], ...] = ()
    """Param name to value, in source order. A params argument that is not an object
    literal is one entry named "*"; a spread element is "...<source>"."""
    trigger: Trigger = Trigger()
    active: bool = True
    after_consent: bool = False
    source: Source = Source.STATIC
    script_url: str | None = None
    page: str | None = None
    name_is_expr: bool = False
    """The code computes the name: `name` is the source text of the expression."""


class Storage(str, enum.Enum):
    COOKIE = "cookie"
    LOCAL_STORAGE = "localStorage"
    SESSION_STORAGE = "sessionStorage"


@dataclass(frozen=True)
class CookieFinding:
    name: str
    access: str
    """"read" or "write"."""
    location: Location | None
    vendor: str | None = None
    role: CookieRole = CookieRole.OTHER
    storage: Storage = Storage.COOKIE
    source: Source = Source.STATIC
    set_by: str | None = None
    """Script URL that wrote it, or "http" for a Set-Cookie header."""
    # Runtime only: what the crawl's cookie jar held.
    domain: str | None = None
    value_shape: str | None = None
    """The value with ids, timestamps and random parts replaced (fb.1.<ms>.<random>); never the value."""
    expires: float | None = None
    """Unix seconds; None for a session cookie or when unknown."""
    third_party: bool | None = None
    page: str | None = None
    """URL path of the page on which it first appeared."""
    after_consent: bool = False


@dataclass(frozen=True, order=True)
class Diagnostic:
    level: Level
    path: str | None
    message: str

    def to_json(self) -> dict:
        return {"level": self.level.value, "path": self.path, "message": self.message}


Finding = Union[PixelFinding, EventFinding, CookieFinding]


@dataclass(frozen=True)
class FileResult:
    """What scanning one file produced. A skipped file has no findings and says why."""

    path: str
    findings: tuple[Finding, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    skipped: str | None = None
    """The reason the file was not analysed, or None when it was."""
    bytes_read: int = 0


@dataclass
class Findings:
    """A mutable collector an analyzer appends to while it walks one file."""

    items: list = field(default_factory=list)
    diagnostics: list = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        self.items.append(finding)

    def warn(self, path: str | None, message: str, level: Level = Level.WARNING) -> None:
        self.diagnostics.append(Diagnostic(level, path, message))


@dataclass(frozen=True)
class PageRecord:
    """One URL the crawl visited (or tried to)."""

    url: str
    status: int | str
    """HTTP status, or "timeout" / "error"."""
    depth: int = 0
    title: str | None = None
    error: str | None = None
    consent_banner: str | None = None
    """The consent platform detected on the page, if any."""
    final_url: str | None = None

    def to_json(self) -> dict:
        data = {"url": self.url, "status": self.status, "depth": self.depth}
        for key in ("title", "error", "consent_banner", "final_url"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data
