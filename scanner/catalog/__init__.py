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

import jsonschema
import yaml

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


@dataclass(frozen=True)
class ClickId:
    param: str
    cookie: str | None


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
        options_arg=raw.get("options_arg"),
    )


def _vendor(raw: Mapping, source_file: str) -> Vendor:
    vid = raw["id"]
    account = raw.get("account") or {}
    django = raw.get("django_analytical") or {}
    server = raw["server_side"]
    known_server = {f for f in ServerSide.__dataclass_fields__}
    return Vendor(
        id=vid, name=raw["name"], category=raw["category"],
        signatures=tuple(raw["signatures"]),
        server_side=ServerSide(**{k: (tuple(v) if isinstance(v, list) else v)
                                  for k, v in server.items() if k in known_server}),
        account_pattern=_regex(account.get("pattern"), f"{vid}: account.pattern"),
        snippet_pattern=_regex(account.get("snippet_pattern"), f"{vid}: account.snippet_pattern"),
        globals=tuple(raw.get("globals", ())),
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
                                 storage=c.get("storage", "cookie"))
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
    def signature_regex(self) -> re.Pattern:
        """One pass over a file's bytes tells whether any vendor can be in it."""
        alternatives = sorted({re.escape(s.encode()) for s in self.signatures}, key=len, reverse=True)
        return re.compile(b"|".join(alternatives), re.IGNORECASE)


def _load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def load_catalog(directory: Path = VENDOR_DIR) -> Catalog:
    """Read and check every vendor file; raise CatalogError naming the file that is wrong."""
    validator = jsonschema.Draft202012Validator(_load_schema())
    vendors = []
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise CatalogError(f"no vendor files in {directory}")
    for path in files:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise CatalogError(f"{path.name}: cannot read: {exc}") from None
        errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.path))
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.path) or "(top)"
            raise CatalogError(f"{path.name}: {where}: {first.message}")
        if raw["id"] != path.stem:
            raise CatalogError(f"{path.name}: id {raw['id']!r} does not match the file name")
        try:
            vendors.append(_vendor(raw, path.name))
        except CatalogError as exc:
            raise CatalogError(f"{path.name}: {exc}") from None
    return Catalog(vendors=tuple(vendors))


@functools.lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    return load_catalog()
