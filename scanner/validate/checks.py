"""The four post-migration checks (volume, identity, duplicates, continuity), computed in one
streaming pass over both sides' records with state that does not grow with the input.

The live side is the client before the cutover (the server side runs in debug mode then)
and the server from the cutover on. Volume and continuity compare the live side's hours
after the cutover with the same hours a week before, so the diurnal shape cancels out.
Identity compares the server's identity values with those the client saw before. Duplicates
pairs events sent from both sides.

Bounded state, whatever the number of records:
- hourly counters per vendor, event, side and hour: hours x events, not records;
- identity: two Bloom filters of 16 MiB each (ids seen before the reference day, ids seen in
  it: about 1% false positives at 10 million distinct ids) and adaptive samples of at most
  SAMPLE_CAP 64-bit id hashes (the reference day's ids, all ids before, the server's ids
  after). A sample keeps the hashes below a limit that halves whenever it outgrows its cap,
  so shares and distinct counts are exact on small logs and estimates within a fraction of a
  percent on large ones. Exact sets of 8-byte hashes would need about 70 bytes per id in
  Python, a gigabyte at ten million users;
- duplicates: events waiting for a partner from the other side, evicted after the window;
- continuity: the last live event per vendor and the largest gap per vendor and hour.
"""
from __future__ import annotations

import hashlib
import heapq
import math
import operator
import re
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Iterator, Union

from scanner.catalog import Catalog, CookieSpec
from scanner.validate.records import CLIENT, SERVER, InputFile, InputSummary, Record

PASS, FAIL, NEW, NOT_APPLICABLE = "pass", "fail", "new", "n/a"
HOUR = 3600.0
WEEK_HOURS = 168
REFERENCE_HOURS = 24
"""The client-side day before the cutover whose returning-user share is the expectation."""
MIN_HOURLY = 10
"""An hour the week before had at least this many live events may not be empty after."""
GAP_FLOOR = HOUR
"""A gap shorter than this never fails continuity."""
NOISE_SIGMAS = 3.0
"""Differences within this many standard deviations of counting noise always pass."""
PLOT_HOURS_BEFORE = 24
SAMPLE_CAP = 1 << 15
BLOOM_BITS = 1 << 27
NEW_SHAPES_SHOWN = 3
_TINY_GAP = 60.0


class ValidationError(Exception):
    """The logs cannot be validated at all (nothing after the cutover)."""


@dataclass(frozen=True)
class Options:
    cutover: float
    end: float | None = None
    """End of the after window; default: the last record."""
    tolerance: float = 0.2
    """Volume: the relative change allowed against the same hours a week before."""
    identity_tolerance: float = 0.2
    """Identity: the relative shortfall allowed against the expected returning share."""
    duplicate_window: float = 300.0
    """Seconds within which the same event from both sides counts as one event sent twice."""
    grace: float = 600.0
    """Seconds after the cutover in which client events still come from cached pages."""


# --- results ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    cutover: datetime
    end: datetime
    hours: int
    """Hours compared after the cutover; the last one may be partial."""
    last_hour_fraction: float
    baseline_start: datetime
    baseline_end: datetime


@dataclass(frozen=True)
class VolumeRow:
    vendor: str
    event: str
    week_before: float
    """Live events in the same hours a week before (the last partial hour prorated)."""
    after: int
    change: float | None
    allowed: float
    """The larger of the tolerance and NOISE_SIGMAS standard deviations of counting noise."""
    dispersion: float
    """Variance over mean of the event's hourly counts the week before (1: independent events)."""
    status: str


@dataclass(frozen=True)
class VolumeDetails:
    tolerance: float
    hours: int
    empty_hours_left_to_continuity: int
    rows: tuple[VolumeRow, ...]


