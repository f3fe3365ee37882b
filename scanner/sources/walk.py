"""Walking a source tree: which files to read, which to leave, and why.

Directories that never hold a site's own code (.git, node_modules, ...) are skipped, every
.gitignore on the way down is honoured, symlinked directories are not followed (so a link
loop cannot trap the walk), and every file passed over for a reason the user may care about
becomes a SkippedFile carrying that reason.
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import pathspec

SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "bower_components", "__pycache__", ".venv", "venv",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".idea", ".vscode",
    ".cache", ".parcel-cache", ".next", ".nuxt", ".svelte-kit", ".turbo",
})

_HTML = (".html", ".htm", ".xhtml", ".shtml", ".liquid", ".njk", ".nunjucks", ".hbs", ".handlebars",
         ".mustache", ".j2", ".jinja", ".jinja2", ".twig", ".tpl", ".php", ".phtml", ".erb", ".cshtml",
         ".vbhtml", ".razor", ".ftl", ".ftlh", ".gohtml", ".tmpl", ".ejs", ".vue", ".svelte", ".astro",
         ".aspx", ".ascx", ".master", ".jsp", ".jspf", ".hamlc", ".gsp", ".volt", ".swig", ".eex", ".heex",
         ".leex", ".rhtml", ".cfm", ".vm", ".latte", ".dust", ".ss", ".jinja2.html", ".djhtml")
_KINDS = {ext: "html" for ext in _HTML}
_KINDS.update({".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "jsx", ".ts": "ts", ".mts": "ts",
               ".cts": "ts", ".tsx": "tsx", ".py": "python"})


def kind_of(name: str) -> str | None:
    """The analyzer a file name calls for, or None for files the scan does not read."""
    lower = name.lower()
    if lower.endswith(".d.ts"):
        return None
    return _KINDS.get(os.path.splitext(lower)[1])


@dataclass(frozen=True)
class SourceFile:
    path: Path
    rel: str
    """Relative to the scanned root, "/" separators."""
    kind: str
    size: int


@dataclass(frozen=True)
class SkippedFile:
    rel: str
    reason: str


@dataclass(frozen=True)
class WalkOptions:
    include: tuple[str, ...] = ()
    """Globs on the relative path; when given, only matching files are read."""
    exclude: tuple[str, ...] = ()
    use_gitignore: bool = True
    max_file_size: int = 64 * 1024 * 1024


def _matches(rel: str, globs: Sequence[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, g) or fnmatch.fnmatchcase(name, g)
               or (g.endswith("/**") and rel.startswith(g[:-3] + "/")) for g in globs)


def _gitignore(directory: Path) -> pathspec.PathSpec | None:
    try:
        lines = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def walk(root: Path, options: WalkOptions = WalkOptions()) -> Iterator[SourceFile | SkippedFile]:
    """Files under root in a stable order (a single file root yields itself)."""
    root = Path(root)
    if root.is_file():
        kind = kind_of(root.name)
        if kind is None:
            yield SkippedFile(root.name, "not a file type the scan reads")
        else:
            yield SourceFile(root, root.name, kind, root.stat().st_size)
        return
    yield from _walk_dir(root, "", [], options)


def _walk_dir(directory: Path, rel_dir: str, ignores: list[tuple[str, pathspec.PathSpec]],
              options: WalkOptions) -> Iterator[SourceFile | SkippedFile]:
    if options.use_gitignore:
        spec = _gitignore(directory)
        if spec is not None:
            ignores = ignores + [(rel_dir, spec)]
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        yield SkippedFile(rel_dir or ".", f"cannot list directory: {exc.strerror or exc}")
        return
    for entry in entries:
        rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_link = entry.is_symlink()
        except OSError as exc:
            yield SkippedFile(rel, f"cannot stat: {exc.strerror or exc}")
            continue
        if _ignored(rel, is_dir, ignores):
            continue
        if is_dir:
            if entry.name not in SKIPPED_DIRS:
                yield from _walk_dir(Path(entry.path), rel, ignores, options)
            continue
        if is_link and Path(entry.path).is_dir():
            yield SkippedFile(rel, "symlinked directory not followed")
            continue
        kind = kind_of(entry.name)
        if kind is None:
            continue
        if options.include and not _matches(rel, options.include):
            continue
        if options.exclude and _matches(rel, options.exclude):
            continue
        try:
            size = os.stat(entry.path).st_size
        except OSError as exc:
            yield SkippedFile(rel, f"cannot read: {exc.strerror or exc}")
            continue
        if size > options.max_file_size:
            yield SkippedFile(rel, f"{_size(size)}, over the {_size(options.max_file_size)} limit")
            continue
        yield SourceFile(Path(entry.path), rel, kind, size)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def _ignored(rel: str, is_dir: bool, ignores: list[tuple[str, pathspec.PathSpec]]) -> bool:
    for base, spec in ignores:
        sub = rel[len(base) + 1:] if base else rel
        if spec.match_file(sub + "/" if is_dir else sub):
            return True
    return False
