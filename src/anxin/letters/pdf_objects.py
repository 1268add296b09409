"""Reading the few objects of a letter PDF that signing changes, as raw byte slices.

The direct signature writer (:mod:`anxin.letters.pdf_update`) rewrites only the catalog,
one page, the AcroForm and reads the stamp font; it never needs the document's object
graph. pyHanko's reader builds that graph (object parsing, XMP metadata round-trip): in
the profile of ``bench/sign.py`` (B-T + B-LTA on a rendered letter, 16.8 ms a letter)
pyHanko's reader and incremental writer took ~11 ms of it. Here a dictionary is an
ordered mapping from its keys to the *raw bytes* of their values, so what is not changed
is written back byte for byte, and nothing is decoded that is not looked at.

Supported: classic cross-reference tables (what the renderer and pyHanko write), with a
``/Prev`` chain; objects of generation 0. Anything else (xref streams, object streams,
encryption, a value this lexer does not know) raises :class:`NotDirect`, and the caller
falls back to pyHanko's generic writer for that file.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

PdfDict = dict[bytes, bytes]
"""A dictionary: key name (``b"/Type"``) → the raw bytes of its value."""

_WS = b" \t\r\n\f\x00"
_DELIMS = b"()<>[]{}/%" + _WS
_REF = re.compile(rb"(\d+)\s+(\d+)\s+R")
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)")
_REF_TAIL = re.compile(rb"\s+(\d+)\s+R(?=[\s/<>\[\]()%]|$)")
_OBJ_HEAD = re.compile(rb"(\d+)\s+(\d+)\s+obj\b")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF_SUB = re.compile(rb"(\d+)\s+(\d+)\s*\r?\n")


class NotDirect(Exception):
    """This file is outside what the direct writer handles: use pyHanko's writer."""


def skip_ws(buf: bytes, pos: int) -> int:
    """The position of the next token (white space and comments skipped)."""
    n = len(buf)
    while pos < n:
        c = buf[pos]
        if c in _WS:
            pos += 1
        elif c == 0x25:  # % comment to end of line
            while pos < n and buf[pos] not in b"\r\n":
                pos += 1
        else:
            return pos
    return pos


def _skip_literal(buf: bytes, pos: int) -> int:
    depth, n = 0, len(buf)
    while pos < n:
        c = buf[pos]
        if c == 0x5C:  # backslash escapes the next byte
            pos += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    raise NotDirect("unterminated string")


def _skip_nested(buf: bytes, pos: int, tokens: re.Pattern[bytes], opening: bytes) -> int:
    """The end of the dictionary or array at ``pos``, found by counting its delimiters
    (strings skipped whole, so a bracket inside one does not count)."""
    depth = 0
    while True:
        match = tokens.search(buf, pos)
        if match is None:
            raise NotDirect("unterminated dictionary or array")
        token, pos = match.group(), match.end()
        if token == opening:
            depth += 1
        elif token in (b">>", b"]"):
            depth -= 1
            if depth == 0:
                return pos
        elif token == b"(":
            pos = _skip_literal(buf, match.start())
        elif token == b"<":
            pos = buf.index(b">", pos) + 1
        elif token == b"%":
            pos = buf.find(b"\n", pos)
            if pos < 0:
                raise NotDirect("unterminated comment")


_DICT_TOKENS = re.compile(rb"<<|>>|[(<%]")
_ARRAY_TOKENS = re.compile(rb"[\[\](%]")


def skip_value(buf: bytes, pos: int) -> int:
    """The end of the value starting at ``pos`` (an indirect reference is one value)."""
    c = buf[pos:pos + 1]
    if c == b"<":
        if buf[pos:pos + 2] == b"<<":
            return _skip_nested(buf, pos, _DICT_TOKENS, b"<<")
        end = buf.find(b">", pos)
        if end < 0:
            raise NotDirect("unterminated hex string")
        return end + 1
    if c == b"[":
        return _skip_nested(buf, pos, _ARRAY_TOKENS, b"[")
    if c == b"(":
        return _skip_literal(buf, pos)
    if c == b"/":
        end = pos + 1
        while end < len(buf) and buf[end] not in _DELIMS:
            end += 1
        return end
    number = _NUMBER.match(buf, pos)
    if number:
        ref = _REF_TAIL.match(buf, number.end())
        return ref.end() if ref and b"." not in number.group() else number.end()
    for word in (b"true", b"false", b"null"):
        if buf.startswith(word, pos):
            return pos + len(word)
    raise NotDirect(f"unknown token at {pos}: {buf[pos:pos + 12]!r}")


