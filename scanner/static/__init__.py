"""Static scan of one file: bytes -> SourceText -> template view -> analyzers -> FileResult.

The pre-filter runs on the raw bytes before any decoding or parsing: most files of a real
site (library bundles, styles, pages without snippets) hold no catalog signature and cost
one regex pass.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path
from typing import Callable, Iterator

from scanner.catalog import Catalog
from scanner.model import Diagnostic, FileResult, Level
from scanner.shard import Shard, in_shard
from scanner.sources.text import SourceText
from scanner.sources.walk import SkippedFile, SourceFile, WalkOptions, walk
from scanner.static.context import Fragment, ScanContext, plain_view
from scanner.static.templates import dialects_for, template_view

_BINARY_PROBE = 8192


def analyze_text(source: SourceText, kind: str, catalog: Catalog) -> ScanContext:
    """Run the analyzers for a file kind over decoded text; the context holds the findings."""
    # Imported on first use: libcst alone costs every worker of a tree without Python 0.2 s.
    from scanner.static.js import analyze_js, finish_js

    ctx = ScanContext(catalog)
    dialects = dialects_for(source.path)
    view = template_view(source.text, dialects) if dialects else plain_view(source.text)
    whole = Fragment(source, 0, len(source.text), kind, view)
    if kind == "html":
        from scanner.static.django import analyze_django_tags
        from scanner.static.html import analyze_html

        analyze_html(whole, ctx)
        analyze_django_tags(whole, ctx)
    elif kind == "python":
        from scanner.static.python import analyze_python

        analyze_python(whole, ctx)
    else:
        analyze_js(whole, ctx)
    finish_js(ctx)
    return ctx


def scan_bytes(rel: str, raw: bytes, kind: str, catalog: Catalog) -> FileResult:
    if b"\x00" in raw[:_BINARY_PROBE] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return FileResult(rel, skipped="binary content", bytes_read=len(raw))
    if not catalog.has_signature(raw):
        return FileResult(rel, bytes_read=len(raw))
    source, note = SourceText.from_bytes(rel, raw)
    diagnostics = [Diagnostic(Level.INFO, rel, note)] if note else []
    try:
        ctx = analyze_text(source, kind, catalog)
    except RecursionError:
        return FileResult(rel, diagnostics=tuple(diagnostics), skipped="nesting too deep to analyse",
                          bytes_read=len(raw))
    except Exception as exc:  # an analyzer bug must cost one file, never the scan
        message = f"internal error while analysing ({type(exc).__name__}: {exc}); file skipped"
        return FileResult(rel, diagnostics=tuple(diagnostics + [Diagnostic(Level.ERROR, rel, message)]),
                          skipped=message, bytes_read=len(raw))
    return FileResult(rel, tuple(ctx.out.items), tuple(diagnostics + ctx.out.diagnostics), bytes_read=len(raw))


def scan_file(source_file: SourceFile, catalog: Catalog) -> FileResult:
    try:
        raw = Path(source_file.path).read_bytes()
    except OSError as exc:
        return FileResult(source_file.rel, skipped=f"cannot read: {exc.strerror or exc}")
    return scan_bytes(source_file.rel, raw, source_file.kind, catalog)


_worker_catalog: Catalog | None = None


def _start_worker(catalog: Catalog) -> None:
    global _worker_catalog
    _worker_catalog = catalog


def _scan_in_worker(source_file: SourceFile) -> FileResult:
    return scan_file(source_file, _worker_catalog)


# Below this many bytes a process pool costs more than it saves.
_PARALLEL_MIN_BYTES = 4 * 1024 * 1024


def scan_tree(root: Path, walk_options: WalkOptions, catalog: Catalog, workers: int | None = None,
              shard: Shard | None = None,
              on_plan: Callable[[int], None] | None = None) -> Iterator[FileResult]:
    """FileResults for every file the walk yields, using every core when the
    tree is large enough. `shard` (k, n) keeps the files whose stable hash falls in part k of n;
    `on_plan` hears how many files will be read once the walk is done."""
    files: list[SourceFile] = []
    for item in walk(root, walk_options):
        if isinstance(item, SkippedFile):
            yield FileResult(item.rel, skipped=item.reason)
        elif shard is None or in_shard(item.rel, shard):
            files.append(item)
    if on_plan is not None:
        on_plan(len(files))
    workers = workers if workers is not None else (os.cpu_count() or 1)
    total = sum(f.size for f in files)
    if workers <= 1 or total < _PARALLEL_MIN_BYTES or len(files) < 2:
        for source_file in files:
            yield scan_file(source_file, catalog)
        return
    # Large files first so one big bundle does not finish last on an idle pool; the
    # inventory sorts what it merges, so arrival order does not matter.
    files.sort(key=lambda f: -f.size)
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with context.Pool(workers, initializer=_start_worker, initargs=(catalog,)) as pool:
        yield from pool.imap_unordered(_scan_in_worker, files, chunksize=4)
