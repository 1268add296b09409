"""PAdES signing of a rendered letter: B-T at signing, then the B-LTA upgrade.

:func:`sign_letter` adds, as one incremental update, a visible signature field in the box
the letter keeps free (:data:`anxin.letters.render.SIGNATURE_BOX`, last page) whose
appearance names the signer, the signing time and the method, and a signature dictionary
(``/SubFilter /ETSI.CAdES.detached``) holding a detached CMS SignedData built here with
asn1crypto: signed attributes content-type, message-digest and ESS signing-certificate-v2
(no signing-time, as PAdES requires; the time is the dictionary's ``/M``), an ECDSA (or
RSA) signature made with the caller's loaded key, the event certificate and its chain, and
an RFC 3161 signature timestamp over the signature value as unsigned attribute (B-T).
:mod:`anxin.letters.pdf_update` writes the incremental update directly as bytes (pyHanko's
reader and generic writer took ~11 of the 16.8 ms of B-T + B-LTA, profiled); the CMS is ours
because pyHanko's generic path estimates sizes with a dry-run signature and re-encodes
heavily. pyHanko's :class:`PdfCMSEmbedder` stays the fallback for a file the direct writer
does not cover (:exc:`~anxin.letters.pdf_update.NotDirect`) and for archive renewal, whose
DSS exists already and is extended by pyHanko's DSS writer.

:func:`upgrade_to_lta` then adds, as one more incremental update, a DSS with the
certificates, CRLs and OCSP responses the caller supplies (the product signs offline from
its own CA, nothing is fetched) and a document timestamp over the whole file (B-LTA).
Called again on a B-LTA letter it *renews* the archive: the DSS grows by the new
validation data (the previous archive timestamp's chain status, the new TSA's) and a new
document timestamp, in a field of its own, covers everything before it (PAdES-LTA
§5.5 of ETSI EN 319 142-1); earlier revisions are never changed.

Example::

    signed = sign_letter(pdf, signer_key=key, signer_cert=cert, chain=[issuing, root],
                         timestamper=tsa, signer_name="张三", method_label="短信验证",
                         reason="个人信息查询授权", location="Anxin",
                         signing_time=now)
    archived = upgrade_to_lta(signed, certificates=[...], crls=[crl_der],
                              timestamper=tsa)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Coroutine, Sequence
from io import BytesIO
from typing import Any, TypeAlias, TypeVar

from asn1crypto import crl, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.signers.cms_embedder import PdfCMSEmbedder, SigIOSetup, SigObjSetup
from pyhanko.sign.signers.pdf_byterange import DocumentTimestamp, SignatureObject
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore

from anxin.asyncutil import run_coroutine
from anxin.error_codes import Code
from anxin.errors import ValidationFailed
from anxin.letters import cms_der
from anxin.letters.pdf_objects import PdfFile
from anxin.letters.pdf_update import (
    NotDirect,
    PreparedSignature,
    Stamp,
    ValidationData,
    field_names,
    pdf_date,
    pdf_text,
    prepare_signature,
    read_pdf,
    stamp_font,
)
from anxin.letters.render import SIGNATURE_BOX
from anxin.letters.stamp import (
    build_stamp_appearance,
    stamp_content,
    stamp_size,
    tounicode_codes,
)

SIGNATURE_FIELD = "AnxinSignature"
ARCHIVE_TIMESTAMP_FIELD = "AnxinArchiveTimestamp"
SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
# A cryptography or an asn1crypto certificate (asn1crypto is untyped, hence Any).
CertificateLike: TypeAlias = Any
# Hex characters reserved for /Contents; doubled and retried if a CMS ever outgrows it.
_DEFAULT_RESERVED = 16384
T = TypeVar("T")


def _run(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine made by ``factory`` inline, without an event loop, when it never
    waits on one (an in-process TSA: nothing in signing then suspends); a fresh event
    loop per call (:func:`anxin.asyncutil.run_coroutine`) cost ~0.5 ms (measured), two a
    letter, a fifth of the signing. A coroutine that needs a loop (the HTTP TSA client,
    which asks for the running loop before it sends anything) is closed and made again
    by ``factory`` to run on one."""
    coroutine = factory()
    try:
        while True:
            if coroutine.send(None) is not None:  # waits on a future: a loop is needed
                coroutine.close()
                break
    except StopIteration as done:
        result: T = done.value
        return result
    except RuntimeError as exc:
        if "event loop" not in str(exc):
            raise
    return run_coroutine(factory)


