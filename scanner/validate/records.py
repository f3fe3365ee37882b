"""Validation records, and the adapters that stream them out of the logs teams really have.

Each adapter is a generator over one file, read once: the JSON Lines records of
shared/formats.md; a crawl's or proxy's beacon log and HAR files, decoded with the catalog's
beacon endpoints (scanner.catalog.match.match_beacon); server logs of Meta CAPI, GA4
Measurement Protocol and TikTok Events API request bodies; access logs holding beacon
request URLs (Bloomreach pix.gif); CSV exports with a column mapping. A line that cannot be
read is counted, with the first few line numbers and reasons kept, and skipped; only a file
that cannot be opened or recognised stops the run.

An inventory JSON (scan or crawl) cannot be validated: its runtime events carry no
timestamps. A crawl's traffic is read from the HAR that Playwright records
(`record_har_path`), or from a beacon log: one JSON object per line with `ts` (or `time`,
`timestamp`, `startedDateTime`), `url`, and optional `body` and `page`.
"""
from __future__ import annotations

import calendar
import csv
import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator
from urllib.parse import parse_qsl, urljoin

from scanner.catalog import Catalog
from scanner.catalog.match import match_beacon, query_params

CLIENT, SERVER = "client", "server"
SIDES = (CLIENT, SERVER)
FORMATS = ("jsonl", "beacons", "har", "server", "access", "csv")
RECORD_FIELDS = ("ts", "side", "vendor", "event", "event_id", "page")
BAD_LINES_KEPT = 5
OUT_OF_ORDER_SLACK = 60.0
"""Seconds a record may lag the latest one of its file before it counts as out of order."""
_HEAD_BYTES = 1 << 16
_HAR_CHUNK = 1 << 20
_HAR_MAX_ENTRY = 16 << 20


class InputError(Exception):
    """A file that cannot be read or recognised: the run stops with this one line."""


class BadValue(ValueError):
    """One line (or value) that cannot be read: counted, reported and skipped."""


@dataclass(frozen=True, slots=True)
class Record:
    """One event as one side sent it (shared/formats.md, Validation records)."""

    ts: float
    """UTC seconds since the epoch."""
    side: str
    vendor: str
    event: str
    event_id: str | None
    """The dedupe key the vendor matches both sides on, if the event carries one."""
    ids: tuple[tuple[str, str], ...]
    """(cookie name, value) as sent."""
    page: str | None = None


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str


@dataclass(frozen=True)
class InputSummary:
    path: str
    side: str
    format: str
    records: int
    bad_lines: int
    first_bad: tuple[BadLine, ...]
    skipped: int
    """Readable lines that are not events of this side (other requests, the other side)."""
    out_of_order: int


# --- values -------------------------------------------------------------------------------

def _epoch(number: float) -> float:
    """Seconds from epoch seconds, milliseconds or microseconds, told apart by size."""
    if number > 1e14:
        return number / 1e6
    if number > 1e11:
        return number / 1e3
    return number


_hour_starts: dict[str, float] = {}


def _utc_fast(text: str) -> float | None:
    """`YYYY-MM-DDTHH:MM:SS[.fff]Z`, the records' own form, from a cache of hour starts:
    a third of the cost of a full parse. None for anything else."""
    if not (text[10] == "T" and text[13] == ":" and text[16] == ":" and text[17:19].isdigit()
            and text[14:16].isdigit() and (len(text) == 20 or (text[19] == "." and text[20:-1].isdigit()))):
        return None
    base = _hour_starts.get(text[:13])
    if base is None:
        try:
            base = datetime.fromisoformat(text[:13] + ":00:00+00:00").timestamp()
        except ValueError:
            return None
        if len(_hour_starts) > 10_000:
            _hour_starts.clear()
        _hour_starts[text[:13]] = base
    minute, second = int(text[14:16]), float(text[17:-1])
    return base + minute * 60 + second if minute < 60 and second < 60 else None


