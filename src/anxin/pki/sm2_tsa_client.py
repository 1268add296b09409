"""Where SM2 time-stamp tokens come from: the :class:`Sm2TimeStamper` port, with the
built-in TSA in-process and an external SM2 TSA over HTTP (``ANXIN_TSA_URL`` in the ``sm``
profile), through the SSRF guard.

Both return the token (ContentInfo DER) over an SM3 digest, or raise
:class:`~anxin.pki.sm2_tsa.TimestampFailed` (the TSA refused or could not be reached) or
:class:`~anxin.pki.sm2_tsa_verify.Sm2TokenInvalid`. The HTTP one checks what it is given
before anyone relies on it (:func:`~anxin.pki.sm2_tsa_verify.verify_sm2_token`): the
imprint is the digest asked for, the nonce the one sent, the SM2 signature verifies under
the TSA certificate in the token (certReq is always set). Whether that certificate chains
to a trusted SM2 root is the caller's check, as for every token.

Example::

    stamper = HttpSm2TimeStamper("https://tsa.example/sm2", OutboundPolicy())
    token_der = stamper.timestamp(sm3(letter))
"""

from __future__ import annotations

import secrets
from typing import Protocol

import httpx

from anxin.net.outbound import OutboundClient, OutboundError, OutboundPolicy
from anxin.pki.sm2_tsa import (
    Sm2TimestampAuthority,
    TimestampFailed,
    sm3_request,
    timestamp_sm3,
    token_of_reply,
)
from anxin.pki.sm2_tsa_verify import verify_sm2_token

MAX_REPLY_BYTES = 256 * 1024
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


class Sm2TimeStamper(Protocol):
    """A source of SM2 time-stamp tokens."""

    def timestamp(self, sm3_digest: bytes) -> bytes:
        """The token (ContentInfo DER) over ``sm3_digest`` (32 bytes)."""
        ...


class InProcessSm2TimeStamper:
    """The built-in SM2 TSA, called in-process (no HTTP round trip)."""

    def __init__(self, tsa: Sm2TimestampAuthority) -> None:
        self.tsa = tsa

    def timestamp(self, sm3_digest: bytes) -> bytes:
        return timestamp_sm3(self.tsa, sm3_digest)


class HttpSm2TimeStamper:
    """RFC 3161 over HTTP to an SM2 TSA at ``url``, only where ``policy`` lets the server
    call; every token is verified against the request before it is returned."""

    def __init__(self, url: str, policy: OutboundPolicy, *, timeout: float = 10.0) -> None:
        self.url = url
        self.policy = policy
        self.timeout = timeout

    def timestamp(self, sm3_digest: bytes) -> bytes:
        if len(sm3_digest) != 32:
            raise ValueError("an SM3 digest is 32 bytes")
        nonce = secrets.randbits(63)
        token = token_of_reply(self._post(sm3_request(sm3_digest, nonce=nonce)))
        verify_sm2_token(token, digest=sm3_digest, nonce=nonce)
        return token

    def _post(self, query: bytes) -> bytes:
        client = OutboundClient(self.policy, timeout=self.timeout,
                                max_response_bytes=MAX_REPLY_BYTES)
        try:
            response = client.post(self.url, content=query,
                                   headers={"Content-Type": QUERY_TYPE}, field="ANXIN_TSA_URL")
        except OutboundError as exc:
            raise TimestampFailed(f"the TSA may not be called: {exc.detail}") from exc
        except httpx.HTTPError as exc:
            raise TimestampFailed(f"the TSA cannot be reached: {exc}") from exc
        finally:
            client.close()
        if response.status_code != 200:
            raise TimestampFailed(f"the TSA answered HTTP {response.status_code}")
        if response.headers.get("Content-Type") != REPLY_TYPE:
            raise TimestampFailed(f"the TSA's answer is not {REPLY_TYPE}")
        return response.content
