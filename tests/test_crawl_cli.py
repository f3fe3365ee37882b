"""`pixelmigrate crawl` as a user runs it on the bundled demo shop: a real Chromium, the
directory served on 127.0.0.1, and the static scan of the same tree merged in."""
import json
import os

import jsonschema
import pytest

from test_cli import ROOT, SCHEMA, run

DEMO = ROOT / "fixtures/sites/demo-shop"


@pytest.fixture(scope="module")
def merged(chromium, tmp_path_factory):
    out = tmp_path_factory.mktemp("crawl") / "inv.json"
    proc = run("crawl", str(DEMO), "-o", str(out), "--max-pages", "8")
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text()), proc.stderr


@pytest.mark.browser
def test_directory_target_merges_runtime_with_static(merged):
    data, stderr = merged
    jsonschema.validate(data, SCHEMA)
    assert "crawled 8 pages (0 failed)" in stderr
    assert {p["status"] for p in data["pages"]} == {200}
    runtime_events = [e for e in data["events"] if "runtime" in e["sources"]]
    assert runtime_events
    # Every event seen firing was matched to the code that sends it.
    assert all("static" in e["sources"] for e in runtime_events), \
        [(e["vendor"], e["name"]) for e in runtime_events if "static" not in e["sources"]]
    meta = [p for p in data["pixels"] if p["vendor"] == "meta" and "runtime" in p["sources"]]
    assert meta and meta[0]["account_id"] and "static" in meta[0]["sources"]


@pytest.mark.browser
def test_runtime_triggers_agree_with_static_ones(merged):
    data, _ = merged
    clicks = [e for e in data["events"] if e["sources"] == ["runtime", "static"] and e["trigger"]["kind"] == "click"]
    assert clicks and all(e["trigger"]["selector"] for e in clicks)
    page_views = [e for e in data["events"] if e["vendor"] == "meta" and e["name"] == "PageView"
                  and "runtime" in e["sources"]]
    assert page_views and page_views[0]["trigger"]["kind"] == "page_load" and len(page_views[0]["pages"]) >= 2


def test_no_browser_is_one_line_and_exit_2_but_the_static_half_is_written(tmp_path):
    out = tmp_path / "inv.json"
    env_path = os.environ.get("PATH")
    try:
        os.environ["PATH"] = str(tmp_path)  # no chromium on it; PLAYWRIGHT_BROWSERS_PATH below has none either
        os.environ["PLAYWRIGHT_BROWSERS_PATH"] = str(tmp_path)
        proc = run("crawl", str(DEMO), "-o", str(out))
    finally:
        os.environ["PATH"] = env_path
        del os.environ["PLAYWRIGHT_BROWSERS_PATH"]
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "wrote the static scan only" in lines[0], proc.stderr
    assert json.loads(out.read_text())["pixels"]


@pytest.mark.browser
def test_sharded_crawls_split_the_pages_and_merge_to_the_whole_crawl(chromium, tmp_path):
    site = ROOT / "fixtures/sites/crawl-consent"
    whole = tmp_path / "whole.json"
    proc = run("crawl", str(site), "-o", str(whole))
    assert proc.returncode == 0, proc.stderr
    shards = []
    for k in (1, 2):
        shard = tmp_path / f"shard{k}.json"
        proc = run("crawl", str(site), "--shard", f"{k}/2", "-o", str(shard))
        assert proc.returncode == 0, proc.stderr
        shards.append(shard)
    # Each page is visited by one shard; the other only fetched it for its links.
    assert [[p["url"] for p in json.loads(s.read_text())["pages"]] for s in shards] == [["/"], ["/products.html"]]
    merged = tmp_path / "merged.json"
    proc = run("merge", *map(str, shards), "-o", str(merged))
    assert proc.returncode == 0, proc.stderr
    one, parts = json.loads(whole.read_text()), json.loads(merged.read_text())
    for key in ("pixels", "events", "cookies", "pages", "stats"):
        assert parts[key] == one[key], key
