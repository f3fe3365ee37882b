"""The vendor catalog: one YAML file per vendor under vendors/, checked against schema.json.

Everything the scanners, the crawl, the spec and the rewriters know about a vendor comes
from here, so a vendor that follows the common shapes needs no Python code.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

import ahocorasick

from scanner.catalog.cache import cache_key, read_cached, write_cached

VENDOR_DIR = Path(__file__).with_name("vendors")
SCHEMA_PATH = Path(__file__).with_name("schema.json")


class CatalogError(Exception):
    """A catalog file is missing, unreadable or does not follow the schema."""


def _strings(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _regex(value: str | None, where: str) -> re.Pattern | None:
    if value is None:
        return None
    try:
        return re.compile(value)
    except re.error as exc:
        raise CatalogError(f"{where}: bad regex {value!r}: {exc}") from None


def _regex_map(value: Mapping[str, str] | None, where: str) -> tuple[tuple[str, re.Pattern], ...]:
    return tuple((key, _regex(rx, where)) for key, rx in sorted((value or {}).items()))


@dataclass(frozen=True)
class AccountRules:
    """When a shape applies given the account it found."""

    match: re.Pattern | None = None
    """A literal account must match; a named group `account` narrows the id."""
    fallback: bool = False
    """Tried after the specific shapes; the only kind that claims expression accounts."""

    def accepts(self, literal: str | None, is_expr: bool, expr_text: str | None = None) -> tuple[bool, str | None]:
        """(applies, narrowed account id). An expression account applies to a fallback shape,
        or to a specific one when its written text already shows the prefix (`AW-{$id}`)."""
        if self.match is None:
            return True, literal
        if literal is None:
            if is_expr and expr_text is not None and self.match.search(expr_text):
                return True, None
            return (self.fallback or not is_expr), None
        found = self.match.search(literal)
        if not found:
            return False, None
        narrowed = found.groupdict().get("account")
        return True, narrowed or literal


@dataclass(frozen=True)
class CallShape:
    vendor: str
    callee: str
    role: str
    is_new: bool = False
    command: tuple[str, ...] = ()
    command_arg: int = 0
    array_arg: int | None = None
    object_arg: int | str | None = None
    match: tuple[tuple[str, re.Pattern], ...] = ()
    params_match: tuple[tuple[str, re.Pattern], ...] = ()
    account_arg: int | None = None
    account_key: str | None = None
    account_param: str | None = None
    account: AccountRules = AccountRules()
    event_arg: tuple[int, ...] = ()
    event_key: str | None = None
    event_name: str | None = None
    ignore_events: tuple[str, ...] = ()
    params_arg: int | None = None
    param_args: tuple[tuple[str, int], ...] = ()
    params_from_object: bool = False
    options_arg: int | None = None
    global_only: bool = False
    """A local binding of the callee's root name is not the vendor's global."""


@dataclass(frozen=True)
class Assignment:
    vendor: str
    target: str
    role: str
    account_is_value: bool = False
    account_key: str | None = None
    event_key: str | None = None
    event_name: str | None = None
    params_from_object: bool = False


@dataclass(frozen=True)
class Loader:
    vendor: str
    url: re.Pattern
    account_param: str | None = None
    account_attr: str | None = None
    account: AccountRules = AccountRules()


@dataclass(frozen=True)
class Beacon:
    vendor: str
    url: re.Pattern
    account_param: str | None = None
    event_param: str | None = None
    params_prefix: str | None = None
    noscript: bool = False
    event_name: str | None = None


@dataclass(frozen=True)
class CookieSpec:
    vendor: str
    name: str
    pattern: re.Pattern
    role: str
    format: str | None = None
    server_field: str | None = None
    storage: str = "cookie"
    user_part: re.Pattern | None = None
    beacon_params: tuple[str, ...] = ()

    def user_id(self, value: str) -> str:
        """The part of a value that names the user (all of it unless user_part says)."""
        found = self.user_part.match(value) if self.user_part is not None else None
        return found.group(1) if found else value


@dataclass(frozen=True)
class ClickId:
    param: str
    cookie: str | None


Pairs = tuple[tuple[str, str], ...]
"""A small ordered map kept as (key, value) pairs so records stay hashable."""


def _pairs(value: Mapping | None) -> Pairs:
    return tuple((str(k), str(v)) for k, v in (value or {}).items())


def _json_pairs(value: Mapping | None) -> Pairs:
    """Payload paths to JSON values, each held as canonical JSON text."""
    return tuple((str(k), json.dumps(v, sort_keys=True, separators=(",", ":"))) for k, v in (value or {}).items())


@dataclass(frozen=True)
class ServerRequest:
    """How one event is sent. URL, query and header templates hold {account_id}, {api_version}
    and ${ENV_VAR} references (never a secret value)."""

    method: str
    url: str
    body: str = "json"
    """json, jsonapi, or query (the payload is the URL's query parameters)."""
    eu_url: str | None = None
    query: Pairs = ()
    headers: Pairs = ()


@dataclass(frozen=True)
class ServerContext:
    """A piece of the visitor's request the API needs: ip, user_agent, url or referrer."""

    what: str
    field: str
    """Payload path, or `header <Name>` for a request header."""
    required: bool = False


@dataclass(frozen=True)
class ServerIdentity:
    cookie: str
    field: str
    format: str
    derive: str
    if_missing: str


@dataclass(frozen=True)
class ServerClickId:
    param: str
    cookie: str | None
    field: str
    derive: str | None = None
    instead_of: str | None = None
    """Sent only when the click id named here is missing (gbraid instead of gclid)."""


@dataclass(frozen=True)
class DedupeKey:
    field: str | None
    strategy: str
    events: tuple[str, ...] = ()
    """Server event names the key applies to; empty for every event."""


@dataclass(frozen=True)
class DebugMode:
    available: bool
    how: str
    live: str = ""
    env: tuple[str, ...] = ()
    url: str | None = None
    """Replaces the request URL in debug mode."""
    query: Pairs = ()
    fields: Pairs = ()
    """Payload paths set in debug mode only (JSON text values)."""


@dataclass(frozen=True)
class ServerEvent:
    client: str
    name: str
    field: str | None = None
    """Payload path of the name when it is not server_side.event_field."""
    named: bool = True
    """False when the server name is carried by `set` alone (no event-name field)."""
    set: Pairs = ()
    endpoint: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class EventRule:
    match: re.Pattern
    name: str
    set: Pairs = ()
    note: str | None = None


@dataclass(frozen=True)
class CustomEvents:
    allowed: bool
    name: str = "{name}"
    set: Pairs = ()
    note: str | None = None
    pattern: re.Pattern | None = None
    """What a custom event name must look like for the API."""


@dataclass(frozen=True)
class ParamRule:
    param: str
    field: str | None
    """None: the param is not sent server-side (note says why)."""
    format: str | None = None
    convert: str | None = None
    """How the server turns the client value into the field's value (the example shows a placeholder)."""
    as_string: bool = False
    note: str | None = None


@dataclass(frozen=True)
class ServerSide:
    available: bool
    api: str | None = None
    endpoint: str | None = None
    auth: str | None = None
    identity_fields: tuple[str, ...] = ()
    dedupe: str | None = None
    debug: str | None = None
    reason: str | None = None
    recommendation: str | None = None
    # The destination mapping the spec is built from (all optional: a vendor without it gets
    # a destination whose events are left for a person to map).
    api_version: str | None = None
    docs: str | None = None
    request: ServerRequest | None = None
    auth_env: tuple[str, ...] = ()
    config_env: Pairs = ()
    account_note: str | None = None
    account_is_credential: bool = False
    notes: tuple[str, ...] = ()
    context: tuple[ServerContext, ...] = ()
    limits: Pairs = ()
    time_field: str | None = None
    time_format: str | None = None
    event_field: str | None = None
    identity: tuple[ServerIdentity, ...] = ()
    click_ids: tuple[ServerClickId, ...] = ()
    dedupe_key: DedupeKey | None = None
    debug_mode: DebugMode | None = None
    canonical_events: Pairs = ()
    match_canonical: bool = False
    events: tuple[ServerEvent, ...] = ()
    event_rules: tuple[EventRule, ...] = ()
    skip_events: Pairs = ()
    custom_events: CustomEvents | None = None
    params: tuple[ParamRule, ...] = ()
    custom_params: str | None = None
    custom_params_note: str | None = None
    payload_template_json: str | None = None
    payload_schema_json: str | None = None

    @property
    def mapped(self) -> bool:
        """Whether the catalog describes requests well enough to map events."""
        return self.available and self.request is not None and self.payload_template_json is not None

    def payload_template(self):
        return json.loads(self.payload_template_json) if self.payload_template_json else {}

    def payload_schema(self) -> dict:
        return json.loads(self.payload_schema_json) if self.payload_schema_json else {}


@dataclass(frozen=True)
class Vendor:
    id: str
    name: str
    category: str
    signatures: tuple[str, ...]
    server_side: ServerSide
    account_pattern: re.Pattern | None = None
    snippet_pattern: re.Pattern | None = None
    globals: tuple[str, ...] = ()
    modules: Pairs = ()
    """npm package -> callee prefix its default or namespace import stands for."""
    components: Pairs = ()
    """JSX element name -> the prop holding the account id."""
    config_keys: tuple[str, ...] = ()
    gtm_tag_types: tuple[str, ...] = ()
    """Type codes of GTM's built-in tags that send to this vendor."""
    loaders: tuple[Loader, ...] = ()
    calls: tuple[CallShape, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    beacons: tuple[Beacon, ...] = ()
    cookies: tuple[CookieSpec, ...] = ()
    click_ids: tuple[ClickId, ...] = ()
    standard_events: tuple[str, ...] = ()
    django_settings: tuple[str, ...] = ()
    django_template_tags: tuple[str, ...] = ()
    source_file: str = ""


def _account_rules(raw: Mapping) -> AccountRules:
    return AccountRules(match=_regex(raw.get("account_match"), "account_match"),
                        fallback=bool(raw.get("fallback", False)))


def _call(vendor: str, raw: Mapping) -> CallShape:
    where = f"{vendor}: call {raw['callee']}"
    event_arg = raw.get("event_arg")
    return CallShape(
        vendor=vendor, callee=raw["callee"], role=raw["role"], is_new=bool(raw.get("new", False)),
        command=_strings(raw.get("command")), command_arg=raw.get("command_arg", 0),
        array_arg=raw.get("array_arg"), object_arg=raw.get("object_arg"),
        match=_regex_map(raw.get("match"), where), params_match=_regex_map(raw.get("params_match"), where),
        account_arg=raw.get("account_arg"), account_key=raw.get("account_key"),
        account_param=raw.get("account_param"), account=_account_rules(raw),
        event_arg=(event_arg,) if isinstance(event_arg, int) else tuple(event_arg or ()),
        event_key=raw.get("event_key"), event_name=raw.get("event_name"),
        ignore_events=_strings(raw.get("ignore_events")), params_arg=raw.get("params_arg"),
        param_args=tuple(sorted((raw.get("param_args") or {}).items(), key=lambda kv: kv[1])),
        params_from_object=bool(raw.get("params_from_object", False)),
        options_arg=raw.get("options_arg"), global_only=bool(raw.get("global_only", False)),
    )


_SIMPLE_SERVER_KEYS = ("available", "api", "endpoint", "auth", "dedupe", "debug", "reason", "recommendation",
                       "api_version", "docs", "account_note", "account_is_credential", "event_field",
                       "match_canonical", "custom_params", "custom_params_note")


def _server_event(client: str, raw) -> ServerEvent:
    if isinstance(raw, str):
        return ServerEvent(client=client, name=raw)
    return ServerEvent(client=client, name=raw["name"], field=raw.get("field"), named=raw.get("named", True),
                       set=_json_pairs(raw.get("set")), endpoint=raw.get("endpoint"), note=raw.get("note"))


def _param_rule(param: str, raw) -> ParamRule:
    if raw is None or isinstance(raw, str):
        return ParamRule(param=param, field=raw)
    return ParamRule(param=param, field=raw.get("field"), format=raw.get("format"), convert=raw.get("convert"),
                     as_string=raw.get("as") == "string", note=raw.get("note"))


def _server_side(raw: Mapping, vid: str, cookie_names: set[str]) -> ServerSide:
    where = f"{vid}: server_side"
    events = raw.get("events") or {}
    if isinstance(events, list):  # names the client and the server share
        events = {name: name for name in events}
    time = raw.get("time") or {}
    dedupe = raw.get("dedupe_key")
    debug = raw.get("debug_mode")
    custom = raw.get("custom_events")
    request = raw.get("request")
    identity = tuple(ServerIdentity(**i) for i in raw.get("identity", ()))
    for rule in identity:
        if rule.cookie not in cookie_names:
            raise CatalogError(f"{where}: identity cookie {rule.cookie!r} is not one of the vendor's cookies")
    return ServerSide(
        **{k: raw[k] for k in _SIMPLE_SERVER_KEYS if k in raw},
        identity_fields=tuple(raw.get("identity_fields", ())),
        request=ServerRequest(method=request["method"], url=request["url"], body=request.get("body", "json"),
                              eu_url=request.get("eu_url"), query=_pairs(request.get("query")),
                              headers=_pairs(request.get("headers"))) if request else None,
        auth_env=tuple(raw.get("auth_env", ())), config_env=_pairs(raw.get("config_env")),
        notes=tuple(raw.get("notes", ())),
        context=tuple(ServerContext(what=c["what"], field=c["field"], required=c.get("required", False))
                      for c in raw.get("context", ())),
        limits=_pairs(raw.get("limits")), time_field=time.get("field"), time_format=time.get("format"),
        identity=identity,
        click_ids=tuple(ServerClickId(param=c["param"], cookie=c.get("cookie"), field=c["field"],
                                      derive=c.get("derive"), instead_of=c.get("instead_of"))
                        for c in raw.get("click_ids", ())),
        dedupe_key=DedupeKey(field=dedupe.get("field"), strategy=dedupe["strategy"],
                             events=tuple(dedupe.get("events", ()))) if dedupe else None,
        debug_mode=DebugMode(available=debug["available"], how=debug["how"], live=debug.get("live", ""),
                             env=tuple(debug.get("env", ())), url=debug.get("url"), query=_pairs(debug.get("query")),
                             fields=_json_pairs(debug.get("fields"))) if debug else None,
        canonical_events=_pairs(raw.get("canonical_events")),
        events=tuple(_server_event(client, entry) for client, entry in events.items()),
        event_rules=tuple(EventRule(match=_regex(r["match"], f"{where}: event_rules"), name=r["name"],
                                    set=_json_pairs(r.get("set")), note=r.get("note"))
                          for r in raw.get("event_rules", ())),
        skip_events=_pairs(raw.get("skip_events")),
        custom_events=CustomEvents(allowed=custom["allowed"], name=custom.get("name", "{name}"),
                                   set=_json_pairs(custom.get("set")), note=custom.get("note"),
                                   pattern=_regex(custom.get("pattern"), f"{where}: custom_events"))
        if custom else None,
        params=tuple(_param_rule(name, rule) for name, rule in (raw.get("params") or {}).items()),
        payload_template_json=json.dumps(raw["payload_template"], sort_keys=True) if "payload_template" in raw else None,
        payload_schema_json=json.dumps(raw["payload_schema"], sort_keys=True) if "payload_schema" in raw else None,
    )


def _vendor(raw: Mapping, source_file: str) -> Vendor:
    vid = raw["id"]
    account = raw.get("account") or {}
    django = raw.get("django_analytical") or {}
    return Vendor(
        id=vid, name=raw["name"], category=raw["category"],
        signatures=tuple(raw["signatures"]),
        server_side=_server_side(raw["server_side"], vid, {c["name"] for c in raw.get("cookies", ())}),
        account_pattern=_regex(account.get("pattern"), f"{vid}: account.pattern"),
        snippet_pattern=_regex(account.get("snippet_pattern"), f"{vid}: account.snippet_pattern"),
        globals=tuple(raw.get("globals", ())), modules=_pairs(raw.get("modules")),
        components=tuple((c["name"], c["account_prop"]) for c in raw.get("components", ())),
        config_keys=tuple(raw.get("config_keys", ())), gtm_tag_types=tuple(raw.get("gtm_tag_types", ())),
        loaders=tuple(Loader(vendor=vid, url=_regex(l["url"], f"{vid}: loader"),
                             account_param=l.get("account_param"), account_attr=l.get("account_attr"),
                             account=_account_rules(l))
                      for l in raw.get("loaders", ())),
        calls=tuple(_call(vid, c) for c in raw.get("calls", ())),
        assignments=tuple(Assignment(vendor=vid, target=a["target"], role=a["role"],
                                     account_is_value=a.get("account") == "value",
                                     account_key=a.get("account_key"), event_key=a.get("event_key"),
                                     event_name=a.get("event_name"),
                                     params_from_object=bool(a.get("params_from_object", False)))
                          for a in raw.get("assignments", ())),
        beacons=tuple(Beacon(vendor=vid, url=_regex(b["url"], f"{vid}: beacon"),
                             account_param=b.get("account_param"), event_param=b.get("event_param"),
                             params_prefix=b.get("params_prefix"), noscript=bool(b.get("noscript", False)),
                             event_name=b.get("event_name"))
                      for b in raw.get("beacons", ())),
        cookies=tuple(CookieSpec(vendor=vid, name=c["name"], pattern=_regex(c["pattern"], f"{vid}: cookie"),
                                 role=c["role"], format=c.get("format"), server_field=c.get("server_field"),
                                 storage=c.get("storage", "cookie"),
                                 user_part=_regex(c.get("user_part"), f"{vid}: cookie user_part"),
                                 beacon_params=tuple(c.get("beacon_params", ())))
                      for c in raw.get("cookies", ())),
        click_ids=tuple(ClickId(param=c["param"], cookie=c.get("cookie")) for c in raw.get("click_ids", ())),
        standard_events=tuple(raw.get("standard_events", ())),
        django_settings=tuple(django.get("settings", ())),
        django_template_tags=tuple(django.get("template_tags", ())),
        source_file=source_file,
    )


@dataclass(frozen=True)
class Catalog:
    vendors: tuple[Vendor, ...]

    def __iter__(self) -> Iterator[Vendor]:
        return iter(self.vendors)

    @functools.cached_property
    def by_id(self) -> dict[str, Vendor]:
        return {v.id: v for v in self.vendors}

    def get(self, vendor_id: str) -> Vendor:
        return self.by_id[vendor_id]

    @functools.cached_property
    def calls_by_callee(self) -> dict[str, tuple[CallShape, ...]]:
        """Shapes per normalised callee, specific shapes before fallbacks."""
        table: dict[str, list[CallShape]] = {}
        for vendor in self.vendors:
            for shape in vendor.calls:
                table.setdefault(shape.callee, []).append(shape)
        return {k: tuple(sorted(v, key=lambda s: s.account.fallback)) for k, v in table.items()}

    @functools.cached_property
    def components(self) -> dict[str, tuple[str, str]]:
        """JSX element name -> (vendor, prop holding the account)."""
        return {name: (vendor.id, prop) for vendor in self.vendors for name, prop in vendor.components}

    @functools.cached_property
    def modules(self) -> dict[str, str]:
        """npm package -> callee prefix, across vendors."""
        return {package: prefix for vendor in self.vendors for package, prefix in vendor.modules}

    @functools.cached_property
    def assignments_by_target(self) -> dict[str, tuple[Assignment, ...]]:
        table: dict[str, list[Assignment]] = {}
        for vendor in self.vendors:
            for a in vendor.assignments:
                table.setdefault(a.target, []).append(a)
        return {k: tuple(v) for k, v in table.items()}

    @functools.cached_property
    def loaders(self) -> tuple[Loader, ...]:
        """Specific loaders first, then fallbacks."""
        return tuple(sorted((l for v in self.vendors for l in v.loaders), key=lambda l: l.account.fallback))

    @functools.cached_property
    def beacons(self) -> tuple[Beacon, ...]:
        return tuple(b for v in self.vendors for b in v.beacons)

    @functools.cached_property
    def cookie_specs(self) -> tuple[CookieSpec, ...]:
        return tuple(c for v in self.vendors for c in v.cookies)

    def cookie_spec(self, name: str) -> CookieSpec | None:
        """The catalog's cookie for a concrete cookie or storage key name."""
        for spec in self.cookie_specs:
            if spec.pattern.search(name):
                return spec
        return None

    def cookie_owner(self, name: str) -> tuple[str | None, str]:
        """(vendor, role) of a cookie or storage key: the catalog's, else a site's own cookie
        whose name says consent is a consent cookie, and any other is "other"."""
        spec = self.cookie_spec(name)
        if spec is not None:
            return spec.vendor, spec.role
        return None, "consent" if "consent" in name.lower() else "other"

    @functools.cached_property
    def signatures(self) -> tuple[str, ...]:
        """What the pre-filter looks for: vendor signatures, django-analytical names, and the
        literal identity cookies and click ids, so first-party cookie code is read too."""
        found = {s for v in self.vendors for s in v.signatures}
        for vendor in self.vendors:
            found.update(vendor.django_settings)
            # A bare tag name ("heap") is a common word; only its template-tag form counts.
            found.update(f"{{%{space}{tag}" for tag in vendor.django_template_tags for space in ("", " "))
            found.update(c.name for c in vendor.cookies if "<" not in c.name and len(c.name) > 3)
            found.update(c.param for c in vendor.click_ids)
        return tuple(sorted(found))

    @functools.cached_property
    def _signature_automaton(self) -> ahocorasick.Automaton:
        automaton = ahocorasick.Automaton()
        for signature in {s.lower() for s in self.signatures}:
            automaton.add_word(signature, len(signature))
        automaton.make_automaton()
        return automaton

    def signature_hits(self, data: bytes | str) -> list[int]:
        """Start offsets (in data's own units) where a signature matches, any case, ascending.

        One Aho-Corasick pass over the lower-cased data: an IGNORECASE regex alternation of
        two hundred literals costs seconds per MB, this a few milliseconds."""
        return sorted({end - length + 1 for end, length in self._signature_automaton.iter(_lowered(data))})

    def has_signature(self, data: bytes | str) -> bool:
        """The pre-filter: whether any vendor can be in data."""
        return any(True for _ in self._signature_automaton.iter(_lowered(data)))


def _lowered(data: bytes | str) -> str:
    """Lower-cased text with the same offsets as data. Bytes go through latin-1, which maps
    each byte to one character: the signatures are ASCII, so UTF-8 text matches the same."""
    if isinstance(data, bytes):
        return data.lower().decode("latin-1")
    lowered = data.lower()
    if len(lowered) != len(data):  # a few characters change length when lower-cased
        lowered = "".join(ch.lower()[:1] or ch for ch in data)
    return lowered


def _load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def load_catalog(directory: Path = VENDOR_DIR) -> Catalog:
    """Read and check every vendor file; raise CatalogError naming the file that is wrong.
    Files checked before, unchanged, come from the cache (cache.py)."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise CatalogError(f"no vendor files in {directory}")
    contents = []
    for path in files:
        try:
            contents.append((path.name, path.read_bytes()))
        except OSError as exc:
            raise CatalogError(f"{path.name}: cannot read: {exc}") from None
    key = cache_key(contents)
    cached = read_cached(key)
    if isinstance(cached, Catalog):
        return cached
    catalog = _checked(contents)
    write_cached(key, catalog)
    return catalog


def _checked(contents: list[tuple[str, bytes]]) -> Catalog:
    # Imported here: a cached catalog needs neither (a tenth of a second at every start).
    import jsonschema
    import yaml

    validator = jsonschema.Draft202012Validator(_load_schema())
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    vendors = []
    for name, data in contents:
        try:
            raw = yaml.load(data.decode("utf-8"), Loader=loader)
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CatalogError(f"{name}: cannot read: {exc}") from None
        errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.path))
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.path) or "(top)"
            raise CatalogError(f"{name}: {where}: {first.message}")
        if raw["id"] != Path(name).stem:
            raise CatalogError(f"{name}: id {raw['id']!r} does not match the file name")
        try:
            vendors.append(_vendor(raw, name))
        except CatalogError as exc:
            raise CatalogError(f"{name}: {exc}") from None
    return Catalog(vendors=tuple(vendors))


@functools.lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    return load_catalog()
