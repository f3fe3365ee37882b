"""Inventory + catalog -> the server-side mapping spec.

One destination per vendor account with active pixels or events. Everything a destination
says about its API comes from the vendor's `server_side` catalog entry; the inventory adds
the events, their params and where the identity cookies were seen. Debug and live specs
differ only in what the catalog's debug mode changes (endpoint, debug fields, active flag).
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace

from scanner.catalog import Catalog, CookieSpec, ServerSide, Vendor
from scanner.inventory import Cookie, Event, Inventory
from scanner.model import Expr, Value
from scanner.spec.model import (DEBUG, LIVE, ClickIdRule, ContextRule, Debug, Dedupe, Destination, DroppedParam,
                                EventMapping, IdentityRule, ServerParam, Spec, Unmapped, Unmigratable, canonical_json)
from scanner.spec.payload import HEADER_PREFIX, has_path, set_path
from scanner.spec.secrets import looks_secret, scrub_text, scrub_value

CONTEXT_HOW = {
    "ip": "the visitor's IP: the client address of the incoming request (the first trusted X-Forwarded-For entry "
          "behind a proxy), never the server's own",
    "user_agent": "the User-Agent header of the visitor's request",
    "url": "the full URL of the page the event happened on (send location.href along when the page calls your server)",
    "referrer": "the page's referrer (document.referrer, or the Referer header of the page request)",
}
CONTEXT_PLACEHOLDER = {"ip": "<visitor IP>", "user_agent": "<visitor User-Agent>", "url": "<page URL>",
                       "referrer": "<page referrer>"}
DEDUPE_PLACEHOLDER = "<event id shared with the client: see dedupe.strategy>"
_PLACEHOLDER_WIDTH = 100
_FILL = re.compile(r"\{(\w+)\}")


def _fill(template: str, values: dict[str, str]) -> str:
    """{key} replaced where values has the key; other braces (${ENV}, JSON) left alone."""
    return _FILL.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _fill_value(value, values: dict[str, str]):
    if isinstance(value, str):
        return _fill(value, values)
    if isinstance(value, list):
        return [_fill_value(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _fill_value(v, values) for k, v in value.items()}
    return value


def _fill_pairs(pairs, values: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """(path, JSON text) pairs with {placeholders} filled in paths and values."""
    return tuple((_fill(path, values), canonical_json(_fill_value(json.loads(text), values))) for path, text in pairs)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _PLACEHOLDER_WIDTH else text[:_PLACEHOLDER_WIDTH - 1] + "…"


def _normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def canonical_action(name: str, server_side: ServerSide | None = None) -> str | None:
    """The common commerce action a name stands for: one of the canonical keys, or a name the
    vendor maps one of them to."""
    key = _normalised(name)
    actions = {_normalised(a): a for a in ("page_view", "view_item", "add_to_cart", "begin_checkout",
                                           "add_payment_info", "purchase", "lead", "search", "sign_up")}
    if key in actions:
        return actions[key]
    if server_side is not None:
        for action, server_name in server_side.canonical_events:
            if _normalised(server_name) == key:
                return action
    return None


# ---------------------------------------------------------------------------------------------
# Events

@dataclass(frozen=True)
class _Resolved:
    name: str
    field: str | None
    named: bool = True
    fixed: tuple[tuple[str, str], ...] = ()
    endpoint: str | None = None
    note: str | None = None
    custom: bool = False


def _resolve(server: ServerSide, name: str) -> _Resolved | str:
    """The server event for a client event name, or why there is none."""
    key = name.casefold()
    skipped = {k.casefold(): reason for k, reason in server.skip_events}
    if key in skipped:
        return skipped[key]
    by_client = {e.client.casefold(): e for e in server.events}
    if key in by_client:
        return _from_entry(server, by_client[key], {"name": name})
    by_rule = _from_rules(server, name)
    if by_rule is not None:
        return by_rule
    if server.match_canonical:
        target = dict(server.canonical_events).get(canonical_action(name) or "")
        if target is not None:
            found = next((e for e in server.events if e.name == target), None)
            resolved = (_from_entry(server, found, {"name": name}) if found else _from_rules(server, target)
                        or _Resolved(name=target, field=server.event_field))
            note = f"mapped through the common action {canonical_action(name)}"
            return replace(resolved, note="; ".join(filter(None, (resolved.note, note))))
    custom = server.custom_events
    if custom is not None and custom.allowed and custom.pattern and not custom.pattern.search(name):
        return f"{name!r} is not a valid {server.api} event name: {custom.note or custom.pattern.pattern}; rename it"
    if custom is not None and custom.allowed:
        values = {"name": name}
        return _Resolved(name=_fill(custom.name, values), field=server.event_field,
                         fixed=_fill_pairs(custom.set, values), note=custom.note, custom=True)
    if custom is not None and custom.note:
        return f"not a standard {server.api} event: {custom.note}"
    return f"not a standard {server.api} event"


def _from_entry(server: ServerSide, entry, values: dict[str, str]) -> _Resolved:
    return _Resolved(name=entry.name, field=entry.field or server.event_field, named=entry.named,
                     fixed=_fill_pairs(entry.set, values), endpoint=entry.endpoint, note=entry.note)


def _from_rules(server: ServerSide, name: str) -> _Resolved | None:
    for rule in server.event_rules:
        found = rule.match.search(name)
        if found:
            values = {"name": name, **{k: v for k, v in found.groupdict().items() if v is not None}}
            return _Resolved(name=_fill(rule.name, values), field=server.event_field,
                             fixed=_fill_pairs(rule.set, values), note=_fill(rule.note, values) if rule.note else None)
    return None


def _map_params(server: ServerSide, event: Event) -> tuple[list[ServerParam], list[DroppedParam]]:
    rules = {r.param.casefold(): r for r in server.params}
    container = server.custom_params.replace(".{name}", "").replace("{name}", "") if server.custom_params else ""
    params: list[ServerParam] = []
    dropped: list[DroppedParam] = []
    taken: dict[str, str] = {}
    for name, value in event.params:
        literal = scrub_value(json.loads(value.json_text), name) if isinstance(value, Value) else None
        expr = scrub_text(value.source) if isinstance(value, Expr) else None
        if name == "*" or name.startswith("..."):
            name = scrub_text(name)  # a spread's name is its source text
            if not container:
                dropped.append(DroppedParam(name, "a params object built in code: map its keys by hand"))
            elif container in taken:
                dropped.append(DroppedParam(name, f"{container} already comes from {taken[container]}: merge by hand"))
            else:
                taken[container] = name
                params.append(ServerParam(field=container, source=name, expr=expr,
                                          convert="the whole client params object: send each of its keys as the "
                                                  "params table says"))
            continue
        rule = rules.get(name.casefold())
        if rule is not None and rule.field is None:
            dropped.append(DroppedParam(name, rule.note or f"not sent to {server.api}"))
            continue
        if rule is None and (not server.custom_params or re.search(r"[.\[\]]", name)):
            dropped.append(DroppedParam(name, server.custom_params_note or f"{server.api} has no field for it"))
            continue
        target = rule.field if rule is not None else _fill(server.custom_params, {"name": name})
        if target in taken:
            dropped.append(DroppedParam(name, f"{target} already comes from {taken[target]}"))
            continue
        taken[target] = name
        params.append(ServerParam(field=target, source=name,
                                  value_json=canonical_json(literal) if isinstance(value, Value) else None,
                                  expr=expr, format=rule.format if rule else None,
                                  convert=rule.convert if rule else None))
    return params, dropped


def _example_value(param: ServerParam, as_string: bool):
    client = param.expr if param.expr is not None else param.value_json
    if param.convert:
        return f"<{param.convert}; client value: {_short(client)}>"
    if param.expr is not None:
        return f"<from page code: {_short(param.expr)}>"
    value = json.loads(param.value_json)
    if as_string and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _query_string(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------
# Destinations

@dataclass
class _Account:
    exprs: set[str] = field(default_factory=set)
    events: list[Event] = field(default_factory=list)


class _DestinationBuilder:
    """Everything one vendor account needs, built from its catalog entry."""

    def __init__(self, vendor: Vendor, account_id: str | None, account: _Account, cookies: tuple[Cookie, ...],
                 live: bool):
        self.vendor, self.server, self.live = vendor, vendor.server_side, live
        self.account_id = account_id
        self.events = account.events
        exprs = sorted({scrub_text(x) for x in account.exprs})
        self.notes: list[str] = []
        self.shown_id = account_id
        if account_id is not None and (self.server.account_is_credential or looks_secret(account_id)):
            self.shown_id = None
            where = ", ".join(self.server.auth_env) or "the environment"
            self.notes.append(f"The client-side id is this API's credential: set it in {where}; "
                              "it is not copied into the spec.")
        self.account_expr = exprs[0] if len(exprs) == 1 and account_id is None else None
        if account_id is None and len(exprs) > 1:
            self.notes.append("Several template expressions set this account (" + "; ".join(exprs) +
                              "); the events could not be tied to one of them.")
        if self.server.account_note:
            self.notes.insert(0, self.server.account_note)
        self.notes.extend(self.server.notes)
        account_text = self.shown_id or (f"<account id: {_short(self.account_expr)}>" if self.account_expr
                                         else "<account id>")
        self.url_values = {"api_version": self.server.api_version or "", "account_id": self.shown_id or "{account_id}"}
        self.payload_values = {**self.url_values, "account_id": account_text}
        self.cookies = tuple(c for c in cookies if c.vendor in (None, vendor.id))
        self.debug_mode = self.server.debug_mode
        self.debug_active = bool(not live and self.debug_mode and self.debug_mode.available)
        self.debug_fields = _fill_pairs(self.debug_mode.fields, self.payload_values) if self.debug_mode else ()

    # -- request ---------------------------------------------------------------------------
    def _endpoint(self, url: str, query: tuple[tuple[str, str], ...]) -> str:
        request = self.server.request
        text = f"{request.method} {_fill(url, self.url_values)}"
        if query:
            text += "?" + "&".join(f"{k}={_fill(v, self.url_values)}" for k, v in query)
        return text

    def endpoint(self) -> str:
        if self.server.request is None:
            return self.server.endpoint or "not documented in the catalog"
        url, query = self.server.request.url, self.server.request.query
        if self.debug_active:
            url, query = self.debug_mode.url or url, query + self.debug_mode.query
        return self._endpoint(url, query)

    def debug(self) -> Debug:
        mode = self.debug_mode
        if mode is None:
            return Debug(active=False, available=False, how=self.server.debug or "none documented")
        debug_endpoint = None
        if mode.available and (mode.url or mode.query) and self.server.request is not None:
            debug_endpoint = self._endpoint(mode.url or self.server.request.url, self.server.request.query + mode.query)
        return Debug(active=self.debug_active, available=mode.available, how=mode.how, live=mode.live, env=mode.env,
                     endpoint=debug_endpoint, query=mode.query, fields=self.debug_fields)

    # -- identity --------------------------------------------------------------------------
    def _cookie_spec(self, name: str) -> CookieSpec | None:
        return next((c for c in self.vendor.cookies if c.name == name), None)

    @staticmethod
    def _is(spec: CookieSpec, name: str) -> bool:
        """A concrete cookie name, or the catalog's own (implied cookies carry `_ga_<STREAM>`)."""
        return name == spec.name or bool(spec.pattern.search(name))

    def _found(self, spec: CookieSpec | None) -> list[Cookie]:
        return [c for c in self.cookies if spec is not None and self._is(spec, c.name)]

    def identity(self) -> tuple[IdentityRule, ...]:
        rules = []
        for rule in self.server.identity:
            found = self._found(self._cookie_spec(rule.cookie))
            seen = tuple(sorted({s for c in found for s in c.sources if s != "catalog"}))
            rules.append(IdentityRule(
                cookie=rule.cookie, field=rule.field, format=rule.format, derive=rule.derive,
                if_missing=rule.if_missing, seen=seen,
                names=tuple(sorted({c.name for c in found if seen})),
                locations=tuple(sorted({l for c in found for l in c.locations}))))
        return tuple(rules)

    def click_ids(self) -> tuple[ClickIdRule, ...]:
        return tuple(ClickIdRule(param=c.param, cookie=c.cookie, field=c.field, derive=c.derive,
                                 instead_of=c.instead_of) for c in self.server.click_ids)

    def client_only_cookies(self) -> tuple[str, ...]:
        used = [self._cookie_spec(name) for name in
                [r.cookie for r in self.server.identity] + [c.cookie for c in self.server.click_ids if c.cookie]]
        return tuple(sorted({c.name for c in self.cookies if c.vendor == self.vendor.id
                             and not any(spec is not None and self._is(spec, c.name) for spec in used)}))

    # -- events ----------------------------------------------------------------------------
    def _payload(self, resolved: _Resolved, params: list[ServerParam]):
        server = self.server
        payload = _fill_value(server.payload_template(), self.payload_values)

        def put(path: str | None, value) -> None:
            if path and not path.startswith(HEADER_PREFIX):
                set_path(payload, path, value)

        if resolved.named:
            put(resolved.field, resolved.name)
        for path, text in resolved.fixed:
            put(path, json.loads(text))
        if server.time_field:
            put(server.time_field, f"<event time: {server.time_format}>")
        for context in server.context:
            put(context.field, CONTEXT_PLACEHOLDER[context.what])
        for rule in server.identity:
            put(rule.field, f"<from {rule.cookie} cookie>")
        for click in server.click_ids:
            if not click.instead_of and not has_path(payload, click.field):
                put(click.field, f"<from {click.cookie} cookie>" if click.cookie
                    else f"<{click.param} from the landing page URL>")
        dedupe = server.dedupe_key
        if dedupe is not None and dedupe.field and (not dedupe.events or resolved.name in dedupe.events):
            put(dedupe.field, DEDUPE_PLACEHOLDER)
        as_string = {r.field for r in server.params if r.as_string}
        for param in params:
            if param.source != "*" and not param.source.startswith("..."):
                put(param.field, _example_value(param, param.field in as_string))
        if self.debug_active:
            for path, text in self.debug_fields:
                put(path, json.loads(text))
        if server.request.body == "query":
            payload = {k: _query_string(v) for k, v in payload.items()}
        return payload

    def _unmapped(self, event: Event, reason: str) -> Unmapped:
        return Unmapped(vendor=self.vendor.id, account_id=self.shown_id, name=event.name, reason=reason,
                        locations=event.locations)

    def map_events(self) -> tuple[list[EventMapping], list[Unmapped]]:
        if not self.server.mapped:
            reason = (f"the catalog has no server-side event mapping for {self.vendor.name} "
                      f"({self.server.api or 'API unknown'}): map it by hand from the vendor's documentation, "
                      "or keep the pixel")
            return [], [self._unmapped(e, reason) for e in self.events]
        mapped, unmapped = [], []
        for event in self.events:
            resolved = _resolve(self.server, event.name)
            if isinstance(resolved, str):
                unmapped.append(self._unmapped(event, resolved))
                continue
            params, dropped = _map_params(self.server, event)
            mapped.append(EventMapping(
                client_name=event.name, trigger=event.trigger, locations=event.locations, pages=event.pages,
                server_name=resolved.name, custom=resolved.custom, params=tuple(params),
                example_payload_json=canonical_json(self._payload(resolved, params)),
                fixed=resolved.fixed, dropped=tuple(dropped), endpoint=resolved.endpoint, note=resolved.note))
        return mapped, unmapped

    def build(self) -> tuple[Destination, list[Unmapped]]:
        server, request = self.server, self.server.request
        events, unmapped = self.map_events()
        dedupe = server.dedupe_key
        destination = Destination(
            vendor=self.vendor.id, account_id=self.shown_id, account_expr=self.account_expr,
            api=server.api or self.vendor.name, api_version=server.api_version, docs=server.docs,
            endpoint=self.endpoint(),
            eu_endpoint=self._endpoint(request.eu_url, request.query) if request and request.eu_url else None,
            headers=tuple((k, _fill(v, self.url_values)) for k, v in request.headers) if request else (),
            auth_env=server.auth_env, config_env=server.config_env, notes=tuple(self.notes),
            request_context=tuple(ContextRule(c.what, c.field, c.required, CONTEXT_HOW[c.what]) for c in server.context),
            limits=server.limits, time_field=server.time_field, time_format=server.time_format,
            identity=self.identity(), click_ids=self.click_ids(), client_only_cookies=self.client_only_cookies(),
            dedupe=(Dedupe(dedupe.field, dedupe.strategy, dedupe.events) if dedupe
                    else Dedupe(None, server.dedupe or "none documented")),
            debug=self.debug(), events=tuple(events))
        return destination, unmapped


