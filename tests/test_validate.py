"""`pixelmigrate validate` as a user runs it: generated logs around a cutover, each injected
fault failing its own check, and the adapters reading small hand-written samples."""
import gzip
import importlib.util
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from test_cli import ROOT, run

CUTOVER = "2026-03-03T02:00:00Z"
CUT = datetime(2026, 3, 3, 2, tzinfo=timezone.utc).timestamp()
CHECKS = ["volume", "identity", "duplicates", "continuity"]
# Night-time traffic (the cutover is at 02:00, the quietest time) in which a 40% drop of page
# views stands out from counting noise, kept small: two vendors, two pages per visit.
TRAFFIC = {"sessions_per_hour": 50, "hours_after": 8, "pages_per_session": 2, "vendors": ("meta", "ga4")}

_spec = importlib.util.spec_from_file_location("gen_validation_logs", ROOT / "bench/gen_validation_logs.py")
gen = sys.modules.setdefault("gen_validation_logs", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(gen)


def _logs(directory: Path, **options):
    client, server = directory / "client.jsonl", directory / "server.jsonl"
    stats = gen.generate(client, server, CUTOVER, **TRAFFIC, **options)
    return client, server, stats


def _validate_json(client, server, *extra):
    proc = run("validate", "--client", str(client), "--server", str(server), "--cutover", CUTOVER,
               "--format", "json", *extra)
    assert proc.returncode in (0, 1), proc.stderr
    return proc, json.loads(proc.stdout)


def _statuses(data) -> dict:
    return {check["name"]: check["status"] for check in data["checks"]}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return _logs(tmp_path_factory.mktemp("clean"), bad_lines=3)


def test_clean_cutover_passes_every_check_in_the_json_contract(clean):
    client, server, stats = clean
    proc, data = _validate_json(client, server)
    assert proc.returncode == 0, proc.stdout
    assert [check["name"] for check in data["checks"]] == CHECKS
    assert all(set(check) >= {"name", "status", "details"} and isinstance(check["details"], dict)
               for check in data["checks"])
    assert _statuses(data) == dict.fromkeys(CHECKS, "pass") and data["status"] == "pass"
    assert data["window"]["hours"] == 8 and data["window"]["cutover"] == CUTOVER
    duplicates = data["checks"][2]["details"]
    assert duplicates["debug_overlap"]["pairs"] > 0 and duplicates["after_overlap"] is None
    assert 1.9 <= duplicates["debug_overlap"]["hours"] <= 2.1  # the generator's 2 h debug run
    volume = {(row["vendor"], row["event"]): row for row in data["checks"][0]["details"]["rows"]}
    assert volume[("meta", "PageView")]["status"] == "pass" and volume[("meta", "PageView")]["week_before"] > 100
    identity = {(row["vendor"], row["cookie"]) for row in data["checks"][1]["details"]["rows"]}
    assert identity == {("meta", "_fbp"), ("ga4", "_ga")}
    assert proc.stderr.strip() == "validate: passed all 4 checks"
    # The bad lines are counted with their numbers, and never fatal.
    assert data["bad_lines"] == 3
    client_input = data["inputs"][0]
    assert (client_input["side"], client_input["format"], client_input["records"]) == ("client", "jsonl",
                                                                                    stats.client_records)
    assert [bad["line"] for bad in client_input["first_bad"]] == stats.bad_line_numbers
    assert [bad["reason"] for bad in client_input["first_bad"]] == ["bad time 'not a time'", "not JSON",
                                                                  "bad time 'not a time'"]


def test_text_markdown_and_plot(clean, tmp_path):
    client, server, _ = clean
    text = run("validate", "--client", str(client), "--server", str(server), "--cutover", CUTOVER)
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert [line.split()[:2] for line in lines[1:5]] == [["PASS", name] for name in CHECKS]
    assert "3 bad lines (line " in text.stdout and lines[-1] == "validate: passed all 4 checks"
    md, svg = tmp_path / "validation.md", tmp_path / "hourly.svg"
    proc = run("validate", "--client", str(client), "--server", str(server), "--cutover", CUTOVER,
               "--format", "md", "-o", str(md), "--plot", str(svg))
    assert proc.returncode == 0, proc.stderr
    section = md.read_text()
    assert section.startswith("## Migration validation\n")
    assert "| volume | ✅ pass |" in section and f"]({svg})" in section and "### duplicates" in section
    image = svg.read_text()
    assert image.startswith("<svg ") and image.count("<polyline") >= 2 and 'class="cut"' in image


@pytest.mark.parametrize("fault, failing", [
    ("client_left_on", "duplicates"),
    ("minted_ids", "identity"),
    ("drop", "volume"),
    ("hole", "continuity"),
])
def test_each_fault_fails_its_own_check_only(tmp_path, fault, failing):
    client, server, _ = _logs(tmp_path, faults=(fault,))
    proc, data = _validate_json(client, server)
    assert proc.returncode == 1
    assert _statuses(data) == {name: "fail" if name == failing else "pass" for name in CHECKS}
    check = next(c for c in data["checks"] if c["name"] == failing)
    details = check["details"]
    if fault == "client_left_on":
        assert details["live_pairs"] > 100 and details["client_events_after_cutover"] >= details["live_pairs"]
        assert details["after_overlap"]["hours"] > 5
    elif fault == "minted_ids":
        rows = {row["cookie"]: row for row in details["rows"]}
        assert all(row["status"] == "fail" and row["known"] == 0 for row in rows.values())
        # ga4 minted uuids: a new format; meta minted ids look like the client's.
        assert rows["_ga"]["new_format"] == rows["_ga"]["server_ids"] and rows["_fbp"]["new_format"] == 0
    elif fault == "drop":
        failed = [(row["vendor"], row["event"]) for row in details["rows"] if row["status"] == "fail"]
        assert failed == [("meta", "PageView")]
        assert check["reason"].startswith("meta PageView -")
    else:
        empty = {row["vendor"]: row["empty_hours"] for row in details["rows"]}
        assert empty["meta"] == [f"2026-03-03T0{h}:00:00Z" for h in (3, 4, 5, 6)]
        assert all(row["largest_gap_minutes"] >= 235 for row in details["rows"])


def _iso(offset_seconds: float) -> str:
    return datetime.fromtimestamp(CUT + offset_seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_har_and_server_request_bodies(tmp_path):
    before, after = -6 * 3600, 30 * 60
    entries = [
        {"startedDateTime": _iso(before), "request": {
            "method": "GET", "url": "https://www.facebook.com/tr/?id=1234567890123456&ev=PageView&eid=p1"
                                    "&fbp=fb.1.1700000000000.111",
            "headers": [{"name": "Referer", "value": "https://shop.example/"}]}},
        {"startedDateTime": _iso(before + 1), "request": {"method": "GET", "url": "https://shop.example/app.js"}},
        {"startedDateTime": _iso(before + 2), "request": {
            "method": "POST", "url": "https://region1.google-analytics.com/g/collect?v=2&tid=G-ABC123&cid=555.1700000000",
            "postData": {"mimeType": "text/plain", "text": "en=page_view\nen=view_item&ep.item=1"}}},
        {"startedDateTime": "yesterday", "request": {"method": "GET", "url": "https://www.facebook.com/tr/?ev=Lead"}},
        {"startedDateTime": _iso(after), "request": {
            "method": "GET", "url": "https://www.facebook.com/tr/?id=1234567890123456&ev=Purchase&eid=o8"
                                    "&fbp=fb.1.1700000000000.111"}},
        {"startedDateTime": _iso(after + 1), "request": {
            "method": "POST", "url": "https://region1.google-analytics.com/g/collect?v=2&tid=G-ABC123&cid=555.1700000000",
            "postData": {"text": "en=purchase&ep.transaction_id=T9"}}},
        {"startedDateTime": _iso(after + 2), "request": {
            "method": "GET", "url": "https://p.brsrvr.com/pix.gif?acct_id=6000&type=pageview"
                                    "&cookie2=uid%3D1234567890123%3Av%3D15.0%3Ats%3D1%3Ahc%3D3"}},
    ]
    har = tmp_path / "crawl.har"
    # Pretty-printed, as browsers save it: a bad entry is reported at the line it starts on.
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "Playwright"}, "entries": entries}},
                              indent=1))
    bad_line = next(i for i, line in enumerate(har.read_text().splitlines()) if '"yesterday"' in line)
    bodies = tmp_path / "capi.log"
    bodies.write_text("\n".join([
        json.dumps({"data": [{"event_name": "Purchase", "event_time": int(CUT + after + 1), "event_id": "o8",
                              "action_source": "website", "user_data": {"fbp": "fb.1.1700000000000.111"}}]}),
        json.dumps({"received_at": _iso(after + 2), "body": {
            "client_id": "555.1700000000", "events": [{"name": "purchase", "params": {"transaction_id": "T9"}}]}}),
        json.dumps({"event_source": "web", "event_source_id": "CABC", "data": [{
            "event": "CompletePayment", "event_time": int(CUT + after), "event_id": "t1",
            "user": {"ttp": "ttp-1", "ttclid": "click-1"}, "page": {"url": "https://shop.example/checkout"}}]}),
        json.dumps({"unknown": "shape"}),
        "not json",
    ]) + "\n")
    proc, data = _validate_json(har, bodies)
    client, server = data["inputs"]
    assert (client["format"], client["records"], client["skipped"], client["bad_lines"]) == ("har", 6, 1, 1)
    assert client["first_bad"] == [{"line": bad_line, "reason": "bad time 'yesterday'"}]
    assert (server["format"], server["records"], server["bad_lines"]) == ("server", 3, 2)
    assert [bad["line"] for bad in server["first_bad"]] == [4, 5]
    totals = {(t["side"], t["vendor"], t["event"]): (t["before"], t["after"]) for t in data["totals"]}
    assert totals == {
        ("client", "meta", "PageView"): (1, 0), ("client", "ga4", "page_view"): (1, 0),
        ("client", "ga4", "view_item"): (1, 0), ("client", "meta", "Purchase"): (0, 1),
        ("client", "ga4", "purchase"): (0, 1), ("client", "bloomreach_discovery", "pageview"): (0, 1),
        ("server", "meta", "Purchase"): (0, 1), ("server", "ga4", "purchase"): (0, 1),
        ("server", "tiktok", "CompletePayment"): (0, 1)}
    checks = {check["name"]: check for check in data["checks"]}
    # The pixel's eid and the CAPI event_id pair; so do GA4's transaction ids.
    pairs = {(row["vendor"], row["event"]): (row["live_pairs"], row["by_event_id"])
             for row in checks["duplicates"]["details"]["rows"]}
    assert pairs == {("meta", "Purchase"): (1, 1), ("ga4", "purchase"): (1, 1)}
    assert checks["duplicates"]["status"] == "fail"
    # The beacon's cid is the MP client_id; the pixel's fbp is CAPI's user_data.fbp.
    identity = {(row["vendor"], row["cookie"]): (row["after_with_id"], row["known"])
                for row in checks["identity"]["details"]["rows"]}
    assert identity == {("meta", "_fbp"): (1, 1), ("ga4", "_ga"): (1, 1), ("tiktok", "_ttp"): (1, 0)}


