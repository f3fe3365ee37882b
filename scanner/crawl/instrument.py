"""The init script every crawled page gets, generated from the catalog, and its records.

instrument.js holds the code; this module gives it the catalog's callees, globals and
assignment targets as a tree of accessors to install, and turns what the page drains back
into typed records.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from scanner.catalog import Catalog

# Event types whose listeners make an element worth exercising (interact.py).
LISTENED_EVENTS = ("click", "mousedown", "mouseup", "pointerdown", "change", "input", "submit")

_SEGMENT = re.compile(r"^([A-Za-z_$][\w$]*)(\(\))?$")


def _tree(catalog: Catalog) -> dict:
    """name -> {c: calls recorded, a: assignment root, k: members, r: returned value}."""
    roots: dict[str, dict] = {}

    def walk(path: str) -> dict | None:
        segments = path.split(".")
        if not all(_SEGMENT.match(s) for s in segments):  # not a plain dotted path
            return None
        node: dict = {}
        children = roots
        for i, segment in enumerate(segments):
            found = _SEGMENT.match(segment)
            node = children.setdefault(found.group(1), {})
            if found.group(2):
                node = node.setdefault("r", {})
            if i < len(segments) - 1:
                children = node.setdefault("k", {})
        return node

    for vendor in catalog:
        for name in vendor.globals:
            walk(name)
        for shape in vendor.calls:
            node = walk(shape.callee)
            if node is not None:
                node["c"] = 1
        for assignment in vendor.assignments:
            root = assignment.target.split(".")[0]
            if walk(root) is not None:
                roots[root]["a"] = 1
    # A global with no call shape or assignment below it has nothing to record.
    return {name: node for name, node in roots.items() if node}


def _assignment_targets(catalog: Catalog) -> list[str]:
    return sorted({a.target for v in catalog for a in v.assignments})


@functools.lru_cache(maxsize=1)
def _template() -> str:
    return Path(__file__).with_name("instrument.js").read_text(encoding="utf-8")


def init_script(catalog: Catalog, timer_bound_ms: int) -> str:
    config = {"tree": _tree(catalog), "assign": _assignment_targets(catalog),
              "listen": list(LISTENED_EVENTS), "timerBound": timer_bound_ms}
    return _template().replace("__PM_CONFIG__", json.dumps(config, sort_keys=True))


@dataclass(frozen=True)
class Frame:
    """A stack frame in a page script."""

    url: str
    line: int
    column: int


@dataclass(frozen=True)
class Record:
    """One thing the page reported; `phase` is the crawl phase it was drained in."""

    kind: str
    """call, assign, cookie_write, cookie_read, storage_write or request."""
    phase: int
    frame: Frame | None
    callee: str | None = None
    args: tuple = ()
    is_new: bool = False
    target: str | None = None
    value: object = None
    name: str | None = None
    names: tuple[str, ...] = ()
    storage: str | None = None
    via: str | None = None
    url: str | None = None


def parse_records(raw: list[dict], phase: int) -> list[Record]:
    out = []
    for item in raw:
        frame = item.get("frame")
        out.append(Record(
            kind=item["kind"], phase=phase,
            frame=Frame(frame["url"], frame["line"], frame["column"]) if frame else None,
            callee=item.get("callee"), args=tuple(item.get("args") or ()), is_new=bool(item.get("new")),
            target=item.get("target"), value=item.get("value"), name=item.get("name"),
            names=tuple(item.get("names") or ()), storage=item.get("storage"),
            via=item.get("via"), url=item.get("url")))
    return out
