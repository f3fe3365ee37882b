"""Sharded scans merge into exactly the inventory one scan gives."""
import json

import pytest

from scanner.findings_io import finding_from_json, finding_to_json
from scanner.model import (CookieFinding, CookieRole, EventFinding, Expr, Location, PixelFinding, Source, Storage,
                           Trigger, TriggerKind, Value)
from test_cli import ROOT, run

DEMO = ROOT / "fixtures/sites/demo-shop"


@pytest.mark.parametrize("finding", [
    PixelFinding("meta", Location("a.html", 1, 1, 0, 3), account_expr="{{ id }}", role="init", active=False),
    EventFinding("ga4", "purchase", Location("b.js", 2, 5, 10, 40), params=(("value", Value("9.5")), ("x", Expr("y"))),
                 trigger=Trigger(TriggerKind.SUBMIT, "form#pay", ("cart.total > 0",)), source=Source.RUNTIME,
                 page="/checkout.html", script_url="/js/app.js"),
    CookieFinding("_fbp", "read", None, vendor="meta", role=CookieRole.IDENTITY, storage=Storage.LOCAL_STORAGE),
])
def test_findings_survive_json(finding):
    assert finding_from_json(json.loads(json.dumps(finding_to_json(finding)))) == finding


def test_three_shards_merge_to_the_single_scan(tmp_path):
    whole = tmp_path / "whole.json"
    assert run("scan", str(DEMO), "-o", str(whole)).returncode == 0
    shards = []
    for k in (1, 2, 3):
        shard = tmp_path / f"shard{k}.json"
        assert run("scan", str(DEMO), "--shard", f"{k}/3", "-o", str(shard)).returncode == 0
        shards.append(shard)
    counts = [json.loads(s.read_text())["stats"]["files_scanned"] for s in shards]
    assert all(counts) and sum(counts) == json.loads(whole.read_text())["stats"]["files_scanned"]
    merged = tmp_path / "merged.json"
    proc = run("merge", *map(str, shards), "-o", str(merged))
    assert proc.returncode == 0, proc.stderr
    assert merged.read_bytes() == whole.read_bytes()


def test_merging_an_inventory_without_raw_findings_is_one_line_exit_2(tmp_path):
    whole = tmp_path / "whole.json"
    run("scan", str(DEMO / "index.html"), "-o", str(whole))
    proc = run("merge", str(whole), "-o", "-")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"pixelmigrate: error: {whole}: has no raw findings to merge: write it with `scan --shard K/N` "
        "or `scan --keep-findings`"]