# ---------------------------------------------------------------------------------------------
# The spec

def _accounts(inventory: Inventory) -> dict[tuple[str, str | None], _Account]:
    accounts: dict[tuple[str, str | None], _Account] = defaultdict(_Account)
    for pixel in inventory.pixels:
        if pixel.active:
            account = accounts[(pixel.vendor, pixel.account_id)]
            if pixel.account_expr:
                account.exprs.add(pixel.account_expr)
    for event in inventory.events:
        if event.active:
            accounts[(event.vendor, event.account_id)].events.append(event)
    return accounts


def _offered_actions(destinations: list[Destination], catalog: Catalog) -> dict[str, list[str]]:
    """Common actions the destinations already send, e.g. add_to_cart -> ['ga4 add_to_cart']."""
    offered: dict[str, set[str]] = defaultdict(set)
    for destination in destinations:
        server = catalog.get(destination.vendor).server_side
        for event in destination.events:
            action = canonical_action(event.client_name, server) or canonical_action(event.server_name, server)
            if action:
                offered[action].add(f"{destination.vendor} {event.server_name}")
    return {k: sorted(v) for k, v in offered.items()}


def _no_server_reason(vendor: Vendor, event: Event, offered: dict[str, list[str]]) -> str:
    reason = f"{vendor.name}: {vendor.server_side.reason}"
    action = canonical_action(event.name)
    if action and offered.get(action):
        reason += f" The {action} action goes server-side with " + ", ".join(offered[action]) + "."
    return reason


