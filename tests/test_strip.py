"""`pixelmigrate strip`: before/after fixtures for every construct, real `git apply` and
`patch -p1` of the patch and its rollback in a temporary repository, idempotence, and the
demo shop end to end."""
from __future__ import annotations

import json
import shutil
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from rewriters.edits import Cut, merge, tidy
from rewriters.gtm import tag_vendors
from rewriters.patch import unified_diff
from rewriters.plan import error_count
from scanner.catalog import default_catalog
from scanner.cli import main
from scanner.model import EventFinding, PixelFinding
from scanner.sources.text import SourceText
from scanner.sources.walk import kind_of
from scanner.static import scan_bytes

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "fixtures/strip"
DEMO = ROOT / "fixtures/sites/demo-shop"
CATALOG = default_catalog()

# case -> (vendors, exit code). Exit 1 where the page sends events whose loader is not in
# the scanned source (it sits in a tag manager or another file): that is left to do.
CASES = {
    "html_snippet": (["meta"], 0),
    "html_mixed_script": (["meta", "tiktok"], 1),
    "html_commented": (["universal_analytics", "meta"], 0),
    "gtm_noscript": (["gtm"], 0),
    "jinja_if": (["meta"], 0),
    "blade_if": (["reddit"], 0),
    "php_if": (["pinterest"], 0),
    "django_tags": (["meta"], 0),
    "js_listeners": (["meta", "ga4"], 1),
    "js_loader_iife": (["microsoft_uet", "bloomreach_discovery"], 0),
    "js_minified": (["meta"], 1),
    "jsx_next_script": (["ga4", "clarity"], 0),
    "tsx_handler": (["meta"], 1),
    "django_settings": (["meta", "ga4"], 0),
    "python_snippet": (["meta"], 0),
    "latin1_crlf": (["meta"], 0),
    "bom_utf8": (["ga4"], 0),
    "no_trailing_newline": (["meta"], 1),
    "click_ids_kept": (["meta", "google_ads"], 1),
}


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-c", "core.autocrlf=false", "-c", "core.safecrlf=false", *args], cwd=cwd,
                          capture_output=True, check=check)


def make_repo(path: Path) -> Path:
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "-c", "user.email=test@example.com", "-c", "user.name=test", "commit", "-qm", "before")
    return path


def strip(path: Path, out: Path, *args: str) -> tuple[int, Path, Path]:
    patch, rollback = out / "cutover.patch", out / "rollback.patch"
    code = main(["strip", str(path), "-o", str(patch), "--rollback", str(rollback), *args])
    return code, patch, rollback


def fresh(path: Path) -> Path:
    path.mkdir()
    return path


def vendor_args(vendors: list[str]) -> list[str]:
    return [arg for vendor in vendors for arg in ("--vendor", vendor)]


def case_files(case: str) -> tuple[Path, Path, str]:
    before = next((CASES_DIR / case).glob("before.*"))
    suffix = before.name[len("before."):]
    return before, CASES_DIR / case / f"after.{suffix}", suffix


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def chosen_findings(rel: str, raw: bytes, vendors) -> list:
    result = scan_bytes(rel, raw, kind_of(rel), CATALOG)
    return [f for f in result.findings if isinstance(f, (PixelFinding, EventFinding)) and f.vendor in vendors]


@pytest.mark.parametrize("case", sorted(CASES))
def test_fixture_case(case, tmp_path, capsys):
    vendors, exit_code = CASES[case]
    before, after, suffix = case_files(case)
    repo = tmp_path / "repo"
    repo.mkdir()
    name = f"page.{suffix}"
    (repo / name).write_bytes(before.read_bytes())
    make_repo(repo)

    code, patch, rollback = strip(repo, tmp_path, *vendor_args(vendors))
    summary = capsys.readouterr().err
    assert code == exit_code, summary
    assert patch.read_bytes().startswith(f"diff --git a/{name} b/{name}\n--- a/{name}\n+++ b/{name}\n".encode())
    assert (repo / name).read_bytes() == before.read_bytes(), "strip without --apply changes nothing"
    if shutil.which("patch"):
        dry = subprocess.run(["patch", "-p1", "--dry-run", "-i", str(patch)], cwd=repo, capture_output=True)
        assert dry.returncode == 0, dry.stdout + dry.stderr
    assert git(repo, "apply", "--check", str(patch), check=False).returncode == 0
    git(repo, "apply", str(patch))
    assert (repo / name).read_bytes() == after.read_bytes()
    assert not [f for f in chosen_findings(name, after.read_bytes(), vendors) if f.active]

    again, second, _ = strip(repo, fresh(tmp_path / "again"), *vendor_args(vendors))
    assert (again, second.read_bytes()) == (0, b"")

    git(repo, "apply", str(rollback))
    assert (repo / name).read_bytes() == before.read_bytes()
    capsys.readouterr()


