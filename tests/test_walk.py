"""The walk reads what a site owns and says why it leaves the rest."""
import os

from scanner.sources.walk import SourceFile, WalkOptions, kind_of, walk


def _tree(root, files):
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def _read(root, options=WalkOptions()):
    return [(i.rel, i.kind) if isinstance(i, SourceFile) else ("SKIP", i.rel, i.reason) for i in walk(root, options)]


def test_kinds_by_extension():
    assert [kind_of(n) for n in ("a.html", "b.blade.php", "c.liquid", "d.tsx", "e.mjs", "f.py", "g.d.ts", "h.png")] \
        == ["html", "html", "html", "tsx", "js", "python", None, None]


def test_skips_vcs_and_dependency_folders_and_honours_gitignore(tmp_path):
    _tree(tmp_path, {
        "index.html": "", ".git/config.js": "", "node_modules/x/index.js": "",
        ".gitignore": "dist/\n*.min.js\n!keep.min.js\n", "dist/app.js": "", "a.min.js": "", "keep.min.js": "",
        "sub/.gitignore": "local.js\n", "sub/local.js": "", "sub/other.js": "", "img/logo.png": "",
    })
    assert _read(tmp_path) == [("index.html", "html"), ("keep.min.js", "js"), ("sub/other.js", "js")]
    assert ("dist/app.js", "js") in _read(tmp_path, WalkOptions(use_gitignore=False))


def test_include_and_exclude_globs(tmp_path):
    _tree(tmp_path, {"templates/a.html": "", "templates/b.html": "", "static/c.js": ""})
    assert _read(tmp_path, WalkOptions(include=("templates/**",), exclude=("b.html",))) == [("templates/a.html", "html")]


def test_symlink_loop_and_broken_link_do_not_trap_the_walk(tmp_path):
    _tree(tmp_path, {"site/page.html": ""})
    os.symlink(tmp_path / "site", tmp_path / "site" / "loop")
    os.symlink(tmp_path / "missing.js", tmp_path / "site" / "broken.js")
    items = _read(tmp_path)
    assert ("SKIP", "site/loop", "symlinked directory not followed") in items
    assert ("site/page.html", "html") in items
    assert any(i[0] == "SKIP" and i[1] == "site/broken.js" and i[2].startswith("cannot read") for i in items)


def test_large_file_is_skipped_with_reason(tmp_path):
    _tree(tmp_path, {"big.js": "x" * 2048})
    assert _read(tmp_path, WalkOptions(max_file_size=1024)) == [("SKIP", "big.js", "2048 bytes, over the 1024 bytes limit")]


def test_single_file_root(tmp_path):
    _tree(tmp_path, {"one.tsx": ""})
    assert _read(tmp_path / "one.tsx") == [("one.tsx", "tsx")]
