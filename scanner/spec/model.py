"""The server-side mapping spec (shared/formats.md, "Spec"): what the backend sends where.

Records are frozen; JSON-shaped parts (example payloads, fixed fields) are held as canonical
JSON text so the records stay hashable and the output is the same for the same input.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from scanner.model import Location, Trigger

SPEC_VERSION = "1"
DEBUG, LIVE = "debug", "live"


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _pairs_json(pairs: tuple[tuple[str, str], ...]) -> dict:
    """(key, JSON text) pairs as a dict with sorted keys."""
    return {k: json.loads(v) for k, v in sorted(pairs)}


@dataclass(frozen=True)
class ContextRule:
    what: str
    field: str
    required: bool
    how: str

    def to_json(self) -> dict:
        return {"what": self.what, "field": self.field, "required": self.required, "how": self.how}


@dataclass(frozen=True)
class IdentityRule:
    cookie: str
    field: str
    format: str
    derive: str
    if_missing: str
    seen: tuple[str, ...]
    """Where the inventory saw the cookie (static, runtime); empty when only the catalog implies it."""
    names: tuple[str, ...] = ()
    """Concrete cookie names found for a pattern such as _ga_<STREAM>."""
    locations: tuple[Location, ...] = ()

    @property
    def evidence(self) -> str:
        if not self.seen:
            return "implied: the vendor library sets it; not seen in the scanned code"
        where = {"static": "code", "runtime": "runtime"}
        return "seen in " + " and ".join(where.get(s, s) for s in self.seen)

    def to_json(self) -> dict:
        out = {"cookie": self.cookie, "field": self.field, "format": self.format, "derive": self.derive,
               "if_missing": self.if_missing, "evidence": self.evidence}
        if self.names and self.names != (self.cookie,):
            out["names_seen"] = list(self.names)
        if self.locations:
            out["locations"] = [l.to_json() for l in self.locations]
        return out


@dataclass(frozen=True)
class ClickIdRule:
    param: str
    cookie: str | None
    field: str
    derive: str | None = None
    instead_of: str | None = None

    def to_json(self) -> dict:
        out = {"param": self.param, "cookie": self.cookie, "field": self.field,
               "capture": f"read {self.param} from the landing page URL and keep it in "
                          + (f"the first-party cookie {self.cookie}" if self.cookie else "a first-party cookie of your own")}
        if self.derive:
            out["derive"] = self.derive
        if self.instead_of:
            out["only_without"] = self.instead_of
        return out


@dataclass(frozen=True)
class Dedupe:
    field: str | None
    strategy: str
    events: tuple[str, ...] = ()

    def to_json(self) -> dict:
        out = {"field": self.field, "strategy": self.strategy}
        if self.events:
            out["events"] = list(self.events)
        return out


@dataclass(frozen=True)
class Debug:
    active: bool
    available: bool
    how: str
    live: str = ""
    env: tuple[str, ...] = ()
    endpoint: str | None = None
    """The request in debug mode when it differs from the live one."""
    query: tuple[tuple[str, str], ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    """Payload paths set in debug mode (JSON text values)."""

    def to_json(self) -> dict:
        out = {"active": self.active, "available": self.available, "how": self.how}
        if self.live:
            out["live"] = self.live
        if self.env:
            out["env"] = list(self.env)
        if self.endpoint:
            out["endpoint"] = self.endpoint
        if self.query:
            out["query"] = dict(sorted(self.query))
        if self.fields:
            out["fields"] = _pairs_json(self.fields)
        return out


@dataclass(frozen=True)
class ServerParam:
    field: str
    source: str
    """The client param it comes from."""
    value_json: str | None = None
    expr: str | None = None
    format: str | None = None
    convert: str | None = None

    def to_json(self) -> dict:
        out: dict = {"from": self.source}
        if self.value_json is not None:
            out["value"] = json.loads(self.value_json)
        if self.expr is not None:
            out["expr"] = self.expr
        if self.format:
            out["format"] = self.format
        if self.convert:
            out["convert"] = self.convert
        return out


@dataclass(frozen=True)
class DroppedParam:
    param: str
    reason: str

    def to_json(self) -> dict:
        return {"param": self.param, "reason": self.reason}


@dataclass(frozen=True)
class EventMapping:
    client_name: str
    trigger: Trigger
    locations: tuple[Location, ...]
    pages: tuple[str, ...]
    server_name: str
    custom: bool
    params: tuple[ServerParam, ...]
    example_payload_json: str
    fixed: tuple[tuple[str, str], ...] = ()
    dropped: tuple[DroppedParam, ...] = ()
    endpoint: str | None = None
    note: str | None = None

    def to_json(self) -> dict:
        client = {"name": self.client_name, "trigger": self.trigger.to_json(),
                  "locations": [l.to_json() for l in self.locations]}
        if self.pages:
            client["pages"] = list(self.pages)
        server: dict = {"name": self.server_name}
        if self.custom:
            server["custom"] = True
        if self.endpoint:
            server["endpoint"] = self.endpoint
        if self.fixed:
            server["fixed"] = _pairs_json(self.fixed)
        server["params"] = {p.field: p.to_json() for p in sorted(self.params, key=lambda p: p.field)}
        if self.dropped:
            server["dropped_params"] = [d.to_json() for d in self.dropped]
        if self.note:
            server["note"] = self.note
        return {"client": client, "server": server, "example_payload": json.loads(self.example_payload_json)}


@dataclass(frozen=True)
class Destination:
    vendor: str
    account_id: str | None
    account_expr: str | None
    api: str
    api_version: str | None
    docs: str | None
    endpoint: str
    """METHOD URL of the request in the spec's mode; ${ENV} stands for an environment variable."""
    eu_endpoint: str | None
    headers: tuple[tuple[str, str], ...]
    auth_env: tuple[str, ...]
    config_env: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    request_context: tuple[ContextRule, ...]
    limits: tuple[tuple[str, str], ...]
    time_field: str | None
    time_format: str | None
    identity: tuple[IdentityRule, ...]
    click_ids: tuple[ClickIdRule, ...]
    client_only_cookies: tuple[str, ...]
    dedupe: Dedupe
    debug: Debug
    events: tuple[EventMapping, ...]

    def to_json(self) -> dict:
        out = {"vendor": self.vendor, "account_id": self.account_id, "account_expr": self.account_expr,
               "api": self.api, "api_version": self.api_version, "docs": self.docs, "endpoint": self.endpoint}
        if self.eu_endpoint:
            out["eu_endpoint"] = self.eu_endpoint
        out["headers"] = dict(sorted(self.headers))
        out["auth_env"] = list(self.auth_env)
        out["config_env"] = dict(sorted(self.config_env))
        out["notes"] = list(self.notes)
        out["request_context"] = [c.to_json() for c in self.request_context]
        out["limits"] = dict(sorted(self.limits))
        out["time"] = {"field": self.time_field, "format": self.time_format} if self.time_field else None
        out["identity"] = [i.to_json() for i in self.identity]
        out["click_ids"] = [c.to_json() for c in self.click_ids]
        out["client_only_cookies"] = list(self.client_only_cookies)
        out["dedupe"] = self.dedupe.to_json()
        out["debug"] = self.debug.to_json()
        out["events"] = [e.to_json() for e in self.events]
        return out


