"""The letter's SM2 signature field and the SM3 document timestamp (issue 14, `sm`/`dual`).

:func:`sign_letter_sm2` adds, as one incremental update, a signature field of its own
(:data:`SM2_SIGNATURE_FIELD`) whose signature dictionary has ``/Filter /Adobe.PPKLite``,
``/SubFilter /adbe.pkcs7.detached`` (``sm``) or the private ``/Anxin.SM2.detached``
(``dual``: :data:`SUBFILTER_DUAL` says why) and, in ``/Contents``, an SM2 CMS SignedData
over the SM3 digest of the byte range. :mod:`anxin.letters.pdf_update` writes the PDF
structure directly (pyHanko's :class:`PdfCMSEmbedder`, with ``md_algorithm="sm3"``, is the
fallback for a file it does not cover and for a DSS that exists already: see that module
for why and the figures); the CMS comes from the caller's
``sign_cms`` (in the product :func:`anxin.pki.sm2_cms.sign_detached` with the event key, its
certificate, chain and the SM2 TSA: this library does not import the PKI layer).

It works on an unsigned letter (``sm``: the SM2 signature is the letter's signature and, with
``stamp_method_label``, draws the visible stamp in the letter's signature box) and on a
letter already carrying the PAdES signature (``dual``: an invisible second field, signed
before :func:`anxin.letters.sign.upgrade_to_lta` adds the DSS and the document timestamp that
covers both). :func:`add_sm2_document_timestamp` adds a ``/SubFilter /ETSI.RFC3161`` document
timestamp whose token imprints the SM3 of its byte range (``sm``'s archive timestamp), with
an optional DSS before it.

Example::

    cms = functools.partial(sm2_cms.sign_detached, signer_key=key, signer_cert=cert_der,
                            chain=chain_der, timestamp=sm2_tsa)
    signed = sign_letter_sm2(pdf, sign_cms=cms, signer_name="张三", reason="个人信息查询授权",
                             location="Anxin", signing_time=now, stamp_method_label="短信验证")
    archived = add_sm2_document_timestamp(signed, timestamp=sm2_tsa, certificates=[...],
                                          crls=[crl_der])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Final

from asn1crypto import crl, ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.generic import NameObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.signers.cms_embedder import PdfCMSEmbedder, SigIOSetup, SigObjSetup
from pyhanko.sign.signers.pdf_byterange import DocumentTimestamp, SignatureObject
from pyhanko.sign.validation.dss import DocumentSecurityStore

from anxin.errors import ValidationFailed
from anxin.letters.pdf_update import (
    NotDirect,
    PreparedSignature,
    ValidationData,
    field_names,
    prepare_signature,
    read_pdf,
)
from anxin.letters.render import PRODUCT_NAME, SIGNATURE_BOX
from anxin.letters.sign import direct_stamp, pdf_writer_for, signature_entries
from anxin.letters.stamp import (
    build_stamp_appearance,
)

SM2_SIGNATURE_FIELD: Final = "AnxinSignatureSM2"
SM2_ARCHIVE_TIMESTAMP_FIELD: Final = "AnxinArchiveTimestampSM2"
SM2_STAMP_FOOTERS: Final = {"zh-CN": f"由{PRODUCT_NAME}平台电子签名 (SM2)",
                            "en": f"Electronically signed via {PRODUCT_NAME} (SM2)"}
SUBFILTER_PKCS7: Final = "/adbe.pkcs7.detached"
"""The ``sm`` profile's SM2 field: the SubFilter Chinese PDF tools put GM/T 0010 SignedData
under (iText's external container, GM/T 0112 readers); the letter's only signature."""
SUBFILTER_DUAL: Final = "/Anxin.SM2.detached"
"""The ``dual`` profile's SM2 field: a private SubFilter (a third-class PDF name), so that
ordinary validators pass over the field instead of failing on it. pyHanko digests every
``adbe.pkcs7.detached`` field of a file before judging any, and an SM3 one stops it
("Generic processing error") before it judges the PAdES field; a SubFilter it does not
know it skips with a warning (pdfsig lists the field, unjudged). Anxin's verifier reads
the SM2 field under either SubFilter."""
SignCms = Callable[[bytes], bytes]
"""Given the SM3 digest of the byte range, the DER ContentInfo of the SM2 SignedData."""
Timestamp = Callable[[bytes], bytes]
"""Given an SM3 digest, the DER ContentInfo of an RFC 3161 token imprinting it."""
_DEFAULT_RESERVED: Final = 16384
_INVISIBLE: Final = (0, 0, 0, 0)


def _fits(encoded: bytes, bytes_reserved: int) -> bool:
    return 2 * len(encoded) <= bytes_reserved - 2


def sign_letter_sm2(pdf: bytes, *, sign_cms: SignCms, signer_name: str, reason: str,
                    location: str, signing_time: dt.datetime,
                    stamp_method_label: str | None = None,
                    subfilter: str = SUBFILTER_PKCS7,
                    bytes_reserved: int = _DEFAULT_RESERVED) -> bytes:
    """Add the SM2 signature field to ``pdf``; returns the signed PDF bytes.

    ``stamp_method_label`` (e.g. "短信验证") draws the visible stamp in the letter's signature
    box (the ``sm`` profile); without it the field is invisible (``dual``: the PAdES stamp is
    already there). ``/M`` is ``signing_time`` (the CMS has no signing-time attribute).
    ``subfilter`` is :data:`SUBFILTER_PKCS7` (``sm``) or :data:`SUBFILTER_DUAL`.
    """
    if subfilter not in (SUBFILTER_PKCS7, SUBFILTER_DUAL):
        raise ValidationFailed(f"unknown SM2 SubFilter {subfilter}", field="subfilter")
    if signing_time.tzinfo is None:
        raise ValidationFailed("signing_time needs a time zone", field="signing_time")
    try:
        prepared = _direct_sm2(pdf, signer_name=signer_name, reason=reason,
                               location=location, signing_time=signing_time,
                               stamp_method_label=stamp_method_label, subfilter=subfilter,
                               bytes_reserved=bytes_reserved)
    except NotDirect:
        return _pyhanko_sm2(pdf, sign_cms=sign_cms, signer_name=signer_name, reason=reason,
                            location=location, signing_time=signing_time,
                            stamp_method_label=stamp_method_label, subfilter=subfilter,
                            bytes_reserved=bytes_reserved)
    encoded = sign_cms(prepared.document_digest)
    if not prepared.fits(encoded):
        return sign_letter_sm2(pdf, sign_cms=sign_cms, signer_name=signer_name, reason=reason,
                               location=location, signing_time=signing_time,
                               stamp_method_label=stamp_method_label, subfilter=subfilter,
                               bytes_reserved=4 * len(encoded) + 2048)
    return prepared.fill(encoded)


def _already_signed() -> ValidationFailed:
    return ValidationFailed("the letter already carries an SM2 signature field", field="pdf")


def _direct_sm2(pdf: bytes, *, signer_name: str, reason: str, location: str,
                signing_time: dt.datetime, stamp_method_label: str | None, subfilter: str,
                bytes_reserved: int) -> PreparedSignature:
    """The SM2 field's update written by :mod:`anxin.letters.pdf_update` (the same
    structure as pyHanko's; :exc:`NotDirect` for a file it does not cover)."""
    if not pdf.startswith(b"%PDF-"):
        raise NotDirect("not a PDF: pyHanko's path says so")
    letter = read_pdf(pdf)
    if SM2_SIGNATURE_FIELD in field_names(letter):
        raise _already_signed()
    stamp, font_number = None, None
    if stamp_method_label:
        locale = "zh-CN" if any(ord(c) >= 0x2E80 for c in stamp_method_label) else "en"
        stamp, font_number = direct_stamp(letter, signer_name=signer_name,
                                          signing_time=signing_time,
                                          method_label=stamp_method_label,
                                          footer=SM2_STAMP_FOOTERS[locale])
    entries = signature_entries(subfilter.encode("ascii"), signer_name=signer_name,
                                location=location, reason=reason, signing_time=signing_time)
    return prepare_signature(
        letter, field_name=SM2_SIGNATURE_FIELD, signature_entries=entries,
        on_last_page=True, box=SIGNATURE_BOX if stamp_method_label else _INVISIBLE,
        stamp=stamp, font_number=font_number, reserved=bytes_reserved, digest="sm3")


def _pyhanko_sm2(pdf: bytes, *, sign_cms: SignCms, signer_name: str, reason: str,
                 location: str, signing_time: dt.datetime, stamp_method_label: str | None,
                 subfilter: str, bytes_reserved: int) -> bytes:
    """The same update written by pyHanko's embedder (the fallback)."""
    writer = pdf_writer_for(pdf)
    if any(name == SM2_SIGNATURE_FIELD for name, _v, _r in enumerate_sig_fields(writer)):
        raise _already_signed()
    box = SIGNATURE_BOX if stamp_method_label else _INVISIBLE
    embedder = PdfCMSEmbedder(new_field_spec=SigFieldSpec(
        sig_field_name=SM2_SIGNATURE_FIELD, on_page=-1, box=box))
    flow = embedder.write_cms(field_name=SM2_SIGNATURE_FIELD, writer=writer)
    widget = next(flow).get_object()
    if stamp_method_label:
        widget["/AP"] = _stamp(writer, signer_name, signing_time, stamp_method_label)
    placeholder = SignatureObject(
        timestamp=signing_time, subfilter=SigSeedSubFilter.ADOBE_PKCS7_DETACHED,
        name=signer_name, location=location, reason=reason, bytes_reserved=bytes_reserved)
    placeholder["/SubFilter"] = NameObject(subfilter)
    flow.send(SigObjSetup(sig_placeholder=placeholder))
    prepared, output = flow.send(SigIOSetup(md_algorithm="sm3"))
    encoded = sign_cms(prepared.document_digest)
    if not _fits(encoded, bytes_reserved):
        return _pyhanko_sm2(pdf, sign_cms=sign_cms, signer_name=signer_name, reason=reason,
                            location=location, signing_time=signing_time,
                            stamp_method_label=stamp_method_label, subfilter=subfilter,
                            bytes_reserved=4 * len(encoded) + 2048)
    flow.send(encoded)
    return bytes(output.getbuffer())


def _stamp(writer: IncrementalPdfFileWriter, signer_name: str, signing_time: dt.datetime,
           method_label: str) -> object:
    locale = "zh-CN" if any(ord(c) >= 0x2E80 for c in method_label) else "en"
    return build_stamp_appearance(writer, signer_name=signer_name, signing_time=signing_time,
                                  method_label=method_label, footer=SM2_STAMP_FOOTERS[locale])


def _free_field(taken: set[str]) -> str:
    """``AnxinArchiveTimestampSM2`` for the first, then ``…SM2-2``, ``…SM2-3``."""
    if SM2_ARCHIVE_TIMESTAMP_FIELD not in taken:
        return SM2_ARCHIVE_TIMESTAMP_FIELD
    n = 2
    while f"{SM2_ARCHIVE_TIMESTAMP_FIELD}-{n}" in taken:
        n += 1
    return f"{SM2_ARCHIVE_TIMESTAMP_FIELD}-{n}"


def add_sm2_document_timestamp(
    pdf: bytes, *, timestamp: Timestamp, certificates: Sequence[bytes] = (),
    crls: Sequence[bytes] = (), ocsp_responses: Sequence[bytes] = (),
    bytes_reserved: int = _DEFAULT_RESERVED,
) -> bytes:
    """Add (after a DSS with the given DER validation data, if any) a document timestamp
    whose token imprints the SM3 of its byte range; returns the new PDF bytes."""
    try:
        letter = read_pdf(pdf) if pdf.startswith(b"%PDF-") else None
        if letter is None:
            raise NotDirect("not a PDF: pyHanko's path says so")
        data = (ValidationData(certificates, ocsp_responses, crls)
                if certificates or crls or ocsp_responses else None)
        prepared = prepare_signature(
            letter, field_name=_free_field(field_names(letter)),
            signature_entries={b"/Type": b"/DocTimeStamp", b"/Filter": b"/Adobe.PPKLite",
                               b"/SubFilter": b"/ETSI.RFC3161"},
            on_last_page=False, dss=data, reserved=bytes_reserved, digest="sm3")
    except NotDirect:  # e.g. a DSS exists already (archive renewal): pyHanko extends it
        return _pyhanko_sm2_timestamp(pdf, timestamp=timestamp, certificates=certificates,
                                      crls=crls, ocsp_responses=ocsp_responses,
                                      bytes_reserved=bytes_reserved)
    encoded = timestamp(prepared.document_digest)
    if not prepared.fits(encoded):
        return add_sm2_document_timestamp(
            pdf, timestamp=timestamp, certificates=certificates, crls=crls,
            ocsp_responses=ocsp_responses, bytes_reserved=4 * len(encoded) + 2048)
    return prepared.fill(encoded)


def _pyhanko_sm2_timestamp(
    pdf: bytes, *, timestamp: Timestamp, certificates: Sequence[bytes],
    crls: Sequence[bytes], ocsp_responses: Sequence[bytes], bytes_reserved: int,
) -> bytes:
    """:func:`add_sm2_document_timestamp` written by pyHanko (the fallback)."""
    writer = pdf_writer_for(pdf)
    field_name = _free_field({name for name, _value, _ref in enumerate_sig_fields(writer)})
    if certificates or crls or ocsp_responses:
        DocumentSecurityStore.supply_dss_in_writer(
            writer, None, certs=[asn1_x509.Certificate.load(c) for c in certificates],
            crls=[crl.CertificateList.load(c) for c in crls],
            ocsps=[ocsp.OCSPResponse.load(o) for o in ocsp_responses], embed_roots=True)
    flow = PdfCMSEmbedder().write_cms(field_name=field_name, writer=writer)
    next(flow)
    placeholder = DocumentTimestamp(bytes_reserved=bytes_reserved)  # type: ignore[no-untyped-call]
    flow.send(SigObjSetup(sig_placeholder=placeholder))
    prepared, output = flow.send(SigIOSetup(md_algorithm="sm3"))
    encoded = timestamp(prepared.document_digest)
    if not _fits(encoded, bytes_reserved):
        return _pyhanko_sm2_timestamp(
            pdf, timestamp=timestamp, certificates=certificates, crls=crls,
            ocsp_responses=ocsp_responses, bytes_reserved=4 * len(encoded) + 2048)
    flow.send(encoded)
    return bytes(output.getbuffer())
