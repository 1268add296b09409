"""Find and check the SM2 signatures and SM3 document timestamps of a letter (issue 14).

:func:`sm2_signatures` reads every signature dictionary of the PDF; a ``/Sig`` whose CMS
digests with SM3 (1.2.156.10197.1.401) is an SM2 signature, a ``/DocTimeStamp`` whose token
imprints with SM3 is an SM2 document timestamp. For each SM2 signature it checks that the
byte range covers a whole revision (the ``/Contents`` gap and nothing else, up to that
revision's ``%%EOF``), recomputes the SM3 digest of the byte range and has the CMS verified
by the caller's ``verify_cms`` (in the product
``lambda der, digest: sm2_cms.parse_and_verify_detached(der, content_digest=digest)``: this
library does not import the PKI layer). It returns what the callers' trust, chain,
revocation and TSA checks need: the signer and embedded certificates, the signing time
(``/M``), the signature timestamp token, the revision covered; and, for each SM2 document
timestamp, the token and the SM3 digest it must imprint (the token's own check is the
caller's). ECDSA/RSA (PAdES) fields are left to pyHanko's validation.

Example::

    found = sm2_signatures(pdf, verify_cms=lambda der, d: sm2_cms.parse_and_verify_detached(
        der, content_digest=d))
    for sig in found.signatures: sig.signer_certificate, sig.timestamp_token, sig.revision
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Final, Protocol

from asn1crypto import cms, tsp
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from anxin.error_codes import Code
from anxin.errors import IntegrityFailure, ValidationFailed

OID_SM3: Final = "1.2.156.10197.1.401"
_WHOLE_REVISION: Final = (SignatureCoverageLevel.ENTIRE_REVISION,
                          SignatureCoverageLevel.ENTIRE_FILE)


class VerifiedCms(Protocol):
    """What the CMS verifier returns (:class:`anxin.pki.sm2_cms.Sm2SignedInfo` is one)."""

    @property
    def signer_certificate(self) -> bytes: ...
    @property
    def certificates(self) -> tuple[bytes, ...]: ...
    @property
    def timestamp_token(self) -> bytes | None: ...


VerifyCms = Callable[[bytes, bytes], VerifiedCms]
"""(CMS DER, SM3 of the byte range) → the verified CMS, or raise a typed error."""


@dataclass(frozen=True, slots=True)
class Sm2FieldSignature:
    """One verified SM2 signature field of the letter."""

    field_name: str
    signer_certificate: bytes
    certificates: tuple[bytes, ...]
    signing_time: dt.datetime | None
    """The signature dictionary's ``/M`` (self-reported; the token's genTime is proof)."""
    timestamp_token: bytes | None
    revision: int
    """The revision the signature covers (0 = the file as first written)."""
    byte_range_digest: bytes
    cms: VerifiedCms


@dataclass(frozen=True, slots=True)
class Sm2DocumentTimestamp:
    """An SM3 document timestamp: its token (not checked here) and what it must imprint."""

    field_name: str
    token: bytes
    byte_range_digest: bytes
    """SM3 of the byte range: the token's messageImprint must equal it."""
    imprint: bytes
    """The token's messageImprint as found (the caller compares, after checking the token)."""
    revision: int


@dataclass(frozen=True, slots=True)
class Sm2Signatures:
    signatures: tuple[Sm2FieldSignature, ...]
    document_timestamps: tuple[Sm2DocumentTimestamp, ...]


def sm2_signatures(pdf: bytes, *, verify_cms: VerifyCms) -> Sm2Signatures:
    """Every SM2 signature (verified) and SM3 document timestamp (found) of ``pdf``."""
    signatures: list[Sm2FieldSignature] = []
    stamps: list[Sm2DocumentTimestamp] = []
    for embedded in _embedded(pdf):
        if embedded.sig_object_type == "/DocTimeStamp":
            stamp = _sm3_document_timestamp(embedded)
            if stamp is not None:
                stamps.append(stamp)
        elif _digest_oid(embedded.signer_info) == OID_SM3:
            signatures.append(_verify_field(embedded, verify_cms))
    return Sm2Signatures(tuple(signatures), tuple(stamps))


def _embedded(pdf: bytes) -> list[EmbeddedPdfSignature]:
    if not pdf.startswith(b"%PDF-"):
        raise ValidationFailed("the input is not a PDF", code=Code.UNREADABLE_INPUT)
    try:
        # Not the reader's embedded_signatures: it leaves out fields of a SubFilter pyHanko
        # does not know, as the dual profile's SM2 field is (sign_sm2.SUBFILTER_DUAL).
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        found = [EmbeddedPdfSignature(reader, field, name) for name, _value, field
                 in enumerate_sig_fields(reader, filled_status=True)]
        return sorted(found, key=lambda embedded: int(embedded.signed_revision))
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise IntegrityFailure(f"the signed PDF cannot be read: {exc}",
                               code=Code.DAMAGED_SIGNED_PDF) from None


def _digest_oid(signer_info: Any) -> str:
    return str(signer_info["digest_algorithm"]["algorithm"].dotted)


def _der_element(padded: bytes) -> bytes:
    """The first DER element of ``/Contents`` (the hex string is zero-padded after it)."""
    if len(padded) < 2:
        return padded
    length = padded[1]
    if length < 0x80:
        return padded[:2 + length]
    size = length & 0x7F
    return padded[:2 + size + int.from_bytes(padded[2:2 + size], "big")]


def _covered_revision(embedded: EmbeddedPdfSignature) -> int:
    coverage = embedded.evaluate_signature_coverage()
    if coverage not in _WHOLE_REVISION:
        raise IntegrityFailure(
            f"the byte range of {embedded.field_name} does not cover a whole revision "
            f"({coverage.name})", code=Code.DAMAGED_SIGNED_PDF, field=embedded.field_name)
    return int(embedded.signed_revision)


def _verify_field(embedded: EmbeddedPdfSignature, verify_cms: VerifyCms) -> Sm2FieldSignature:
    revision = _covered_revision(embedded)
    digest = embedded.compute_digest("sm3")
    verified = verify_cms(_der_element(bytes(embedded.pkcs7_content)), digest)
    return Sm2FieldSignature(
        field_name=str(embedded.field_name), signer_certificate=verified.signer_certificate,
        certificates=verified.certificates, signing_time=embedded.self_reported_timestamp,
        timestamp_token=verified.timestamp_token, revision=revision,
        byte_range_digest=digest, cms=verified)


def _sm3_document_timestamp(embedded: EmbeddedPdfSignature) -> Sm2DocumentTimestamp | None:
    token = _der_element(bytes(embedded.pkcs7_content))
    try:
        info = cms.ContentInfo.load(token)
        econtent = info["content"]["encap_content_info"]["content"].parsed
        imprint = econtent["message_imprint"] if isinstance(econtent, tsp.TSTInfo) else None
        if imprint is None:
            raise ValueError("the token's content is not a TSTInfo")
        algorithm = imprint["hash_algorithm"]["algorithm"].dotted
        hashed = bytes(imprint["hashed_message"].native)
    except (ValueError, TypeError, KeyError) as exc:
        raise IntegrityFailure(f"the document timestamp {embedded.field_name} is not an "
                               f"RFC 3161 token: {exc}", code=Code.DAMAGED_SIGNED_PDF) from None
    if algorithm != OID_SM3:
        return None
    revision = _covered_revision(embedded)
    return Sm2DocumentTimestamp(
        field_name=str(embedded.field_name), token=token,
        byte_range_digest=embedded.compute_digest("sm3"), imprint=hashed, revision=revision)