@pytest.mark.parametrize("case", ["latin1_crlf", "bom_utf8", "no_trailing_newline"])
def test_bytes_outside_the_cuts_are_kept(case):
    """Encoding, BOM, CRLF and a missing last line end survive: the after file is the before
    file with spans taken out, every other byte in order."""
    before, after, _ = case_files(case)
    old, new = before.read_bytes(), after.read_bytes()
    rest = iter(old)
    assert all(byte in rest for byte in new)
    assert new[:3] == old[:3] and old.endswith(b"\n") == new.endswith(b"\n")
    assert (b"\r\n" in old) == (b"\r\n" in new) and new.count(b"\n") == new.count(b"\r\n") * (b"\r\n" in new) \
        + new.count(b"\n") * (b"\r\n" not in new)


def test_latin1_line_keeps_the_code_before_the_call():
    _, after, _ = case_files("latin1_crlf")
    assert b"  var nom = 'Caf\xe9';\r\n  showPrice('18,50 \xa4');\r\n" in after.read_bytes()


def test_kept_click_id_capture_is_reported(tmp_path, capsys):
    before, _, suffix = case_files("click_ids_kept")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / f"page.{suffix}").write_bytes(before.read_bytes())
    strip(tmp_path / "site", tmp_path, "--vendor", "meta")
    summary = capsys.readouterr().err
    assert "kept fbclid click-id capture (line 9): the server side needs _fbc: see the spec" in summary
    assert "kept _fbp read (line 19): the server side needs _fbp: see the spec" in summary
    assert "removed 1: PageView (line 20)" in summary


def test_commented_out_pixels_are_removed_and_said_so(tmp_path, capsys):
    before, _, suffix = case_files("html_commented")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / f"page.{suffix}").write_bytes(before.read_bytes())
    code, patch, _ = strip(tmp_path / "site", tmp_path, "--vendor", "universal_analytics", "--vendor", "meta")
    summary = capsys.readouterr().err
    assert code == 0
    assert "Lead (line 21, commented out)" in summary and "pageview (line 13, commented out)" in summary


def test_shared_loader_stays_while_another_vendor_needs_it(tmp_path, capsys):
    page = tmp_path / "site" / "index.html"
    page.parent.mkdir()
    page.write_text("""<head>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-8QZ3KP1L4M"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-8QZ3KP1L4M');
  gtag('config', 'AW-612384957');
</script>
</head>
""")
    code, patch, _ = strip(page.parent, tmp_path, "--vendor", "ga4")
    summary = capsys.readouterr().err
    assert code == 1
    removed = [line for line in patch.read_bytes().splitlines() if line.startswith(b"-") and line[:3] != b"---"]
    assert removed == [b"-  gtag('config', 'G-8QZ3KP1L4M');"]
    assert "this script also loads google_ads here" in summary and "gtag(...) also serves google_ads" in summary


def test_django_analytical_stays_while_one_of_its_vendors_stays(tmp_path, capsys):
    before, _, suffix = case_files("django_settings")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / f"settings.{suffix}").write_bytes(before.read_bytes())
    code, patch, _ = strip(tmp_path / "site", tmp_path, "--vendor", "meta")
    removed = [line for line in patch.read_bytes().splitlines() if line.startswith(b"-") and line[:3] != b"---"]
    assert code == 0
    assert removed == [b'-FACEBOOK_PIXEL_ID = "1234567890123456"  # Meta pixel of the shop']
    capsys.readouterr()


def test_apply_writes_in_place_after_the_checks(tmp_path, capsys):
    before, after, suffix = case_files("jsx_next_script")
    site = tmp_path / "site"
    site.mkdir()
    (site / f"Analytics.{suffix}").write_bytes(before.read_bytes())
    code, patch, _ = strip(site, tmp_path, "--vendor", "ga4", "--vendor", "clarity", "--apply")
    assert code == 0 and patch.read_bytes()
    assert (site / f"Analytics.{suffix}").read_bytes() == after.read_bytes()
    assert "applied to 1 files" in capsys.readouterr().err