def test_beacon_log_compressed(tmp_path):
    """A proxy's or crawl's beacon log, one request per line; gzip is read as it streams."""
    lines = [
        {"ts": _iso(-600), "url": "https://www.facebook.com/tr/?id=1234567890123456&ev=PageView&eid=p1&fbp=fb.1.1.2"},
        {"time": int(CUT + 600), "url": "https://analytics.tiktok.com/api/v2/pixel",
         "body": json.dumps({"event": "CompletePayment", "event_id": "t1", "context": {"user": {"ttp": "ttp-1"}}})},
        {"ts": _iso(660), "url": "https://shop.example/not-a-beacon"},
        {"url": "https://www.facebook.com/tr/?ev=Lead"},
    ]
    beacons = tmp_path / "beacons.jsonl.gz"
    with gzip.open(beacons, "wt") as handle:
        handle.write("\n".join(json.dumps(line) for line in lines) + "\n")
    proc, data = _validate_json(beacons, beacons)
    client = data["inputs"][0]
    assert (client["format"], client["records"], client["skipped"]) == ("beacons", 2, 1)
    assert client["first_bad"] == [{"line": 4, "reason": "no time"}]
    totals = {(t["side"], t["vendor"], t["event"]): (t["before"], t["after"]) for t in data["totals"]}
    assert totals[("client", "meta", "PageView")] == (1, 0) and totals[("client", "tiktok", "CompletePayment")] == (0, 1)