@dataclass(frozen=True)
class IdentityRow:
    vendor: str
    cookie: str
    expected_share: float | None
    """Share of the reference day's client ids already seen earlier: the returning rate."""
    observed_share: float | None
    """Share of the server's ids after cutover that the client side saw before."""
    lowest_passing_share: float | None
    server_ids: int
    known: int
    unknown: int
    """Ids the client side never sent: new users, or ids the server minted."""
    new_format: int
    new_shapes: tuple[str, ...]
    before_records: int
    before_with_id: int
    after_records: int
    after_with_id: int
    status: str


@dataclass(frozen=True)
class IdentityDetails:
    tolerance: float
    reference_start: datetime
    reference_end: datetime
    estimated: bool
    """True when a sample outgrew its cap and counts are estimates."""
    rows: tuple[IdentityRow, ...]


@dataclass(frozen=True)
class Overlap:
    pairs: int
    first: datetime
    last: datetime
    hours: float


@dataclass(frozen=True)
class DuplicateRow:
    vendor: str
    event: str
    debug_pairs: int
    grace_pairs: int
    live_pairs: int
    by_event_id: int
    by_identity: int


@dataclass(frozen=True)
class DuplicateDetails:
    window_seconds: float
    grace_minutes: float
    debug_overlap: Overlap | None
    """Both sides before the cutover: the expected debug run."""
    after_overlap: Overlap | None
    """Both sides after the cutover, the grace included."""
    grace_pairs: int
    live_pairs: int
    """Pairs whose client event came after the grace: events counted twice, a failure."""
    client_events_after_cutover: int
    unpairable: int
    """Events with neither a dedupe key nor an identity value."""
    rows: tuple[DuplicateRow, ...]


@dataclass(frozen=True)
class ContinuityRow:
    vendor: str
    empty_hours: tuple[datetime, ...]
    largest_gap_minutes: float
    gap_start: datetime | None
    week_before_gap_minutes: float | None
    status: str


@dataclass(frozen=True)
class ContinuityDetails:
    hours: int
    min_hourly: int
    rows: tuple[ContinuityRow, ...]


Details = Union[VolumeDetails, IdentityDetails, DuplicateDetails, ContinuityDetails]


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str
    reason: str
    details: Details


@dataclass(frozen=True)
class HourPoint:
    start: datetime
    offset: int
    """Hours from the cutover."""
    live: int
    week_before: int | None
    """None where the logs do not reach back that far."""


@dataclass(frozen=True)
class Total:
    side: str
    vendor: str
    event: str
    before: int
    after: int


@dataclass(frozen=True)
class Validation:
    window: Window
    checks: tuple[CheckResult, ...]
    inputs: tuple[InputSummary, ...]
    totals: tuple[Total, ...]
    hourly: tuple[HourPoint, ...]

    @property
    def passed(self) -> bool:
        return all(check.status == PASS for check in self.checks)


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


# --- bounded structures ---------------------------------------------------------------------

class _Bloom:
    """Set membership in a fixed bitmap; false positives only (3 probes, double hashing)."""

    __slots__ = ("bits", "mask")

    def __init__(self, size: int = BLOOM_BITS):
        self.bits = bytearray(size >> 3)
        self.mask = size - 1

    def add(self, h: int) -> None:
        a, b, m, bits = h & 0xFFFFFFFF, (h >> 32) | 1, self.mask, self.bits
        p = a & m
        bits[p >> 3] |= 1 << (p & 7)
        p = (a + b) & m
        bits[p >> 3] |= 1 << (p & 7)
        p = (a + 2 * b) & m
        bits[p >> 3] |= 1 << (p & 7)

    def __contains__(self, h: int) -> bool:
        a, b, m, bits = h & 0xFFFFFFFF, (h >> 32) | 1, self.mask, self.bits
        p = a & m
        if not bits[p >> 3] >> (p & 7) & 1:
            return False
        p = (a + b) & m
        if not bits[p >> 3] >> (p & 7) & 1:
            return False
        p = (a + 2 * b) & m
        return bool(bits[p >> 3] >> (p & 7) & 1)


_SHAPE_RUNS = re.compile(r"(?<![A-Za-z0-9])[0-9]+(?![A-Za-z0-9])|[A-Za-z0-9]+")