def build_spec(inventory: Inventory, catalog: Catalog, live: bool = False) -> Spec:
    accounts = _accounts(inventory)
    destinations: list[Destination] = []
    unmapped: list[Unmapped] = []
    no_server: dict[str, list[tuple[str | None, _Account]]] = defaultdict(list)
    for (vendor_id, account_id), account in sorted(accounts.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        vendor = catalog.by_id.get(vendor_id)
        if vendor is None:
            unmapped.extend(Unmapped(vendor_id, account_id, e.name, "vendor not in the catalog", e.locations)
                            for e in account.events)
        elif not vendor.server_side.available:
            no_server[vendor_id].append((account_id, account))
        else:
            destination, lost = _DestinationBuilder(vendor, account_id, account, inventory.cookies, live).build()
            destinations.append(destination)
            unmapped.extend(lost)
    offered = _offered_actions(destinations, catalog)
    unmigratable = []
    for vendor_id, vendor_accounts in sorted(no_server.items()):
        vendor = catalog.get(vendor_id)
        labels = sorted({scrub_text(label) for account_id, account in vendor_accounts
                         for label in ([account_id] if account_id else sorted(account.exprs))})
        unmigratable.append(Unmigratable(vendor_id, vendor.server_side.reason or "", vendor.server_side.recommendation or "",
                                         tuple(labels)))
        for account_id, account in vendor_accounts:
            shown = None if account_id and looks_secret(account_id) else account_id
            unmapped.extend(Unmapped(vendor_id, shown, e.name, _no_server_reason(vendor, e, offered), e.locations)
                            for e in account.events)
    unmapped.sort(key=lambda u: (u.vendor, u.account_id or "", u.name, u.locations[:1]))
    return Spec(mode=LIVE if live else DEBUG, destinations=tuple(destinations), unmapped=tuple(unmapped),
                unmigratable=tuple(unmigratable))