def as_asn1_certificate(cert: CertificateLike) -> asn1_x509.Certificate:
    """The same certificate as an asn1crypto object (no re-encoding of its bytes)."""
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _raw_signature(key: SigningKey, data: bytes) -> tuple[bytes, str]:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256())), "sha256_ecdsa"
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256()), "sha256_rsa"
    raise ValidationFailed("the signer key must be ECDSA or RSA", code=Code.UNSUPPORTED_KEY)


def _der_of(cert: CertificateLike) -> bytes:
    if isinstance(cert, asn1_x509.Certificate):
        return bytes(cert.dump())
    der: bytes = cert.public_bytes(serialization.Encoding.DER)
    return der


def _issuer_and_serial(cert: CertificateLike) -> tuple[bytes, int]:
    if isinstance(cert, asn1_x509.Certificate):
        return bytes(cert.issuer.dump()), int(cert.serial_number)
    return cert.issuer.public_bytes(), cert.serial_number


async def _pades_cms(document_digest: bytes, *, signer_key: SigningKey,
                     signer_cert: CertificateLike, chain: Sequence[CertificateLike],
                     timestamper: TimeStamper) -> bytes:
    """A detached CAdES-B-T signature over ``document_digest`` (DER ContentInfo)."""
    cert_der = _der_of(signer_cert)
    issuer_der, serial = _issuer_and_serial(signer_cert)
    attributes = cms_der.signed_attributes(
        document_digest, signer_cert_der=cert_der, issuer_name_der=issuer_der,
        serial_number=serial)
    signature, algorithm = _raw_signature(
        signer_key, cms_der.signed_attributes_for_signing(attributes))
    token = await timestamper.async_timestamp(hashlib.sha256(signature).digest(), "sha256")
    return cms_der.signed_data(
        attributes_content=attributes, signature=signature, signature_algorithm=algorithm,
        sid=cms_der.issuer_and_serial(issuer_der, serial),
        certificates_der=[cert_der, *(_der_of(c) for c in chain)],
        timestamp_token_der=bytes(token.dump()))


def direct_stamp(letter: PdfFile, *, signer_name: str, signing_time: dt.datetime,
                 method_label: str, footer: str | None = None) -> tuple[Stamp, int]:
    """The visible stamp of a direct signature update and the number of the letter's
    stamp font it draws with (the PAdES field's and the SM2 field's alike)."""
    font_number, cmap = stamp_font(letter)
    width, height = stamp_size()
    content = stamp_content(tounicode_codes(cmap), signer_name=signer_name,
                            signing_time=signing_time, method_label=method_label,
                            footer=footer)
    return Stamp(content, width, height), font_number


def signature_entries(subfilter: bytes, *, signer_name: str, location: str, reason: str,
                      signing_time: dt.datetime) -> dict[bytes, bytes]:
    """The /Sig dictionary's entries besides /Contents and /ByteRange, as pyHanko
    writes them."""
    return {b"/Type": b"/Sig", b"/Filter": b"/Adobe.PPKLite", b"/SubFilter": subfilter,
            b"/M": pdf_text(pdf_date(signing_time)), b"/Name": pdf_text(signer_name),
            b"/Location": pdf_text(location), b"/Reason": pdf_text(reason)}


def pdf_writer_for(pdf: bytes) -> IncrementalPdfFileWriter:
    """pyHanko's incremental writer on ``pdf`` (the fallback path), or the
    ``unreadable_input`` refusal."""
    if not pdf.startswith(b"%PDF-"):
        raise ValidationFailed("the input is not a PDF", code=Code.UNREADABLE_INPUT)
    try:
        return IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ValidationFailed(f"the PDF cannot be read: {exc}",
                               code=Code.UNREADABLE_INPUT) from exc