def _shape(value: str) -> str:
    """An id's format with the values taken out: each run of letters and digits becomes `9`
    (digits only) or `a`, so `fb.1.<ms>.<random>` -> `a.9.9.9` and a uuid -> `a-a-a-a-a`."""
    return _SHAPE_RUNS.sub(lambda m: "9" if m.group().isdigit() else "a", value)


class _Sample:
    """Distinct 64-bit hashes below a limit that halves whenever the sample outgrows its cap:
    a uniform sample of the distinct ids, so a share in it estimates the share in all, and
    len * scale estimates the distinct count."""

    __slots__ = ("kept", "limit", "cap")

    def __init__(self, cap: int = SAMPLE_CAP):
        self.kept: dict[int, str] = {}
        self.limit = 1 << 64
        self.cap = cap

    def offer(self, h: int, value: str | None) -> None:
        if h >= self.limit or h in self.kept:
            return
        self.kept[h] = _shape(value) if value is not None else ""
        if len(self.kept) > self.cap:
            self.limit >>= 1
            self.kept = {k: s for k, s in self.kept.items() if k < self.limit}

    @property
    def scale(self) -> float:
        return (1 << 64) / self.limit


class _Known:
    """Hashes of recent canonical identity values, and which Bloom filters already hold each:
    a user's id repeats over their session's events, so most records skip hashing and probing."""

    __slots__ = ("entries",)
    CAP = 1 << 16
    IN_HISTORY, IN_REFERENCE = 1, 2

    def __init__(self):
        self.entries: dict[tuple[str, str], list[int]] = {}

    def get(self, cookie: str, canonical: str) -> list[int]:
        """[64-bit hash (stable across runs), Bloom filters holding it]."""
        key = (cookie, canonical)
        entry = self.entries.get(key)
        if entry is None:
            digest = hashlib.blake2b(f"{cookie}\0{canonical}".encode(), digest_size=8).digest()
            entry = [int.from_bytes(digest, "little"), 0]
            if len(self.entries) >= self.CAP:
                self.entries.clear()
            self.entries[key] = entry
        return entry


# --- identity -------------------------------------------------------------------------------

class _IdentityCounts:
    __slots__ = ("reference", "before", "after", "before_with_id", "after_with_id")

    def __init__(self):
        self.reference, self.before, self.after = _Sample(), _Sample(), _Sample()
        self.before_with_id = self.after_with_id = 0


