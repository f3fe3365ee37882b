"""The CI gate: an inventory checked against a policy (deny, allow, baseline, fail-on).

Every active pixel and event location is one audit finding. A finding is new unless the
baseline inventory holds one with the same fingerprint; fingerprints leave out lines,
columns and whitespace, so moving or reformatting code does not make old pixels new.
"""
from __future__ import annotations

import enum
import hashlib
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from scanner.inventory import Event, Inventory, Pixel
from scanner.model import Location

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class FailOn(str, enum.Enum):
    NEW = "new"
    """Fail on in-scope findings the baseline does not have."""
    ANY = "any"
    """Fail on every in-scope finding, baseline or not."""
    NONE = "none"
    """Report only."""


class PolicyError(Exception):
    """A policy file or option the audit cannot use."""


@dataclass(frozen=True)
class Policy:
    deny: frozenset[str] = frozenset()
    """Vendors that must have no client pixel (after cutover). Empty with no allow: all vendors."""
    allow: frozenset[str] = frozenset()
    """Vendors that may stay; every other vendor is in scope."""
    fail_on: FailOn | None = None
    """None: NEW with a baseline, ANY without."""
    baseline: str | None = None

    def in_scope(self, vendor: str) -> bool:
        if vendor in self.allow:
            return False
        if self.deny:
            return vendor in self.deny
        return True

    def effective_fail_on(self, has_baseline: bool) -> FailOn:
        if self.fail_on is not None:
            return self.fail_on
        return FailOn.NEW if has_baseline else FailOn.ANY


@dataclass(frozen=True)
class AuditFinding:
    rule_id: str
    """Stable id: pixel.<vendor> or event.<vendor>."""
    vendor: str
    kind: str
    """"pixel" or "event"."""
    message: str
    location: Location | None
    fingerprint: str
    new: bool
    in_scope: bool
    violation: bool


@dataclass(frozen=True)
class AuditResult:
    findings: tuple[AuditFinding, ...]
    fail_on: FailOn
    policy: Policy
    has_baseline: bool

    @property
    def violations(self) -> tuple[AuditFinding, ...]:
        return tuple(f for f in self.findings if f.violation)


def _fingerprint(*parts: str | None) -> str:
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()[:20]


def _pixel_items(pixel: Pixel) -> list[tuple[str, str, Location | None]]:
    account = pixel.account_id or pixel.account_expr or "unknown account"
    message = f"{pixel.vendor} pixel ({account})"
    locations = pixel.locations or (None,)
    return [(_fingerprint("pixel", pixel.vendor, pixel.account_id, pixel.account_expr,
                          loc.path if loc else None), message, loc) for loc in locations]


def _event_items(event: Event) -> list[tuple[str, str, Location | None]]:
    trigger = event.trigger.kind.value + (f" on {event.trigger.selector}" if event.trigger.selector else "")
    message = f"{event.vendor} event {event.name!r} ({trigger})"
    params = ",".join(sorted(name for name, _ in event.params))
    locations = event.locations or (None,)
    return [(_fingerprint("event", event.vendor, event.account_id, event.name, event.trigger.kind.value, params,
                          loc.path if loc else None), message, loc) for loc in locations]


def _items(inventory: Inventory) -> list[tuple[str, str, str, str, Location | None]]:
    out = []
    for pixel in inventory.pixels:
        if pixel.active:
            out.extend(("pixel", pixel.vendor, fp, msg, loc) for fp, msg, loc in _pixel_items(pixel))
    for event in inventory.events:
        if event.active:
            out.extend(("event", event.vendor, fp, msg, loc) for fp, msg, loc in _event_items(event))
    return out


def audit(inventory: Inventory, policy: Policy, baseline: Inventory | None = None) -> AuditResult:
    fail_on = policy.effective_fail_on(baseline is not None)
    # A fingerprint may stand several times (the same call in two places of one file): only
    # occurrences beyond the baseline's count are new.
    known = Counter(fp for _, _, fp, _, _ in _items(baseline)) if baseline is not None else Counter()
    findings = []
    for kind, vendor, fp, message, location in sorted(
            _items(inventory), key=lambda i: (i[4].path if i[4] else "", i[4].start if i[4] else 0, i[2])):
        new = known[fp] <= 0
        known[fp] -= 1
        in_scope = policy.in_scope(vendor)
        violation = in_scope and (fail_on == FailOn.ANY or (fail_on == FailOn.NEW and new))
        findings.append(AuditFinding(f"{kind}.{vendor}", vendor, kind, message, location, fp, new, in_scope,
                                     violation))
    return AuditResult(tuple(findings), fail_on, policy, baseline is not None)


def load_policy_file(directory: Path) -> dict:
    """[tool.pixelmigrate] in pyproject.toml, or pixelmigrate.toml, found in the scanned
    directory or its parents; {} when neither exists."""
    for folder in [directory, *directory.parents]:
        for name, table in (("pixelmigrate.toml", None), ("pyproject.toml", ("tool", "pixelmigrate"))):
            path = folder / name
            if not path.is_file():
                continue
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise PolicyError(f"{path}: {exc}") from None
            for key in table or ():
                data = data.get(key, {})
            if data or table is None:
                return _checked_policy(data, path)
    return {}


_POLICY_KEYS = {"deny": list, "allow": list, "baseline": str, "fail_on": str, "include": list, "exclude": list}


def _checked_policy(data: dict, path: Path) -> dict:
    for key, value in data.items():
        expected = _POLICY_KEYS.get(key)
        if expected is None:
            raise PolicyError(f"{path}: unknown policy key {key!r} (known: {', '.join(sorted(_POLICY_KEYS))})")
        if not isinstance(value, expected):
            raise PolicyError(f"{path}: {key} must be a {expected.__name__}")
    if "fail_on" in data and data["fail_on"] not in {f.value for f in FailOn}:
        raise PolicyError(f"{path}: fail_on must be one of new, any, none")
    if "baseline" in data:
        data = dict(data, baseline=str((path.parent / data["baseline"]).resolve()))
    return data
