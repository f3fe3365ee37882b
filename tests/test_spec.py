"""`pixelmigrate spec`: the server-side mapping plan, from a real scan of the demo shop."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
import yaml

from scanner.catalog import default_catalog
from scanner.inventory import inventory_from_json, load_inventory
from scanner.report.spec_json import format_spec_json
from scanner.spec.build import build_spec
from scanner.spec.check import check_spec
from scanner.spec.secrets import REDACTED, scrub_text, scrub_value
from test_cli import ROOT, run

DEMO = ROOT / "fixtures/sites/demo-shop"
SPEC_SCHEMA = json.loads((ROOT / "scanner/schemas/spec.schema.json").read_text())
META_TOKEN = "EAABsbCS1iHgBAKZBZCx4d2V0aWV3cXdlcXdlcXdlZZZ"
HEX_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo shop scanned once, and its spec in debug (YAML, JSON) and live mode."""
    out = tmp_path_factory.mktemp("spec")
    inventory = out / "inventory.json"
    assert run("scan", str(DEMO), "-o", str(inventory)).returncode == 0
    for name, extra in (("debug.yaml", ()), ("debug.json", ()), ("live.yaml", ("--live",))):
        proc = run("spec", str(inventory), "-o", str(out / name), *extra)
        assert proc.returncode == 0, proc.stderr
        assert f"wrote {out / name}" in proc.stderr
    return out


def _load(path: Path):
    return yaml.load(path.read_text(), Loader=YAML_LOADER) if path.suffix == ".yaml" else json.loads(path.read_text())


def _location_key(locations) -> tuple:
    return tuple((l["path"], l["start"]) for l in locations)


def test_spec_follows_the_schema_and_yaml_equals_json(demo):
    spec = _load(demo / "debug.yaml")
    jsonschema.validate(spec, SPEC_SCHEMA)
    assert spec == _load(demo / "debug.json")
    assert spec["mode"] == "debug" and _load(demo / "live.yaml")["mode"] == "live"
    assert (demo / "debug.yaml").read_text().startswith("# pixelmigrate server-side event mapping spec")


def test_every_active_event_is_mapped_or_explained(demo):
    inventory = json.loads((demo / "inventory.json").read_text())
    spec = _load(demo / "debug.yaml")
    active = Counter((e["vendor"], e["name"], _location_key(e["locations"])) for e in inventory["events"] if e["active"])
    mapped = Counter((d["vendor"], e["client"]["name"], _location_key(e["client"]["locations"]))
                     for d in spec["destinations"] for e in d["events"])
    unmapped = Counter((u["vendor"], u["name"], _location_key(u["locations"])) for u in spec["unmapped"])
    assert mapped + unmapped == active
    assert all(u["reason"] for u in spec["unmapped"])
    names = {(d["vendor"], e["client"]["name"]): e["server"]["name"] for d in spec["destinations"] for e in d["events"]}
    assert names[("meta", "AddToCart")] == "AddToCart"
    assert names[("ga4", "purchase")] == "purchase"
    assert names[("tiktok", "CompletePayment")] == "CompletePayment"
    assert names[("pinterest", "addtocart")] == "add_to_cart"
    assert names[("linkedin", "13579246")] == "urn:lla:llaPartnerConversion:13579246"
    assert names[("meta", "EngagedVisit")] == "EngagedVisit"  # a custom event Meta accepts as it is
    reasons = {(u["vendor"], u["name"]): u["reason"] for u in spec["unmapped"]}
    assert "initialisation beacon" in reasons[("pinterest", "init")]
    assert "ga4 add_to_cart" in reasons[("gtm", "add_to_cart")]


