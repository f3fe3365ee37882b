"""Audit results as SARIF 2.1.0, so code scanning annotates the lines.

Rule metadata (one rule per vendor and finding kind) is kept apart from the results, as
bandit does; the fingerprint lets code scanning follow a finding across commits.
"""
from __future__ import annotations

import json

from scanner.audit import AuditResult
from scanner.catalog import Catalog

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URI = "https://github.com/pixelmigrate/pixelmigrate"


def _rule(rule_id: str, catalog: Catalog) -> dict:
    kind, vendor_id = rule_id.split(".", 1)
    vendor = catalog.by_id.get(vendor_id)
    name = vendor.name if vendor else vendor_id
    server = (vendor.server_side.api if vendor and vendor.server_side.available
              else "no server-side equivalent: keep client-side or drop")
    what = "loads or configures" if kind == "pixel" else "sends an event through"
    return {
        "id": rule_id,
        "name": f"{kind.capitalize()}{''.join(p.capitalize() for p in vendor_id.split('_'))}",
        "shortDescription": {"text": f"Client-side {name} {kind}"},
        "fullDescription": {"text": f"This code {what} the {name} client-side pixel."},
        "help": {"text": f"After cutover to server-side tracking ({server}) this client-side {kind} must go: "
                         f"the same event sent from both sides is counted twice. "
                         f"`pixelmigrate strip --vendor {vendor_id}` writes the removal patch."},
        "properties": {"tags": ["tracking", kind, vendor_id]},
    }


def format_sarif(result: AuditResult, catalog: Catalog, version: str) -> str:
    rule_ids = sorted({f.rule_id for f in result.findings if f.in_scope})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results = []
    for f in result.findings:
        if not f.in_scope:
            continue
        entry = {
            "ruleId": f.rule_id,
            "ruleIndex": index[f.rule_id],
            "level": "error" if f.violation else "note",
            "message": {"text": f.message},
            "partialFingerprints": {"pixelmigrate/v1": f.fingerprint},
        }
        if result.has_baseline:
            entry["baselineState"] = "new" if f.new else "unchanged"
        if f.location is not None and not f.location.path.startswith(("http://", "https://")):
            entry["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": f.location.path, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": f.location.line, "startColumn": f.location.column,
                           "byteOffset": f.location.start, "byteLength": f.location.end - f.location.start},
            }}]
        results.append(entry)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "pixelmigrate", "version": version, "informationUri": TOOL_URI,
                                "rules": [_rule(r, catalog) for r in rule_ids]}},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The scanned directory."}}},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