def parse_dict(buf: bytes, pos: int) -> tuple[PdfDict, int]:
    """The dictionary starting at ``pos`` (``<<``) and the position after its ``>>``."""
    if buf[pos:pos + 2] != b"<<":
        raise NotDirect("a dictionary was expected")
    out: PdfDict = {}
    pos = skip_ws(buf, pos + 2)
    while buf[pos:pos + 2] != b">>":
        if buf[pos:pos + 1] != b"/":
            raise NotDirect("a name key was expected")
        key_end = skip_value(buf, pos)
        start = skip_ws(buf, key_end)
        end = skip_value(buf, start)
        out[buf[pos:key_end]] = buf[start:end]
        pos = skip_ws(buf, end)
        if pos >= len(buf):
            raise NotDirect("unterminated dictionary")
    return out, pos + 2


def parse_array(buf: bytes, pos: int) -> tuple[list[bytes], int]:
    """The raw items of the array starting at ``pos`` (``[``), and the position after it."""
    if buf[pos:pos + 1] != b"[":
        raise NotDirect("an array was expected")
    items: list[bytes] = []
    pos = skip_ws(buf, pos + 1)
    while buf[pos:pos + 1] != b"]":
        if pos >= len(buf):
            raise NotDirect("unterminated array")
        end = skip_value(buf, pos)
        items.append(buf[pos:end])
        pos = skip_ws(buf, end)
    return items, pos + 1


def ref_number(raw: bytes) -> int:
    """The object number of the indirect reference ``raw`` (``b"12 0 R"``)."""
    match = _REF.fullmatch(raw)
    if not match or match.group(2) != b"0":
        raise NotDirect(f"an indirect reference was expected, not {raw[:20]!r}")
    return int(match.group(1))


def is_ref(raw: bytes) -> bool:
    return _REF.fullmatch(raw) is not None


def array_items(raw: bytes) -> list[bytes]:
    """The items of a direct array value."""
    return parse_array(raw, 0)[0]


def decode_text(raw: bytes) -> str:
    """A PDF string value (literal or hex; PDFDocEncoding read as Latin-1, or UTF-16BE)."""
    if raw.startswith(b"<"):
        data = bytes.fromhex(raw[1:-1].decode("ascii"))
    elif raw.startswith(b"("):
        data = _unescape(raw[1:-1])
    else:
        raise NotDirect("a string was expected")
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be")
    return data.decode("latin-1")


_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b",
            ord("f"): b"\f"}


def _unescape(body: bytes) -> bytes:
    out, i, n = bytearray(), 0, len(body)
    while i < n:
        c = body[i]
        if c != 0x5C:
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1] if i + 1 < n else 0
        octal = re.match(rb"[0-7]{1,3}", body[i + 1:i + 4])
        if octal:
            out.append(int(octal.group(), 8) & 0xFF)
            i += 1 + len(octal.group())
        elif nxt in b"\r\n":
            i += 3 if body[i + 1:i + 3] == b"\r\n" else 2
        else:
            out += _ESCAPES.get(nxt, bytes([nxt]))
            i += 2
    return bytes(out)