def _direct_signature(pdf: bytes, *, signer_name: str, method_label: str, reason: str,
                      location: str, signing_time: dt.datetime,
                      bytes_reserved: int) -> PreparedSignature:
    """The B-T update written by :mod:`anxin.letters.pdf_update` (raises
    :exc:`NotDirect` for a file it does not cover)."""
    letter = read_pdf(pdf)
    if SIGNATURE_FIELD in field_names(letter):
        raise NotDirect("the letter has a signature field already")
    stamp, font_number = direct_stamp(letter, signer_name=signer_name,
                                      signing_time=signing_time, method_label=method_label)
    entries = signature_entries(b"/ETSI.CAdES.detached", signer_name=signer_name,
                                location=location, reason=reason, signing_time=signing_time)
    return prepare_signature(letter, field_name=SIGNATURE_FIELD, signature_entries=entries,
                             on_last_page=True, box=SIGNATURE_BOX, stamp=stamp,
                             font_number=font_number, reserved=bytes_reserved)


async def async_sign_letter(
    pdf: bytes, *, signer_key: SigningKey, signer_cert: CertificateLike,
    chain: Sequence[CertificateLike], timestamper: TimeStamper, signer_name: str,
    method_label: str, reason: str, location: str, signing_time: dt.datetime,
    bytes_reserved: int = _DEFAULT_RESERVED,
) -> bytes:
    """Async form of :func:`sign_letter` (for callers already inside an event loop)."""
    if signing_time.tzinfo is None:
        raise ValidationFailed("signing_time needs a time zone", field="signing_time")
    if not pdf.startswith(b"%PDF-"):
        raise ValidationFailed("the input is not a PDF", code=Code.UNREADABLE_INPUT)
    try:
        prepared = _direct_signature(
            pdf, signer_name=signer_name, method_label=method_label, reason=reason,
            location=location, signing_time=signing_time, bytes_reserved=bytes_reserved)
    except NotDirect:
        return await _pyhanko_sign_letter(
            pdf, signer_key=signer_key, signer_cert=signer_cert, chain=chain,
            timestamper=timestamper, signer_name=signer_name, method_label=method_label,
            reason=reason, location=location, signing_time=signing_time,
            bytes_reserved=bytes_reserved)
    encoded = await _pades_cms(prepared.document_digest, signer_key=signer_key,
                               signer_cert=signer_cert, chain=chain, timestamper=timestamper)
    if not prepared.fits(encoded):
        return await async_sign_letter(
            pdf, signer_key=signer_key, signer_cert=signer_cert, chain=chain,
            timestamper=timestamper, signer_name=signer_name, method_label=method_label,
            reason=reason, location=location, signing_time=signing_time,
            bytes_reserved=4 * len(encoded) + 2048)
    return prepared.fill(encoded)


async def _pyhanko_sign_letter(
    pdf: bytes, *, signer_key: SigningKey, signer_cert: CertificateLike,
    chain: Sequence[CertificateLike], timestamper: TimeStamper, signer_name: str,
    method_label: str, reason: str, location: str, signing_time: dt.datetime,
    bytes_reserved: int,
) -> bytes:
    """The same update written by pyHanko's generic embedder: the fallback for a file
    :mod:`anxin.letters.pdf_update` does not cover."""
    writer = pdf_writer_for(pdf)
    embedder = PdfCMSEmbedder(new_field_spec=SigFieldSpec(
        sig_field_name=SIGNATURE_FIELD, on_page=-1, box=SIGNATURE_BOX))
    flow = embedder.write_cms(field_name=SIGNATURE_FIELD, writer=writer)
    field_ref = next(flow)
    widget = field_ref.get_object()
    widget["/AP"] = build_stamp_appearance(
        writer, signer_name=signer_name, signing_time=signing_time, method_label=method_label)
    flow.send(SigObjSetup(sig_placeholder=SignatureObject(
        timestamp=signing_time, subfilter=SigSeedSubFilter.PADES, name=signer_name,
        location=location, reason=reason, bytes_reserved=bytes_reserved)))
    prepared, output = flow.send(SigIOSetup(md_algorithm="sha256"))
    encoded = await _pades_cms(prepared.document_digest, signer_key=signer_key,
                               signer_cert=signer_cert, chain=chain, timestamper=timestamper)
    if 2 * len(encoded) > bytes_reserved - 2:
        return await _pyhanko_sign_letter(
            pdf, signer_key=signer_key, signer_cert=signer_cert, chain=chain,
            timestamper=timestamper, signer_name=signer_name, method_label=method_label,
            reason=reason, location=location, signing_time=signing_time,
            bytes_reserved=4 * len(encoded) + 2048)
    flow.send(encoded)
    return bytes(output.getbuffer())


