"""Synthetic client and server event logs around a cutover, in the validation record format
(shared/formats.md), for the validate tests and the throughput benchmark.

A week (by default) of client pixels before the cutover with a diurnal shape (quietest at
04:00 UTC), returning users at a steady rate, then hours of server-side events after it.
The server side starts early in debug mode, sending the same events with the same event ids
as the pixels, so both sides overlap for `debug_hours` before the cutover. Faults:

- client_left_on: the client pixels keep firing after the cutover;
- minted_ids: the server mints its own identity values instead of reading the cookies;
- drop: 40% of one event (`drop_event`) never reaches the server after the cutover;
- hole: the server sends nothing for `hole_hours` hours, from `hole_start` hours after cutover.

    python3 bench/gen_validation_logs.py --client client.jsonl --server server.jsonl \\
        --cutover 2026-03-03T02:00:00Z [--sessions-per-hour 100] [--fault drop] ...
"""
from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

FAULTS = ("client_left_on", "minted_ids", "drop", "hole")
HOUR = 3600.0
# The same shopper action under each vendor's event name.
EVENT_NAMES = {
    "meta": {"page": "PageView", "cart": "AddToCart", "purchase": "Purchase"},
    "ga4": {"page": "page_view", "cart": "add_to_cart", "purchase": "purchase"},
    "bloomreach_discovery": {"page": "pageview", "cart": "click-add", "purchase": "conversion"},
}
VENDORS = tuple(EVENT_NAMES)
PAGES_PER_SESSION = 3.0
CART_RATE, PURCHASE_RATE = 0.3, 0.05
RECORDS_PER_SESSION_AND_VENDOR = PAGES_PER_SESSION + CART_RATE + PURCHASE_RATE


@dataclass
class User:
    fbp: str
    ga: str
    br_uid: str
    hits: int = 0


@dataclass
class Stats:
    client_records: int = 0
    server_records: int = 0
    users: int = 0
    sessions: int = 0
    bad_line_numbers: list[int] = field(default_factory=list)


def diurnal(ts: float) -> float:
    """Relative traffic at a time of day: 0.3 at 04:00 UTC up to 1.0 at 16:00."""
    hour_of_day = (ts % 86400) / HOUR
    return 0.3 + 0.7 * (0.5 - 0.5 * math.cos(2 * math.pi * (hour_of_day - 4) / 24))


_MEAN_DIURNAL = 0.65


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def sessions_per_hour_for(records: int, days_before: float = 7, vendors: int = len(VENDORS)) -> float:
    """The mean session rate that gives about `records` client records over `days_before` days."""
    return records / (days_before * 24 * RECORDS_PER_SESSION_AND_VENDOR * vendors)


_BAD_LINES = ('{"ts":"not a time","side":"client","vendor":"meta","event":"PageView","ids":{}}\n',
              '{"ts":"2026-03-01T00:00:00Z","side":"cli\n')


class _Writer:
    """Records in time order per file, though sessions overlap hour boundaries: pending
    records wait in a heap until no session still to come can be earlier."""

    def __init__(self, path: Path, bad_every: int, bad_limit: int, stats: Stats):
        self.handle = path.open("w", encoding="utf-8")
        self.pending: list[tuple[float, int, str]] = []
        self.sequence = self.lines = 0
        self.bad_every, self.bad_limit, self.stats = bad_every, bad_limit, stats
        self._second, self._prefix = -1, ""

    def stamp(self, ts: float) -> str:
        second = int(ts)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((ts - second) * 1000):03d}Z"

    def add(self, ts: float, side: str, vendor: str, event: str, event_id: str | None, ids: dict, page: str) -> None:
        self.sequence += 1
        heapq.heappush(self.pending, (ts, self.sequence, json.dumps(
            {"ts": self.stamp(ts), "side": side, "vendor": vendor, "event": event, "event_id": event_id,
             "ids": ids, "page": page}, separators=(",", ":"))))

    def flush(self, before: float) -> None:
        pending, write = self.pending, self.handle.write
        while pending and pending[0][0] < before:
            write(heapq.heappop(pending)[2] + "\n")
            self.lines += 1
            if self.bad_every and len(self.stats.bad_line_numbers) < self.bad_limit and self.lines % self.bad_every == 0:
                # A line with a bad value, then a line cut short, in turn.
                write(_BAD_LINES[len(self.stats.bad_line_numbers) % 2])
                self.lines += 1
                self.stats.bad_line_numbers.append(self.lines)

    def close(self) -> None:
        self.flush(math.inf)
        self.handle.close()


