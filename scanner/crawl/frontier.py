"""Which URLs a crawl visits: normalisation, scope, robots.txt and sitemaps."""
from __future__ import annotations

import gzip
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from scanner.catalog import Catalog

USER_AGENT = "pixelmigrate"
# Parameters that name a visit, not a page: dropping them keeps ?ref= loops from growing the frontier.
TRACKING_PARAMS = frozenset({
    "ref", "fbclid", "gclid", "gbraid", "wbraid", "dclid", "msclkid", "ttclid", "twclid", "li_fat_id",
    "epik", "sccid", "rdt_cid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi",
})
_NOT_PAGES = re.compile(
    r"\.(js|mjs|css|map|json|xml|txt|csv|png|jpe?g|gif|svg|webp|avif|ico|bmp|woff2?|ttf|otf|eot|mp[34]|webm|"
    r"ogg|wav|mov|avi|pdf|zip|gz|tgz|tar|rar|7z|exe|dmg|pkg|apk|msi|docx?|xlsx?|pptx?|rss|atom)$", re.IGNORECASE)
_FETCH_LIMIT = 5 * 1024 * 1024
_SITEMAP_LIMIT = 10


def dropped_params(catalog: Catalog) -> frozenset[str]:
    """Tracking parameters, plus every catalog vendor's click id."""
    return TRACKING_PARAMS | {c.param.lower() for v in catalog for c in v.click_ids}


def normalise_url(url: str, drop: frozenset[str]) -> str | None:
    """Scheme and host lower-cased, default port, fragment and tracking parameters dropped,
    query sorted; None for what is not an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if k.lower() not in drop and not k.lower().startswith("utm_"))
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class Scope:
    origin: str
    include: tuple[re.Pattern, ...] = ()
    exclude: tuple[re.Pattern, ...] = ()
    robots: RobotFileParser | None = None

    def allows(self, url: str) -> bool:
        """Same origin, a page (not an asset), inside include/exclude, allowed by robots.txt."""
        if origin_of(url) != self.origin or _NOT_PAGES.search(urlsplit(url).path):
            return False
        if self.include and not any(p.search(url) for p in self.include):
            return False
        if any(p.search(url) for p in self.exclude):
            return False
        return self.robots is None or self.robots.can_fetch(USER_AGENT, url)


@dataclass(frozen=True)
class _Fetched:
    status: int
    """0 when the server could not be reached."""
    body: bytes
    url: str
    """Where redirects ended."""


def _fetch(url: str, timeout: float) -> _Fetched:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _Fetched(response.status, response.read(_FETCH_LIMIT), response.url)
    except urllib.error.HTTPError as exc:
        return _Fetched(exc.code, b"", url)
    except (urllib.error.URLError, OSError, ValueError):
        return _Fetched(0, b"", url)


class _LinkParser(HTMLParser):
    def __init__(self, base: str):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.based = False
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if not href:
            return
        if tag == "base" and not self.based:
            self.base, self.based = urljoin(self.base, href), True
        elif tag in ("a", "area"):
            self.links.append(urljoin(self.base, href.strip()))


def page_links(url: str, timeout: float) -> list[str]:
    """The links of a page's HTML as served, without a browser: how a sharded crawl finds
    the pages behind the ones another shard visits."""
    fetched = _fetch(url, timeout)
    if fetched.status != 200:
        return []
    parser = _LinkParser(fetched.url)
    parser.feed(fetched.body.decode("utf-8", "replace"))
    parser.close()
    return parser.links


def fetch_robots(origin: str, timeout: float) -> RobotFileParser:
    """robots.txt as the standard reads it: 401/403 forbid everything, other failures allow."""
    robots = RobotFileParser(origin + "/robots.txt")
    fetched = _fetch(origin + "/robots.txt", timeout)
    if fetched.status in (401, 403):
        robots.disallow_all = True
    elif fetched.status == 200:
        robots.parse(fetched.body.decode("utf-8", "replace").splitlines())
    else:
        robots.allow_all = True
    return robots


def _locs(body: bytes) -> tuple[list[str], bool]:
    """(<loc> URLs, whether the document is a sitemap index)."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)[:_FETCH_LIMIT]
        except (OSError, EOFError):
            return [], False
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return [], False
    locs = [el.text.strip() for el in root.iter() if el.tag.endswith("loc") and el.text]
    return locs, root.tag.endswith("sitemapindex")


def sitemap_urls(origin: str, robots: RobotFileParser | None, timeout: float) -> list[str]:
    """Page URLs from /sitemap.xml and the sitemaps robots.txt names, one index level deep."""
    queue = [origin + "/sitemap.xml"] + list((robots.site_maps() if robots else None) or ())
    seen: set[str] = set()
    pages: list[str] = []
    while queue and len(seen) < _SITEMAP_LIMIT:
        url = urljoin(origin + "/", queue.pop(0))
        if url in seen or origin_of(url) != origin:
            continue
        seen.add(url)
        fetched = _fetch(url, timeout)
        if fetched.status != 200:
            continue
        locs, is_index = _locs(fetched.body)
        (queue if is_index else pages).extend(locs)
    return pages