@dataclass
class PdfFile:
    """A PDF's newest trailer and the offsets of its objects (newest revision wins)."""

    data: bytes
    startxref: int
    trailer: PdfDict
    offsets: dict[int, int] = field(default_factory=dict)
    _parsed: dict[int, PdfDict] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.trailer[b"/Size"])

    def object_slice(self, number: int) -> tuple[int, int]:
        """Where object ``number``'s value starts in :attr:`data`, and where it ends."""
        start = self._value_start(number)
        return start, skip_value(self.data, start)

    def _value_start(self, number: int) -> int:
        offset = self.offsets.get(number, -1)
        if offset < 0:
            raise NotDirect(f"object {number} is not in a cross-reference table")
        head = _OBJ_HEAD.match(self.data, offset)
        if not head or int(head.group(1)) != number or head.group(2) != b"0":
            raise NotDirect(f"object {number} is not where the table says")
        return skip_ws(self.data, head.end())

    def dictionary(self, number: int) -> PdfDict:
        """Object ``number`` (a dictionary or a stream's), a copy the caller may change."""
        parsed = self._parsed.get(number)
        if parsed is None:
            parsed = self._parsed[number] = parse_dict(self.data, self._value_start(number))[0]
        return dict(parsed)

    def resolve_dict(self, raw: bytes) -> PdfDict:
        """A dictionary value, direct or through an indirect reference."""
        if is_ref(raw):
            return self.dictionary(ref_number(raw))
        return parse_dict(raw, 0)[0]

    def stream_data(self, number: int) -> bytes:
        """The decoded data of stream object ``number`` (unfiltered or FlateDecode)."""
        start, end = self.object_slice(number)
        header = parse_dict(self.data, start)[0]
        pos = skip_ws(self.data, end)
        if not self.data.startswith(b"stream", pos):
            raise NotDirect(f"object {number} is not a stream")
        pos += 6
        pos += 2 if self.data[pos:pos + 2] == b"\r\n" else 1
        length_raw = header.get(b"/Length", b"")
        if is_ref(length_raw):
            start_l, end_l = self.object_slice(ref_number(length_raw))
            length_raw = self.data[start_l:end_l]
        if not length_raw.isdigit():
            raise NotDirect("stream length unreadable")
        raw = self.data[pos:pos + int(length_raw)]
        filters = header.get(b"/Filter")
        if filters is None:
            return raw
        if filters in (b"/FlateDecode", b"[/FlateDecode]", b"[ /FlateDecode ]"):
            return zlib.decompress(raw)
        raise NotDirect(f"stream filter {filters!r} not handled")


def read_pdf(data: bytes) -> PdfFile:
    """The trailer and object offsets of ``data`` (classic xref tables only)."""
    tail = _STARTXREF.search(data, max(0, len(data) - 64))
    if not tail:
        raise NotDirect("no startxref at the end of the file")
    startxref = int(tail.group(1))
    pdf = PdfFile(data=data, startxref=startxref, trailer={})
    seen: set[int] = set()
    offset: int | None = startxref
    while offset is not None:
        if offset in seen or offset >= len(data):
            raise NotDirect("cross-reference chain loops or points outside the file")
        seen.add(offset)
        trailer = _read_xref_section(data, offset, pdf.offsets)
        if not pdf.trailer:
            pdf.trailer = trailer
        if b"/XRefStm" in trailer or b"/Encrypt" in trailer:
            raise NotDirect("hybrid or encrypted file")
        prev = trailer.get(b"/Prev")
        offset = int(prev) if prev is not None else None
    if b"/Root" not in pdf.trailer or b"/Size" not in pdf.trailer:
        raise NotDirect("trailer without /Root or /Size")
    return pdf


def _read_xref_section(data: bytes, offset: int, offsets: dict[int, int]) -> PdfDict:
    """Record the in-use entries of the table at ``offset`` (older entries do not override
    newer ones); return its trailer dictionary."""
    if not data.startswith(b"xref", offset):
        raise NotDirect("not a classic cross-reference table (an xref stream?)")
    pos = skip_ws(data, offset + 4)
    while not data.startswith(b"trailer", pos):
        sub = _XREF_SUB.match(data, pos)
        if not sub:
            raise NotDirect("malformed cross-reference subsection")
        first, count = int(sub.group(1)), int(sub.group(2))
        pos = sub.end()
        for i in range(count):
            entry = data[pos:pos + 20]
            if len(entry) < 18 or entry[17:18] not in b"nf":
                raise NotDirect("malformed cross-reference entry")
            # a free entry (-1) hides the older revisions' object of that number
            offsets.setdefault(first + i, int(entry[:10]) if entry[17:18] == b"n" else -1)
            pos += 20
        pos = skip_ws(data, pos)
    return parse_dict(data, skip_ws(data, pos + 7))[0]
