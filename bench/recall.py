"""Recall of the static scanner against a hand-labelled corpus (not part of the test run).

    python bench/recall.py CORPUS_DIR -v        # CORPUS_DIR/truth.yaml lists files and their truth

The real-world corpus is third-party code and is kept outside the repository; the truth
format is described in its README (pixels, events with line and trigger, `none: true` for
files that must yield nothing, `absent` vendors that must not be reported).
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.catalog import default_catalog  # noqa: E402
from scanner.inventory import build_inventory  # noqa: E402
from scanner.sources.walk import kind_of  # noqa: E402
from scanner.static import scan_bytes  # noqa: E402


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


def _scan(path: Path, rel: str, catalog):
    """The file as `pixelmigrate scan` would read it: a type the walk skips yields nothing."""
    kind = kind_of(rel)
    results = [scan_bytes(rel, path.read_bytes(), kind, catalog)] if kind else []
    return build_inventory(results, catalog)


def evaluate(corpus: Path, entries: list[dict], verbose: bool) -> Counter:
    catalog = default_catalog()
    tally: Counter = Counter()
    for entry in entries:
        rel = entry["path"]
        inventory = _scan(corpus / rel, rel, catalog)
        pixels = [p for p in inventory.pixels]
        events = [e for e in inventory.events]
        if entry.get("none"):
            tally["negative_files"] += 1
            noise = [p for p in pixels if p.active] + [e for e in events if e.active]
            if noise:
                tally["negative_files_with_findings"] += 1
                if verbose:
                    print(f"FALSE POSITIVE {rel}: {[getattr(n, 'vendor') for n in noise]}")
        for absent in entry.get("absent") or ():
            tally["absent"] += 1
            # With an account_id, only that account is the trap (the vendor itself may be there).
            account = absent.get("account_id")
            if any(p.vendor == absent["vendor"] and p.active and account in (None, p.account_id) for p in pixels) or \
                    any(e.vendor == absent["vendor"] and e.active and account in (None, e.account_id) for e in events):
                tally["absent_reported"] += 1
                if verbose:
                    print(f"PRECISION TRAP {rel}: reported {absent['vendor']}")
        for truth in entry.get("pixels") or ():
            tally["pixels"] += 1
            same_vendor = [p for p in pixels if p.vendor == truth["vendor"]]
            want_id, want_expr = truth.get("account_id"), _norm(truth.get("account_expr"))
            exact = [p for p in same_vendor if (want_id and p.account_id == want_id)
                     or (want_expr and _norm(p.account_expr) == want_expr)
                     or (not want_id and not want_expr)]
            if same_vendor:
                tally["pixels_vendor_found"] += 1
            if exact:
                tally["pixels_found"] += 1
            elif verbose:
                got = [(p.account_id, p.account_expr) for p in same_vendor]
                print(f"MISSED PIXEL {rel}:{truth.get('line')} {truth['vendor']} "
                      f"{truth.get('account_id') or truth.get('account_expr')} (got {got})")
        for truth in entry.get("events") or ():
            if truth.get("implicit"):
                continue
            tally["events"] += 1
            line = truth.get("line")
            candidates = [e for e in events if e.vendor == truth["vendor"]
                          and (truth["name"] == "*" or e.name == str(truth["name"]))
                          and (line is None or any(abs(l.line - line) <= 1 for l in e.locations))]
            if not candidates:
                if verbose:
                    print(f"MISSED EVENT {rel}:{line} {truth['vendor']} {truth['name']} ({truth.get('trigger')})")
                continue
            tally["events_found"] += 1
            if any(e.trigger.kind.value == truth.get("trigger") for e in candidates):
                tally["triggers_right"] += 1
            elif verbose:
                print(f"WRONG TRIGGER {rel}:{line} {truth['vendor']} {truth['name']}: want {truth.get('trigger')}, "
                      f"got {sorted({e.trigger.kind.value for e in candidates})}")
    return tally


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.1f}%" if whole else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--truth", type=Path, default=None, help="default: CORPUS/truth.yaml")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args()
    entries = yaml.safe_load((args.truth or args.corpus / "truth.yaml").read_text())
    t = evaluate(args.corpus, entries, args.verbose)
    print(f"files: {len(entries)}")
    print(f"pixels (vendor + account): {_share(t['pixels_found'], t['pixels'])}; "
          f"vendor only: {_share(t['pixels_vendor_found'], t['pixels'])}")
    print(f"events (vendor + name + line): {_share(t['events_found'], t['events'])}")
    print(f"trigger kind right, of events found: {_share(t['triggers_right'], t['events_found'])}")
    print(f"negative files with findings: {t['negative_files_with_findings']}/{t['negative_files']}; "
          f"precision traps reported: {t['absent_reported']}/{t['absent']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
