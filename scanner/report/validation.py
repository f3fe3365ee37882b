"""Validation results as text for a terminal, JSON for scripts, a Markdown section for the
runbook, and an hourly SVG plot of the live volume against the same hours a week before."""
from __future__ import annotations

import dataclasses
import html
import json
import math
from datetime import datetime

from scanner.validate.checks import (FAIL, NOISE_SIGMAS, PASS, CheckResult, ContinuityDetails, DuplicateDetails, IdentityDetails,
                                     Overlap, Validation, VolumeDetails)
from scanner.validate.records import InputSummary

ROWS_SHOWN = 12
"""Detail rows per check in text and Markdown: failing rows first. JSON has all of them."""


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(value):
    """A result record as JSON values: dataclasses to objects, times to ISO 8601 UTC."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    return value


def format_validation_json(result: Validation) -> str:
    data = {
        "status": PASS if result.passed else FAIL,
        "checks": [{"name": c.name, "status": c.status, "reason": c.reason, "details": _plain(c.details)}
                   for c in result.checks],
        "window": _plain(result.window),
        "bad_lines": sum(item.bad_lines for item in result.inputs),
        "inputs": [_plain(item) for item in result.inputs],
        "totals": [_plain(total) for total in result.totals],
        "hourly": [_plain(point) for point in result.hourly],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --- shared wording -------------------------------------------------------------------------

def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


def _change(change: float | None) -> str:
    return "new" if change is None else f"{change * 100:+.0f}%"


def _overlap(overlap: Overlap | None) -> str:
    if overlap is None:
        return "none"
    return f"{overlap.pairs} events, {_iso(overlap.first)} to {_iso(overlap.last)} ({overlap.hours:g} h)"


def _input_line(item: InputSummary) -> str:
    text = f"{item.side}: {item.path} ({item.format}): {item.records} records"
    if item.bad_lines:
        shown = "; ".join(f"line {bad.line}: {bad.reason}" for bad in item.first_bad)
        text += f", {item.bad_lines} bad lines ({shown}{'; ...' if item.bad_lines > len(item.first_bad) else ''})"
    if item.skipped:
        text += f", {item.skipped} skipped (not events of this side)"
    if item.out_of_order:
        text += f", {item.out_of_order} out of time order (pairing and gaps assume time order)"
    return text


def _table_rows(check: CheckResult) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a check's details, failing rows first, cut to ROWS_SHOWN. The first
    two columns hold names from the logs (vendor, event or cookie)."""
    details = check.details
    if isinstance(details, VolumeDetails):
        rows = sorted(details.rows, key=lambda r: (r.status != FAIL, r.vendor, r.event))
        return (["vendor", "event", "week before", "after", "change", "allowed ±", "dispersion", "status"],
                [[r.vendor, r.event, f"{r.week_before:g}", str(r.after), _change(r.change), f"{r.allowed:g}",
                  f"{r.dispersion:g}", r.status] for r in rows[:ROWS_SHOWN]])
    if isinstance(details, IdentityDetails):
        rows = sorted(details.rows, key=lambda r: (r.status != FAIL, r.vendor, r.cookie))
        return (["vendor", "cookie", "expected", "observed", "lowest pass", "server ids", "known", "unknown",
                 "new format", "status"],
                [[r.vendor, r.cookie, _pct(r.expected_share), _pct(r.observed_share), _pct(r.lowest_passing_share),
                  str(r.server_ids), str(r.known), str(r.unknown),
                  str(r.new_format) + (f" ({', '.join(r.new_shapes)})" if r.new_shapes else ""), r.status]
                 for r in rows[:ROWS_SHOWN]])
    if isinstance(details, DuplicateDetails):
        rows = sorted(details.rows, key=lambda r: (-r.live_pairs, r.vendor, r.event))
        return (["vendor", "event", "debug", "grace", "live", "by event id", "by identity"],
                [[r.vendor, r.event, str(r.debug_pairs), str(r.grace_pairs), str(r.live_pairs), str(r.by_event_id),
                  str(r.by_identity)] for r in rows[:ROWS_SHOWN]])
    assert isinstance(details, ContinuityDetails)
    rows = sorted(details.rows, key=lambda r: (r.status != FAIL, r.vendor))
    return (["vendor", "empty hours", "largest gap", "gap from", "week before", "status"],
            [[r.vendor, ", ".join(h.strftime("%H:00") for h in r.empty_hours) or "none",
              f"{r.largest_gap_minutes:g} min", _iso(r.gap_start) if r.gap_start else "-",
              "-" if r.week_before_gap_minutes is None else f"{r.week_before_gap_minutes:g} min", r.status]
             for r in rows[:ROWS_SHOWN]])


def _notes(check: CheckResult) -> list[str]:
    details = check.details
    if isinstance(details, DuplicateDetails):
        return [f"debug overlap before cutover: {_overlap(details.debug_overlap)}",
                f"overlap after cutover: {_overlap(details.after_overlap)}; {details.live_pairs} after the "
                f"{details.grace_minutes:g} min grace",
                f"within the grace: {details.grace_pairs} pairs; client events after "
                f"cutover: {details.client_events_after_cutover}; events without dedupe key or identity: "
                f"{details.unpairable}; pairing window {details.window_seconds:g} s"]
    if isinstance(details, IdentityDetails):
        return [f"expected share: client ids of {_iso(details.reference_start)} to {_iso(details.reference_end)} "
                f"seen earlier; tolerance {details.tolerance * 100:g}%"
                + ("; counts estimated from samples" if details.estimated else "")]
    if isinstance(details, VolumeDetails):
        note = (f"tolerance {details.tolerance * 100:g}%, or {NOISE_SIGMAS:g} standard deviations of counting noise "
                f"(widened by the dispersion) where that is larger")
        if details.empty_hours_left_to_continuity:
            note += f"; {details.empty_hours_left_to_continuity} empty vendor hours left to continuity"
        return [note]
    return [f"an hour fails when it is empty and the week before had at least {details.min_hourly} events"]


