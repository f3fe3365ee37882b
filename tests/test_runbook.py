"""The runbook names the site's real cookies, vendors, debug pixels and patch files."""
from test_cli import ROOT, run

DEMO = ROOT / "fixtures/sites/demo-shop"


def test_plan_is_specific_to_the_site(tmp_path):
    inventory = tmp_path / "inventory.json"
    assert run("scan", str(DEMO), "-o", str(inventory)).returncode == 0
    proc = run("plan", str(inventory), "--site", "site/", "--cutover-patch", "cut-2026.patch",
               "--rollback-patch", "undo-2026.patch", "-o", "-")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    for cookie in ("`_fbp`", "`_fbc`", "`_ga`", "`_br_uid_2`", "`_ttp`"):
        assert cookie in text
    assert "pixelmigrate strip site/ --vendor bloomreach_discovery" in text
    assert "-o cut-2026.patch --rollback undo-2026.patch" in text
    assert "`git apply undo-2026.patch`" in text and "git apply cut-2026.patch" in text
    assert "Meta Pixel (2918374650192837): test_event_code" in text
    assert "debug=true" in text  # Bloomreach's debug mode
    assert "Hotjar stays as it is" in text
    assert "2 to 4 hours in the lowest-traffic period" in text
    for check in ("Volume", "Identity", "Duplicates", "Continuity"):
        assert f"- [ ] {check}:" in text
