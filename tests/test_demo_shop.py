"""The bundled demo shop, scanned once through the real CLI, against its hand-written checklist
(fixtures/sites/demo-shop.checklist.yaml; its header gives the conventions) and against the
whole expected inventory stored beside it.

After a deliberate change to what the scanner reports, regenerate the expected inventory and
review its diff before committing it:

    PIXELMIGRATE_UPDATE_EXPECTED=1 python3 -m pytest tests/test_demo_shop.py
"""
from __future__ import annotations

import json
import os

import pytest
import yaml

from test_cli import ROOT, run

SITE = ROOT / "fixtures/sites/demo-shop"
CHECKLIST = ROOT / "fixtures/sites/demo-shop.checklist.yaml"
EXPECTED = ROOT / "fixtures/sites/demo-shop.expected.json"
_SHOWN = 25
"""Differences listed in a failure message; the rest are counted."""


@pytest.fixture(scope="module")
def inventory(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("demo-shop") / "inventory.json"
    proc = run("scan", str(SITE), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def checklist() -> dict:
    return yaml.safe_load(CHECKLIST.read_text())


def _account(item: dict) -> str:
    """The id, or the expression as written with spacing ignored."""
    return item.get("account_id") or (item.get("account_expr") or "").replace(" ", "")


def _at(item: dict, path: str, first: int, last: int | None = None) -> bool:
    last = first if last is None else last
    return any(loc["path"] == path and first <= loc["line"] <= last for loc in item["locations"])


def _report(title: str, problems: list) -> str:
    return f"{len(problems)} {title}:\n" + "\n".join(f"  {p}" for p in problems)


def test_every_checklist_pixel_is_found_at_each_location(inventory, checklist):
    missing = []
    for want in (p for p in checklist["pixels"] if not p.get("optional")):
        candidates = [p for p in inventory["pixels"] if p["vendor"] == want["vendor"]
                      and _account(p) == _account(want) and p["active"] == want["active"]]
        for loc in want["locations"]:
            if not any(_at(p, want["file"], loc["line"], loc.get("end_line")) for p in candidates):
                missing.append((want["vendor"], _account(want), want["file"], loc))
    assert not missing, _report("checklist pixel locations not found", missing)


def test_every_checklist_event_is_found_with_its_offset_and_trigger(inventory, checklist):
    missing, misplaced, mistriggered = [], [], []
    for want in (e for e in checklist["events"] if not e.get("optional")):
        key = (want["vendor"], want["name"], want["file"], want["line"])
        found = [e for e in inventory["events"] if e["vendor"] == want["vendor"] and e["name"] == want["name"]
                 and e["active"] == want["active"] and _at(e, want["file"], want["line"])]
        if not found:
            # A call inside a wrapper may instead be reported where the wrapper is called.
            if not want.get("via"):
                missing.append(key)
            continue
        starts = [loc["start"] for e in found for loc in e["locations"] if loc["path"] == want["file"]]
        if want["start"] not in starts:
            misplaced.append((*key, want["start"], starts))
        trigger = want["trigger"]
        if not any(e["trigger"]["kind"] == trigger["kind"]
                   and trigger["selector"] in (None, e["trigger"]["selector"])
                   and set(trigger.get("conditions", [])) <= set(e["trigger"]["conditions"]) for e in found):
            mistriggered.append((*key, trigger, [e["trigger"] for e in found]))
    assert not missing, _report("checklist events not found", missing)
    assert not misplaced, _report("checklist events found at another start offset", misplaced)
    assert not mistriggered, _report("checklist events found with another trigger", mistriggered)


def test_every_checklist_cookie_is_found_in_its_file(inventory, checklist):
    missing = [(c["name"], c["file"]) for c in checklist["cookies"]
               if not any(f["name"] == c["name"] and any(loc["path"] == c["file"] for loc in f["locations"])
                          for f in inventory["cookies"])]
    assert not missing, _report("checklist cookies not found", missing)


def test_nothing_is_found_where_the_checklist_says_there_is_nothing(inventory, checklist):
    kinds = {"any": ("pixels", "events", "cookies"), "event": ("events",), "cookie": ("cookies",)}
    noise = [(kind, rule["file"], rule["lines"], item.get("vendor"), item.get("name"))
             for rule in checklist["must_not_find"] for kind in kinds[rule["what"]]
             for item in inventory[kind]
             if item.get("active", True) and _at(item, rule["file"], *rule["lines"])]
    assert not noise, _report("findings where the checklist expects none", noise)


def _keys(data: dict) -> dict[str, set]:
    """Short identities of what an inventory holds, to name the differences on a failure."""
    return {
        "pixels": {(p["vendor"], p["account_id"] or p["account_expr"], p["active"], tuple(p["roles"]))
                   for p in data["pixels"]},
        "events": {(e["vendor"], e["name"], loc["path"], loc["line"], e["trigger"]["kind"])
                   for e in data["events"] for loc in e["locations"]},
        "cookies": {(c["name"], tuple(c["access"]), loc["path"], loc["line"])
                    for c in data["cookies"] for loc in c["locations"]},
    }


def test_whole_inventory_matches_the_expected_one(inventory):
    if os.environ.get("PIXELMIGRATE_UPDATE_EXPECTED") == "1":
        EXPECTED.write_text(json.dumps(inventory, indent=1, sort_keys=True) + "\n")
    expected = json.loads(EXPECTED.read_text())
    if inventory == expected:
        return
    lines = []
    got, want = _keys(inventory), _keys(expected)
    for section in got:
        lines += [f"  {section} missing: {key}" for key in sorted(want[section] - got[section], key=repr)]
        lines += [f"  {section} new:     {key}" for key in sorted(got[section] - want[section], key=repr)]
    if not lines:
        differing = sorted(k for k in inventory.keys() | expected.keys() if inventory.get(k) != expected.get(k))
        lines = [f"  same pixel, event and cookie keys; other fields differ in: {', '.join(differing)}"]
    more = f"\n  ... and {len(lines) - _SHOWN} more" if len(lines) > _SHOWN else ""
    pytest.fail("inventory differs from fixtures/sites/demo-shop.expected.json "
                "(regenerate with PIXELMIGRATE_UPDATE_EXPECTED=1 once the change is intended):\n"
                + "\n".join(lines[:_SHOWN]) + more)