def test_csv_with_column_map_and_access_log(tmp_path):
    export = tmp_path / "pixels.csv"
    export.write_text("when;name;platform;dedupe;br\n"
                      f"{_iso(-3600)};pageview;bloomreach_discovery;;uid=1234567890123:v=15.0:ts=1:hc=1\n"
                      f"{int(CUT + 1800)};pageview;bloomreach_discovery;;uid=1234567890123:v=15.0:ts=2:hc=2\n"
                      f"{_iso(1900)};purchase\n")
    access = tmp_path / "access.log"
    access.write_text(
        '10.0.0.5 - - [03/Mar/2026:02:30:01 +0000] "GET https://p.brsrvr.com/pix.gif?acct_id=6000&type=pageview'
        '&cookie2=uid%3D1234567890123%3Av%3D15.0%3Ats%3D2%3Ahc%3D3&version=ss-1 HTTP/1.1" 200 43 '
        '"https://shop.example/p/1" "Mozilla/5.0"\n'
        '10.0.0.5 - - [03/Mar/2026:03:40:00 +0100] "GET /pix.gif?acct_id=6000&type=pageview&cookie2=uid%3D999 '
        'HTTP/1.1" 200 43 "-" "Mozilla/5.0"\n'
        '10.0.0.5 - - [03/Mar/2026:02:41:00 +0000] "GET /favicon.ico HTTP/1.1" 404 0 "-" "Mozilla/5.0"\n'
        "garbage\n")
    proc, data = _validate_json(export, access, "--map", "ts=when", "--map", "event=name", "--map", "vendor=platform",
                                "--map", "event_id=dedupe", "--map", "ids._br_uid_2=br",
                                "--base-url", "https://p.brsrvr.com")
    client, server = data["inputs"]
    assert (client["format"], client["records"], client["bad_lines"]) == ("csv", 2, 1)
    assert client["first_bad"] == [{"line": 4, "reason": "2 columns, the header has 5"}]
    assert (server["format"], server["records"], server["skipped"], server["bad_lines"]) == ("access", 2, 1, 1)
    assert server["first_bad"] == [{"line": 4, "reason": "not an access log line"}]
    totals = {(t["side"], t["vendor"], t["event"]): (t["before"], t["after"]) for t in data["totals"]}
    assert totals == {("client", "bloomreach_discovery", "pageview"): (1, 1),
                      ("server", "bloomreach_discovery", "pageview"): (0, 2)}
    # cookie2 changes its hit count on every hit; the uid in it is the user, so both sides pair.
    rows = data["checks"][2]["details"]["rows"]
    assert [(r["event"], r["live_pairs"], r["by_identity"]) for r in rows] == [("pageview", 1, 1)]
    identity = data["checks"][1]["details"]["rows"]
    assert [(r["cookie"], r["server_ids"], r["known"], r["unknown"]) for r in identity] == [("_br_uid_2", 2, 1, 1)]


def test_usage_and_run_errors_are_one_line(tmp_path, clean):
    client, server, _ = clean
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps({"schema_version": "1", "pixels": [], "events": []}, indent=2))
    old = tmp_path / "old.jsonl"
    old.write_text(json.dumps({"ts": "2026-03-01T00:00:00Z", "side": "server", "vendor": "meta",
                               "event": "PageView", "event_id": None, "ids": {}, "page": None}) + "\n")
    cases = [
        (("--client", str(client), "--server", str(server), "--cutover", "yesterday"), "--cutover"),
        (("--client", str(inventory), "--server", str(server), "--cutover", CUTOVER), "is an inventory"),
        (("--client", str(old), "--server", str(old), "--cutover", CUTOVER), "no events after the cutover"),
        (("--client", str(client), "--server", str(server), "--cutover", CUTOVER, "--map", "colour=x"), "--map"),
        (("--client", str(tmp_path / "missing.jsonl"), "--server", str(server), "--cutover", CUTOVER),
         "does not exist"),
    ]
    for args, message in cases:
        proc = run("validate", *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