def test_a_file_that_cannot_be_rewritten_is_left_out(tmp_path, capsys):
    site = tmp_path / "site"
    site.mkdir()
    (site / "broken.py").write_text("def view(:\n    return \"<script>fbq('track', 'Lead');</script>\"\n")
    (site / "ok.js").write_text("fbq('track', 'Lead');\nstart();\n")
    code, patch, rollback = strip(site, tmp_path, "--vendor", "meta")
    summary = capsys.readouterr().err
    assert code == 1
    assert b"a/ok.js" in patch.read_bytes() and b"broken.py" not in patch.read_bytes()
    assert "broken.py: Python does not parse" in summary and "left out of the patch" in summary


def test_gtm_export_tags_are_paused(tmp_path, capsys):
    html_tag = ("<script>!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){};t=b.createElement(e);"
                "t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}(window,document,'script',"
                "'https://connect.facebook.net/en_US/fbevents.js');fbq('init','1234567890123456');</script>")
    export = {"exportFormatVersion": 2, "containerVersion": {"tag": [
        {"tagId": "1", "name": "Meta base", "type": "html", "parameter": [{"type": "TEMPLATE", "key": "html",
                                                                           "value": html_tag}]},
        {"tagId": "2", "name": "GA4 config", "type": "gaawc",
         "parameter": [{"type": "TEMPLATE", "key": "measurementId", "value": "G-8QZ3KP1L4M"}]},
        {"tagId": "3", "name": "Conversion Linker", "type": "gclidw", "parameter": []},
        {"tagId": "4", "name": "Chat", "type": "html", "parameter": [{"type": "TEMPLATE", "key": "html",
                                                                      "value": "<script src='/chat.js'></script>"}]},
    ]}}
    (tmp_path / "site").mkdir()
    (tmp_path / "container.json").write_text(json.dumps(export, indent=4) + "\n")
    code, patch, _ = strip(tmp_path / "site", tmp_path, "--vendor", "meta", "--gtm-export",
                           str(tmp_path / "container.json"), "-o-gtm", str(tmp_path / "paused.json"))
    summary = capsys.readouterr().err
    tags = json.loads((tmp_path / "paused.json").read_text())["containerVersion"]["tag"]
    assert [(t["name"], t.get("paused", False)) for t in tags] == [
        ("Meta base", True), ("GA4 config", False), ("Conversion Linker", False), ("Chat", False)]
    assert code == 0 and patch.read_bytes() == b""
    assert "GTM tag 'Meta base' paused" in summary and "kept GTM tag 'Conversion Linker'" in summary


@pytest.mark.parametrize("tag, vendors", [
    ({"type": "awct", "name": "Purchase", "parameter": []}, {"google_ads"}),
    ({"type": "gaawe", "name": "Event", "parameter": []}, {"ga4"}),
    ({"type": "hjtc", "name": "Heat maps", "parameter": []}, {"hotjar"}),
    ({"type": "googtag", "name": "Google tag",
      "parameter": [{"type": "TEMPLATE", "key": "tagId", "value": "AW-123456789"}]}, {"google_ads"}),
    ({"type": "gclidw", "name": "Conversion Linker", "parameter": []}, set()),
])
def test_gtm_tag_types_name_their_vendor_from_the_catalog(tag, vendors):
    assert tag_vendors(tag, default_catalog()) == vendors


def test_runtime_only_pixels_are_listed_with_where_to_remove_them(tmp_path, capsys):
    inventory = {"schema_version": "1", "pixels": [
        {"vendor": "tiktok", "account_id": "C4R7VQ2JC77U1A9LMK3G", "active": True, "sources": ["runtime"],
         "locations": [], "roles": ["loader"], "pages": ["/checkout"],
         "injected_by": ["https://www.googletagmanager.com/gtm.js?id=GTM-K7P2QXM"]}],
        "events": [], "cookies": [], "pages": [], "diagnostics": []}
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<p>no pixels here</p>\n")
    code, patch, _ = strip(tmp_path / "site", tmp_path, "--vendor", "tiktok", "--inventory",
                           str(tmp_path / "inventory.json"))
    summary = capsys.readouterr().err
    assert code == 1 and patch.read_bytes() == b""
    assert "loader seen only at runtime on /checkout (injected by https://www.googletagmanager.com/gtm.js" in summary
    assert "pause its tag in the GTM container (--gtm-export)" in summary


