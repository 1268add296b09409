"""The one shape of an RFC 3161 time-stamp token, shared by the intl TSA
(:mod:`anxin.pki.tsa`: SHA-256, ECDSA P-256) and the SM2 TSA (:mod:`anxin.pki.sm2_tsa`:
SM3, SM2): the TSTInfo and the CMS SignedData around it, with the digest algorithm and
the signing function as parameters.

A token is a SignedData (version 3) encapsulating the TSTInfo (``id-ct-TSTInfo``): the
digest algorithm in SignedData and SignerInfo; signed attributes contentType,
messageDigest (the digest of the TSTInfo) and signingCertificateV2 (an ESSCertIDv2 of the
TSA certificate under the same digest, whose hashAlgorithm is written unless it is
SHA-256, the DEFAULT, which DER leaves out; with issuerSerial); the signature of the DER
SET OF the signed attributes. TSTInfo: version 1, the policy, the request's imprint
echoed, the serial, genTime to the millisecond, the accuracy, ordering left out (its
DEFAULT false), the nonce if the request had one, the TSA's name. The certificates (the
TSA's first) are included only when the request's certReq is set. The constant parts are
encoded once (see :mod:`anxin.der`).

Example::

    tokens = TokenBuilder(tsa_cert, [tsa_der, issuing_der], policy_oid=TSA_POLICY_OID,
                          accuracy_seconds=1, digest_algorithm="sha256",
                          signature_algorithm="sha256_ecdsa", digest=sha256, sign=sign)
    reply_der = tokens.granted(now, imprint, nonce, cert_req, serial)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509

from anxin import der

_V1 = der.der_integer(1)
_V3 = der.der_integer(3)
_GRANTED = der.sequence(der.der_integer(0))  # PKIStatusInfo { status granted }
# The ESSCertIDv2 hashAlgorithm's DEFAULT (RFC 5035): left out when it is the one used.
_ESS_DEFAULT_DIGEST = "sha256"


class TokenBuilder:
    """Builds granted ``TimeStampResp`` bodies for one TSA certificate; thread-safe (the
    parts are encoded once; ``sign`` must be thread-safe)."""

    def __init__(self, tsa_cert: asn1_x509.Certificate, certificates: Sequence[bytes], *,
                 policy_oid: str, accuracy_seconds: int, digest_algorithm: str,
                 signature_algorithm: str, digest: Callable[[bytes], bytes],
                 sign: Callable[[bytes], bytes]) -> None:
        self._digest = digest
        self._sign = sign
        self._policy = core.ObjectIdentifier(policy_oid).dump()
        self._accuracy = tsp.Accuracy({"seconds": accuracy_seconds}).dump()
        self._tsa_name = der.tlv(0xA0, asn1_x509.GeneralName(
            name="directory_name", value=tsa_cert.subject).dump())
        self._certificates = der.tlv(0xA0, b"".join(certificates))
        self._sid = cms.IssuerAndSerialNumber(
            {"issuer": tsa_cert.issuer, "serial_number": tsa_cert.serial_number}).dump()
        self._digest_algorithm = algos.DigestAlgorithm({"algorithm": digest_algorithm}).dump()
        self._signature_algorithm = algos.SignedDigestAlgorithm(
            {"algorithm": signature_algorithm}).dump()
        cert_id: dict[str, object] = {
            "cert_hash": digest(tsa_cert.dump()),
            "issuer_serial": {
                "issuer": [asn1_x509.GeneralName(name="directory_name",
                                                 value=tsa_cert.issuer)],
                "serial_number": tsa_cert.serial_number}}
        if digest_algorithm != _ESS_DEFAULT_DIGEST:
            cert_id = {"hash_algorithm": {"algorithm": digest_algorithm}, **cert_id}
        ess = tsp.SigningCertificateV2({"certs": [tsp.ESSCertIDv2(cert_id)]})
        self.static_attrs = (
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}).dump(),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]}).dump(),
        )
        self._message_digest_oid = cms.CMSAttributeType("message_digest").dump()
        self._signed_data_oid = cms.ContentType("signed_data").dump()
        self._tst_info_oid = cms.ContentType("tst_info").dump()

    def granted(self, now: dt.datetime, imprint: tsp.MessageImprint, nonce: int | None,
                cert_req: bool, serial: int) -> bytes:
        """The DER of a granted ``TimeStampResp``: status granted and the token, dated
        ``now`` (to the millisecond, in UTC)."""
        now = now.astimezone(dt.UTC)
        gen_time = now.replace(microsecond=now.microsecond // 1000 * 1000)
        tst_info = der.sequence(
            _V1, self._policy, imprint.dump(), der.der_integer(serial),
            der.der_generalized_time(gen_time), self._accuracy,
            b"" if nonce is None else der.der_integer(nonce), self._tsa_name)
        message_digest = der.sequence(self._message_digest_oid, der.der_set_of(
            der.tlv(der.OCTET_STRING, self._digest(tst_info))))
        signed_attrs = der.der_set_of(*self.static_attrs, message_digest)
        signature = self._sign(signed_attrs)
        signer_info = der.sequence(
            _V1, self._sid, self._digest_algorithm, b"\xa0" + signed_attrs[1:],
            self._signature_algorithm, der.tlv(der.OCTET_STRING, signature))
        signed_data = der.sequence(
            _V3, der.tlv(der.SET, self._digest_algorithm),
            der.sequence(self._tst_info_oid,
                         der.tlv(0xA0, der.tlv(der.OCTET_STRING, tst_info))),
            self._certificates if cert_req else b"",
            der.tlv(der.SET, signer_info))
        token = der.sequence(self._signed_data_oid, der.tlv(0xA0, signed_data))
        return der.sequence(_GRANTED, token)
