"""What a crawled page asks the network for: decoded, answered locally, or let through.

By default no request reaches a vendor: a request to a catalog loader or beacon host (or,
when the target is served locally, to any host off this machine) is answered here with an
empty script, a 1x1 gif or a 204, and recorded. Main-frame navigations after the first are
answered with a 204, which leaves the page under test where it is.
"""
from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from scanner.catalog import Catalog
from scanner.catalog.match import UrlMatch, match_beacon, match_loader

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
MEDIA_TYPES = frozenset({"image", "media", "font"})
GIF_1X1 = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")

_GROUP = re.compile(r"\((?:\?:)?([\w.\\|-]*)\)(\?)?")
_HOST_IN_REGEX = re.compile(r"[a-z0-9-]+(?:\\\.[a-z0-9-]+)+", re.IGNORECASE)
_NOT_TLD = frozenset({"js", "php", "gif", "html", "png", "json"})


def _expand_groups(source: str, budget: int = 32) -> list[str]:
    """Literal alternatives of simple groups: 'p(-eu)?\\.x\\.com' -> both spellings."""
    found = _GROUP.search(source)
    if not found:
        return [source]
    options = found.group(1).split("|") + ([""] if found.group(2) else [])
    out: list[str] = []
    for option in options:
        out.extend(_expand_groups(source[:found.start()] + option + source[found.end():], budget))
        if len(out) >= budget:
            break
    return out[:budget]


def hosts_in_pattern(source: str) -> set[str]:
    """Host names a loader or beacon regex spells out literally before its path."""
    hosts = set()
    for spelling in _expand_groups(source):
        head = re.split(r"(?<!\\)/", spelling, maxsplit=1)[0]
        for found in _HOST_IN_REGEX.finditer(head):
            # A name the regex goes on spelling with classes or groups is not a whole host.
            if head[found.end():].lstrip(")?*").startswith(("\\.", "[", "\\d", "-")):
                continue
            host = found.group().replace("\\.", ".").lower()
            if host.rsplit(".", 1)[-1] not in _NOT_TLD:
                hosts.add(host)
    return hosts


def vendor_hosts(catalog: Catalog) -> frozenset[str]:
    patterns = [l.url.pattern for l in catalog.loaders] + [b.url.pattern for b in catalog.beacons]
    return frozenset(h for p in patterns for h in hosts_in_pattern(p))


def _host_in(host: str, suffixes: frozenset[str]) -> bool:
    return host in suffixes or any(host.endswith("." + s) for s in suffixes)


def body_param_sets(content_type: str, body: bytes | None) -> list[list[tuple[str, str]]]:
    """A request body as one list of params per event it carries: a form, a JSON object or
    array of objects, or text lines of query strings (GA4 batches)."""
    if not body:
        return [[]]
    text = body.decode("utf-8", "replace")
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind.endswith("json") or text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if data is not None:
            items = data if isinstance(data, list) else [data]
            return [[(k, v if isinstance(v, str) else json.dumps(v, sort_keys=True, separators=(",", ":")))
                     for k, v in item.items()] for item in items if isinstance(item, dict)] or [[]]
    lines = [line for line in text.splitlines() if "=" in line] if "\n" in text else [text]
    return [parse_qsl(line, keep_blank_values=True) for line in lines] or [[]]


@dataclass(frozen=True)
class VendorRequest:
    """A request whose URL the catalog knows."""

    url: str
    phase: int
    """The page's phase when the request was intercepted."""
    loader: UrlMatch | None
    beacons: tuple[UrlMatch, ...]


@dataclass(frozen=True)
class Policy:
    """What may leave the machine, for one crawl."""

    catalog: Catalog
    local_target: bool
    allow_vendor_traffic: bool
    block_media: bool
    hosts: frozenset[str]


def resolver_rules(policy: Policy) -> str | None:
    """Chromium --host-resolver-rules behind the router: what must not leave cannot even be
    looked up, so preconnects and the browser's own traffic stay home too."""
    patterns = [p for host in sorted(policy.hosts) for p in (host, "*." + host)]
    if policy.local_target:
        kept = ["127.0.0.1", "localhost"] + (patterns if policy.allow_vendor_traffic else [])
        return ", ".join(["MAP * ~NOTFOUND"] + [f"EXCLUDE {p}" for p in kept])
    if policy.allow_vendor_traffic:
        return None
    return ", ".join(f"MAP {p} ~NOTFOUND" for p in patterns)