@dataclass(frozen=True)
class Unmapped:
    vendor: str
    account_id: str | None
    name: str
    reason: str
    locations: tuple[Location, ...] = ()

    def to_json(self) -> dict:
        return {"vendor": self.vendor, "account_id": self.account_id, "name": self.name, "reason": self.reason,
                "locations": [l.to_json() for l in self.locations]}


@dataclass(frozen=True)
class Unmigratable:
    vendor: str
    reason: str
    recommendation: str
    accounts: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"vendor": self.vendor, "reason": self.reason, "recommendation": self.recommendation,
                "accounts": list(self.accounts)}


@dataclass(frozen=True)
class Spec:
    mode: str
    destinations: tuple[Destination, ...]
    unmapped: tuple[Unmapped, ...]
    unmigratable: tuple[Unmigratable, ...]

    def to_json(self) -> dict:
        return {"spec_version": SPEC_VERSION, "mode": self.mode,
                "destinations": [d.to_json() for d in self.destinations],
                "unmapped": [u.to_json() for u in self.unmapped],
                "unmigratable": [u.to_json() for u in self.unmigratable]}

    def summary(self) -> str:
        mapped = sum(len(d.events) for d in self.destinations)
        return (f"{len(self.destinations)} destinations, {mapped} events mapped, {len(self.unmapped)} unmapped, "
                f"{len(self.unmigratable)} unmigratable vendors (mode {self.mode})")
