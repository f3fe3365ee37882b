"""Crawl progress in SQLite, saved page by page, so an interrupted crawl resumes.

Pages are keyed by their URL relative to the site's origin: a served directory gets a new
port on every run and must still resume. Records and findings are stored pickled (they
are frozen dataclasses built to be pickled).
"""
from __future__ import annotations

import json
import pickle
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from scanner.crawl.errors import CrawlError
from scanner.model import Diagnostic, Finding, PageRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pages (
    path TEXT PRIMARY KEY,
    depth INTEGER NOT NULL,
    data BLOB NOT NULL,
    links TEXT NOT NULL
);
"""
_VERSION = "1"


@dataclass(frozen=True)
class StoredPage:
    path: str
    """The URL relative to the origin: path and query."""
    depth: int
    record: PageRecord | None
    """None for a page of another shard, fetched for its links alone."""
    findings: tuple[Finding, ...]
    diagnostics: tuple[Diagnostic, ...]
    links: tuple[str, ...]
    """In-scope links found on the page, relative to the origin like `path`."""


class Store:
    def __init__(self, path: str | Path, target: str, resume: bool):
        """Open (or create) the database for crawling `target`; without `resume`, or when it
        holds another target's crawl, it starts empty."""
        try:
            self.db = sqlite3.connect(str(path))
            self.db.executescript(_SCHEMA)
            meta = dict(self.db.execute("SELECT key, value FROM meta"))
            if not resume or meta.get("target") != target or meta.get("version") != _VERSION:
                with self.db:
                    self.db.execute("DELETE FROM pages")
                    self.db.execute("DELETE FROM meta")
                    self.db.executemany("INSERT INTO meta VALUES (?, ?)", [("target", target), ("version", _VERSION)])
        except sqlite3.Error as exc:
            raise CrawlError(f"cannot use {path} to save the crawl: {exc}") from None

    def pages(self) -> list[StoredPage]:
        try:
            rows = self.db.execute("SELECT path, depth, data, links FROM pages ORDER BY rowid").fetchall()
            out = []
            for path, depth, data, links in rows:
                record, findings, diagnostics = pickle.loads(data)
                out.append(StoredPage(path, depth, record, findings, diagnostics, tuple(json.loads(links))))
            return out
        except (sqlite3.Error, pickle.UnpicklingError, EOFError, AttributeError, ValueError) as exc:
            raise CrawlError(f"cannot resume: the saved crawl is unreadable ({exc}); start without --resume") from None

    def save(self, page: StoredPage) -> None:
        data = pickle.dumps((page.record, page.findings, page.diagnostics), protocol=pickle.HIGHEST_PROTOCOL)
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?)",
                            (page.path, page.depth, data, json.dumps(list(page.links))))

    def close(self) -> None:
        self.db.close()