def test_params_keep_literals_and_expression_source(demo):
    spec = _load(demo / "debug.yaml")
    meta = next(d for d in spec["destinations"] if d["vendor"] == "meta" and d["account_id"] == "2918374650192837")
    purchase = next(e for e in meta["events"] if e["client"]["name"] == "Purchase")
    assert purchase["server"]["params"]["data[].custom_data.value"] == {"from": "value", "expr": "order.total"}
    assert purchase["server"]["params"]["data[].custom_data.content_type"] == {"from": "content_type", "value": "product"}
    bloomreach = next(d for d in spec["destinations"] if d["vendor"] == "bloomreach_discovery")
    conversion = next(e for e in bloomreach["events"] if "basket" in e["server"]["params"])
    assert conversion["server"]["params"]["basket"]["format"].startswith("!i<prod_id>'s<sku>'n<name>'p<price>'q<quantity>")
    assert conversion["example_payload"]["basket"].startswith("<for each basket item: !i<prod_id>")
    # Expression accounts stay expressions: the URL keeps its template, the notes say where the id comes from.
    templated = next(d for d in spec["destinations"] if d["vendor"] == "meta" and d["account_id"] is None)
    assert templated["account_expr"] == "{{ settings.meta_pixel_id }}"
    assert "/{account_id}/events" in templated["endpoint"]


def test_identity_cookies_carry_their_derivation(demo):
    inventory = json.loads((demo / "inventory.json").read_text())
    spec = _load(demo / "debug.yaml")
    by_vendor = {d["vendor"]: d for d in spec["destinations"]}
    for destination in spec["destinations"]:
        for rule in destination["identity"]:
            assert all(rule[k] for k in ("cookie", "field", "format", "derive", "if_missing", "evidence")), rule
        covered = {r["cookie"] for r in destination["identity"]} | {c["cookie"] for c in destination["click_ids"]}
        vendor_cookies = {c["name"] for c in inventory["cookies"] if c["vendor"] == destination["vendor"]}
        assert vendor_cookies <= covered | set(destination["client_only_cookies"]), destination["vendor"]
    ga = {r["cookie"]: r for r in by_vendor["ga4"]["identity"]}
    assert ga["_ga"]["field"] == "client_id" and "last two" in ga["_ga"]["derive"]
    assert ga["_ga"]["evidence"] == "seen in code" and ga["_ga_<STREAM>"]["evidence"].startswith("implied")
    br = by_vendor["bloomreach_discovery"]["identity"][0]
    assert (br["cookie"], br["field"]) == ("_br_uid_2", "cookie2") and "unchanged" in br["derive"]
    assert "never decode, re-encode" in br["derive"] and br["if_missing"].startswith("Create uid=<13 random digits>")
    fbc = next(r for r in by_vendor["meta"]["identity"] if r["cookie"] == "_fbc")
    assert "fb.1.<now in ms>.<fbclid>" in fbc["derive"] and "first-party _fbc cookie" in fbc["if_missing"]
    meta_clicks = by_vendor["meta"]["click_ids"]
    assert meta_clicks[0]["param"] == "fbclid" and meta_clicks[0]["cookie"] == "_fbc"
    assert {c["param"] for c in by_vendor["google_ads"]["click_ids"]} == {"gclid", "gbraid", "wbraid"}
    contexts = {c["what"] for c in by_vendor["meta"]["request_context"]}
    assert contexts == {"ip", "user_agent", "url"}


def test_dedupe_and_debug_for_every_destination_that_has_them(demo):
    catalog = default_catalog()
    spec = _load(demo / "debug.yaml")
    for destination in spec["destinations"]:
        server = catalog.get(destination["vendor"]).server_side
        if server.dedupe_key and server.dedupe_key.field:
            assert destination["dedupe"]["field"] == server.dedupe_key.field
            assert destination["dedupe"]["strategy"]
        mode = server.debug_mode
        if mode and mode.available:
            debug = destination["debug"]
            assert debug["active"] and debug["available"] and debug["how"] and debug["live"]
            assert debug.get("endpoint") or debug.get("fields"), destination["vendor"]
        else:
            assert not destination["debug"]["active"]
    by_vendor = {d["vendor"]: d for d in spec["destinations"]}
    assert "/debug/mp/collect" in by_vendor["ga4"]["endpoint"]
    assert by_vendor["pinterest"]["endpoint"].endswith("/events?test=true")
    assert by_vendor["snap"]["endpoint"].split("?")[0].endswith("/events/validate")
    assert all(e["example_payload"]["test_event_code"] == "${META_TEST_EVENT_CODE}" for e in by_vendor["meta"]["events"])
    assert by_vendor["meta"]["debug"]["env"] == ["META_TEST_EVENT_CODE"]
    assert all(e["example_payload"]["debug"] == "true" for e in by_vendor["bloomreach_discovery"]["events"])
    assert by_vendor["meta"]["dedupe"]["field"] == "data[].event_id" and "eventID" in by_vendor["meta"]["dedupe"]["strategy"]


