"""The built-in RFC 3161 time-stamping authority, and pyHanko time-stampers that use it.

``TimestampAuthority.respond`` turns a ``TimeStampReq`` (DER) into a ``TimeStampResp``
(DER) and never raises on bad input: garbage, an unknown hash algorithm, a wrong imprint
length, an unsupported version, a foreign policy or any extension get ``rejection`` with a
failure info. Tokens are CMS SignedData signed by the TSA's pre-loaded EC P-256 key
(ECDSA-SHA256) with the ESSCertIDv2 ``signing-certificate-v2`` attribute, in the shape
:mod:`anxin.pki.tst_token` builds for both TSAs; genTime comes from
the injected clock (millisecond precision, accuracy ±1 s); serial numbers from a
:class:`~anxin.pki.serials.SerialSource`.

Example::

    tsa = TimestampAuthority(pki, DbSerialSource(db))
    reply_der = tsa.respond(query_der)
    signer_timestamper = make_timestamper(settings, tsa)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.timestamps import TimeStamper

from anxin.config import Settings
from anxin.net.outbound import OutboundPolicy
from anxin.pki.authority import Pki
from anxin.pki.profiles import TSA_POLICY_OID
from anxin.pki.serials import SerialSource
from anxin.pki.tsa_client import GuardedHTTPTimeStamper
from anxin.pki.tsp_status import Request, parse_request, respond
from anxin.pki.tst_token import TokenBuilder

IMPRINT_LENGTHS = {"sha256": 32, "sha384": 48, "sha512": 64}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TimestampAuthority:
    """Answers time-stamp requests; thread-safe, holds no per-request state."""

    def __init__(self, pki: Pki, serials: SerialSource, *, policy_oid: str = TSA_POLICY_OID,
                 clock: Callable[[], dt.datetime] = _utcnow,
                 accuracy_seconds: int = 1) -> None:
        self.serials = serials
        self.policy_oid = policy_oid
        self._clock = clock
        key: ec.EllipticCurvePrivateKey = pki.tsa_key
        tsa_cert = asn1_x509.Certificate.load(pki.tsa_cert.public_bytes(Encoding.DER))
        issuing = asn1_x509.Certificate.load(pki.issuing_cert.public_bytes(Encoding.DER))
        self._tokens = TokenBuilder(
            tsa_cert, [tsa_cert.dump(), issuing.dump()], policy_oid=policy_oid,
            accuracy_seconds=accuracy_seconds, digest_algorithm="sha256",
            signature_algorithm="sha256_ecdsa",
            digest=lambda data: hashlib.sha256(data).digest(),
            sign=lambda data: key.sign(data, ec.ECDSA(hashes.SHA256())))

    # -- request ---------------------------------------------------------------------------
    def _parse(self, request_der: bytes) -> Request:
        return parse_request(request_der, imprint_lengths=IMPRINT_LENGTHS,
                             policy_oid=self.policy_oid,
                             algorithms_text="use SHA-256, SHA-384 or SHA-512")

    # -- response --------------------------------------------------------------------------
    def respond(self, request_der: bytes) -> bytes:
        """A DER ``TimeStampResp``: a token, or a rejection with a failure info."""
        return respond(request_der, parse=self._parse, serials=self.serials,
                       token=lambda request, serial: self._tokens.granted(
                           self._clock(), request.imprint, request.nonce, request.cert_req,
                           serial))


class InProcessTimeStamper(TimeStamper):
    """A pyHanko time-stamper that asks our TSA in-process (no HTTP round trip)."""

    def __init__(self, tsa: TimestampAuthority, *, include_nonce: bool = True) -> None:
        super().__init__(include_nonce=include_nonce)  # type: ignore[no-untyped-call]
        self.tsa = tsa

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(self.tsa.respond(req.dump()))


def make_timestamper(settings: Settings, tsa: TimestampAuthority | None) -> TimeStamper:
    """``ANXIN_TSA_URL`` set: an RFC 3161 HTTP client to that TSA, through the SSRF guard
    (:class:`~anxin.pki.tsa_client.GuardedHTTPTimeStamper`); else the built-in one."""
    if settings.tsa_url:
        return GuardedHTTPTimeStamper(settings.tsa_url, OutboundPolicy.from_settings(settings))
    if tsa is None:
        raise ValueError("no ANXIN_TSA_URL and no built-in TSA given")
    return InProcessTimeStamper(tsa)


def timestamp_data(tsa: TimestampAuthority, data: bytes) -> bytes:
    """An RFC 3161 token (the ContentInfo DER) over SHA-256(data), from the in-process
    TSA, with the TSA certificate included; raises if the TSA refuses."""
    import hashlib
    import secrets

    req = tsp.TimeStampReq({
        "version": 1,
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                            "hashed_message": hashlib.sha256(data).digest()},
        "nonce": secrets.randbits(63), "cert_req": True})
    resp = tsp.TimeStampResp.load(tsa.respond(req.dump()))
    if resp["status"]["status"].native not in ("granted", "granted_with_mods"):
        raise RuntimeError(f"the TSA refused: {resp['status']['status'].native}")
    token: bytes = resp["time_stamp_token"].dump()
    return token
