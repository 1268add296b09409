"""The client of an external RFC 3161 TSA (``ANXIN_TSA_URL``), through the SSRF guard.

pyHanko's own ``HTTPTimeStamper`` posts with aiohttp, which resolves the host itself and
follows redirects: neither can be checked by :mod:`anxin.net.outbound`. This time-stamper
sends the same request (``Content-Type: application/timestamp-query``) with
:class:`~anxin.net.outbound.OutboundClient` instead (resolved, checked and pinned address;
no redirects; bounded answer), in a worker thread so pyHanko's event loop is not blocked.
Every failure is pyHanko's ``TimestampRequestError``, as with the client it replaces.

Example::

    stamper = GuardedHTTPTimeStamper("https://tsa.example/", OutboundPolicy())
"""

from __future__ import annotations

import asyncio

import httpx
from asn1crypto import tsp
from pyhanko.sign.timestamps import TimeStamper, TimestampRequestError
from pyhanko.sign.timestamps.common_utils import set_tsp_headers

from anxin.net.outbound import OutboundClient, OutboundError, OutboundPolicy

MAX_REPLY_BYTES = 256 * 1024


class GuardedHTTPTimeStamper(TimeStamper):
    """RFC 3161 over HTTP to ``url``, only where ``policy`` lets the server call."""

    def __init__(self, url: str, policy: OutboundPolicy, *, timeout: float = 10.0) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.url = url
        self.policy = policy
        self.timeout = timeout

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return await asyncio.to_thread(self._request, req.dump())

    def _request(self, query: bytes) -> tsp.TimeStampResp:
        client = OutboundClient(self.policy, timeout=self.timeout,
                                max_response_bytes=MAX_REPLY_BYTES)
        try:
            r = client.post(self.url, content=query, headers=set_tsp_headers({}),
                            field="ANXIN_TSA_URL")
        except OutboundError as exc:
            raise TimestampRequestError(f"the TSA may not be called: {exc.detail}") from exc
        except httpx.HTTPError as exc:
            raise TimestampRequestError(f"Error while contacting timestamp service: {exc}"
                                        ) from exc
        finally:
            client.close()
        if r.status_code != 200:
            raise TimestampRequestError(f"the TSA answered HTTP {r.status_code}")
        if r.headers.get("Content-Type") != "application/timestamp-reply":
            raise TimestampRequestError("the TSA's answer is not application/timestamp-reply")
        return tsp.TimeStampResp.load(r.content)