def parse_time(value) -> float:
    """ISO 8601 (naive means UTC) or epoch s/ms/µs -> UTC epoch seconds."""
    if type(value) is str and len(value) >= 20 and value[-1] == "Z":
        fast = _utc_fast(value)
        if fast is not None:
            return fast
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _epoch(float(value))
    if value is None or value == "":
        raise BadValue("no time")
    if not isinstance(value, str) or not value.strip():
        raise BadValue(f"bad time {value!r}")
    text = value.strip()
    if text[0].isdigit() and text.replace(".", "", 1).isdigit():
        return _epoch(float(text))
    if text[-1] in "Zz":  # Python 3.10's fromisoformat does not read Z
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadValue(f"bad time {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _text(value, field: str, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            raise BadValue(f"no {field}")
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise BadValue(f"{field} is not a string")


def _ids(raw) -> tuple[tuple[str, str], ...]:
    if not raw:
        return ()
    if not isinstance(raw, dict):
        raise BadValue("ids is not an object")
    return tuple((name, value if isinstance(value, str) else str(value))
                 for name, value in raw.items() if value is not None and value != "")


def _dig(obj, path: tuple[str, ...]):
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _flatten(obj, prefix: str = "", depth: int = 3) -> list[tuple[str, str]]:
    """A JSON beacon body as dotted params, so beacon and dedupe params are found by name."""
    out: list[tuple[str, str]] = []
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if depth > 1:
                out.extend(_flatten(value, name + ".", depth - 1))
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            out.append((name, str(value)))
    return out


def _body_parts(body: str | None) -> list[list[tuple[str, str]]]:
    """Params of each event in a beacon body: form, JSON, or GA4's batch of form lines."""
    text = (body or "").strip()
    if not text:
        return [[]]
    if text[0] in "{[":
        try:
            data = json.loads(text)
        except ValueError:
            return [[]]
        return [_flatten(data)] if isinstance(data, dict) else [[]]
    lines = [line for line in text.splitlines() if "=" in line]
    return [parse_qsl(line, keep_blank_values=True) for line in lines] or [[]]


# --- vendor request shapes ----------------------------------------------------------------

# Beacon params that carry the dedupe key shared with the server side, by name.
_DEDUPE_PARAMS = ("eid", "event_id", "ep.event_id", "ep.transaction_id", "transaction_id", "order_id")


class _VendorFields:
    """Where each vendor's identity values sit in beacons and server bodies, from the catalog."""

    def __init__(self, catalog: Catalog):
        self.beacon_ids: dict[str, tuple[tuple[str, str], ...]] = {}
        self.server_ids: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {}
        for vendor in catalog:
            beacon, server = [], []
            for spec in vendor.cookies:
                if "<" in spec.name:  # a templated name (_ga_<STREAM>) is no cookie name to report
                    continue
                names = [*spec.beacon_params, spec.name]
                if spec.server_field:
                    names.append(spec.server_field.rsplit(".", 1)[-1])
                    server.append((tuple(spec.server_field.split(".")), spec.name))
                beacon.extend((name, spec.name) for name in dict.fromkeys(names))
            self.beacon_ids[vendor.id] = tuple(beacon)
            self.server_ids[vendor.id] = tuple(server)

    def from_params(self, vendor: str, params: dict[str, str]) -> tuple[tuple[str, str], ...]:
        found: dict[str, str] = {}
        for param, cookie in self.beacon_ids.get(vendor, ()):
            value = params.get(param)
            if value and cookie not in found:
                found[cookie] = value
        return tuple(found.items())

    def from_body(self, vendor: str, *scopes) -> tuple[tuple[str, str], ...]:
        """Identity values at the catalog's server fields, looked up in each scope in turn."""
        found: dict[str, str] = {}
        for path, cookie in self.server_ids.get(vendor, ()):
            for scope in scopes:
                value = _dig(scope, path)
                if value not in (None, "") and isinstance(value, (str, int, float)):
                    found[cookie] = str(value)
                    break
        return tuple(found.items())


# --- detection ----------------------------------------------------------------------------

_ACCESS = re.compile(r'^(?:(?P<vhost>\S+) )?\S+ \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<target>\S+)[^"]*" '
                     r'(?P<status>\d{3}) \S+(?: "(?P<referer>[^"]*)")?')
_HAR_LOG = re.compile(r'"log"\s*:\s*\{')
_HAR_ENTRIES = re.compile(r'"entries"\s*:\s*\[')
_SKIP_SEPARATORS = re.compile(r"[\s,]*")
_WRAPPER_BODY = ("body", "payload", "request_body", "json")
_WRAPPER_TIME = ("ts", "time", "timestamp", "received_at", "@timestamp", "startedDateTime")
_INVENTORY_MESSAGE = ("is an inventory: its events carry no timestamps; give the crawl's HAR "
                      "(Playwright record_har_path) or a beacon log instead")


def _server_body(obj: dict) -> bool:
    return (isinstance(obj.get("data"), list) or isinstance(obj.get("events"), list)
            or ("event" in obj and ("pixel_code" in obj or "context" in obj))
            or any(isinstance(obj.get(key), (dict, str)) for key in _WRAPPER_BODY))


def _json_line_format(obj) -> str:
    if not isinstance(obj, dict):
        return "jsonl"
    if "log" in obj:
        return "har"
    if "schema_version" in obj and "pixels" in obj:
        return "inventory"
    if {"ts", "vendor", "event"} <= obj.keys():
        return "jsonl"
    if "url" in obj:
        return "beacons"
    return "server" if _server_body(obj) else "jsonl"


def detect_format(path: str, head: str) -> str:
    """The adapter for a file, from its name and its first bytes."""
    name = path.lower().removesuffix(".gz")
    if name.endswith(".har"):
        return "har"
    if name.endswith((".csv", ".tsv")):
        return "csv"
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    if first.startswith(("{", "[")):
        try:
            kind = _json_line_format(json.loads(first))
        except ValueError:  # one JSON document over many lines, or a bad first line
            kind = ("har" if _HAR_LOG.search(head) else
                    "inventory" if '"schema_version"' in head and '"pixels"' in head else "jsonl")
        if kind == "inventory":
            raise InputError(f"{path} {_INVENTORY_MESSAGE}")
        return kind
    if _ACCESS.match(first):
        return "access"
    if any(sep in first for sep in ",;\t"):
        return "csv"
    raise InputError(f"{path}: cannot tell its format; name it with --client-format/--server-format")


def _open(path: str):
    try:
        raw = gzip.open(path, "rb") if path.lower().endswith(".gz") else open(path, "rb")
        return io.BufferedReader(raw, buffer_size=_HEAD_BYTES * 4) if isinstance(raw, gzip.GzipFile) else raw
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


# --- the reader -----------------------------------------------------------------------------

class InputFile:
    """One input file of one side: opened (and its format found) on construction, streamed
    once by records(); the counters it keeps become summary()."""

    def __init__(self, path: str, side: str, catalog: Catalog, fmt: str = "auto",
                 column_map: tuple[tuple[str, str], ...] = (), base_url: str | None = None):
        self.path, self.side, self.catalog = path, side, catalog
        self.fields = _VendorFields(catalog)
        self.column_map, self.base_url = column_map, base_url
        self._raw = _open(path)
        try:
            head = self._raw.peek(_HEAD_BYTES)[:_HEAD_BYTES].decode("utf-8", "replace").lstrip("\ufeff")
            self.format = detect_format(path, head) if fmt == "auto" else fmt
        except (OSError, EOFError, zlib.error) as exc:
            self._raw.close()
            raise InputError(f"cannot read {path}: {exc}") from None
        except InputError:
            self._raw.close()
            raise
        self.records_read = self.bad_lines = self.skipped = self.out_of_order = 0
        self._first_bad: list[BadLine] = []
        self._latest = float("-inf")

    def close(self) -> None:
        self._raw.close()

    def summary(self) -> InputSummary:
        return InputSummary(self.path, self.side, self.format, self.records_read, self.bad_lines,
                            tuple(self._first_bad), self.skipped, self.out_of_order)

    def _bad(self, line: int, reason: str) -> None:
        self.bad_lines += 1
        if len(self._first_bad) < BAD_LINES_KEPT:
            self._first_bad.append(BadLine(line, reason))

    def records(self) -> Iterator[Record]:
        adapter = {"jsonl": self._jsonl, "beacons": self._beacon_log, "har": self._har,
                   "server": self._server_bodies, "access": self._access_log, "csv": self._csv}[self.format]
        text = io.TextIOWrapper(self._raw, encoding="utf-8-sig", errors="replace", newline=None)
        latest, slack = self._latest, OUT_OF_ORDER_SLACK
        try:
            for record in adapter(text):
                self.records_read += 1
                if record.ts < latest - slack:
                    self.out_of_order += 1
                elif record.ts > latest:
                    latest = record.ts
                yield record
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"cannot read {self.path}: {exc}") from None
        finally:
            self._latest = latest
            text.close()

    def _mine(self, side: str) -> bool:
        if side == self.side:
            return True
        self.skipped += 1
        return False

    # JSON Lines records ------------------------------------------------------------------
    def _record(self, obj) -> Record:
        """A record from its JSON object; the common case (plain strings) is checked inline
        because this runs for every line."""
        if type(obj) is not dict:
            raise BadValue("not an object")
        side = obj.get("side") or self.side
        if side != CLIENT and side != SERVER:
            raise BadValue(f"bad side {side!r}")
        vendor = obj.get("vendor")
        if type(vendor) is not str or vendor not in self.catalog.by_id:
            vendor = _text(vendor, "vendor")
            if vendor not in self.catalog.by_id:
                raise BadValue(f"unknown vendor {vendor!r}")
        event, event_id, page = obj.get("event"), obj.get("event_id"), obj.get("page")
        if type(event) is not str or not event:
            event = _text(event, "event")
        if event_id is not None and (type(event_id) is not str or not event_id):
            event_id = _text(event_id, "event_id", required=False)
        if page is not None and (type(page) is not str or not page):
            page = _text(page, "page", required=False)
        raw_ids = obj.get("ids")
        ids = tuple(raw_ids.items()) if type(raw_ids) is dict else ()
        for _, value in ids:
            if type(value) is not str or not value:
                ids = _ids(raw_ids)
                break
        else:
            if raw_ids and type(raw_ids) is not dict:
                raise BadValue("ids is not an object")
        return Record(parse_time(obj.get("ts")), side, vendor, event, event_id, ids, page)

    def _json_lines(self, text, read: Callable[[dict], list[Record]]) -> Iterator[Record]:
        """Records `read` makes of each JSON object line; a bad line is counted, never fatal."""
        decode = json.JSONDecoder().decode
        for number, line in enumerate(text, 1):
            if not line.strip():
                continue
            try:
                obj = decode(line)
                if not isinstance(obj, dict):
                    raise BadValue("not an object")
                records = read(obj)
            except BadValue as exc:
                self._bad(number, str(exc))
                continue
            except ValueError:
                self._bad(number, "not JSON")
                continue
            yield from records

    def _jsonl(self, text) -> Iterator[Record]:
        return (r for r in self._json_lines(text, lambda obj: [self._record(obj)]) if self._mine(r.side))

    # beacons: HAR and beacon logs --------------------------------------------------------
    def _beacons(self, url: str, body: str | None, ts: float, page: str | None) -> Iterator[Record]:
        for body_params in _body_parts(body):
            found = match_beacon(url, self.catalog, body_params)
            if found is None:
                self.skipped += 1
                return
            params: dict[str, str] = {}
            for key, value in query_params(url) + list(body_params):
                params.setdefault(key, value)
            event_id = next((params[name] for name in _DEDUPE_PARAMS if params.get(name)), None)
            yield Record(ts, self.side, found.vendor, found.event or "(unnamed)", event_id,
                         self.fields.from_params(found.vendor, params), page)

    def _beacon_log(self, text) -> Iterator[Record]:
        def read(obj: dict) -> list[Record]:
            url = _text(obj.get("url"), "url")
            ts = parse_time(next((obj[key] for key in _WRAPPER_TIME if key in obj), None))
            body = obj.get("body", obj.get("post_data", obj.get("postData")))
            return list(self._beacons(url, body if isinstance(body, str) else None, ts,
                                      _text(obj.get("page"), "page", required=False)))

        return self._json_lines(text, read)

    def _har_entries(self, text) -> Iterator[tuple[int, dict]]:
        """(line, entry) for each of log.entries, parsed one entry at a time so a HAR of any
        size streams in bounded memory."""
        decoder = json.JSONDecoder()
        buffer, pos, line, eof = "", 0, 1, False

        def more() -> bool:
            nonlocal buffer, pos, eof
            chunk = text.read(_HAR_CHUNK)
            if not chunk:
                eof = True
                return False
            buffer = buffer[pos:] + chunk
            pos = 0
            return True

        while True:
            found = _HAR_ENTRIES.search(buffer, pos)
            if found:
                line += buffer.count("\n", pos, found.end())
                pos = found.end()
                break
            keep = max(pos, len(buffer) - 64)  # the key may straddle two chunks
            line += buffer.count("\n", pos, keep)
            pos = keep
            if not more():
                raise InputError(f"{self.path}: not a HAR file (no log.entries)")
        while True:
            skip = _SKIP_SEPARATORS.match(buffer, pos)
            line += buffer.count("\n", pos, skip.end())
            pos = skip.end()
            if pos >= len(buffer):
                if more():
                    continue
                self._bad(line, "HAR ends inside log.entries")
                return
            if buffer[pos] == "]":
                return
            try:
                entry, end = decoder.raw_decode(buffer, pos)
            except ValueError:
                if not eof and len(buffer) - pos < _HAR_MAX_ENTRY and more():
                    continue
                self._bad(line, "broken HAR entry; the rest of the file is not read")
                return
            yield line, entry
            line += buffer.count("\n", pos, end)
            pos = end
            if pos > _HAR_CHUNK:
                buffer, pos = buffer[pos:], 0

    def _har(self, text) -> Iterator[Record]:
        for number, entry in self._har_entries(text):
            try:
                request = entry.get("request") if isinstance(entry, dict) else None
                if not isinstance(request, dict):
                    raise BadValue("entry without request")
                url = _text(request.get("url"), "request.url")
                ts = parse_time(entry.get("startedDateTime"))
                post = request.get("postData") or {}
                body = post.get("text") if isinstance(post, dict) else None
                if not body and isinstance(post, dict) and isinstance(post.get("params"), list):
                    body = "&".join(f"{p.get('name')}={p.get('value', '')}" for p in post["params"]
                                    if isinstance(p, dict))
                referer = next((h.get("value") for h in request.get("headers") or ()
                                if isinstance(h, dict) and str(h.get("name", "")).lower() == "referer"), None)
                records = list(self._beacons(url, body, ts, referer))
            except BadValue as exc:
                self._bad(number, str(exc))
                continue
            yield from records

    # server request bodies ---------------------------------------------------------------
    def _body_records(self, body: dict, fallback_ts) -> Iterator[Record]:
        def when(*values) -> float:
            value = next((v for v in values if v not in (None, "")), None)
            if value is None:
                raise BadValue("no event time")
            return parse_time(value)

        fields = self.fields
        if isinstance(body.get("data"), list):  # Meta CAPI, TikTok Events API v1.3
            for item in body["data"]:
                if not isinstance(item, dict):
                    raise BadValue("data item is not an object")
                if "event_name" in item:
                    yield Record(when(item.get("event_time"), fallback_ts), self.side, "meta",
                                 _text(item["event_name"], "event_name"),
                                 _text(item.get("event_id"), "event_id", required=False),
                                 fields.from_body("meta", item, body),
                                 _text(item.get("event_source_url"), "event_source_url", required=False))
                elif "event" in item:
                    page = item.get("page")
                    yield Record(when(item.get("event_time"), item.get("timestamp"), fallback_ts), self.side,
                                 "tiktok", _text(item["event"], "event"),
                                 _text(item.get("event_id"), "event_id", required=False),
                                 fields.from_body("tiktok", item, body),
                                 _text(page.get("url"), "page.url", required=False) if isinstance(page, dict) else None)
                else:
                    raise BadValue("data item without event_name or event")
        elif isinstance(body.get("events"), list):  # GA4 Measurement Protocol
            for event in body["events"]:
                if not isinstance(event, dict):
                    raise BadValue("event is not an object")
                params = event.get("params") if isinstance(event.get("params"), dict) else {}
                yield Record(when(event.get("timestamp_micros"), body.get("timestamp_micros"), fallback_ts),
                             self.side, "ga4", _text(event.get("name"), "event name"),
                             _text(params.get("transaction_id") or params.get("event_id"), "event_id",
                                   required=False),
                             fields.from_body("ga4", event, body),
                             _text(params.get("page_location"), "page_location", required=False))
        elif "event" in body:  # TikTok Events API v1.2: one event per body
            context = body.get("context") if isinstance(body.get("context"), dict) else {}
            page = context.get("page")
            yield Record(when(body.get("timestamp"), body.get("event_time"), fallback_ts), self.side, "tiktok",
                         _text(body["event"], "event"), _text(body.get("event_id"), "event_id", required=False),
                         fields.from_body("tiktok", body, context),
                         _text(page.get("url"), "page.url", required=False) if isinstance(page, dict) else None)
        else:
            raise BadValue("not a Meta CAPI, GA4 MP or TikTok Events API body")

    def _server_bodies(self, text) -> Iterator[Record]:
        def read(obj: dict) -> list[Record]:
            body, fallback_ts = obj, None
            wrapped = next((obj[key] for key in _WRAPPER_BODY if key in obj), None)
            if wrapped is not None:
                body = json.loads(wrapped) if isinstance(wrapped, str) else wrapped
                if not isinstance(body, dict):
                    raise BadValue("body is not an object")
                fallback_ts = next((obj[key] for key in _WRAPPER_TIME if key in obj), None)
            records = list(self._body_records(body, fallback_ts))
            if not records:
                raise BadValue("no events in body")
            return records

        return self._json_lines(text, read)

    # access logs ---------------------------------------------------------------------------
    def _access_log(self, text) -> Iterator[Record]:
        for number, line in enumerate(text, 1):
            if not line.strip():
                continue
            found = _ACCESS.match(line)
            if not found:
                self._bad(number, "not an access log line")
                continue
            target = found["target"]
            if "://" not in target:
                base = self.base_url or (f"https://{found['vhost'].rsplit(':', 1)[0]}" if found["vhost"] else None)
                if base is None:
                    self.skipped += 1
                    continue
                target = urljoin(base, target)
            try:
                ts = _clf_time(found["time"])
            except BadValue as exc:
                self._bad(number, str(exc))
                continue
            referer = found["referer"]
            yield from self._beacons(target, None, ts, referer if referer and referer != "-" else None)

    # CSV exports -----------------------------------------------------------------------------
    def _columns(self, header: list[str]) -> tuple[dict[str, int], tuple[tuple[str, int], ...]]:
        """Field -> column index, and (cookie, column index) for identity columns."""
        index = {name.strip(): i for i, name in enumerate(header)}
        fields = {name: index[name] for name in RECORD_FIELDS if name in index}
        ids = {name[4:]: i for name, i in index.items() if name.startswith("ids.")}
        ids.update({name: i for name, i in index.items()
                    if name not in ids and self.catalog.cookie_spec(name) is not None and not name.startswith("ids.")})
        for field, column in self.column_map:
            if column not in index:
                raise InputError(f"{self.path}: no column {column!r} for --map {field}={column}")
            if field.startswith("ids."):
                ids[field[4:]] = index[column]
            else:
                fields[field] = index[column]
        for required in ("ts", "vendor", "event"):
            if required not in fields:
                raise InputError(f"{self.path}: no column for {required} (use --map {required}=COLUMN)")
        return fields, tuple(ids.items())

    def _csv(self, text) -> Iterator[Record]:
        first = text.readline()
        delimiter = max(",;\t", key=first.count)
        header = next(csv.reader([first], delimiter=delimiter), [])
        fields, id_columns = self._columns(header)
        ts_at, vendor_at, event_at = fields["ts"], fields["vendor"], fields["event"]
        side_at, event_id_at, page_at = fields.get("side"), fields.get("event_id"), fields.get("page")
        reader = csv.reader(text, delimiter=delimiter)
        width = len(header)
        for row in reader:
            number = reader.line_num + 1
            if not row:
                continue
            if len(row) != width:
                self._bad(number, f"{len(row)} columns, the header has {width}")
                continue
            try:
                side = row[side_at] if side_at is not None and row[side_at] else self.side
                if side not in SIDES:
                    raise BadValue(f"bad side {side!r}")
                vendor = row[vendor_at]
                if vendor not in self.catalog.by_id:
                    raise BadValue(f"unknown vendor {vendor!r}")
                record = Record(parse_time(row[ts_at]), side, vendor, _text(row[event_at], "event"),
                                row[event_id_at] or None if event_id_at is not None else None,
                                tuple((cookie, row[i]) for cookie, i in id_columns if row[i]),
                                row[page_at] or None if page_at is not None else None)
            except BadValue as exc:
                self._bad(number, str(exc))
                continue
            if self._mine(side):
                yield record


_MONTHS = {name: i for i, name in enumerate(calendar.month_abbr) if name}


def _clf_time(text: str) -> float:
    """Access-log time: `10/Mar/2026:02:01:07 +0000` (common log format) or ISO 8601."""
    try:
        seconds = calendar.timegm((int(text[7:11]), _MONTHS[text[3:6]], int(text[0:2]),
                                   int(text[12:14]), int(text[15:17]), int(text[18:20])))
        zone = text[21:26]
        offset = (int(zone[1:3]) * 3600 + int(zone[3:5]) * 60) * (-1 if zone[0] == "-" else 1)
        return seconds - offset
    except (KeyError, ValueError, IndexError):
        return parse_time(text)


def open_inputs(paths: Iterable[tuple[str, str, str]], catalog: Catalog, **options) -> list[InputFile]:
    """Open (path, side, format) inputs, closing those already open when one fails."""
    opened: list[InputFile] = []
    try:
        for path, side, fmt in paths:
            opened.append(InputFile(path, side, catalog, fmt, **options))
    except InputError:
        for item in opened:
            item.close()
        raise
    return opened
