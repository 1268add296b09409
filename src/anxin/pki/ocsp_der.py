"""OCSP responses (RFC 6960 §4.2.1) written in DER around the responder's answers.

The responders (:mod:`anxin.pki.revocation`, P-256; :mod:`anxin.pki.sm2_revocation`,
SM2) answer every signed letter twice (its event certificate, its TSA): built as
asn1crypto object trees, a response cost ~1.3 ms, most of it re-encoding the embedded CA
certificate and the nested structures, for a structure that never changes. Here the
ResponseData and the outer layers are concatenated from :mod:`anxin.der` pieces, the
request's CertIDs and the asn1crypto statuses copied as they encode; the bytes are
asn1crypto's (tests/unit/pki/test_ocsp_der.py), ~0.27 ms a response.

Layout::

    OCSPResponse { successful, [0] { id-pkix-ocsp-basic, OCTET STRING BasicOCSPResponse {
        ResponseData { responderID, producedAt, responses { SingleResponse { certID,
            certStatus, thisUpdate = producedAt, [0] nextUpdate } ... }, [1] nonce },
        signatureAlgorithm, BIT STRING signature, [0] { responder certificate } } } }
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from asn1crypto import ocsp

from anxin import der

ECDSA_SHA256 = der.sequence(der.der_oid("1.2.840.10045.4.3.2"))  # no parameters
_OCSP_BASIC = der.der_oid("1.3.6.1.5.5.7.48.1.1")
_OCSP_NONCE = der.der_oid("1.3.6.1.5.5.7.48.1.2")
_SUCCESSFUL = b"\x0a\x01\x00"  # ENUMERATED 0


def responder_by_key(key_hash: bytes) -> bytes:
    """ResponderID byKey: [2] EXPLICIT KeyHash (SHA-1 of the responder's public key)."""
    return der.tlv(0xA2, der.tlv(der.OCTET_STRING, key_hash))


def responder_by_name(name_der: bytes) -> bytes:
    """ResponderID byName: [1] EXPLICIT Name."""
    return der.tlv(0xA1, name_der)


def response_data(responder_id: bytes, produced: dt.datetime, next_update: dt.datetime,
                  nonce: bytes | None,
                  answers: Sequence[tuple[ocsp.CertId, ocsp.CertStatus]]) -> bytes:
    """The ResponseData the responder signs (version v1 is the default, hence absent);
    ``produced`` is also every answer's thisUpdate."""
    produced_der = der.der_generalized_time(produced)
    next_update_der = der.tlv(0xA0, der.der_generalized_time(next_update))
    singles = [der.sequence(cert_id.dump(), status.dump(), produced_der, next_update_der)
               for cert_id, status in answers]
    parts = [responder_id, produced_der, der.sequence(*singles)]
    if nonce is not None:  # Extension { extnID, extnValue OCTET STRING { OCTET STRING } }
        parts.append(der.tlv(0xA1, der.sequence(der.sequence(
            _OCSP_NONCE, der.tlv(der.OCTET_STRING, der.tlv(der.OCTET_STRING, nonce))))))
    return der.sequence(*parts)


def ocsp_response(tbs_der: bytes, signature_algorithm: bytes, signature: bytes,
                  responder_cert_der: bytes) -> bytes:
    """The successful OCSPResponse around a signed ResponseData."""
    basic = der.sequence(
        tbs_der, signature_algorithm, der.tlv(0x03, b"\x00" + signature),
        der.tlv(0xA0, der.sequence(responder_cert_der)))
    response_bytes = der.sequence(_OCSP_BASIC, der.tlv(der.OCTET_STRING, basic))
    return der.sequence(_SUCCESSFUL, der.tlv(0xA0, response_bytes))
