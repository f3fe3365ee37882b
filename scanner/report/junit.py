"""Audit results as JUnit XML: one test case per in-scope vendor and finding kind."""
from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from scanner.audit import AuditResult


def format_junit(result: AuditResult) -> str:
    cases: dict[str, list] = defaultdict(list)
    for f in result.findings:
        if f.in_scope:
            cases[f.rule_id].append(f)
    failures = sum(1 for group in cases.values() if any(f.violation for f in group))
    suite = ET.Element("testsuite", name="pixelmigrate audit", tests=str(max(len(cases), 1)),
                       failures=str(failures), errors="0", skipped="0")
    if not cases:
        ET.SubElement(suite, "testcase", classname="pixelmigrate.audit", name="no client-side pixels in scope")
    for rule_id in sorted(cases):
        case = ET.SubElement(suite, "testcase", classname="pixelmigrate.audit", name=rule_id)
        violations = [f for f in cases[rule_id] if f.violation]
        if violations:
            failure = ET.SubElement(case, "failure", type=rule_id,
                                    message=f"{len(violations)} client-side {rule_id} location(s)")
            failure.text = "\n".join(
                (f"{f.location.path}:{f.location.line}: " if f.location else "") + f.message for f in violations)
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