@dataclass
class PageNetwork:
    """One page's traffic, filled by the context's router while the page runs."""

    phase: int = 0
    navigations_allowed: int = 0
    in_flight: dict = field(default_factory=dict)
    """Request -> event-loop time it started."""
    requests: list[VendorRequest] = field(default_factory=list)
    set_cookies: list[str] = field(default_factory=list)
    """Names of the cookies Set-Cookie headers set."""
    blocked_navigations: list[str] = field(default_factory=list)
    pending: list[asyncio.Future] = field(default_factory=list)

    def listeners(self) -> list[tuple[str, object]]:
        """The page events this network listens to, for the tab to attach and later detach."""
        return [("request", self._started), ("requestfinished", self._ended), ("requestfailed", self._ended),
                ("response", self._response)]

    def _started(self, request) -> None:
        self.in_flight[request] = asyncio.get_running_loop().time()

    def _ended(self, request) -> None:
        self.in_flight.pop(request, None)

    def _response(self, response) -> None:
        self.pending.append(asyncio.ensure_future(self._read_set_cookie(response)))

    async def _read_set_cookie(self, response) -> None:
        try:
            values = await response.header_values("set-cookie")
        except Exception:  # the page closed first: its headers went with it
            return
        for value in values:
            for line in value.split("\n"):
                name = line.split(";", 1)[0].split("=", 1)[0].strip()
                if name:
                    self.set_cookies.append(name)

    async def finish(self) -> None:
        """Wait for the Set-Cookie reads still running."""
        if self.pending:
            await asyncio.gather(*self.pending, return_exceptions=True)
            self.pending.clear()

    async def settle(self, quiet_ms: int, cap_ms: int) -> bool:
        """Wait until no request has been in flight for quiet_ms, at most cap_ms. A request
        already older than cap_ms when the wait starts is stuck (a stalled resource, a long
        poll) and does not count."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + cap_ms / 1000
        stuck_before = started - cap_ms / 1000
        quiet_since = None
        while loop.time() < deadline:
            if any(t > stuck_before for t in self.in_flight.values()):
                quiet_since = None
            elif quiet_since is None:
                quiet_since = loop.time()
            elif loop.time() - quiet_since >= quiet_ms / 1000:
                return True
            await asyncio.sleep(0.02)
        return False


class Router:
    """The context-wide route handler: finds the page a request belongs to and applies the policy."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.pages: dict[object, PageNetwork] = {}

    async def handle(self, route) -> None:
        request = route.request
        try:
            frame = request.frame
            net = self.pages.get(frame.page)
        except Exception:  # no frame (a worker's request): nothing of the page under test
            net = None
        if net is None:  # a popup or a page already closed: it gets nothing
            await route.abort()
            return
        if request.is_navigation_request() and frame.parent_frame is None:
            if net.navigations_allowed:
                net.navigations_allowed -= 1
            else:
                net.blocked_navigations.append(request.url)
                await route.fulfill(status=204)
                return
        await self._apply(route, request, net)

    async def _apply(self, route, request, net: PageNetwork) -> None:
        policy = self.policy
        url = request.url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            await route.continue_()
            return
        host = (parts.hostname or "").lower()
        loader = match_loader(url, policy.catalog)
        beacons: tuple[UrlMatch, ...] = ()
        if loader is None:
            content_type = request.headers.get("content-type", "")
            found = [match_beacon(url, policy.catalog, params)
                     for params in body_param_sets(content_type, request.post_data_buffer)]
            beacons = tuple(m for m in found if m is not None)
        is_vendor = bool(loader or beacons) or _host_in(host, policy.hosts)
        off_machine = policy.local_target and host not in LOCAL_HOSTS
        answer_here = (is_vendor and not policy.allow_vendor_traffic) or (off_machine and not is_vendor)
        if loader or beacons:
            net.requests.append(VendorRequest(url, net.phase, loader, beacons))
        if answer_here:
            await self._answer(route, request)
        elif policy.block_media and request.resource_type in MEDIA_TYPES and not is_vendor:
            await route.abort()
        else:
            await route.continue_()

    @staticmethod
    async def _answer(route, request) -> None:
        origin = request.headers.get("origin")
        cors = {"access-control-allow-origin": origin, "access-control-allow-credentials": "true"} if origin else {}
        if request.resource_type == "script":
            await route.fulfill(status=200, content_type="application/javascript", body="", headers=cors)
        elif request.resource_type == "image":
            await route.fulfill(status=200, content_type="image/gif", body=GIF_1X1, headers=cors)
        else:
            await route.fulfill(status=204, headers=cors)
