"""The merge: accounts resolved across files, static and runtime joined, catalog cookies added."""
import json

import pytest

from scanner.catalog import default_catalog
from scanner.inventory import InventoryError, build_inventory, load_inventory
from scanner.model import (CookieFinding, CookieRole, EventFinding, Expr, FileResult, Location, PageRecord,
                           PixelFinding, Source, Trigger, TriggerKind, Value)


def loc(path, line, start=0):
    return Location(path, line, 1, start, start + 10)


def result(path, *findings, **kwargs):
    return FileResult(path, tuple(findings), **kwargs)


@pytest.fixture(scope="module")
def catalog():
    return default_catalog()


def test_event_in_another_file_takes_the_site_account(catalog):
    inventory = build_inventory([
        result("layout.html",
               PixelFinding("meta", loc("layout.html", 3), role="loader"),
               PixelFinding("meta", loc("layout.html", 4, 40), account_id="1234567890123456", role="init")),
        result("cart.js", EventFinding("meta", "AddToCart", loc("cart.js", 9), params=(("value", Value("12.5")),),
                                       trigger=Trigger(TriggerKind.CLICK, "#add"))),
    ], catalog)
    (pixel,) = inventory.pixels
    assert (pixel.vendor, pixel.account_id, pixel.roles, len(pixel.locations)) == \
        ("meta", "1234567890123456", ("init", "loader"), 2)
    (event,) = inventory.events
    assert event.account_id == "1234567890123456"
    assert event.to_json()["params"] == {"value": {"value": 12.5}}
    assert event.to_json()["trigger"] == {"kind": "click", "selector": "#add", "conditions": []}


def test_two_accounts_leave_a_foreign_event_unresolved(catalog):
    inventory = build_inventory([
        result("a.html", PixelFinding("meta", loc("a.html", 1), account_id="1111111111111111", role="init")),
        result("b.html", PixelFinding("meta", loc("b.html", 1), account_id="2222222222222222", role="init")),
        result("c.js", EventFinding("meta", "Lead", loc("c.js", 1))),
    ], catalog)
    assert [p.account_id for p in inventory.pixels] == ["1111111111111111", "2222222222222222"]
    assert inventory.events[0].account_id is None


def test_commented_out_pixel_stays_separate_and_inactive(catalog):
    inventory = build_inventory([
        result("a.html", PixelFinding("universal_analytics", loc("a.html", 2), account_id="UA-1-1", active=False)),
    ], catalog)
    assert [(p.vendor, p.active) for p in inventory.pixels] == [("universal_analytics", False)]
    # Identity cookies come only with active pixels.
    assert inventory.cookies == ()


def test_identity_cookies_from_catalog_unless_code_names_them(catalog):
    inventory = build_inventory([
        result("a.html", PixelFinding("meta", loc("a.html", 1), account_id="1234567890123456", role="init")),
        result("b.js", CookieFinding("_fbc", "write", loc("b.js", 5), vendor="meta", role=CookieRole.CLICK_ID)),
    ], catalog)
    cookies = {c.name: c for c in inventory.cookies}
    assert cookies["_fbc"].sources == ("static",) and cookies["_fbc"].access == ("write",)
    assert cookies["_fbp"].sources == ("catalog",) and cookies["_fbp"].role == "identity"
    assert cookies["_fbp"].server_field == "user_data.fbp"


def test_runtime_event_joins_static_event_of_same_trigger_kind(catalog):
    static = EventFinding("meta", "AddToCart", loc("cart.js", 9), account_id="1234567890123456",
                          params=(("value", Expr("cart.total")),), trigger=Trigger(TriggerKind.CLICK, "#add"))
    runtime = EventFinding("meta", "AddToCart", loc("http://127.0.0.1/p.html", 1), account_id="1234567890123456",
                           params=(("value", Value("12.5")),), trigger=Trigger(TriggerKind.CLICK, "button#add"),
                           source=Source.RUNTIME, page="/p.html")
    inventory = build_inventory([result("cart.js", static)], catalog, extra_findings=[runtime],
                                pages=[PageRecord("http://127.0.0.1/p.html", 200)])
    (event,) = inventory.events
    assert event.sources == ("runtime", "static") and event.pages == ("/p.html",)
    assert event.to_json()["params"] == {"value": {"expr": "cart.total"}}


def test_events_without_any_loader_imply_a_pixel_and_warn(catalog):
    inventory = build_inventory([result("x.js", EventFinding("tiktok", "ViewContent", loc("x.js", 1)))], catalog)
    assert [(p.vendor, p.roles) for p in inventory.pixels] == [("tiktok", ("implied",))]
    assert any("tiktok: events are sent but no loader" in d.message for d in inventory.diagnostics)


def test_skipped_files_become_diagnostics_and_stats(catalog):
    inventory = build_inventory([result("logo.js", skipped="binary content", bytes_read=10),
                                 result("ok.js", bytes_read=5)], catalog)
    assert inventory.stats.to_json() == {"files_scanned": 1, "files_with_findings": 0, "files_skipped": 1,
                                         "bytes_read": 15}
    assert [(d.level.value, d.path, d.message) for d in inventory.diagnostics] == \
        [("info", "logo.js", "skipped: binary content")]


def test_json_round_trip_is_identical(catalog):
    inventory = build_inventory([
        result("a.html", PixelFinding("meta", loc("a.html", 1), account_expr="{{ pixel_id }}", role="init"),
               EventFinding("meta", "Purchase", loc("a.html", 7), params=(("*", Expr("data")),),
                            trigger=Trigger(TriggerKind.SUBMIT, "form#checkout", ("cart.total > 100",)))),
    ], catalog, pages=[PageRecord("http://127.0.0.1/", "timeout", error="never settled")])
    text = inventory.dumps()
    assert load_inventory(text).dumps() == text
    data = json.loads(text)
    assert data["schema_version"] == "1"
    assert data["pixels"][0]["account_expr"] == "{{ pixel_id }}"
    assert data["pages"] == [{"url": "http://127.0.0.1/", "status": "timeout", "depth": 0, "error": "never settled"}]


def test_expression_named_event_says_so_and_stays_apart_from_a_literal_name(catalog):
    inventory = build_inventory([
        result("track.js", EventFinding("meta", "name", loc("track.js", 3), trigger=Trigger(TriggerKind.UNKNOWN),
                                        name_is_expr=True),
               EventFinding("meta", "name", loc("track.js", 9, 50), trigger=Trigger(TriggerKind.UNKNOWN))),
    ], catalog)
    assert sorted((e.name, e.name_expr) for e in inventory.events) == [("name", False), ("name", True)]
    text = inventory.dumps()
    assert sorted(e["name_expr"] for e in json.loads(text)["events"]) == [False, True]
    assert load_inventory(text).dumps() == text


@pytest.mark.parametrize("text, message", [
    ("not json", "not JSON"), ("[]", "not a pixelmigrate inventory"),
    ('{"schema_version": "9", "pixels": []}', "unsupported inventory schema_version"),
    ('{"pixels": [{"account_id": "1"}]}', "malformed inventory"),
])
def test_bad_inventory_files_raise_one_clear_error(text, message):
    with pytest.raises(InventoryError, match=message):
        load_inventory(text)