def test_session_replay_and_tag_managers_are_unmigratable(demo):
    spec = _load(demo / "debug.yaml")
    unmigratable = {u["vendor"]: u for u in spec["unmigratable"]}
    assert {"hotjar", "clarity", "gtm"} <= set(unmigratable)
    for vendor in ("hotjar", "clarity"):
        assert "Session replay" in unmigratable[vendor]["reason"] and unmigratable[vendor]["recommendation"]
    assert "dataLayer events" in unmigratable["gtm"]["reason"]
    assert not {"hotjar", "clarity", "gtm"} & {d["vendor"] for d in spec["destinations"]}


@pytest.mark.parametrize("name", ["debug.yaml", "live.yaml"])
def test_example_payloads_validate_against_their_destination_schema(demo, name):
    catalog = default_catalog()
    checked = 0
    for destination in _load(demo / name)["destinations"]:
        schema = catalog.get(destination["vendor"]).server_side.payload_schema()
        for event in destination["events"]:
            jsonschema.validate(event["example_payload"], schema)
            checked += 1
    assert checked > 50


def _diff(a, b, path=()):
    if type(a) is not type(b):
        yield path
    elif isinstance(a, dict):
        for key in set(a) | set(b):
            yield from (_diff(a[key], b[key], path + (key,)) if key in a and key in b else [path + (key,)])
    elif isinstance(a, list):
        if len(a) != len(b):
            yield path
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                yield from _diff(x, y, path + (i,))
    elif a != b:
        yield path


def _payload_path(parts) -> str:
    """("data", 0, "test_id") -> "data[].test_id", the catalog's notation."""
    text = ""
    for part in parts:
        text += "[]" if isinstance(part, int) else ("." if text else "") + part
    return text


def test_live_differs_from_debug_only_in_what_debug_changes(demo):
    debug, live = _load(demo / "debug.yaml"), _load(demo / "live.yaml")
    diffs = list(_diff(debug, live))
    assert ("mode",) in diffs
    for path in diffs:
        if path == ("mode",):
            continue
        assert path[0] == "destinations", path
        destination = debug["destinations"][path[1]]
        rest = path[2:]
        if rest in (("endpoint",), ("debug", "active")):
            continue
        assert rest[0] == "events" and rest[2] == "example_payload", path
        assert _payload_path(rest[3:]) in destination["debug"].get("fields", {}), path
    changed = Counter(p[-1] for p in diffs)
    assert changed["test_event_code"] > 10 and changed["active"] == sum(d["debug"]["active"] for d in debug["destinations"])
    assert all(not d["debug"]["active"] for d in live["destinations"])


def test_same_input_gives_byte_identical_output(demo):
    again = run("spec", str(demo / "inventory.json"), "--format", "yaml")
    assert again.returncode == 0 and again.stdout == (demo / "debug.yaml").read_text()


