"""Payload paths of the catalog (`data[].user_data.fbp`) applied to example payloads.

A path is dotted; `name[]` is the first element of an array (the one event of an example),
`name[key=value]` the element whose key has that value (LinkedIn's userIds), and a leading
`[]` means the payload itself is an array (Mixpanel's import body).
"""
from __future__ import annotations

import re

_SEGMENT = re.compile(r"([^.\[\]]*)(?:\[([^\]]*)\])?")
HEADER_PREFIX = "header "


class PathError(ValueError):
    """A catalog path that does not fit the payload it is applied to."""


def _segments(path: str) -> list[tuple[str, str | None]]:
    out = []
    for part in path.split("."):
        m = _SEGMENT.fullmatch(part)
        if m is None or not (m.group(1) or m.group(2) is not None):
            raise PathError(f"bad payload path {path!r}")
        out.append((m.group(1), m.group(2)))
    return out


def _find(items: list, selector: str):
    if not selector:
        return items[0] if items else None
    key, _, wanted = selector.partition("=")
    return next((item for item in items if isinstance(item, dict) and item.get(key) == wanted), None)


def _element(items: list, selector: str) -> dict:
    found = _find(items, selector)
    if found is None:
        key, _, wanted = selector.partition("=")
        found = {key: wanted} if selector else {}
        items.append(found)
    return found


def set_path(root, path: str, value) -> None:
    """Set `path` in `root` (a dict or, for a leading [], a list), creating what is missing."""
    node = root
    segments = _segments(path)
    for i, (key, selector) in enumerate(segments):
        last = i == len(segments) - 1
        if key:
            if not isinstance(node, dict):
                raise PathError(f"{path!r}: {key!r} is not inside an object")
            if selector is None:
                if last:
                    node[key] = value
                    return
                node = node.setdefault(key, {})
                continue
            node = node.setdefault(key, [])
        if not isinstance(node, list):
            raise PathError(f"{path!r}: {key or 'the payload'} is not an array")
        if last:
            raise PathError(f"{path!r} ends in an array element")
        node = _element(node, selector or "")


def has_path(root, path: str) -> bool:
    node = root
    for key, selector in _segments(path):
        if key:
            if not isinstance(node, dict) or key not in node:
                return False
            node = node[key]
        if selector is not None:
            node = _find(node, selector) if isinstance(node, list) else None
            if node is None:
                return False
    return True
