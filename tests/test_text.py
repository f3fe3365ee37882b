"""Decoding and offset mapping: every Location must point at the bytes as stored."""
import codecs

import pytest

from scanner.sources.text import SourceText, decode


@pytest.mark.parametrize("raw, encoding, bom", [
    (b"plain ascii", "utf-8", 0),
    ("caf\u00e9 \u2603".encode("utf-8"), "utf-8", 0),
    (codecs.BOM_UTF8 + b"fbq()", "utf-8", 3),
    ("caf\u00e9".encode("latin-1"), "latin-1", 0),
    (b'<meta charset="windows-1252"><p>\x93quoted\x94</p>', "cp1252", 0),
    ("\ufeffhi".encode("utf-16-le"), "utf-16-le", 2),
])
def test_decode_picks_encoding(raw, encoding, bom):
    decoded = decode(raw)
    assert (decoded.encoding, decoded.bom) == (encoding, bom)


def test_undeclared_latin1_falls_back_with_a_note():
    decoded = decode(b"Caf\xe9 fbq('init','1')")
    assert decoded.text == "Caf\u00e9 fbq('init','1')"
    assert "latin-1" in decoded.note


@pytest.mark.parametrize("text, encoding, prefix", [
    ("\u00e9\u00e9 x = \u2603; fbq('track')", "utf-8", b""),
    ("\u00e9\u00e9 x = \u00e7; fbq('track')", "latin-1", b""),
    ("line1\r\n\u00e9\r\nfbq('track')", "utf-8", codecs.BOM_UTF8),
    ("ab\U0001F600cd fbq('track')", "utf-8", b""),
])
def test_location_maps_characters_to_stored_bytes(text, encoding, prefix):
    raw = prefix + text.encode(encoding)
    source, _ = SourceText.from_bytes("page.html", raw)
    start = source.text.index("fbq")
    loc = source.location(start, start + len("fbq('track')"))
    assert raw[loc.start:loc.end] == b"fbq('track')"
    line = source.text[:start].count("\n") + 1
    column = start - (source.text.rfind("\n", 0, start) + 1) + 1
    assert (loc.path, loc.line, loc.column) == ("page.html", line, column)


def test_offset_inside_a_non_ascii_run():
    source, _ = SourceText.from_bytes("a.js", "x\u00e9\u00e9\u00e9y".encode("utf-8"))
    assert [source.byte_offset(i) for i in range(6)] == [0, 1, 3, 5, 7, 8]


def test_offsets_across_a_long_text_match_the_stored_bytes():
    """The UTF-8 offset table steps in chunks: check every kind of position, chunk edges included."""
    pieces = ["\u00e9t\u00e9 \u20ac ", "\U0001F600", "a" * 4093, "\u2603\n", "b" * 8190, "\u00e7"]
    text = "".join(pieces * 3)
    raw = codecs.BOM_UTF8 + text.encode("utf-8")
    source, _ = SourceText.from_bytes("page.html", raw)
    for index in list(range(0, len(text) + 1, 997)) + [4095, 4096, 4097, 8192, len(text)]:
        assert source.byte_offset(index) == 3 + len(text[:index].encode("utf-8")), index