class _Identity:
    def __init__(self, cutover: float, catalog: Catalog):
        self.cutover = cutover
        self.reference_start = cutover - REFERENCE_HOURS * HOUR
        self.history, self.reference_day = _Bloom(), _Bloom()
        self.rows: dict[tuple[str, str], _IdentityCounts] = {}
        self.records: dict[str, list[int]] = {}
        """vendor -> [client records before cutover, server records after]."""
        self.known = _Known()
        self.catalog = catalog
        self.roles = {spec.name: spec.role for spec in catalog.cookie_specs}
        self.identity_cookies: dict[str, bool] = {}
        self.specs: dict[str, CookieSpec | None] = {}

    def _user_id(self, cookie: str, value: str) -> str:
        """The part of the value that names the user, the same on both sides (the catalog's user_part)."""
        spec = self.specs.get(cookie, False)
        if spec is False:
            spec = self.catalog.cookie_spec(cookie)
            if len(self.specs) < 1024:
                self.specs[cookie] = spec
        return spec.user_id(value) if spec is not None else value

    def _is_identity(self, cookie: str) -> bool:
        spec = self.catalog.cookie_spec(cookie)
        # A cookie the catalog does not know is a site's own user id.
        found = self.roles.get(cookie, spec.role if spec else "identity") == "identity"
        if len(self.identity_cookies) < 1024:
            self.identity_cookies[cookie] = found
        return found

    def observe(self, record: Record) -> int | None:
        """Count the record; return the hash of its first identity value (the pairing key)."""
        before = record.ts < self.cutover
        counted = (record.side == CLIENT) == before
        if counted:
            counts = self.records.get(record.vendor)
            if counts is None:
                counts = self.records[record.vendor] = [0, 0]
            counts[0 if before else 1] += 1
        first = None
        for cookie, value in record.ids:
            is_identity = self.identity_cookies.get(cookie)
            if not (self._is_identity(cookie) if is_identity is None else is_identity):
                continue
            canonical = self._user_id(cookie, value)
            known = self.known.get(cookie, canonical)
            h = known[0]
            if first is None:
                first = h
            if not counted:
                continue
            row = self.rows.get((record.vendor, cookie))
            if row is None:
                row = self.rows[(record.vendor, cookie)] = _IdentityCounts()
            if not before:
                row.after_with_id += 1
                row.after.offer(h, canonical)
                continue
            row.before_with_id += 1
            row.before.offer(h, canonical)
            if record.ts >= self.reference_start:
                row.reference.offer(h, None)
                if not known[1] & _Known.IN_REFERENCE:
                    self.reference_day.add(h)
                    known[1] |= _Known.IN_REFERENCE
            elif not known[1] & _Known.IN_HISTORY:
                self.history.add(h)
                known[1] |= _Known.IN_HISTORY
        return first

    def result(self, tolerance: float) -> CheckResult:
        rows = []
        for (vendor, cookie), counts in sorted(self.rows.items()):
            rows.append(self._row(vendor, cookie, counts, tolerance))
        estimated = any(c.before.scale > 1 or c.after.scale > 1 or c.reference.scale > 1 for c in self.rows.values())
        details = IdentityDetails(tolerance, _dt(self.reference_start), _dt(self.cutover), estimated, tuple(rows))
        failed = [row for row in rows if row.status == FAIL]
        judged = [row for row in rows if row.status == PASS]
        if failed:
            return CheckResult("identity", FAIL, f"{_identity_failure(failed[0])}"
                               + (f"; {len(failed)} of {len(rows)} identity values fail" if len(failed) > 1 else ""),
                               details)
        if not judged:
            return CheckResult("identity", FAIL, "no server-side identity value to compare with the client side's",
                               details)
        return CheckResult("identity", PASS,
                           f"{len(judged)} identity values keep the returning-user share seen before "
                           f"({', '.join(f'{r.vendor} {r.cookie} {_pct(r.observed_share)}' for r in judged[:4])})",
                           details)

    def _row(self, vendor: str, cookie: str, counts: _IdentityCounts, tolerance: float) -> IdentityRow:
        before_records, after_records = self.records.get(vendor, (0, 0))
        reference = counts.reference.kept
        expected = (sum(1 for h in reference if h in self.history) / len(reference)) if reference else None
        after = counts.after.kept
        known_in_sample = sum(1 for h in after if h in self.history or h in self.reference_day)
        observed = known_in_sample / len(after) if after else None
        shapes_before = set(counts.before.kept.values())
        new_in_sample = [shape for shape in after.values() if shape not in shapes_before]
        scale = counts.after.scale
        lowest = None
        status = NOT_APPLICABLE
        if after_records and counts.before_with_id:
            had = counts.before_with_id / before_records if before_records else 0.0
            has = counts.after_with_id / after_records
            if has < had * (1 - tolerance):
                status = FAIL
            elif expected is not None and observed is not None:
                noise = math.sqrt(expected * (1 - expected) / len(reference) + observed * (1 - observed) / len(after))
                lowest = max(0.0, expected * (1 - tolerance) - NOISE_SIGMAS * noise)
                status = PASS if observed >= lowest else FAIL
        return IdentityRow(vendor, cookie, expected, observed, lowest, round(len(after) * scale),
                           round(known_in_sample * scale), round((len(after) - known_in_sample) * scale),
                           round(len(new_in_sample) * scale), tuple(sorted(set(new_in_sample)))[:NEW_SHAPES_SHOWN],
                           before_records, counts.before_with_id, after_records, counts.after_with_id, status)


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


