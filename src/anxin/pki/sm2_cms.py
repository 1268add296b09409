"""SM2 CMS SignedData (GB/T 35275 structure, GM/T 0006 OIDs): the letter's SM2 signature and,
in the encapsulated form, the container of SM2 timestamp tokens and sealed manifests.

The profile (docs/pki.md "The letter's SM2 signature" gives the reasons)::

    ContentInfo { contentType signedData 1.2.840.113549.1.7.2 (RFC 5652; GM/T 0010's
                  1.2.156.10197.6.1.4.2.2 read, and written on request),
      [0] SignedData { version 1, digestAlgorithms { sm3 1.2.156.10197.1.401 },
        encapContentInfo { data 1.2.840.113549.1.7.1 } (detached: no eContent),
        [0] certificates (signer first, then its chain),
        signerInfos { SignerInfo { version 1, sid issuerAndSerialNumber, sm3,
          [0] signedAttrs { contentType, messageDigest (SM3 of the content),
                            signingCertificateV2 { ESSCertIDv2 { sm3, SM3(cert), issuerSerial } } },
          signatureAlgorithm SM2-with-SM3 1.2.156.10197.1.501 (sm2-1 1.2.156.10197.1.301.1 read),
          signature SM2Signature ::= SEQUENCE { r, s } over DER(SET OF signedAttrs),
                    user id 1234567812345678,
          [1] unsignedAttrs { signatureTimeStampToken 1.2.840.113549.1.9.16.2.14 } } } } }

The structure is written in DER from :mod:`anxin.der` (like :mod:`anxin.letters.cms_der`) and
read with asn1crypto (taught the SM names by :mod:`anxin.pki.sm2`). The SM2 arithmetic is
OpenSSL's (:func:`anxin.pki.sm2.sign`, :func:`anxin.pki.sm2.verify`). Verification is
verify-or-raise: each failure is a typed error whose code names the check (malformed,
digest mismatch, signer certificate not found, bad signature). Trust, chain, revocation and
the timestamp token's own signature are the caller's checks; this module returns what they
need (:class:`Sm2SignedInfo`).

Example::

    cms = sign_detached(sm3(content), signer_key=key, signer_cert=cert_der,
                        chain=[issuing_der, root_der], timestamp=tsa.timestamp_sm3)
    info = parse_and_verify_detached(cms, content_digest=sm3(content))
    info.signer_certificate, info.timestamp_token
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509

from anxin.der import OCTET_STRING, SEQUENCE, SET, der_integer, der_oid, tlv
from anxin.error_codes import Code
from anxin.errors import IntegrityFailure
from anxin.pki import sm2

OID_DATA: Final = "1.2.840.113549.1.7.1"
OID_SIGNED_DATA: Final = "1.2.840.113549.1.7.2"
OID_CONTENT_TYPE: Final = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST: Final = "1.2.840.113549.1.9.4"
OID_SIGNING_CERTIFICATE_V2: Final = "1.2.840.113549.1.9.16.2.47"
OID_SIGNATURE_TIMESTAMP: Final = "1.2.840.113549.1.9.16.2.14"
OID_TST_INFO: Final = "1.2.840.113549.1.9.16.1.4"
SIGNED_DATA_TYPES: Final = frozenset({OID_SIGNED_DATA, sm2.OID_GM_SIGNED_DATA})
SIGNATURE_ALGORITHMS: Final = frozenset({sm2.OID_SM2_WITH_SM3, sm2.OID_SM2_SIGN})
"""Read: SM2-with-SM3 (GmSSL 3, BouncyCastle, OpenSSL's signature-id table; written here)
and sm2-1 (GB/T 35275's text, GmSSL 2)."""

ContentTypes = Literal["rfc5652", "gmt0010"]
_TYPES: Final = {"rfc5652": (OID_SIGNED_DATA, OID_DATA),
                 "gmt0010": (sm2.OID_GM_SIGNED_DATA, sm2.OID_GM_DATA)}
_SM3: Final = tlv(SEQUENCE, der_oid(sm2.OID_SM3))  # parameters absent (GmSSL, RFC 5754 style)
_SM2_WITH_SM3: Final = tlv(SEQUENCE, der_oid(sm2.OID_SM2_WITH_SM3))

Timestamp = Callable[[bytes], bytes]
"""Given the SM3 digest of a signature value, the DER ContentInfo of an RFC 3161 token."""


class Sm2CmsMalformed(IntegrityFailure):
    """The SM2 CMS is not the SignedData this profile reads (structure, algorithm, attribute)."""

    code = Code.SM2_CMS_MALFORMED


class Sm2CmsDigestMismatch(IntegrityFailure):
    """The signed messageDigest is not the SM3 of the content (the content was changed)."""

    code = Code.SM2_CMS_DIGEST_MISMATCH


class Sm2CmsSignerNotFound(IntegrityFailure):
    """No embedded certificate is the one the SignerInfo (sid, signingCertificateV2) names."""

    code = Code.SM2_CMS_SIGNER_NOT_FOUND


class Sm2CmsSignatureInvalid(sm2.SM2SignatureInvalid):
    """The SM2 signature over the signed attributes does not verify with the signer's key."""


@dataclass(frozen=True, slots=True)
class Sm2SignedInfo:
    """What a verified SM2 SignedData carries, for the caller's trust and timestamp checks."""

    signer_certificate: bytes
    """DER of the certificate that signed (its key verified the signature)."""
    certificates: tuple[bytes, ...]
    """DER of every embedded certificate, in the CMS's order (the signer's included)."""
    signed_attributes: bytes
    """The DER ``SET OF Attribute`` the signature covers."""
    content_type: str
    """The signed contentType attribute (= the eContentType), dotted."""
    message_digest: bytes
    signature: bytes
    """The DER SM2Signature ``SEQUENCE { r, s }``."""
    timestamp_token: bytes | None
    """DER ContentInfo of the signatureTimeStampToken, or None."""
    content: bytes | None = None
    """The eContent of an encapsulated SignedData (None when detached)."""

    @property
    def signature_digest(self) -> bytes:
        """SM3 of the signature value: the imprint the signature timestamp must carry."""
        return sm2.sm3(self.signature)


# --- writing ----------------------------------------------------------------------------------

def _attribute(oid: str, value: bytes) -> bytes:
    return tlv(SEQUENCE, der_oid(oid) + tlv(SET, value))


def _signer_identity(cert_der: bytes) -> tuple[bytes, int]:
    try:
        cert = asn1_x509.Certificate.load(cert_der, strict=True)
        return bytes(cert["tbs_certificate"]["issuer"].dump()), int(cert.serial_number)
    except (ValueError, TypeError, KeyError) as exc:
        raise Sm2CmsMalformed(f"the signer certificate is not DER X.509: {exc}") from None


def _signed_attributes(content_digest: bytes, content_type: str, cert_der: bytes,
                       issuer_der: bytes, serial: int) -> bytes:
    """The DER ``SET OF Attribute`` (sorted, X.690 §11.6) that the SM2 signature covers."""
    issuer_serial = tlv(SEQUENCE, tlv(SEQUENCE, tlv(0xA4, issuer_der)) + der_integer(serial))
    ess_cert_id = tlv(SEQUENCE, _SM3 + tlv(OCTET_STRING, sm2.sm3(cert_der)) + issuer_serial)
    attributes = [
        _attribute(OID_CONTENT_TYPE, der_oid(content_type)),
        _attribute(OID_MESSAGE_DIGEST, tlv(OCTET_STRING, content_digest)),
        _attribute(OID_SIGNING_CERTIFICATE_V2, tlv(SEQUENCE, tlv(SEQUENCE, ess_cert_id))),
    ]
    return tlv(SET, b"".join(sorted(attributes)))


def _sign(*, content_digest: bytes, content: bytes | None, content_type: str,
          outer_type: str, signer_key: sm2.SM2PrivateKey, signer_cert: bytes,
          chain: Sequence[bytes], timestamp: Timestamp | None) -> bytes:
    if len(content_digest) != 32:
        raise ValueError("the content digest is an SM3 digest of 32 bytes")
    issuer_der, serial = _signer_identity(signer_cert)
    signed_attrs = _signed_attributes(content_digest, content_type, signer_cert, issuer_der,
                                      serial)
    signature = sm2.sign(signer_key, signed_attrs)
    sm2.verify(signer_key.public_key(), signed_attrs, signature)  # a fault never leaves here
    unsigned = b""
    if timestamp is not None:
        token = timestamp(sm2.sm3(signature))
        unsigned = tlv(0xA1, _attribute(OID_SIGNATURE_TIMESTAMP, token))
    signer_info = tlv(SEQUENCE, b"".join((
        der_integer(1), tlv(SEQUENCE, issuer_der + der_integer(serial)), _SM3,
        b"\xa0" + signed_attrs[1:],  # [0] IMPLICIT: the same content, context tag
        _SM2_WITH_SM3, tlv(OCTET_STRING, signature), unsigned)))
    encap = der_oid(content_type)
    if content is not None:
        encap += tlv(0xA0, tlv(OCTET_STRING, content))
    version = 1 if content_type in (OID_DATA, sm2.OID_GM_DATA) else 3  # RFC 5652 §5.1
    signed_data = tlv(SEQUENCE, b"".join((
        der_integer(version), tlv(SET, _SM3), tlv(SEQUENCE, encap),
        tlv(0xA0, b"".join((signer_cert, *chain))), tlv(SET, signer_info))))
    return tlv(SEQUENCE, der_oid(outer_type) + tlv(0xA0, signed_data))


def sign_detached(content_digest: bytes, *, signer_key: sm2.SM2PrivateKey,
                  signer_cert: bytes, chain: Sequence[bytes],
                  timestamp: Timestamp | None,
                  content_types: ContentTypes = "rfc5652") -> bytes:
    """A detached SM2 SignedData over content whose SM3 is ``content_digest`` (DER).

    ``signer_cert`` and ``chain`` are DER certificates (the chain nearest first);
    ``timestamp``, if given, is called with the SM3 of the signature value and returns the
    RFC 3161 token embedded as signatureTimeStampToken. ``content_types="gmt0010"`` writes
    GM/T 0010's signedData/data OIDs instead of RFC 5652's (never in a PDF: see the docs).
    """
    outer, data = _TYPES[content_types]
    return _sign(content_digest=content_digest, content=None, content_type=data,
                 outer_type=outer, signer_key=signer_key, signer_cert=signer_cert,
                 chain=chain, timestamp=timestamp)


def sign_encapsulated(content: bytes, *, content_type: str, signer_key: sm2.SM2PrivateKey,
                      signer_cert: bytes, chain: Sequence[bytes] = (),
                      timestamp: Timestamp | None = None) -> bytes:
    """An SM2 SignedData carrying ``content`` as eContent of ``content_type`` (dotted OID),
    e.g. a TSTInfo (:data:`OID_TST_INFO`) for an SM2 timestamp token."""
    return _sign(content_digest=sm2.sm3(content), content=content, content_type=content_type,
                 outer_type=OID_SIGNED_DATA, signer_key=signer_key, signer_cert=signer_cert,
                 chain=chain, timestamp=timestamp)


# --- reading and verifying ---------------------------------------------------------------------

def parse_and_verify_detached(cms_der: bytes, *, content_digest: bytes) -> Sm2SignedInfo:
    """Verify a detached SM2 SignedData against the SM3 ``content_digest`` or raise.

    Raises :class:`Sm2CmsMalformed`, :class:`Sm2CmsDigestMismatch`,
    :class:`Sm2CmsSignerNotFound` or :class:`Sm2CmsSignatureInvalid`.
    """
    signed_data = _load_signed_data(cms_der)
    if _econtent(signed_data) is not None:
        raise Sm2CmsMalformed("a detached signature is expected, the CMS carries its content")
    return _verify(signed_data, content_digest, content=None)


def parse_and_verify_encapsulated(cms_der: bytes) -> Sm2SignedInfo:
    """Verify an SM2 SignedData with its eContent (the digest is of that content) or raise."""
    signed_data = _load_signed_data(cms_der)
    content = _econtent(signed_data)
    if content is None:
        raise Sm2CmsMalformed("the CMS carries no content (it is detached)")
    return _verify(signed_data, sm2.sm3(content), content=content)


def _load_signed_data(cms_der: bytes) -> Any:
    try:
        info = cms.ContentInfo.load(cms_der, strict=True)
        outer = info["content_type"].dotted
        if outer not in SIGNED_DATA_TYPES:
            raise Sm2CmsMalformed(f"the ContentInfo is {outer}, not signedData")
        if outer == OID_SIGNED_DATA:
            signed_data = info["content"]
        else:  # GM/T 0010's OID: asn1crypto does not know it, the SignedData is the same
            signed_data = info["content"].parse(cms.SignedData)
        _ = signed_data.native  # parse every field now: errors are malformation, here
    except Sm2CmsMalformed:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise Sm2CmsMalformed(f"the CMS is not a DER SignedData: {exc}") from None
    return signed_data


def _econtent(signed_data: Any) -> bytes | None:
    value = signed_data["encap_content_info"]["content"]
    if isinstance(value, core.Void):
        return None
    return bytes(value.native if isinstance(value.native, bytes) else value.contents)


def _verify(signed_data: Any, content_digest: bytes, *, content: bytes | None) -> Sm2SignedInfo:
    signer_info = _single_signer(signed_data)
    attributes = _attributes(signer_info["signed_attrs"], "signed")
    digest = _one(attributes, OID_MESSAGE_DIGEST)
    if not isinstance(digest, cms.OctetString):
        raise Sm2CmsMalformed("the messageDigest attribute is not an OCTET STRING")
    if bytes(digest.native) != content_digest:
        raise Sm2CmsDigestMismatch(
            f"messageDigest {bytes(digest.native).hex()} is not the content's SM3 "
            f"{content_digest.hex()}")
    certificates = tuple(bytes(c.chosen.dump()) for c in signed_data["certificates"]
                         if isinstance(c.chosen, asn1_x509.Certificate))
    signer_cert = _find_signer(signer_info["sid"], certificates)
    signed_attrs = b"\x31" + bytes(signer_info["signed_attrs"].dump())[1:]
    signature = bytes(signer_info["signature"].native)
    try:
        public = sm2.SM2PublicKey.from_der(bytes(
            asn1_x509.Certificate.load(signer_cert)["tbs_certificate"]["subject_public_key_info"]
            .dump()))
    except sm2.SM2KeyInvalid as exc:
        raise Sm2CmsMalformed(f"the signer certificate's key is not SM2: {exc.detail}") from None
    try:
        sm2.verify(public, signed_attrs, signature)
    except sm2.SM2SignatureInvalid as exc:
        raise Sm2CmsSignatureInvalid(
            f"the SM2 signature over the signed attributes does not verify: {exc.detail}"
        ) from None
    content_type = _check_content_type(signed_data, attributes)
    _check_signing_certificate(attributes, signer_cert)
    return Sm2SignedInfo(
        signer_certificate=signer_cert, certificates=certificates,
        signed_attributes=signed_attrs, content_type=content_type,
        message_digest=content_digest, signature=signature,
        timestamp_token=_timestamp_token(signer_info), content=content)


def _single_signer(signed_data: Any) -> Any:
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise Sm2CmsMalformed(f"one SignerInfo is expected, found {len(signer_infos)}")
    signer_info = signer_infos[0]
    digest_oid = signer_info["digest_algorithm"]["algorithm"].dotted
    if digest_oid != sm2.OID_SM3:
        raise Sm2CmsMalformed(f"the digest algorithm is {digest_oid}, not SM3 {sm2.OID_SM3}")
    signature_oid = signer_info["signature_algorithm"]["algorithm"].dotted
    if signature_oid not in SIGNATURE_ALGORITHMS:
        raise Sm2CmsMalformed(f"the signature algorithm is {signature_oid}, not SM2-with-SM3")
    if isinstance(signer_info["signed_attrs"], core.Void):
        raise Sm2CmsMalformed("the SignerInfo has no signed attributes")
    return signer_info


def _attributes(attrs: Any, kind: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for attribute in attrs:
        oid = attribute["type"].dotted
        if oid in found:
            raise Sm2CmsMalformed(f"the {kind} attribute {oid} appears twice")
        found[oid] = list(attribute["values"])
    return found


def _one(attributes: dict[str, list[Any]], oid: str) -> Any:
    values = attributes.get(oid)
    if not values or len(values) != 1:
        raise Sm2CmsMalformed(f"the signed attribute {oid} must have exactly one value")
    return values[0]


def _find_signer(sid: Any, certificates: tuple[bytes, ...]) -> bytes:
    for der in certificates:
        cert = asn1_x509.Certificate.load(der)
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (cert.serial_number == wanted["serial_number"].native
                    and cert.issuer.dump() == wanted["issuer"].dump()):
                return der
        elif cert.key_identifier == sid.chosen.native:
            return der
    raise Sm2CmsSignerNotFound("no embedded certificate is the SignerInfo's signer (sid)")


def _check_content_type(signed_data: Any, attributes: dict[str, list[Any]]) -> str:
    signed = _one(attributes, OID_CONTENT_TYPE)
    econtent_type = signed_data["encap_content_info"]["content_type"].dotted
    if not isinstance(signed, core.ObjectIdentifier) or signed.dotted != econtent_type:
        raise Sm2CmsMalformed(f"the contentType attribute is not the eContentType "
                              f"{econtent_type}")
    return str(econtent_type)


def _check_signing_certificate(attributes: dict[str, list[Any]], signer_cert: bytes) -> None:
    """signingCertificateV2 (RFC 5035), if present: its first ESSCertIDv2 names the signer."""
    if OID_SIGNING_CERTIFICATE_V2 not in attributes:
        return
    value = _one(attributes, OID_SIGNING_CERTIFICATE_V2)
    try:
        cert_id = value["certs"][0]
        hash_oid = cert_id["hash_algorithm"]["algorithm"].dotted
        cert_hash = bytes(cert_id["cert_hash"].native)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise Sm2CmsMalformed(f"the signingCertificateV2 attribute is malformed: {exc}") \
            from None
    if hash_oid != sm2.OID_SM3:
        raise Sm2CmsMalformed(f"signingCertificateV2 hashes with {hash_oid}, not SM3")
    if cert_hash != sm2.sm3(signer_cert):
        raise Sm2CmsSignerNotFound("signingCertificateV2 names another certificate than the "
                                   "one whose key signed")


def _timestamp_token(signer_info: Any) -> bytes | None:
    unsigned = signer_info["unsigned_attrs"]
    if isinstance(unsigned, core.Void):
        return None
    values = _attributes(unsigned, "unsigned").get(OID_SIGNATURE_TIMESTAMP)
    if not values:
        return None
    if len(values) != 1:
        raise Sm2CmsMalformed("one signatureTimeStampToken is expected")
    return bytes(values[0].dump())
