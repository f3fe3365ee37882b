"""Recognising a vendor from a URL: loader scripts and beacon requests.

Shared by the static scanners (script src, img/iframe src, URL strings in JS) and the crawl
(every network request), so both decode a URL the same way.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from scanner.catalog import Catalog

# Hosts written without a scheme ("//bat.bing.com/bat.js", "cdns.brsrvr.com/...") still count.
_URLISH = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//|^[a-z0-9-]+(?:\.[a-z0-9-]+)+/", re.IGNORECASE)


@dataclass(frozen=True)
class UrlMatch:
    vendor: str
    kind: str
    """"loader" (a script that installs the pixel) or "beacon" (a request that reports)."""
    account_id: str | None = None
    event: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    """Event params decoded from the query (beacons only)."""
    noscript: bool = False


def looks_like_url(text: str) -> bool:
    return bool(_URLISH.search(text.strip()))


def query_params(url: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(urlsplit(url).query, keep_blank_values=True)
    except ValueError:
        return []


def _param(params: list[tuple[str, str]], name: str | None) -> str | None:
    if not name:
        return None
    for key, value in params:
        if key == name and value:
            return value
    return None


def match_loader(url: str, catalog: Catalog, attrs: dict[str, str] | None = None) -> UrlMatch | None:
    """The vendor whose loader script this URL is, with the account it names if any."""
    params = None
    for loader in catalog.loaders:
        found = loader.url.search(url)
        if not found:
            continue
        account = found.groupdict().get("account")
        if account is None and loader.account_param:
            params = params if params is not None else query_params(url)
            account = _param(params, loader.account_param)
        if account is None and loader.account_attr and attrs:
            account = attrs.get(loader.account_attr) or None
        applies, narrowed = loader.account.accepts(account, is_expr=account is None)
        if applies:
            return UrlMatch(loader.vendor, "loader", narrowed)
    return None


def match_beacon(url: str, catalog: Catalog, body_params: list[tuple[str, str]] = ()) -> UrlMatch | None:
    """The vendor whose beacon endpoint this URL is, decoded from its query and body params."""
    for beacon in catalog.beacons:
        found = beacon.url.search(url)
        if not found:
            continue
        params = query_params(url) + list(body_params)
        account = found.groupdict().get("account") or _param(params, beacon.account_param)
        event = _param(params, beacon.event_param) or beacon.event_name
        prefix = beacon.params_prefix
        skip = {beacon.account_param, beacon.event_param}
        if prefix:
            decoded = tuple((k[len(prefix):].rstrip("]"), v) for k, v in params if k.startswith(prefix))
        else:
            decoded = tuple((k, v) for k, v in params if k not in skip)
        return UrlMatch(beacon.vendor, "beacon", account, event, decoded, beacon.noscript)
    return None


def match_url(url: str, catalog: Catalog, attrs: dict[str, str] | None = None) -> UrlMatch | None:
    """Loader first: a loader URL can look like a beacon host (googletagmanager.com)."""
    return match_loader(url, catalog, attrs) or match_beacon(url, catalog)