def test_check_passes_on_the_generated_spec_and_fails_on_a_broken_one(demo, tmp_path):
    for name in ("debug.yaml", "debug.json"):
        proc = run("spec", "--check", str(demo / name))
        assert proc.returncode == 0 and proc.stdout == "", proc.stdout
        assert proc.stderr.strip() == f"{demo / name}: ok"
    assert check_spec((demo / "live.yaml").read_text()) == []
    spec = _load(demo / "debug.yaml")
    del spec["destinations"][0]["api"]
    spec["destinations"][1]["auth_env"] = ["not a variable"]
    spec["mode"] = "staging"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(spec))
    proc = run("spec", "--check", str(broken))
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "destinations/0: 'api' is a required property",
        "destinations/1/auth_env/0: 'not a variable' does not match '^[A-Z][A-Z0-9_]*$'",
        "mode: 'staging' is not one of ['debug', 'live']",
    ]
    assert proc.stderr.strip() == f"{broken}: 3 problems"
    # Structurally fine, but a payload the API would reject and a debug flag left on in live mode.
    spec = _load(demo / "live.yaml")
    index = next(i for i, d in enumerate(spec["destinations"]) if d["vendor"] == "meta")
    del spec["destinations"][index]["events"][0]["example_payload"]["data"][0]["event_name"]
    spec["destinations"][index]["debug"]["active"] = True
    assert [str(p) for p in check_spec(json.dumps(spec))] == [
        f"destinations/{index}/debug/active: true in a live spec: switch debug off",
        f"destinations/{index}/events/0/example_payload/data/0: Meta Conversions API: 'event_name' is a required property",
    ]


SECRET_PAGE = f"""<!doctype html><html><head><script>
fbq('init', '1234567890123456');
fbq('track', 'Purchase', {{value: 12.5, currency: 'EUR', access_token: '{META_TOKEN}', partner_key: '{HEX_KEY}',
  order_ref: sign('{META_TOKEN}', order.id)}});
</script></head><body></body></html>
"""