def sign_letter(
    pdf: bytes, *, signer_key: SigningKey, signer_cert: CertificateLike,
    chain: Sequence[CertificateLike], timestamper: TimeStamper, signer_name: str,
    method_label: str, reason: str, location: str, signing_time: dt.datetime,
) -> bytes:
    """Sign ``pdf`` PAdES B-T with a visible stamp; returns the signed PDF bytes.

    ``chain`` lists the certificates above ``signer_cert`` (issuing CA, root); they are
    embedded in the CMS. ``method_label`` is shown in the stamp in the letter's language
    ("短信验证" / "SMS verification" / "SMS + passkey").
    """
    return _run(lambda: async_sign_letter(
        pdf, signer_key=signer_key, signer_cert=signer_cert, chain=chain,
        timestamper=timestamper, signer_name=signer_name, method_label=method_label,
        reason=reason, location=location, signing_time=signing_time))


def _load_crl(der: bytes | crl.CertificateList) -> crl.CertificateList:
    return der if isinstance(der, crl.CertificateList) else crl.CertificateList.load(der)


def _load_ocsp(der: bytes | ocsp.OCSPResponse) -> ocsp.OCSPResponse:
    return der if isinstance(der, ocsp.OCSPResponse) else ocsp.OCSPResponse.load(der)


def _free_archive_field(taken: set[str]) -> str:
    """``AnxinArchiveTimestamp`` for the first archive timestamp, then ``…2``, ``…3``."""
    if ARCHIVE_TIMESTAMP_FIELD not in taken:
        return ARCHIVE_TIMESTAMP_FIELD
    n = 2
    while f"{ARCHIVE_TIMESTAMP_FIELD}{n}" in taken:
        n += 1
    return f"{ARCHIVE_TIMESTAMP_FIELD}{n}"


def _dump(item: Any) -> bytes:
    return item if isinstance(item, bytes) else bytes(item.dump())


def _direct_timestamp(pdf: bytes, *, certificates: Sequence[CertificateLike],
                      crls: Sequence[bytes | crl.CertificateList],
                      ocsp_responses: Sequence[bytes | ocsp.OCSPResponse],
                      bytes_reserved: int) -> PreparedSignature:
    """The DSS + document timestamp update written by :mod:`anxin.letters.pdf_update`
    (raises :exc:`NotDirect` for a file it does not cover, e.g. one with a DSS)."""
    letter = read_pdf(pdf)
    return prepare_signature(
        letter, field_name=_free_archive_field(field_names(letter)),
        signature_entries={b"/Type": b"/DocTimeStamp", b"/Filter": b"/Adobe.PPKLite",
                           b"/SubFilter": b"/ETSI.RFC3161"},
        on_last_page=False, reserved=bytes_reserved,
        dss=ValidationData(certificates=[_der_of(c) for c in certificates],
                           ocsp_responses=[_dump(o) for o in ocsp_responses],
                           crls=[_dump(c) for c in crls]))


