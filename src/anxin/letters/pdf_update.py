"""The signature's incremental update, written directly as bytes.

A letter is a PDF the product renders itself, so the update a signature adds has one
shape: the catalog (``/AcroForm``, ``/DSS``), one page (``/Annots``), the AcroForm
(``/Fields``), a signature field merged with its widget, for a visible signature a form
XObject drawing the stamp, the signature dictionary with a reserved ``/Contents`` and a
fixed-width ``/ByteRange``, then a cross-reference table and the trailer. pyHanko's
:class:`PdfCMSEmbedder` writes the same structure generically: it parses the objects it
touches into its object model, rewrites the XMP metadata, serialises every object again
and runs through async plumbing. Profiled on ``bench/sign.py`` (B-T + DSS + document
timestamp on a rendered letter, 16.8 ms a letter), pyHanko's reader and writer took about
11 ms; written here, the two updates take well under 1 ms (see the README's "Benchmarks").
pyHanko stays the verifier: the tests validate what this writes with pyHanko (B-T, B-LTA),
poppler's ``pdfsig`` and Anxin's own verifier.

Not covered, and left to pyHanko's writer by the callers (:exc:`NotDirect`): files this
module's reader does not read (:mod:`anxin.letters.pdf_objects`), a catalog whose
``/AcroForm`` is a direct dictionary, an indirect ``/Annots`` or ``/Fields`` array, a
nested page tree, and a DSS that already exists (archive renewal extends it).
The XMP metadata is left as the renderer wrote it (pyHanko rewrites its producer and
modification date; neither is signed evidence).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes

from anxin.letters.pdf_objects import (
    NotDirect,
    PdfDict,
    PdfFile,
    array_items,
    decode_text,
    is_ref,
    read_pdf,
    ref_number,
)

__all__ = ["NotDirect", "PreparedSignature", "Stamp", "ValidationData", "field_names",
           "pdf_date", "pdf_text", "prepare_signature", "read_pdf", "stamp_font"]

_PLACEHOLDER_RANGE = b"[0 0000000000 0000000000 0000000000]"


@dataclass(frozen=True)
class Stamp:
    """A visible appearance: ``content`` (Flate-compressed) drawn with font ``/F1``."""

    content: bytes
    width: float
    height: float


@dataclass
class PreparedSignature:
    """The file with its placeholder written; :meth:`fill` puts the signature in."""

    document_digest: bytes
    _out: bytearray
    _contents_start: int  # offset of the first hex digit inside /Contents <...>
    _reserved: int        # hex digits reserved

    def fits(self, signature: bytes) -> bool:
        return 2 * len(signature) <= self._reserved

    def fill(self, signature: bytes) -> bytes:
        """The signed file: ``signature`` (DER) hex-encoded into the reserved /Contents."""
        if not self.fits(signature):
            raise ValueError("the signature outgrows the reserved /Contents")
        digits = signature.hex().encode("ascii")
        start = self._contents_start
        self._out[start:start + len(digits)] = digits
        return bytes(self._out)


def pdf_text(text: str) -> bytes:
    """A PDF text string: a literal for printable ASCII, else UTF-16BE with its BOM."""
    if all(0x20 <= ord(c) < 0x7F for c in text):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return b"(" + escaped.encode("ascii") + b")"
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def pdf_date(moment: dt.datetime) -> str:
    """``D:YYYYMMDDHHmmSS`` with ``Z`` or ``+HH'mm'`` (PDF 32000-1 §7.9.4), as pyHanko."""
    offset = moment.utcoffset() or dt.timedelta(0)
    if not offset:
        return f"D:{moment:%Y%m%d%H%M%S}Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"D:{moment:%Y%m%d%H%M%S}{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"


def _number(value: float) -> bytes:
    if value == int(value):
        return b"%d" % int(value)
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".")


def _ref(number: int) -> bytes:
    return b"%d 0 R" % number


def _dict_bytes(entries: PdfDict) -> bytes:
    return b"<<\n" + b"".join(key + b" " + value + b"\n" for key, value in entries.items()) \
        + b">>"


def _array_bytes(items: Sequence[bytes]) -> bytes:
    return b"[ " + b" ".join(items) + b" ]"


def _pages(pdf: PdfFile, catalog: PdfDict) -> list[int]:
    """The page objects of a flat page tree (the renderer's), in order."""
    tree = pdf.dictionary(ref_number(catalog[b"/Pages"]))
    kids = [ref_number(kid) for kid in array_items(tree[b"/Kids"])]
    for kid in kids:
        if pdf.dictionary(kid).get(b"/Type") != b"/Page":
            raise NotDirect("nested page tree")
    if not kids:
        raise NotDirect("no pages")
    return kids


def field_names(pdf: PdfFile) -> set[str]:
    """The names (``/T``) of the AcroForm's top-level fields."""
    catalog = pdf.dictionary(ref_number(pdf.trailer[b"/Root"]))
    if b"/AcroForm" not in catalog:
        return set()
    form = pdf.resolve_dict(catalog[b"/AcroForm"])
    names = set()
    for ref in array_items(form.get(b"/Fields", b"[]")):
        entry = pdf.dictionary(ref_number(ref))
        if b"/T" in entry:
            names.add(decode_text(entry[b"/T"]))
    return names


class _Update:
    """The objects of one incremental update, by number (changed and new)."""

    def __init__(self, pdf: PdfFile) -> None:
        self.pdf = pdf
        self.next_number = pdf.size
        self.bodies: dict[int, bytes] = {}

    def reserve(self) -> int:
        self.next_number += 1
        return self.next_number - 1

    def put(self, number: int, body: bytes) -> None:
        self.bodies[number] = body

    def add(self, body: bytes) -> int:
        number = self.reserve()
        self.put(number, body)
        return number


def _stream(header: PdfDict, data: bytes) -> bytes:
    header = {**header, b"/Length": b"%d" % len(data)}
    return _dict_bytes(header) + b"\nstream\n" + data + b"\nendstream"


def _register_field(update: _Update, catalog: PdfDict, widget: int) -> None:
    """Add ``widget`` to the AcroForm's fields (a new AcroForm if there is none)."""
    raw = catalog.get(b"/AcroForm")
    if raw is None:
        catalog[b"/AcroForm"] = _ref(update.add(
            _dict_bytes({b"/Fields": _array_bytes([_ref(widget)]), b"/SigFlags": b"3"})))
        return
    if not is_ref(raw):
        raise NotDirect("direct /AcroForm dictionary")
    number = ref_number(raw)
    form = update.pdf.dictionary(number)
    fields = form.get(b"/Fields", b"[]")
    if is_ref(fields):
        raise NotDirect("indirect /Fields array")
    form[b"/Fields"] = _array_bytes([*array_items(fields), _ref(widget)])
    form[b"/SigFlags"] = b"3"
    update.put(number, _dict_bytes(form))


def _annotate(update: _Update, page_number: int, widget: int) -> None:
    page = update.pdf.dictionary(page_number)
    annots = page.get(b"/Annots", b"[]")
    if is_ref(annots):
        raise NotDirect("indirect /Annots array")
    page[b"/Annots"] = _array_bytes([*array_items(annots), _ref(widget)])
    update.put(page_number, _dict_bytes(page))


def _letter_font(pdf: PdfFile, page_number: int, pages_raw: bytes) -> tuple[int, bytes]:
    """The page's Type0 font with a ToUnicode map: its object number and the map."""
    page = pdf.dictionary(page_number)
    holder = page if b"/Resources" in page else pdf.resolve_dict(pages_raw)
    if b"/Resources" not in holder:
        raise NotDirect("no resources")
    resources = pdf.resolve_dict(holder[b"/Resources"])
    if b"/Font" not in resources:
        raise NotDirect("no fonts")
    for raw in pdf.resolve_dict(resources[b"/Font"]).values():
        number = ref_number(raw)
        font = pdf.dictionary(number)
        if font.get(b"/Subtype") == b"/Type0" and b"/ToUnicode" in font:
            return number, pdf.stream_data(ref_number(font[b"/ToUnicode"]))
    raise NotDirect("no Unicode font")


def stamp_font(pdf: PdfFile) -> tuple[int, bytes]:
    """The last page's stamp font (object number) and its ToUnicode CMap."""
    catalog = pdf.dictionary(ref_number(pdf.trailer[b"/Root"]))
    return _letter_font(pdf, _pages(pdf, catalog)[-1], catalog[b"/Pages"])


@dataclass(frozen=True)
class ValidationData:
    """A DSS to add in the same update: DER certificates, OCSP responses, CRLs."""

    certificates: Sequence[bytes]
    ocsp_responses: Sequence[bytes]
    crls: Sequence[bytes]


def _unique(items: Sequence[bytes]) -> list[bytes]:
    return list(dict.fromkeys(items))


def _add_dss(update: _Update, catalog: PdfDict, data: ValidationData) -> None:
    if b"/DSS" in catalog:
        raise NotDirect("the file has a DSS already (archive renewal)")
    entries: PdfDict = {}
    for key, items in ((b"/Certs", data.certificates), (b"/OCSPs", data.ocsp_responses),
                       (b"/CRLs", data.crls)):
        if items:
            entries[key] = _array_bytes(
                [_ref(update.add(_stream({}, der))) for der in _unique(items)])
    catalog[b"/DSS"] = _ref(update.add(_dict_bytes(entries)))


def prepare_signature(
    pdf: PdfFile, *, field_name: str, signature_entries: PdfDict, on_last_page: bool,
    box: tuple[float, float, float, float] = (0, 0, 0, 0), stamp: Stamp | None = None,
    font_number: int | None = None, dss: ValidationData | None = None,
    reserved: int = 16384, digest: str = "sha256",
) -> PreparedSignature:
    """Write the update adding signature field ``field_name`` (and ``dss`` first, if
    given); ``signature_entries`` are the signature dictionary's entries after
    ``/Contents`` and ``/ByteRange``; ``reserved`` the hex digits kept for the signature."""
    catalog_number = ref_number(pdf.trailer[b"/Root"])
    catalog = pdf.dictionary(catalog_number)
    pages = _pages(pdf, catalog)
    page_number = pages[-1] if on_last_page else pages[0]
    update = _Update(pdf)
    if dss is not None:
        _add_dss(update, catalog, dss)
    widget, signature = update.reserve(), update.reserve()
    _register_field(update, catalog, widget)
    update.put(catalog_number, _dict_bytes(catalog))
    _annotate(update, page_number, widget)
    entries: PdfDict = {
        b"/FT": b"/Sig", b"/T": pdf_text(field_name), b"/Type": b"/Annot",
        b"/Subtype": b"/Widget", b"/F": b"132",
        b"/Rect": _array_bytes([_number(v) for v in box]), b"/P": _ref(page_number)}
    if stamp is not None:
        if font_number is None:
            raise ValueError("a stamp needs the letter's font")
        appearance = update.add(_stream({
            b"/Type": b"/XObject", b"/Subtype": b"/Form",
            b"/BBox": _array_bytes([b"0", b"0", _number(stamp.width), _number(stamp.height)]),
            b"/Resources": b"<< /Font << /F1 %d 0 R >> >>" % font_number,
            b"/Filter": b"/FlateDecode"}, stamp.content))
        entries[b"/AP"] = b"<< /N %d 0 R >>" % appearance
    entries[b"/V"] = _ref(signature)
    update.put(widget, _dict_bytes(entries))
    head = b"<<\n/Contents <"
    update.put(signature, head + b"0" * reserved + b">\n/ByteRange " + _PLACEHOLDER_RANGE
               + b"\n" + _dict_bytes(signature_entries)[3:])
    return _assemble(update, signature, len(head), reserved, digest)


def _xref(offsets: dict[int, int]) -> bytes:
    lines, numbers = [b"xref\n"], sorted(offsets)
    run: list[int] = []
    for number in numbers:
        if run and number != run[-1] + 1:
            lines.append(_subsection(run, offsets))
            run = []
        run.append(number)
    lines.append(_subsection(run, offsets))
    return b"".join(lines)


def _subsection(run: list[int], offsets: dict[int, int]) -> bytes:
    return b"%d %d\n" % (run[0], len(run)) + b"".join(
        b"%010d 00000 n \n" % offsets[n] for n in run)


def _trailer(pdf: PdfFile, size: int) -> PdfDict:
    old_id = pdf.trailer.get(b"/ID")
    first = array_items(old_id)[0] if old_id else b"<" + os.urandom(16).hex().encode() + b">"
    trailer: PdfDict = {b"/Size": b"%d" % size, b"/Root": pdf.trailer[b"/Root"]}
    if b"/Info" in pdf.trailer:
        trailer[b"/Info"] = pdf.trailer[b"/Info"]
    trailer[b"/ID"] = _array_bytes([first, b"<" + os.urandom(16).hex().encode() + b">"])
    trailer[b"/Prev"] = b"%d" % pdf.startxref
    return trailer


def _digest(algorithm: str, *parts: memoryview) -> bytes:
    """SHA-256 by hashlib; SM3 by ``cryptography`` (as pyHanko's path did: hashlib's SM3
    depends on how OpenSSL was built)."""
    if algorithm == "sm3":
        sm3 = hashes.Hash(hashes.SM3())
        for part in parts:
            sm3.update(part)
        return sm3.finalize()
    hasher = hashlib.new(algorithm)
    for part in parts:
        hasher.update(part)
    return hasher.digest()


def _assemble(update: _Update, signature: int, contents_at: int, reserved: int,
              digest: str) -> PreparedSignature:
    out = bytearray(update.pdf.data)
    if not out.endswith(b"\n"):
        out += b"\n"
    offsets: dict[int, int] = {}
    for number in sorted(update.bodies):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + update.bodies[number] + b"\nendobj\n"
    xref_at = len(out)
    out += _xref(offsets) + b"trailer\n" + _dict_bytes(_trailer(update.pdf, update.next_number))
    out += b"\nstartxref\n%d\n%%%%EOF\n" % xref_at
    start = offsets[signature] + len(b"%d 0 obj\n" % signature) + contents_at
    end = start + reserved + 1  # after the closing '>'
    byte_range = b"[0 %d %d %d]" % (start - 1, end, len(out) - end)
    at = out.index(_PLACEHOLDER_RANGE, end)
    out[at:at + len(_PLACEHOLDER_RANGE)] = byte_range.ljust(len(_PLACEHOLDER_RANGE))
    view = memoryview(out)
    document_digest = _digest(digest, view[:start - 1], view[end:])
    view.release()
    return PreparedSignature(document_digest, out, start, reserved)