def generate(client_path: str | Path, server_path: str | Path, cutover: str | float, *, days_before: float = 7,
             hours_after: float = 8, sessions_per_hour: float = 100, returning: float = 0.35,
             debug_hours: float = 2, faults: tuple[str, ...] = (), drop_event: tuple[str, str] = ("meta", "PageView"),
             drop_share: float = 0.4, hole_start: float = 1, hole_hours: float = 4, bad_lines: int = 0,
             vendors: tuple[str, ...] = VENDORS, pages_per_session: float = PAGES_PER_SESSION, seed: int = 1) -> Stats:
    unknown = (set(faults) - set(FAULTS)) | (set(vendors) - set(VENDORS))
    if unknown:
        raise ValueError(f"unknown fault or vendor {sorted(unknown)[0]!r}")
    cut = cutover if isinstance(cutover, (int, float)) else \
        datetime.fromisoformat(cutover.replace("Z", "+00:00")).timestamp()
    # Faults draw from their own generator, so a faulty log has the clean one's traffic.
    rng, fault_rng = random.Random(seed), random.Random(-seed)
    # Pages past the first: the floor of an exponential, whose mean is 1 / (e^rate - 1).
    pages_rate = math.log(1 + 1 / (pages_per_session - 1)) if pages_per_session > 1 else math.inf
    stats = Stats()
    client = _Writer(Path(client_path), 97, bad_lines, stats)
    server = _Writer(Path(server_path), 0, 0, stats)
    users: list[User] = []
    start, stop = cut - days_before * 24 * HOUR, cut + hours_after * HOUR
    server_from = cut - debug_hours * HOUR
    hole = (cut + hole_start * HOUR, cut + (hole_start + hole_hours) * HOUR) if "hole" in faults else None
    client_until = stop if "client_left_on" in faults else cut
    order = 0

    def new_user(ts: float) -> User:
        stats.users += 1
        return User(fbp=f"fb.1.{int(ts * 1000)}.{rng.randrange(10**9, 10**10)}",
                    ga=f"GA1.1.{rng.randrange(10**8, 10**9)}.{int(ts)}",
                    br_uid=f"{rng.randrange(10**12, 10**13)}")

    def minted(vendor: str, ts: float) -> dict:
        """What a server that cannot read the cookies makes up: meta in the cookie's own format,
        the others as uuids (a new format)."""
        if vendor == "meta":
            return {"_fbp": f"fb.1.{int(ts * 1000)}.{fault_rng.randrange(10**9, 10**10)}"}
        uuid = (f"{fault_rng.getrandbits(32):08x}-{fault_rng.getrandbits(16):04x}-4{fault_rng.getrandbits(12):03x}-"
                f"a{fault_rng.getrandbits(12):03x}-{fault_rng.getrandbits(48):012x}")
        return {"_ga": uuid} if vendor == "ga4" else {"_br_uid_2": f"uid={uuid}:v=app:ts=0:hc=1"}

    hour_start = math.floor(start / HOUR) * HOUR
    while hour_start < stop:
        client.flush(hour_start)
        server.flush(hour_start)
        count = _poisson(rng, sessions_per_hour * diurnal(hour_start + HOUR / 2) / _MEAN_DIURNAL)
        for begin in sorted(hour_start + rng.random() * HOUR for _ in range(count)):
            if not start <= begin < stop:
                continue
            stats.sessions += 1
            if users and rng.random() < returning:
                user = users[rng.randrange(len(users))]
            else:
                user = new_user(begin)
                users.append(user)
            actions = ["page"] * (1 + int(rng.expovariate(pages_rate)))
            if rng.random() < CART_RATE:
                actions.insert(rng.randrange(1, len(actions) + 1), "cart")
            if rng.random() < PURCHASE_RATE:
                actions.append("purchase")
            server_ids = {vendor: minted(vendor, begin) for vendor in vendors} if "minted_ids" in faults else None
            ts = begin
            for position, action in enumerate(actions):
                ts += 0 if position == 0 else rng.uniform(15, 120)
                order += 1
                page = f"/p/{rng.randrange(500)}" if action == "page" else "/cart" if action == "cart" else "/checkout"
                user.hits += 1
                for vendor in vendors:
                    event = EVENT_NAMES[vendor][action]
                    client_ids = {"_fbp": user.fbp} if vendor == "meta" else {"_ga": user.ga} if vendor == "ga4" else \
                        {"_br_uid_2": f"uid={user.br_uid}:v=15.0:ts={int(ts * 1000)}:hc={user.hits}"}
                    if vendor == "meta":
                        event_id = f"{order:x}.{action}"
                    else:
                        event_id = f"T{order}" if action == "purchase" else None
                    at = ts + rng.uniform(0, 0.5)
                    if at < client_until and at < stop:
                        client.add(at, "client", vendor, event, event_id, client_ids, page)
                        stats.client_records += 1
                    sent = at + rng.uniform(0.05, 2.0)
                    if not server_from <= sent < stop or (hole and hole[0] <= sent < hole[1]):
                        continue
                    if sent >= cut and (vendor, event) == drop_event and "drop" in faults \
                            and fault_rng.random() < drop_share:
                        continue
                    ids = server_ids[vendor] if server_ids else \
                        {"_ga": user.ga.split(".", 2)[2]} if vendor == "ga4" else client_ids
                    server.add(sent, "server", vendor, event, event_id, ids, page)
                    stats.server_records += 1
        hour_start += HOUR
    client.close()
    server.close()
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--cutover", default="2026-03-03T02:00:00Z")
    parser.add_argument("--days-before", type=float, default=7)
    parser.add_argument("--hours-after", type=float, default=8)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--sessions-per-hour", type=float, default=100)
    size.add_argument("--records", type=int, help="about this many client records (sets the session rate)")
    parser.add_argument("--returning", type=float, default=0.35)
    parser.add_argument("--debug-hours", type=float, default=2)
    parser.add_argument("--fault", action="append", choices=FAULTS, default=[])
    parser.add_argument("--bad-lines", type=int, default=0, help="malformed lines to put in the client log")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rate = sessions_per_hour_for(args.records, args.days_before) if args.records else args.sessions_per_hour
    stats = generate(args.client, args.server, args.cutover, days_before=args.days_before,
                     hours_after=args.hours_after, sessions_per_hour=rate, returning=args.returning,
                     debug_hours=args.debug_hours, faults=tuple(args.fault), bad_lines=args.bad_lines, seed=args.seed)
    print(f"{stats.client_records} client and {stats.server_records} server records, {stats.sessions} sessions, "
          f"{stats.users} users", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