def _identity_failure(row: IdentityRow) -> str:
    if row.lowest_passing_share is None:  # failed before the shares were compared
        return (f"{row.vendor} {row.cookie}: the server sends it on {_pct(row.after_with_id / row.after_records)} "
                f"of events, the client did on {_pct(row.before_with_id / max(row.before_records, 1))}")
    return (f"{row.vendor} {row.cookie}: {_pct(row.observed_share)} of server ids were known before cutover, "
            f"{_pct(row.expected_share)} expected from the returning-user rate; {row.unknown} unknown"
            + (f", {row.new_format} in a new format" if row.new_format else ""))


# --- duplicates ------------------------------------------------------------------------------

class _Waiting:
    __slots__ = ("side", "ts", "done")

    def __init__(self, side: str, ts: float):
        self.side, self.ts, self.done = side, ts, False


class _Span:
    __slots__ = ("pairs", "first", "last")

    def __init__(self):
        self.pairs, self.first, self.last = 0, math.inf, -math.inf

    def add(self, start: float, end: float) -> None:
        self.pairs += 1
        self.first = min(self.first, start)
        self.last = max(self.last, end)

    def overlap(self) -> Overlap | None:
        if not self.pairs:
            return None
        return Overlap(self.pairs, _dt(self.first), _dt(self.last), round((self.last - self.first) / HOUR, 2))


class _Pairs:
    """Events of one side waiting, for the window, for the same event from the other side:
    the same dedupe key first, else the same event and identity value."""

    def __init__(self, options: Options):
        self.window, self.cutover, self.live_from = options.duplicate_window, options.cutover, options.cutover + options.grace
        self.options = options
        self.by_event_id: dict[tuple[str, str, str], list[_Waiting]] = {}
        self.by_identity: dict[tuple[str, str, int], list[_Waiting]] = {}
        self.order: deque[tuple[float, tuple | None, tuple | None, _Waiting]] = deque()
        """Waiting events in arrival order, for eviction."""
        self.rows: dict[tuple[str, str], list[int]] = {}
        """(vendor, event) -> [debug, grace, live, by event id, by identity]."""
        self.debug, self.after = _Span(), _Span()
        self.client_after = self.unpairable = 0

    def _evict(self, horizon: float) -> None:
        order, by_event_id, by_identity = self.order, self.by_event_id, self.by_identity
        while order and order[0][0] < horizon:
            _, event_key, identity_key, entry = order.popleft()
            for table, key in ((by_event_id, event_key), (by_identity, identity_key)):
                queue = table.get(key) if key is not None else None
                if queue is not None:
                    queue.remove(entry)
                    if not queue:
                        del table[key]

    def observe(self, record: Record, identity: int | None) -> None:
        ts, side, event_id = record.ts, record.side, record.event_id
        if side == CLIENT and ts >= self.cutover:
            self.client_after += 1
        if self.order and self.order[0][0] < ts - self.window:
            self._evict(ts - self.window)
        if event_id is None and identity is None:
            self.unpairable += 1
            return
        event_key = identity_key = None
        if event_id is not None:
            event_key = (record.vendor, record.event, event_id)
            for entry in self.by_event_id.get(event_key, ()):
                if entry.side != side and not entry.done:
                    entry.done = True
                    self._pair(record, entry, by_identity=False)
                    return
        if identity is not None:
            identity_key = (record.vendor, record.event, identity)
            for entry in self.by_identity.get(identity_key, ()):
                if entry.side != side and not entry.done:
                    entry.done = True
                    self._pair(record, entry, by_identity=True)
                    return
        entry = _Waiting(side, ts)
        if event_key is not None:
            self.by_event_id.setdefault(event_key, []).append(entry)
        if identity_key is not None:
            self.by_identity.setdefault(identity_key, []).append(entry)
        self.order.append((ts, event_key, identity_key, entry))

    def _pair(self, record: Record, other: _Waiting, by_identity: bool) -> None:
        client_ts = record.ts if record.side == CLIENT else other.ts
        row = self.rows.get((record.vendor, record.event))
        if row is None:
            row = self.rows[(record.vendor, record.event)] = [0, 0, 0, 0, 0]
        start, end = min(record.ts, other.ts), max(record.ts, other.ts)
        if client_ts < self.cutover:
            row[0] += 1
            self.debug.add(start, end)
        else:
            row[1 if client_ts < self.live_from else 2] += 1
            self.after.add(start, end)
        row[4 if by_identity else 3] += 1

    def result(self) -> CheckResult:
        rows = tuple(DuplicateRow(vendor, event, *counts) for (vendor, event), counts in sorted(self.rows.items()))
        live_pairs = sum(row.live_pairs for row in rows)
        debug, after = self.debug.overlap(), self.after.overlap()
        details = DuplicateDetails(self.window, self.options.grace / 60, debug, after,
                                   sum(row.grace_pairs for row in rows), live_pairs, self.client_after,
                                   self.unpairable, rows)
        if live_pairs:
            worst = max(rows, key=lambda row: row.live_pairs)
            return CheckResult("duplicates", FAIL,
                               f"{after.pairs} events sent from both sides after cutover, from "
                               f"{_hhmm(after.first)} for {after.hours:g} h (most: {worst.vendor} {worst.event}, "
                               f"{worst.live_pairs})", details)
        debug_text = (f"debug overlap {debug.pairs} events from {_hhmm(debug.first)} for {debug.hours:g} h before cutover"
                      if debug else "no overlap before cutover")
        grace_text = f" ({after.pairs} within the {self.options.grace / 60:g} min grace)" if after else ""
        return CheckResult("duplicates", PASS, f"no event sent from both sides after cutover{grace_text}; {debug_text}",
                           details)