@pytest.mark.parametrize("args, message", [
    (["--all", "--vendor", "meta"], "give --vendor ID (repeatable) or --all"),
    (["--vendor", "nosuch"], "unknown vendor 'nosuch'"),
    (["--all", "--gtm-export", "README.md"], "--gtm-export and -o-gtm go together"),
])
def test_usage_errors_exit_2_with_one_line(args, message, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "scanner.cli", "strip", str(DEMO), "-o", str(tmp_path / "c.patch"),
                           "--rollback", str(tmp_path / "r.patch"), *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr
    assert not (tmp_path / "c.patch").exists()


def test_missing_path_exits_2(tmp_path, capsys):
    assert main(["strip", str(tmp_path / "nope"), "--all", "-o", "-", "--rollback", str(tmp_path / "r")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_demo_shop_all_vendors(tmp_path, capsys):
    repo = tmp_path / "repo"
    shutil.copytree(DEMO, repo)
    make_repo(repo)
    original = files_of(repo)

    code, patch, rollback = strip(repo, tmp_path, "--all")
    summary = capsys.readouterr().err
    assert code == 0, summary
    assert git(repo, "apply", "--check", str(patch), check=False).returncode == 0
    git(repo, "apply", str(patch))
    stripped = files_of(repo)
    changed = {path for path in original if stripped[path] != original[path]}

    everything = frozenset(CATALOG.by_id)
    for path, data in stripped.items():
        if kind_of(path) is not None:
            assert not [f for f in chosen_findings(path, data, everything) if f.active], path
    for path in changed:
        assert CATALOG.has_signature(original[path]), f"{path} had no pixel code but changed"
        kind = kind_of(path)
        old_text, new_text = (SourceText.from_bytes(path, d)[0].text for d in (original[path], stripped[path]))
        if kind == "python":
            compile(stripped[path], path, "exec")
        elif kind == "html":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                BeautifulSoup(new_text, "html.parser")
        else:
            assert error_count(kind, new_text) <= error_count(kind, old_text), path
    assert {"assets/css/main.css", "robots.txt", "sitemap.xml", "README.md", "cart.json"}.isdisjoint(changed)
    assert b"analytical" not in stripped["django_app/templates/base.html"]
    assert b'"analytical"' not in stripped["django_app/settings.py"]
    site_js = stripped["assets/js/site.js"].decode()
    for capture in ("params.get('fbclid')", "setCookie('_fbc', 'fb.1.' + Date.now()", "fbp: getCookie('_fbp')",
                    "document.cookie = '_gcl_aw=GCL.'"):
        assert capture in site_js
    assert stripped["blog/server-side-tracking.html"].count(b"fbq(") == original[
        "blog/server-side-tracking.html"].count(b"fbq(") - 2, "prose and code samples stay"

    again, second, _ = strip(repo, fresh(tmp_path / "again"), "--all")
    assert (again, second.read_bytes()) == (0, b"")

    git(repo, "apply", str(rollback))
    assert files_of(repo) == original


def test_unified_diff_of_bytes():
    assert unified_diff("a.txt", b"x\n", b"x\n") == b""
    diff = unified_diff("a.txt", b"one\r\ntwo\r\nthree", b"one\r\nthree")
    assert diff.endswith(b"-two\r\n three\n\\ No newline at end of file\n")
    assert b"@@ -1,3 +1,2 @@" in diff
    assert unified_diff("dir/caf\xe9 x.html", b"\xe9\n", b"").startswith(
        b'diff --git "a/dir/caf\\303\\251 x.html" "b/dir/caf\\303\\251 x.html"\n')


def test_cuts_merge_and_take_whole_lines():
    text = "a();\n  fbq(1);\n  fbq(2); b();\n\n  fbq(3);\n}\n"
    first, second, third = text.index("fbq(1);"), text.index("fbq(2);"), text.index("fbq(3);")
    cuts = tidy(text, [Cut(first, first + 7), Cut(second, second + 7), Cut(third, third + 7)])
    kept = "".join(text[e:s] for (_, e), (s, _) in zip([(0, 0)] + [(c.start, c.end) for c in cuts],
                                                       [(c.start, c.end) for c in cuts] + [(len(text), 0)]))
    assert kept == "a();\n  b();\n}\n"
    assert merge([Cut(0, 10), Cut(2, 4, "void 0")]) == [Cut(0, 10)]
    assert merge([Cut(0, 4), Cut(0, 4, "pass")])[0].replacement == "pass"
