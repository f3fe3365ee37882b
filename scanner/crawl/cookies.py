"""The cookie jar a crawl leaves, attributed: which script or response set each cookie,
the shape of its value (never the value), expiry, party, and the catalog's vendor and role."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import unquote

from scanner.catalog import Catalog
from scanner.model import CookieFinding, CookieRole, Location, Source, Storage

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_TOKENS = re.compile(r"\x00|[A-Za-z0-9]+|[^A-Za-z0-9\x00]+")
_PREFIXED_NUMBER = re.compile(r"^([A-Za-z]{1,3})(\d{5,})$")
_RECENT_S = 30 * 86400  # a timestamp in a fresh crawl's cookie is from about now
_MAX_TOKENS = 24


def _digits(token: str, now: float) -> str:
    if len(token) <= 2:
        return token
    number = int(token)
    if len(token) == 13 and abs(number / 1000 - now) < _RECENT_S:
        return "<ms>"
    if len(token) == 10 and abs(number - now) < _RECENT_S:
        return "<s>"
    return "<random>" if len(token) >= 5 else "<n>"


def _token(token: str, now: float) -> str:
    if token == "\x00":
        return "<uuid>"
    if token.isdigit():
        return _digits(token, now)
    if not token.isalnum():
        return token  # separators are the shape
    prefixed = _PREFIXED_NUMBER.match(token)
    if prefixed:  # GS2's s<ts>, t<ts>
        return prefixed.group(1) + _digits(prefixed.group(2), now)
    word = token.isalpha() and len(token) <= 12 and (token.islower() or token.isupper() or token.istitle())
    if word or len(token) <= 3:
        return token  # words and short tags (fb, GA1, uid, true) say what the value is
    return "<random>"


def value_shape(value: str, now: float | None = None) -> str:
    """The value's structure with ids, timestamps and random parts replaced:
    'fb.1.1733300000000.1234567890' -> 'fb.1.<ms>.<random>'."""
    if not value:
        return ""
    now = time.time() if now is None else now
    text = unquote(value)
    if text[:1] in "{[" or text[:2] == '"{':
        return "<json>"
    tokens = _TOKENS.findall(_UUID.sub("\x00", text))
    if len(tokens) > _MAX_TOKENS:
        return f"<opaque {len(value)} chars>"
    return "".join(_token(t, now) for t in tokens)


def third_party(cookie_domain: str, site_host: str) -> bool:
    domain = cookie_domain.lstrip(".").lower()
    host = site_host.lower()
    return not (host == domain or host.endswith("." + domain) or domain.endswith("." + host))


@dataclass(frozen=True)
class Attribution:
    """Who set or read a cookie on one visit."""

    set_by: str | None
    location: Location | None


def catalog_role(catalog: Catalog, name: str) -> tuple[str | None, CookieRole]:
    vendor, role = catalog.cookie_owner(name)
    return vendor, CookieRole(role)


def jar_findings(jar: list[dict], writers: dict[str, Attribution], catalog: Catalog, site_host: str,
                 page: str, after_consent: bool) -> list[CookieFinding]:
    """One finding per cookie in the jar (Playwright's cookie dicts), set_by from `writers`."""
    out = []
    for cookie in jar:
        name = cookie["name"]
        vendor, role = catalog_role(catalog, name)
        attribution = writers.get(name, Attribution(None, None))
        expires = cookie.get("expires", -1)
        out.append(CookieFinding(
            name=name, access="write", location=attribution.location, vendor=vendor, role=role,
            storage=Storage.COOKIE, source=Source.RUNTIME, set_by=attribution.set_by,
            domain=cookie.get("domain"), value_shape=value_shape(cookie.get("value", "")),
            expires=expires if expires and expires > 0 else None,
            third_party=third_party(cookie.get("domain", ""), site_host), page=page,
            after_consent=after_consent))
    return out
