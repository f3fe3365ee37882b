"""The strip's summary for people (stderr): per vendor and file, what was removed, what was
kept and why, what is left for manual work and where to do it."""
from __future__ import annotations

from collections import defaultdict

from rewriters.plan import StripPlan
from rewriters.result import Edits, NoteKind

_MAX_ITEMS = 8


def _items(entries: list[str]) -> str:
    shown = entries[:_MAX_ITEMS]
    more = len(entries) - len(shown)
    return ", ".join(shown) + (f", +{more} more" if more else "")


def format_strip_summary(plan: StripPlan) -> str:
    removed: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for change in plan.changes:
        for removal in change.removals:
            dead = "" if removal.active else ", commented out"
            removed[removal.vendor][change.path].append(f"{removal.what} (line {removal.line}{dead})")
    if plan.gtm is not None and isinstance(plan.gtm.result, Edits):
        for removal in plan.gtm.result.removals:
            removed[removal.vendor][removal.path].append(removal.what)
    notes = defaultdict(lambda: defaultdict(list))
    for note in plan.all_notes():
        notes[note.vendor or ""][note.path].append(note)
    chosen = ", ".join(plan.chosen) if len(plan.chosen) <= _MAX_ITEMS else f"{len(plan.chosen)} vendors"
    lines = [f"strip {chosen}: {len(plan.changes)} files changed, {len(plan.left_out)} left out"]
    for vendor in sorted(set(removed) | {v for v in notes if v} | {e.vendor for e in plan.elsewhere}):
        lines.append(vendor)
        for path in sorted(set(removed[vendor]) | set(notes[vendor])):
            if removed[vendor][path]:
                lines.append(f"  {path}: removed {len(removed[vendor][path])}: {_items(removed[vendor][path])}")
            for note in sorted(notes[vendor][path]):
                where = f" (line {note.line})" if note.line else ""
                lines.append(f"  {path}: {_label(note.kind)} {note.what}{where}: {note.reason}")
        for item in plan.elsewhere:
            if item.vendor == vendor:
                state = "done in the GTM export" if item.resolved else "left for manual work"
                lines.append(f"  not in the source, {state}: {item.what}; {item.where}")
    for path, items in sorted(notes[""].items()):
        for note in sorted(items):
            where = f" (line {note.line})" if note.line else ""
            lines.append(f"  {path}: {_label(note.kind)} {note.what}{where}: {note.reason}")
    if plan.left_out:
        lines.append("left out of the patch (fix by hand, then run strip again):")
        lines += [f"  {item.path}: {item.reason}" for item in plan.left_out]
    if plan.gtm is not None and not isinstance(plan.gtm.result, Edits):
        lines.append(f"GTM export {plan.gtm.name}: {plan.gtm.result.reason}")
    lines.append("something of the chosen vendors remains: see above" if plan.remaining
                 else "nothing of the chosen vendors remains in the scanned source")
    return "\n".join(lines)


def _label(kind: NoteKind) -> str:
    return {NoteKind.KEPT: "kept", NoteKind.MANUAL: "left for manual work:", NoteKind.INFO: "note:"}[kind]