def test_no_secret_value_reaches_the_spec(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site/index.html").write_text(SECRET_PAGE)
    inventory = tmp_path / "inventory.json"
    assert run("scan", str(tmp_path / "site"), "-o", str(inventory)).returncode == 0
    assert META_TOKEN in inventory.read_text() and HEX_KEY in inventory.read_text()
    proc = run("spec", str(inventory), "-o", str(tmp_path / "spec.yaml"))
    assert proc.returncode == 0, proc.stderr
    spec = build_spec(load_inventory(inventory.read_text()), default_catalog())
    for text in ((tmp_path / "spec.yaml").read_text(), format_spec_json(spec)):
        assert META_TOKEN not in text and HEX_KEY not in text and META_TOKEN[:12] not in text
        assert REDACTED in text
        assert check_spec(text) == []
    purchase = spec.to_json()["destinations"][0]["events"][0]["server"]["params"]
    assert purchase["data[].custom_data.order_ref"]["expr"] == "sign('<redacted>', order.id)"
    assert purchase["data[].custom_data.value"]["value"] == 12.5


def test_scrub_keeps_ids_and_removes_keys():
    assert scrub_text(f"fetch(u + '?k={HEX_KEY}')") == "fetch(u + '?k=<redacted>')"
    assert scrub_text("snaptr('init', '3f9c1e72-5b4a-4d0e-9a61-7c2b8d5e4f10')").endswith("4f10')")
    assert scrub_value({"api_key": "short", "items": [META_TOKEN, "FH-1001"]}) == \
        {"api_key": REDACTED, "items": [REDACTED, "FH-1001"]}


def _inventory(events, params=None):
    def event(vendor, name, account=None):
        return {"vendor": vendor, "account_id": account, "name": name, "active": True,
                "trigger": {"kind": "click", "selector": None, "conditions": []}, "params": params or {},
                "sources": ["static"], "pages": [], "locations": []}
    return inventory_from_json({"schema_version": "1", "pixels": [], "cookies": [], "pages": [],
                                "diagnostics": [], "events": [event(*e) for e in events]})


# Client names that reach each API's own naming scheme (the others try one of their table's names).
RULE_NAMES = {"linkedin": "123", "x": "tw-abc12-def34", "google_ads": "conversion", "bloomreach_discovery": "suggest:click"}


@pytest.mark.parametrize("live", [False, True])
def test_every_mapped_vendor_builds_payloads_its_own_schema_accepts(live):
    catalog = default_catalog()
    vendors = [v for v in catalog if v.server_side.mapped]
    names = [(v.id, RULE_NAMES.get(v.id) or (v.server_side.events[0].client if v.server_side.events else "purchase"),
              "acct1") for v in vendors] + [(v.id, "Wishlist_Shared", "acct1") for v in vendors]
    params = {"value": {"value": 10}, "currency": {"value": "EUR"}, "send_to": {"value": "AW-1/abc"},
              "items": {"expr": "cart.items"}}
    spec = build_spec(_inventory(names, params), catalog, live=live)
    assert {d.vendor for d in spec.destinations} == {v.id for v in vendors} and len(vendors) >= 17
    for destination in spec.destinations:
        validator = jsonschema.Draft202012Validator(catalog.get(destination.vendor).server_side.payload_schema())
        for event in destination.events:
            payload = json.loads(event.example_payload_json)
            assert not list(validator.iter_errors(payload)), (destination.vendor, event.client_name, payload)
    assert all(u.reason for u in spec.unmapped)


def test_custom_names_the_api_rejects_are_unmapped():
    spec = build_spec(_inventory([("ga4", "Some Custom Thing", "G-1"), ("ga4", "ga_thing", "G-1"),
                                  ("ga4", "wishlist_shared", "G-1")]), default_catalog())
    assert [e.server_name for e in spec.destinations[0].events] == ["wishlist_shared"]
    assert [u.name for u in spec.unmapped] == ["Some Custom Thing", "ga_thing"]
    assert all("not a valid GA4 Measurement Protocol event name" in u.reason for u in spec.unmapped)


def test_event_names_map_case_insensitively_and_custom_events_follow_the_api():
    spec = build_spec(_inventory([("tiktok", "completepayment", "C4R7VQ2JC77U1A9LMK3G"),
                                  ("tiktok", "WishlistShared", "C4R7VQ2JC77U1A9LMK3G"),
                                  ("snap", "WISHLIST_SHARED", "3f9c1e72-5b4a-4d0e-9a61-7c2b8d5e4f10"),
                                  ("snap", "add_to_cart", "3f9c1e72-5b4a-4d0e-9a61-7c2b8d5e4f10"),
                                  ("reddit", "Shared", "a2_abc")]), default_catalog())
    mapped = {(d.vendor, e.client_name): (e.server_name, e.custom) for d in spec.destinations for e in d.events}
    assert mapped[("tiktok", "completepayment")] == ("CompletePayment", False)
    assert mapped[("tiktok", "WishlistShared")] == ("WishlistShared", True)
    assert mapped[("snap", "add_to_cart")] == ("ADD_CART", False)  # through the common action add_to_cart
    assert mapped[("reddit", "Shared")] == ("Custom", True)
    reddit = next(d for d in spec.destinations if d.vendor == "reddit").events[0]
    assert json.loads(reddit.example_payload_json)["data"]["events"][0]["type"] == \
        {"custom_event_name": "Shared", "tracking_type": "Custom"}
    [unmapped] = spec.unmapped
    assert (unmapped.vendor, unmapped.name) == ("snap", "WISHLIST_SHARED") and "CUSTOM_EVENT_1..5" in unmapped.reason


def test_a_credential_used_as_account_id_is_not_copied():
    key = "Zq8vN3pR7tY2wX5cL9mK4hJ6gF1dS0aB"
    spec = build_spec(_inventory([("segment", "Order Completed", key)]), default_catalog())
    [destination] = spec.destinations
    assert destination.account_id is None and "SEGMENT_WRITE_KEY" in destination.notes[1]
    assert key not in json.dumps(spec.to_json())


@pytest.mark.parametrize("args, message", [
    (("spec", "/no/such/inventory.json"), "cannot read /no/such/inventory.json"),
    (("spec", "x.json", "--check", "y.yaml"), "give either INVENTORY or --check SPEC"),
    (("spec", "--check", "/no/such/spec.yaml"), "cannot read /no/such/spec.yaml"),
])
def test_usage_and_run_errors_are_one_line_exit_2(args, message):
    proc = run(*args)
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