# --- text -------------------------------------------------------------------------------------

def _aligned(header: list[str], rows: list[list[str]], indent: str = "    ") -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    return [indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
            for row in [header, *rows]]


def format_validation_text(result: Validation) -> str:
    window = result.window
    lines = [f"validate: cutover {_iso(window.cutover)}; {window.hours} h after it (to {_iso(window.end)}) against "
             f"the same hours a week before"]
    for check in result.checks:
        lines.append(f"  {check.status.upper():4}  {check.name:<11} {check.reason}")
    for check in result.checks:
        header, rows = _table_rows(check)
        lines.append("")
        lines.append(f"{check.name}:")
        lines.extend(f"    {note}" for note in _notes(check))
        if rows:
            lines.extend(_aligned(header, rows))
    lines.append("")
    lines.append("inputs:")
    lines.extend(f"    {_input_line(item)}" for item in result.inputs)
    failed = [c.name for c in result.checks if c.status != PASS]
    lines.append("validate: " + (f"FAILED: {', '.join(failed)}" if failed else f"passed all {len(result.checks)} checks"))
    return "\n".join(lines) + "\n"


def summary_line(result: Validation) -> str:
    return format_validation_text(result).splitlines()[-1]


# --- Markdown ---------------------------------------------------------------------------------

def _cell(text: str, from_logs: bool) -> str:
    """A table cell; names from the logs go in code spans, so nothing in them renders."""
    clean = text.replace("|", "\\|").replace("\n", " ")
    return f"`{clean.replace('`', chr(39))}`" if from_logs else clean


def format_validation_markdown(result: Validation, plot: str | None = None) -> str:
    window = result.window
    mark = {PASS: "✅ pass", FAIL: "❌ fail"}
    out = ["## Migration validation", "",
           f"Cutover {_iso(window.cutover)}; {window.hours} h after it (to {_iso(window.end)}) compared with the "
           f"same hours a week before ({_iso(window.baseline_start)} to {_iso(window.baseline_end)}).", "",
           "| check | status | reason |", "|---|---|---|"]
    out += [f"| {c.name} | {mark[c.status]} | {c.reason.replace('|', '/')} |" for c in result.checks]
    if plot:
        out += ["", f"![Hourly live events against the same hours a week before]({plot})"]
    for check in result.checks:
        header, rows = _table_rows(check)
        out += ["", f"### {check.name}", ""]
        out += [f"- {note}" for note in _notes(check)]
        if rows:
            out += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            out += ["| " + " | ".join(_cell(cell, i < 2) for i, cell in enumerate(row)) + " |" for row in rows]
    out += ["", "### Inputs", ""] + [f"- {_input_line(item).replace('|', '/')}" for item in result.inputs]
    return "\n".join(out) + "\n"


# --- plot ---------------------------------------------------------------------------------------

def format_plot_svg(result: Validation, width: int = 760, height: int = 280) -> str:
    """Live events per hour (client before the cutover, server after) and the same hour a
    week before, with the cutover marked."""
    points = result.hourly
    left, right, top, bottom = 56, 16, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([p.live for p in points] + [p.week_before or 0 for p in points] + [1])
    step = plot_w / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return left + i * step

    def y(count: float) -> float:
        return top + plot_h * (1 - count / peak)

    def line(values, css: str) -> str:
        """One polyline per run of known values: hours the logs do not reach stay blank."""
        runs: list[list[str]] = [[]]
        for i, value in enumerate(values):
            if value is None:
                runs.append([])
            else:
                runs[-1].append(f"{x(i):.1f},{y(value):.1f}")
        runs = [run for run in runs if run]
        return "".join(f'<polyline class="{css}" points="{" ".join(r)}"/>' for r in runs)

    cut_index = next((i for i, p in enumerate(points) if p.offset == 0), 0)
    ticks = [i for i, p in enumerate(points) if p.offset % 6 == 0]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="11">',
        "<style>.live{fill:none;stroke:#1f6feb;stroke-width:2}.week{fill:none;stroke:#8b949e;stroke-width:1.5;"
        "stroke-dasharray:4 3}.axis{stroke:#57606a}.cut{stroke:#cf222e;stroke-dasharray:2 2}</style>",
        f'<text x="{left}" y="18" font-size="13">Live events per hour, cutover {html.escape(_iso(result.window.cutover))}</text>',
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"/>',
        f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    for i in ticks:
        parts.append(f'<line class="axis" x1="{x(i):.1f}" y1="{top + plot_h}" x2="{x(i):.1f}" y2="{top + plot_h + 4}"/>'
                     f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                     f'{points[i].start.strftime("%H:00")}</text>')
    parts += [
        f'<line class="cut" x1="{x(cut_index):.1f}" y1="{top}" x2="{x(cut_index):.1f}" y2="{top + plot_h}"/>',
        line([p.week_before for p in points], "week"),
        line([p.live for p in points], "live"),
        f'<line class="live" x1="{left + plot_w - 250}" y1="{height - 8}" x2="{left + plot_w - 230}" y2="{height - 8}"/>'
        f'<text x="{left + plot_w - 225}" y="{height - 4}">live</text>'
        f'<line class="week" x1="{left + plot_w - 180}" y1="{height - 8}" x2="{left + plot_w - 160}" y2="{height - 8}"/>'
        f'<text x="{left + plot_w - 155}" y="{height - 4}">same hour a week before</text>',
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
