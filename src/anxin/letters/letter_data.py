"""Open a signed letter: its signatures and the letter data of the signed revision.

What a verifier needs beyond the signatures is read from the revision the signature
covers (never from later updates): the authorization id and the stated SHA-256 of the
letter text (the XMP's ``anxin:`` properties of a PDF/A letter, ``/Keywords`` of an older
one), and the exact letter text (the ``letter.txt`` attachment), whose hash is recomputed
here. :class:`SignedLetter` is what a caller compares with the event certificate's binding
extension.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from pyhanko.pdf_utils.generic import ArrayObject, IndirectObject
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from anxin.error_codes import Code
from anxin.errors import IntegrityFailure, ValidationFailed
from anxin.letters.fast_hex import fast_hex_strings
from anxin.letters.pdfa import read_letter_properties
from anxin.letters.render import LETTER_TEXT_ATTACHMENT, parse_letter_keywords

_READ_ERRORS = (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError)


@dataclass(frozen=True)
class SignedLetter:
    """The letter data of the signed revision (from the PDF; not yet trusted alone)."""

    authorization_id: str | None
    stated_sha256: str | None
    letter_text: str | None
    text_sha256: str | None


@dataclass(frozen=True)
class OpenedLetter:
    """A parsed signed letter: the one signature, its document timestamps, the data."""

    reader: PdfFileReader
    signature: Any  # pyhanko EmbeddedPdfSignature (/Sig)
    document_timestamps: tuple[Any, ...]  # EmbeddedPdfSignature (/DocTimeStamp), in order
    letter: SignedLetter
    _dss_reads: dict[int | None, Any] = field(default_factory=dict, compare=False,
                                             repr=False)

    def dss_at(self, revision: int | None = None) -> Any:
        """pyHanko's ``DocumentSecurityStore.read_dss`` of the latest revision (None) or of
        ``revision`` (0-based, its historical resolver), read once per opened letter: the
        report's inventory, the signature's level and the validation contexts each read
        it (five reads of two revisions a package, ~1.5 ms each). The same bytes give the
        same store; a read that fails raises the same error again on every call."""
        if revision not in self._dss_reads:
            from pyhanko.sign.validation.dss import DocumentSecurityStore
            source = self.reader if revision is None else \
                self.reader.get_historical_resolver(revision)
            try:
                self._dss_reads[revision] = DocumentSecurityStore.read_dss(source)
            except Exception as exc:  # untrusted file: each caller decides what it means
                self._dss_reads[revision] = exc
        held = self._dss_reads[revision]
        if isinstance(held, Exception):
            raise held
        return held


def _attachment(root: Any, name: str) -> bytes | None:
    if "/Names" not in root or "/EmbeddedFiles" not in root["/Names"]:
        return None
    tree = root["/Names"]["/EmbeddedFiles"]
    # pyHanko's .get() would not resolve an indirect reference; [] does.
    names = tree["/Names"] if "/Names" in tree else None  # noqa: SIM401
    if not isinstance(names, ArrayObject):
        return None
    for index in range(0, len(names) - 1, 2):
        if str(names[index]) == name:
            spec = names[index + 1].get_object()
            return bytes(spec["/EF"]["/F"].get_object().data)
    return None


def _metadata_of(history: Any) -> bytes:
    """The XMP packet of ``history``'s revision, read as a plain stream: resolving
    ``root["/Metadata"]`` makes pyHanko 0.38's historical resolver build an XMP stream object
    that it then cannot re-home ("No container reference available")."""
    ref = history.root.raw_get("/Metadata")
    if not isinstance(ref, IndirectObject):
        raise ValueError("the catalog's /Metadata is not a stream reference")
    return bytes(history.get_object(ref.reference).data)


def _stated_ids(history: Any) -> dict[str, str]:
    """The authorization id and stated hash: from the XMP (PDF/A letters), else /Keywords.

    Letters rendered before PDF/A have no XMP and state both in the /Info dictionary.
    """
    if "/Metadata" in history.root:
        return read_letter_properties(_metadata_of(history))
    trailer = history.trailer_view
    info = trailer["/Info"] if "/Info" in trailer else {}  # noqa: SIM401 (resolves refs)
    return parse_letter_keywords(str(info["/Keywords"]) if "/Keywords" in info else "")


def _letter_of(reader: PdfFileReader, revision: int) -> SignedLetter:
    history = reader.get_historical_resolver(revision)
    keywords = _stated_ids(history)
    raw_text = _attachment(history.root, LETTER_TEXT_ATTACHMENT)
    text = raw_text.decode("utf-8", errors="strict") if raw_text is not None else None
    return SignedLetter(
        authorization_id=keywords.get("authorization_id"),
        stated_sha256=keywords.get("letter_sha256"),
        letter_text=text,
        text_sha256=hashlib.sha256(raw_text).hexdigest() if raw_text is not None else None,
    )


def letter_at_revision(reader: PdfFileReader, revision: int) -> SignedLetter:
    """The letter data of ``revision`` (0-based), e.g. the one an SM2 field signs; raises
    ``IntegrityFailure(code="damaged_signed_pdf")`` if it cannot be read."""
    try:
        return _letter_of(reader, revision)
    except (*_READ_ERRORS, UnicodeDecodeError) as exc:
        raise IntegrityFailure(f"the signed letter data cannot be read: {exc}",
                               code=Code.DAMAGED_SIGNED_PDF) from exc


def open_signed_letter(pdf: bytes) -> OpenedLetter:
    """Parse ``pdf``; ValidationFailed(unreadable_input) if it is no signed PDF.

    A file that looks like a signed PDF but cannot be parsed raises
    ``IntegrityFailure(code="damaged_signed_pdf")``: damage, not a foreign format.
    """
    if not pdf.startswith(b"%PDF-"):
        raise ValidationFailed("the input is not a PDF", code=Code.UNREADABLE_INPUT)
    try:
        with fast_hex_strings():  # the signatures' /Contents: most of the parse otherwise
            reader = PdfFileReader(BytesIO(pdf), strict=False)
            signatures = list(reader.embedded_signatures)
    except _READ_ERRORS as exc:
        if b"/ByteRange" in pdf:
            raise IntegrityFailure(f"the signed PDF cannot be parsed: {exc}",
                                   code=Code.DAMAGED_SIGNED_PDF) from exc
        raise ValidationFailed(f"the PDF cannot be read: {exc}",
                               code=Code.UNREADABLE_INPUT) from exc
    regular = [s for s in signatures if s.sig_object_type == "/Sig"]
    stamps = tuple(s for s in signatures if s.sig_object_type == "/DocTimeStamp")
    if not regular:
        raise ValidationFailed("the PDF carries no signature", code=Code.UNREADABLE_INPUT)
    if len(regular) > 1:
        raise IntegrityFailure(f"a letter carries one signature, this PDF has {len(regular)}",
                               code=Code.UNEXPECTED_SIGNATURES)
    try:
        letter = _letter_of(reader, regular[0].signed_revision)
    except (*_READ_ERRORS, UnicodeDecodeError) as exc:
        raise IntegrityFailure(f"the signed letter data cannot be read: {exc}",
                               code=Code.DAMAGED_SIGNED_PDF) from exc
    return OpenedLetter(reader=reader, signature=regular[0], document_timestamps=stamps,
                        letter=letter)


def signed_attachment(opened: OpenedLetter, name: str) -> bytes | None:
    """An embedded file of the *signed* revision (so covered by the signature), or None."""
    history = opened.reader.get_historical_resolver(opened.signature.signed_revision)
    try:
        return _attachment(history.root, name)
    except _READ_ERRORS:
        return None
