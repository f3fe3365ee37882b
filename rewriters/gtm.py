"""A Google Tag Manager container export: pause the chosen vendors' tags.

Pixels a tag manager injects are not in the site's source; the export (Admin > Export
Container, JSON) is where they are. Each tag's vendors are read the way the scan reads
code: a Custom HTML tag's markup goes through the static scanner, a Custom Image tag's URL
through the catalog's beacon patterns, a built-in tag type names its vendor, and a template
tag is claimed when its name names the vendor and one of its fields holds an id in that
vendor's format. A tag whose vendors are all chosen gets `"paused": true`; the modified
export is written whole, ready to import. The conversion linker stays: it keeps the
first-party click-id cookie the server side needs.
"""
from __future__ import annotations

import json
import re

from scanner.catalog import Catalog
from scanner.catalog.match import looks_like_url, match_url
from scanner.model import EventFinding, PixelFinding
from scanner.static import scan_bytes
from rewriters.job import vendor_facts
from rewriters.result import Edit, Edits, Failure, Note, NoteKind, Removal, Skip

# Built-in tags that route by the id they hold (the Google tag: G- or AW-).
_ID_ROUTED = frozenset({"googtag"})
_CLICK_ID_TAGS = frozenset({"gclidw"})
_INDENT = re.compile(rb"\n( +)\S")


def _strings(value) -> list[str]:
    """Every string value in a tag's parameters (lists and maps included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def tag_vendors(tag: dict, catalog: Catalog) -> frozenset[str]:
    kind = str(tag.get("type", ""))
    parameters = {p.get("key"): p for p in tag.get("parameter", []) if isinstance(p, dict)}
    values = _strings(tag.get("parameter", []))
    if kind == "html" and "html" in parameters:
        markup = str(parameters["html"].get("value", ""))
        result = scan_bytes("gtm-tag.html", markup.encode("utf-8"), "html", catalog)
        return frozenset(f.vendor for f in result.findings if isinstance(f, (PixelFinding, EventFinding)))
    builtin = frozenset(vendor.id for vendor in catalog if kind in vendor.gtm_tag_types)
    if builtin:
        return builtin
    urls = {m.vendor for v in values if looks_like_url(v) for m in [match_url(v.strip(), catalog)] if m}
    if urls:
        return frozenset(urls)
    ids = {vendor.id for vendor in catalog for v in values
           if vendor.account_pattern is not None and vendor.account_pattern.search(v.strip())}
    if kind in _ID_ROUTED:
        return frozenset(ids)
    mentions = vendor_facts(catalog).mentions
    named = {vendor_id for vendor_id in ids if mentions[vendor_id].search(str(tag.get("name", "")))}
    return frozenset(named)


def pause_tags(name: str, raw: bytes, chosen: frozenset[str], catalog: Catalog):
    """Edits (one: the whole export rewritten) | Skip | Failure."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
        tags = data["containerVersion"].get("tag", [])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Failure(f"{name}: not a JSON file ({exc})")
    except (KeyError, TypeError, AttributeError):
        return Failure(f"{name}: not a GTM container export (no containerVersion)")
    removals, notes = [], []
    for tag in tags if isinstance(tags, list) else []:
        if not isinstance(tag, dict):
            continue
        label = f"GTM tag {tag.get('name', tag.get('tagId', '?'))!r}"
        if tag.get("type") in _CLICK_ID_TAGS:
            notes.append(Note(name, 0, NoteKind.KEPT, None, label,
                              "the conversion linker keeps the click-id cookie the server side needs"))
            continue
        vendors = tag_vendors(tag, catalog)
        chosen_here = vendors & chosen
        if not chosen_here:
            continue
        if vendors - chosen:
            notes.append(Note(name, 0, NoteKind.MANUAL, sorted(chosen_here)[0], label,
                              f"also sends to {', '.join(sorted(vendors - chosen))}: split the tag by hand"))
            continue
        for vendor in sorted(chosen_here):
            removals.append(Removal(name, 0, vendor, f"{label} paused"))
        tag["paused"] = True
    if not removals:
        return Skip("no tag of the chosen vendors in the export", tuple(notes))
    indent = _INDENT.search(raw)
    text = json.dumps(data, indent=len(indent.group(1)) if indent else 4, ensure_ascii=False)
    new = text.encode("utf-8") + (b"\n" if raw.endswith(b"\n") else b"")
    edit = Edit(0, len(raw), new, raw.decode("utf-8", "replace"), ("tags paused",), tuple(sorted(
        {r.vendor for r in removals})))
    return Edits((edit,), tuple(removals), tuple(notes))