def _hhmm(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


# --- continuity -------------------------------------------------------------------------------

class _Gaps:
    """The last live event per vendor, and the largest gap ending in each hour."""

    def __init__(self, cutover: float):
        self.cutover = cutover
        self.last: dict[str, float] = {}
        self.largest: dict[tuple[str, int], tuple[float, float]] = {}

    def observe(self, record: Record, hour: int) -> None:
        if (record.side == CLIENT) != (record.ts < self.cutover):
            return
        vendor, ts = record.vendor, record.ts
        last = self.last.get(vendor)
        if last is None or ts > last:
            self.last[vendor] = ts
            if last is not None and ts - last > _TINY_GAP:
                key = (vendor, hour)
                if ts - last > self.largest.get(key, (0.0,))[0]:
                    self.largest[key] = (ts - last, last)

    def largest_in(self, vendor: str, hours: range) -> tuple[float, float | None]:
        found = [self.largest[(vendor, h)] for h in hours if (vendor, h) in self.largest]
        return max(found, default=(0.0, None))


# --- the pass ---------------------------------------------------------------------------------

def _stream(inputs: Iterable[InputFile]) -> Iterator[Record]:
    """Both sides' records in time order (each file is read in its own order)."""
    return heapq.merge(*(item.records() for item in inputs), key=operator.attrgetter("ts"))


def validate(inputs: list[InputFile], options: Options, catalog: Catalog) -> Validation:
    cutover, end_limit = options.cutover, options.end
    hourly: dict[tuple[str, str, str, int], int] = {}
    identity = _Identity(cutover, catalog)
    pairs = _Pairs(options)
    gaps = _Gaps(cutover)
    latest = -math.inf
    for record in _stream(inputs):
        ts = record.ts
        if end_limit is not None and ts >= end_limit:
            continue
        if ts > latest:
            latest = ts
        hour = int((ts - cutover) // HOUR)
        key = (record.vendor, record.event, record.side, hour)
        hourly[key] = hourly.get(key, 0) + 1
        pairs.observe(record, identity.observe(record))
        gaps.observe(record, hour)
    end = end_limit if end_limit is not None else latest
    if end <= cutover:
        raise ValidationError("no events after the cutover: nothing to validate yet")
    span = min(end - cutover, WEEK_HOURS * HOUR)
    hours = max(1, math.ceil(span / HOUR))
    fraction = (span - (hours - 1) * HOUR) / HOUR
    window = Window(_dt(cutover), _dt(cutover + span), hours, round(fraction, 4),
                    _dt(cutover - WEEK_HOURS * HOUR), _dt(cutover - WEEK_HOURS * HOUR + span))
    weights = [1.0] * (hours - 1) + [fraction]

    live: dict[tuple[str, int], int] = {}
    for (vendor, _event, side, hour), count in hourly.items():
        if (side == CLIENT) == (hour < 0):
            live[(vendor, hour)] = live.get((vendor, hour), 0) + count
    continuity, empty = _continuity(live, gaps, weights, cutover, cutover + span)
    checks = (_volume(hourly, weights, empty, options.tolerance),
              identity.result(options.identity_tolerance), pairs.result(), continuity)
    return Validation(window, checks, tuple(item.summary() for item in inputs), _totals(hourly, hours),
                      _hourly(live, hours, cutover))


def _dispersion(series: dict[int, int]) -> float:
    """How much more an event's hourly counts vary than independent events would (1 for
    those), from second differences over the week before the cutover, which cancel the
    diurnal trend: events that come in clumps (several page views per visit) vary more, and
    get a wider allowance for noise."""
    squares = total = 0.0
    for hour in range(max(-WEEK_HOURS, min(series, default=0)) + 1, -1):
        count = series.get(hour, 0)
        residual = count - (series.get(hour - 1, 0) + series.get(hour + 1, 0)) / 2
        squares += residual * residual
        total += 1.5 * count  # the residual's variance for independent events
    return max(1.0, squares / total) if total else 1.0


def _volume(hourly, weights: list[float], empty: dict[str, set[int]], tolerance: float) -> CheckResult:
    hours = len(weights)
    sums: dict[tuple[str, str], list[float]] = {}
    week: dict[tuple[str, str], dict[int, int]] = {}
    for (vendor, event, side, hour), count in hourly.items():
        if side == SERVER and 0 <= hour < hours and hour not in empty.get(vendor, ()):
            sums.setdefault((vendor, event), [0.0, 0])[1] += count
        elif side == CLIENT and -WEEK_HOURS <= hour < 0:
            week.setdefault((vendor, event), {})[hour] = count
            if hour + WEEK_HOURS < hours and hour + WEEK_HOURS not in empty.get(vendor, ()):
                sums.setdefault((vendor, event), [0.0, 0])[0] += count * weights[hour + WEEK_HOURS]
    rows = []
    for (vendor, event), (before, after) in sorted(sums.items()):
        dispersion = _dispersion(week.get((vendor, event), {}))
        allowed = max(tolerance * before, NOISE_SIGMAS * math.sqrt(dispersion * (before + after)))
        if before == 0:
            status, change = NEW, None
        else:
            status, change = (FAIL if abs(after - before) > allowed else PASS), after / before - 1
        rows.append(VolumeRow(vendor, event, round(before, 2), after, None if change is None else round(change, 4),
                              round(allowed, 2), round(dispersion, 2), status))
    details = VolumeDetails(tolerance, hours, sum(len(h) for h in empty.values()), tuple(rows))
    failed = [row for row in rows if row.status == FAIL]
    judged = [row for row in rows if row.status != NEW]
    if failed:
        worst = max(failed, key=lambda row: abs(row.change))
        return CheckResult("volume", FAIL,
                           f"{worst.vendor} {worst.event} {worst.change * 100:+.0f}% ({worst.after} vs "
                           f"{worst.week_before:g} the same hours a week before); {len(failed)} of {len(judged)} "
                           f"volumes off by more than {tolerance * 100:g}%", details)
    if not judged:
        return CheckResult("volume", FAIL, "no client events in the same hours a week before: the logs must "
                                           "reach back a week before the cutover", details)
    return CheckResult("volume", PASS, f"{len(judged)} vendor/event volumes within {tolerance * 100:g}% of the same "
                                       f"hours a week before", details)


def _continuity(live: dict[tuple[str, int], int], gaps: _Gaps, weights: list[float], cutover: float,
                end: float) -> tuple[CheckResult, dict[str, set[int]]]:
    hours = len(weights)
    vendors = sorted({vendor for vendor, hour in live if 0 <= hour + WEEK_HOURS < hours or 0 <= hour < hours})
    rows, empty = [], {}
    for vendor in vendors:
        expected = [live.get((vendor, h - WEEK_HOURS), 0) * weights[h] for h in range(hours)]
        holes = {h for h in range(hours) if expected[h] >= MIN_HOURLY and not live.get((vendor, h))}
        if holes and len(holes) < sum(1 for e in expected if e >= MIN_HOURLY):
            empty[vendor] = holes  # a total outage is a volume failure too, so volume keeps it
        gap, gap_start = gaps.largest_in(vendor, range(hours))
        last = gaps.last.get(vendor)
        if last is not None and end - last > gap:
            gap, gap_start = end - last, last
        baseline_gap, _ = gaps.largest_in(vendor, range(-WEEK_HOURS, hours - WEEK_HOURS))
        has_baseline = any(expected)
        too_long = has_baseline and gap > GAP_FLOOR and gap > 2 * baseline_gap
        rows.append(ContinuityRow(vendor, tuple(_dt(cutover + h * HOUR) for h in sorted(holes)), round(gap / 60, 1),
                                  None if gap_start is None else _dt(gap_start),
                                  round(baseline_gap / 60, 1) if has_baseline else None,
                                  FAIL if holes or too_long else PASS))
    details = ContinuityDetails(hours, MIN_HOURLY, tuple(rows))
    failed = [row for row in rows if row.status == FAIL]
    widest = max(rows, key=lambda row: row.largest_gap_minutes, default=None)
    if failed:
        row = max(failed, key=lambda r: (len(r.empty_hours), r.largest_gap_minutes))
        what = (f"{len(row.empty_hours)} hours without events from {_hhmm(row.empty_hours[0])}" if row.empty_hours
                else "a gap the week before never had")
        return CheckResult("continuity", FAIL,
                           f"{row.vendor}: {what}; largest gap {_minutes(row.largest_gap_minutes)}"
                           + (f"; {len(failed)} vendors broken" if len(failed) > 1 else ""), details), empty
    if widest is None:
        return CheckResult("continuity", FAIL, "no live events in the window or the week before", details), empty
    return CheckResult("continuity", PASS, f"no empty hour after cutover; largest gap "
                                           f"{_minutes(widest.largest_gap_minutes)} ({widest.vendor})", details), empty


def _minutes(minutes: float) -> str:
    return f"{minutes / 60:.1f} h" if minutes >= 90 else f"{minutes:.0f} min"


def _totals(hourly, hours: int) -> tuple[Total, ...]:
    sums: dict[tuple[str, str, str], list[int]] = {}
    for (vendor, event, side, hour), count in hourly.items():
        if hour < hours:
            sums.setdefault((side, vendor, event), [0, 0])[0 if hour < 0 else 1] += count
    return tuple(Total(side, vendor, event, before, after) for (side, vendor, event), (before, after) in sorted(sums.items()))


def _hourly(live: dict[tuple[str, int], int], hours: int, cutover: float) -> tuple[HourPoint, ...]:
    per_hour: dict[int, int] = {}
    for (_vendor, hour), count in live.items():
        per_hour[hour] = per_hour.get(hour, 0) + count
    earliest = min(per_hour, default=0)
    return tuple(HourPoint(_dt(cutover + h * HOUR), h, per_hour.get(h, 0),
                           per_hour.get(h - WEEK_HOURS, 0) if h - WEEK_HOURS >= earliest else None)
                 for h in range(-PLOT_HOURS_BEFORE, hours))
