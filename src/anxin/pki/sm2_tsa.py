"""The built-in SM2 time-stamping authority: RFC 3161 requests with SM3 imprints answered
with SM2-signed tokens in the GB/T 20520 / GM/T 0033 profile (the national counterpart of
:mod:`anxin.pki.tsa`).

``Sm2TimestampAuthority.respond`` turns a ``TimeStampReq`` (DER) into a ``TimeStampResp``
(DER) and never raises on bad input: garbage, an imprint that is not SM3
(1.2.156.10197.1.401), a wrong imprint length, another version, a foreign policy or any
extension get ``rejection`` with a failure info, as the intl TSA does. A token is a CMS
SignedData (version 3) encapsulating the TSTInfo (``id-ct-TSTInfo``) with:

- digestAlgorithm SM3 (no parameters), in SignedData and SignerInfo;
- signed attributes contentType, messageDigest (SM3 of the TSTInfo) and
  signingCertificateV2 (ESSCertIDv2 hashed with SM3, hashAlgorithm written since SM3 is
  not the default, with issuerSerial);
- signatureAlgorithm SM2-with-SM3 (1.2.156.10197.1.501, no parameters), the signature by
  :func:`anxin.pki.sm2.sign` (user id ``1234567812345678``) as DER ``SEQUENCE {r, s}``
  over the DER SET OF the signed attributes. Why 1.501 and not sm2-1
  (1.2.156.10197.1.301.1, the spelling of GM/T 0010's examples): GmSSL 3's CMS writes
  ``OID_sm2sign_with_sm3`` there, OpenSSL and Tongsuo map (SM3, SM2) to SM2-with-SM3, and
  our SM2 certificates are signed under 1.501; :func:`verify_sm2_token` accepts both.

TSTInfo: version 1, policy :data:`SM2_TSA_POLICY_OID` (its own arc under the intl TSA
policy: the algorithms are part of what a policy promises, so a relying party that asks
for the SM policy can only get an SM2 token), the request's imprint echoed, a serial
from the same :class:`~anxin.pki.serials.SerialSource` as the intl TSA (one sequence for
both, across nodes), genTime to the millisecond, accuracy ±1 s, ordering false (left out,
its DEFAULT), the request's nonce, the TSA's name; certificates (TSA then ``chain``) only
when certReq is set.

Example::

    tsa = Sm2TimestampAuthority(key, tsa_cert_der, [issuing_der], serials)
    reply_der = tsa.respond(query_der)
    token_der = timestamp_sm3(tsa, sm3(letter))
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from typing import Final

from asn1crypto import core, tsp
from asn1crypto import x509 as asn1_x509

from anxin.error_codes import Code
from anxin.errors import AnxinError
from anxin.pki import sm2
from anxin.pki.profiles import TSA_POLICY_OID
from anxin.pki.serials import SerialSource
from anxin.pki.tsp_status import Request, parse_request, respond
from anxin.pki.tst_token import TokenBuilder

SM2_TSA_POLICY_OID: Final = TSA_POLICY_OID + ".1"
"""The SM2/SM3 token policy: a sub-arc of the intl TSA policy (``….2.1``)."""
IMPRINT_LENGTH: Final = 32
_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TimestampFailed(AnxinError):
    """The TSA refused the request or could not be reached (the caller gets no token)."""

    code = Code.TSA_FAILED


def _check_tsa_certificate(key: sm2.SM2PrivateKey, cert: asn1_x509.Certificate) -> None:
    """Fail closed at start-up: a token no verifier would accept is never issued."""
    if sm2.SM2PublicKey.from_der(cert.public_key.dump()) != key.public_key():
        raise ValueError("the TSA certificate is not the TSA key's")
    eku = cert.extended_key_usage_value
    if (eku is None or eku.native != ["time_stamping"]
            or "extended_key_usage" not in cert.critical_extensions):
        raise ValueError("the TSA certificate lacks the critical timeStamping key usage")


class Sm2TimestampAuthority:
    """Answers SM3 time-stamp requests with SM2 tokens; thread-safe, no per-request state."""

    def __init__(self, key: sm2.SM2PrivateKey, cert: bytes, chain: Sequence[bytes],
                 serials: SerialSource, *, policy_oid: str = SM2_TSA_POLICY_OID,
                 clock: Callable[[], dt.datetime] = _utcnow,
                 accuracy_seconds: int = 1) -> None:
        tsa_cert = asn1_x509.Certificate.load(cert, strict=True)
        _check_tsa_certificate(key, tsa_cert)
        self.serials = serials
        self.policy_oid = policy_oid
        self.certificate = bytes(cert)
        self._clock = clock
        self._tokens = TokenBuilder(
            tsa_cert, [tsa_cert.dump(), *(asn1_x509.Certificate.load(c, strict=True).dump()
                                          for c in chain)],
            policy_oid=policy_oid, accuracy_seconds=accuracy_seconds,
            digest_algorithm="sm3", signature_algorithm="sm2_sm3", digest=sm2.sm3,
            sign=lambda data: sm2.sign(key, data))

    # -- request ---------------------------------------------------------------------------
    def _parse(self, request_der: bytes) -> Request:
        return parse_request(request_der, imprint_lengths={"sm3": IMPRINT_LENGTH},
                             policy_oid=self.policy_oid,
                             algorithms_text="this TSA time-stamps SM3 imprints "
                                             "(1.2.156.10197.1.401)")

    # -- response --------------------------------------------------------------------------
    def respond(self, request_der: bytes) -> bytes:
        """A DER ``TimeStampResp``: a token, or a rejection with a failure info."""
        return respond(request_der, parse=self._parse, serials=self.serials,
                       token=lambda request, serial: self._tokens.granted(
                           self._clock(), request.imprint, request.nonce, request.cert_req,
                           serial))


def sm3_request(digest: bytes, *, nonce: int | None, cert_req: bool = True) -> bytes:
    """A ``TimeStampReq`` (DER) for an SM3 digest."""
    fields: dict[str, object] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sm3"}, "hashed_message": digest},
        "cert_req": cert_req}
    if nonce is not None:
        fields["nonce"] = nonce
    return bytes(tsp.TimeStampReq(fields).dump())


def token_of_reply(reply_der: bytes) -> bytes:
    """The token (ContentInfo DER) of a granted ``TimeStampResp``; raises
    :class:`TimestampFailed` naming the status and text of any other answer."""
    try:
        outer = core.Sequence.load(reply_der, strict=True)
        status = tsp.PKIStatusInfo.load(outer[0].dump(), strict=True)
        state = status["status"].native
        text = "; ".join(status["status_string"].native or [])
        failure = ", ".join(sorted(status["fail_info"].native or ()))
        token = outer[1].dump() if len(outer) > 1 else None
    except _PARSE_ERRORS as exc:
        raise TimestampFailed(f"the TSA's answer is not a TimeStampResp: {exc}") from None
    if state not in ("granted", "granted_with_mods") or token is None:
        raise TimestampFailed(f"the TSA refused: {state} ({failure or 'no failure info'}) "
                              f"{text}".strip(), fail_info=failure)
    return bytes(token)


def timestamp_sm3(tsa: Sm2TimestampAuthority, digest: bytes) -> bytes:
    """An SM2 token (ContentInfo DER) over the SM3 ``digest`` from the in-process TSA,
    with the TSA's certificates; raises :class:`TimestampFailed` if the TSA refuses."""
    return token_of_reply(tsa.respond(sm3_request(digest, nonce=secrets.randbits(63))))
