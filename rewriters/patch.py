"""Unified diffs of bytes, as `git apply` and `patch -p1` read them.

The diff is computed on lines split after each b"\\n" (line ends stay part of their line, so
CRLF and a missing final newline survive), never on decoded text: a latin-1 or BOM file comes
back byte for byte. Paths get the `a/` and `b/` prefixes; the rollback is the same diff the
other way round.
"""
from __future__ import annotations

import difflib
import re

CONTEXT = 3
_NO_NEWLINE = b"\\ No newline at end of file\n"
# Paths git writes without quoting: anything else is C-quoted, as git does.
_PLAIN_PATH = re.compile(rb"[A-Za-z0-9._/@+,=-]+")


def split_lines(data: bytes) -> list[bytes]:
    """Lines ending after each LF (bytes.splitlines would also break on a lone CR)."""
    lines, pos = [], 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end + 1
        lines.append(data[pos:end])
        pos = end
    return lines


def _quoted(path: str) -> bytes:
    raw = path.encode("utf-8", "surrogateescape")
    if _PLAIN_PATH.fullmatch(raw):
        return raw
    escaped = raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\t", b"\\t").replace(b"\n", b"\\n")
    escaped = b"".join(bytes([c]) if 32 <= c < 127 else b"\\%03o" % c for c in escaped)
    return b'"' + escaped + b'"'


def _range(start: int, count: int) -> bytes:
    if count == 0:
        return b"%d,0" % start
    return b"%d" % (start + 1) if count == 1 else b"%d,%d" % (start + 1, count)


def _line(prefix: bytes, line: bytes) -> bytes:
    return prefix + line if line.endswith(b"\n") else prefix + line + b"\n" + _NO_NEWLINE


def unified_diff(path: str, old: bytes, new: bytes) -> bytes:
    """The diff turning old into new for path (relative, "/" separators); b"" when equal."""
    if old == new:
        return b""
    a, b = split_lines(old), split_lines(new)
    name_a, name_b = _quoted("a/" + path), _quoted("b/" + path)
    out = [b"diff --git " + name_a + b" " + name_b + b"\n", b"--- " + name_a + b"\n", b"+++ " + name_b + b"\n"]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT):
        first, last = group[0], group[-1]
        a_start, a_end, b_start, b_end = first[1], last[2], first[3], last[4]
        out.append(b"@@ -" + _range(a_start, a_end - a_start) + b" +" + _range(b_start, b_end - b_start) + b" @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [_line(b" ", line) for line in a[i1:i2]]
                continue
            out += [_line(b"-", line) for line in a[i1:i2]]
            out += [_line(b"+", line) for line in b[j1:j2]]
    return b"".join(out)


def tree_patch(changes) -> bytes:
    """One patch for (path, old, new) triples, in path order."""
    return b"".join(unified_diff(path, old, new) for path, old, new in sorted(changes))
