"""The PAdES CMS SignedData, assembled directly in DER.

The structure of a letter signature never changes (RFC 5652 SignedData, one SignerInfo,
three signed attributes, one unsigned attribute), so it is written here by concatenating
DER pieces instead of building an asn1crypto object tree, whose encoding re-serialises
every embedded certificate (measured: ~15 ms of a ~25 ms signature); the DER primitives
are :mod:`anxin.der`'s. The output is checked by pyHanko's and poppler's validators in
the test suite, and parsed back with asn1crypto in the unit tests.

Layout (RFC 5652 §5, ETSI EN 319 122-1 baseline B-T)::

    ContentInfo { signedData, [0] SignedData {
        version 1, digestAlgorithms {sha256}, encapContentInfo {data} (detached),
        [0] certificates (signer first, then chain),
        signerInfos { SignerInfo {
            version 1, sid issuerAndSerialNumber, sha256,
            [0] signedAttrs { contentType data, messageDigest, signingCertificateV2 },
            signatureAlgorithm, signature,
            [1] unsignedAttrs { signatureTimeStampToken } } } } }
"""

from __future__ import annotations

import hashlib

from anxin.der import OCTET_STRING as _OCTET_STRING
from anxin.der import SEQUENCE as _SEQUENCE
from anxin.der import SET as _SET
from anxin.der import der_integer, der_oid, tlv

_SHA256 = tlv(_SEQUENCE, der_oid("2.16.840.1.101.3.4.2.1"))  # parameters absent
_SIGNATURE_ALGORITHMS = {
    "sha256_ecdsa": tlv(_SEQUENCE, der_oid("1.2.840.10045.4.3.2")),
    "sha256_rsa": tlv(_SEQUENCE, der_oid("1.2.840.113549.1.1.11") + b"\x05\x00"),
}
_DATA = der_oid("1.2.840.113549.1.7.1")
_SIGNED_DATA = der_oid("1.2.840.113549.1.7.2")
_CONTENT_TYPE = der_oid("1.2.840.113549.1.9.3")
_MESSAGE_DIGEST = der_oid("1.2.840.113549.1.9.4")
_SIGNING_CERTIFICATE_V2 = der_oid("1.2.840.113549.1.9.16.2.47")
_SIGNATURE_TIMESTAMP = der_oid("1.2.840.113549.1.9.16.2.14")


def _attribute(oid: bytes, value: bytes) -> bytes:
    return tlv(_SEQUENCE, oid + tlv(_SET, value))


def issuer_and_serial(issuer_name_der: bytes, serial_number: int) -> bytes:
    return tlv(_SEQUENCE, issuer_name_der + der_integer(serial_number))


def signed_attributes(document_digest: bytes, *, signer_cert_der: bytes,
                      issuer_name_der: bytes, serial_number: int,
                      content_type: str = "1.2.840.113549.1.7.1") -> bytes:
    """The content of the signed attributes SET (without its tag): what gets signed.

    ``content_type`` is the encapsulated content's type (``data`` for a PDF signature).

    signingCertificateV2 (RFC 5035) names the signer certificate by its SHA-256 (the
    default algorithm, hence omitted) and its issuer/serial as GeneralNames.
    """
    issuer_general_names = tlv(_SEQUENCE, tlv(0xA4, issuer_name_der))  # directoryName [4]
    issuer_serial = tlv(_SEQUENCE, issuer_general_names + der_integer(serial_number))
    ess_cert_id = tlv(_SEQUENCE, tlv(_OCTET_STRING, hashlib.sha256(signer_cert_der).digest())
                      + issuer_serial)
    signing_certificate = tlv(_SEQUENCE, tlv(_SEQUENCE, ess_cert_id))
    attributes = [
        _attribute(_CONTENT_TYPE, der_oid(content_type)),
        _attribute(_MESSAGE_DIGEST, tlv(_OCTET_STRING, document_digest)),
        _attribute(_SIGNING_CERTIFICATE_V2, signing_certificate),
    ]
    return b"".join(sorted(attributes))


def signed_attributes_for_signing(content: bytes) -> bytes:
    """The DER that the signature covers: the attributes as an explicit SET (RFC 5652 §5.4)."""
    return tlv(_SET, content)


def signed_data(*, attributes_content: bytes, signature: bytes, signature_algorithm: str,
                sid: bytes, certificates_der: list[bytes], timestamp_token_der: bytes) -> bytes:
    """The complete ContentInfo(SignedData) DER for a detached PAdES signature."""
    signer_info = tlv(_SEQUENCE, b"".join((
        der_integer(1), sid, _SHA256,
        tlv(0xA0, attributes_content),
        _SIGNATURE_ALGORITHMS[signature_algorithm],
        tlv(_OCTET_STRING, signature),
        tlv(0xA1, _attribute(_SIGNATURE_TIMESTAMP, timestamp_token_der)),
    )))
    content = tlv(_SEQUENCE, b"".join((
        der_integer(1),
        tlv(_SET, _SHA256),
        tlv(_SEQUENCE, _DATA),
        tlv(0xA0, b"".join(certificates_der)),
        tlv(_SET, signer_info),
    )))
    return tlv(_SEQUENCE, _SIGNED_DATA + tlv(0xA0, content))
