"""Audit results as text for a CI log, and as JSON for scripts."""
from __future__ import annotations

import json

from scanner.audit import AuditResult


def _where(finding) -> str:
    loc = finding.location
    return f"{loc.path}:{loc.line}:{loc.column}" if loc else "(no source location)"


def format_audit_text(result: AuditResult) -> str:
    lines = []
    for f in result.findings:
        if f.violation:
            lines.append(f"{_where(f)}: {f.rule_id}: {f.message}" + (" [new]" if result.has_baseline and f.new else ""))
    scope = sum(1 for f in result.findings if f.in_scope)
    new = sum(1 for f in result.findings if f.in_scope and f.new)
    summary = (f"audit: {len(result.violations)} violations; {len(result.findings)} pixel and event locations, "
               f"{scope} in scope" + (f", {new} not in the baseline" if result.has_baseline else "")
               + f" (fail-on {result.fail_on.value})")
    lines.append(summary)
    lines.append("audit: FAILED" if result.violations else "audit: passed")
    return "\n".join(lines) + "\n"


def format_audit_json(result: AuditResult) -> str:
    data = {
        "passed": not result.violations,
        "fail_on": result.fail_on.value,
        "policy": {"deny": sorted(result.policy.deny), "allow": sorted(result.policy.allow),
                   "baseline": result.policy.baseline},
        "violations": len(result.violations),
        "findings": [{
            "rule_id": f.rule_id, "vendor": f.vendor, "kind": f.kind, "message": f.message,
            "location": f.location.to_json() if f.location else None, "fingerprint": f.fingerprint,
            "new": f.new, "in_scope": f.in_scope, "violation": f.violation,
        } for f in result.findings],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