async def async_upgrade_to_lta(
    pdf: bytes, *, certificates: Sequence[CertificateLike],
    crls: Sequence[bytes | crl.CertificateList] = (),
    ocsp_responses: Sequence[bytes | ocsp.OCSPResponse] = (),
    timestamper: TimeStamper, bytes_reserved: int = _DEFAULT_RESERVED,
) -> bytes:
    """Async form of :func:`upgrade_to_lta`."""
    if not crls and not ocsp_responses:
        raise ValidationFailed("B-LTA needs revocation data (a CRL or OCSP responses)",
                               code=Code.MISSING_REVOCATION_DATA)
    if not pdf.startswith(b"%PDF-"):
        raise ValidationFailed("the input is not a PDF", code=Code.UNREADABLE_INPUT)
    try:
        prepared = _direct_timestamp(pdf, certificates=certificates, crls=crls,
                                     ocsp_responses=ocsp_responses,
                                     bytes_reserved=bytes_reserved)
    except NotDirect:
        return await _pyhanko_upgrade_to_lta(
            pdf, certificates=certificates, crls=crls, ocsp_responses=ocsp_responses,
            timestamper=timestamper, bytes_reserved=bytes_reserved)
    token = await timestamper.async_timestamp(prepared.document_digest, "sha256")
    encoded = bytes(token.dump())
    if not prepared.fits(encoded):
        return await async_upgrade_to_lta(
            pdf, certificates=certificates, crls=crls, ocsp_responses=ocsp_responses,
            timestamper=timestamper, bytes_reserved=4 * len(encoded) + 2048)
    return prepared.fill(encoded)


async def _pyhanko_upgrade_to_lta(
    pdf: bytes, *, certificates: Sequence[CertificateLike],
    crls: Sequence[bytes | crl.CertificateList],
    ocsp_responses: Sequence[bytes | ocsp.OCSPResponse],
    timestamper: TimeStamper, bytes_reserved: int,
) -> bytes:
    """The same update written by pyHanko (the fallback; archive renewal, whose DSS
    exists already, takes this path)."""
    writer = pdf_writer_for(pdf)
    field_name = _free_archive_field(
        {name for name, _value, _ref in enumerate_sig_fields(writer)})
    DocumentSecurityStore.supply_dss_in_writer(
        writer, None, certs=[as_asn1_certificate(c) for c in certificates],
        crls=[_load_crl(c) for c in crls], ocsps=[_load_ocsp(o) for o in ocsp_responses],
        embed_roots=True)
    flow = PdfCMSEmbedder().write_cms(field_name=field_name, writer=writer)
    next(flow)
    placeholder = DocumentTimestamp(bytes_reserved=bytes_reserved)  # type: ignore[no-untyped-call]
    flow.send(SigObjSetup(sig_placeholder=placeholder))
    prepared, output = flow.send(SigIOSetup(md_algorithm="sha256"))
    token = await timestamper.async_timestamp(prepared.document_digest, "sha256")
    encoded = token.dump()
    if 2 * len(encoded) > bytes_reserved - 2:
        return await _pyhanko_upgrade_to_lta(
            pdf, certificates=certificates, crls=crls, ocsp_responses=ocsp_responses,
            timestamper=timestamper, bytes_reserved=4 * len(encoded) + 2048)
    flow.send(encoded)
    return bytes(output.getbuffer())


def upgrade_to_lta(
    pdf: bytes, *, certificates: Sequence[CertificateLike],
    crls: Sequence[bytes | crl.CertificateList] = (),
    ocsp_responses: Sequence[bytes | ocsp.OCSPResponse] = (),
    timestamper: TimeStamper,
) -> bytes:
    """Add a DSS (``certificates``, ``crls``, ``ocsp_responses``) and a document timestamp.

    ``certificates`` should hold everything a verifier needs: the event certificate, the
    issuing CA, the root, the TSA certificate; ``crls``/``ocsp_responses`` the revocation
    status of the event certificate, the TSA certificate and the issuing CA (DER bytes or
    asn1crypto objects). Nothing is fetched.
    """
    return _run(lambda: async_upgrade_to_lta(
        pdf, certificates=certificates, crls=crls, ocsp_responses=ocsp_responses,
        timestamper=timestamper))
