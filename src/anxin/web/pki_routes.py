"""Public PKI endpoints for verifiers: certificates, CRLs, OCSP (RFC 6960), TSA (RFC 3161).

Reads from ``request.app.state.ctx``: ``pki`` (:class:`anxin.pki.authority.Pki`), ``tsa``
(:class:`anxin.pki.tsa.TimestampAuthority`), ``db`` and ``clock()``; the CRL, OCSP and TSA
answers are the use cases of :mod:`anxin.services.pki_publication`. Mount with
``app.include_router(build_router())``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable
from typing import Protocol
from urllib.parse import unquote

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from anxin.pki.authority import PUBLISHED, Pki
from anxin.pki.signature_profile import Profile
from anxin.pki.tsa import TimestampAuthority
from anxin.services import pki_publication
from anxin.storage.database import Database

MAX_BODY_BYTES = 64 * 1024
PEM = "application/x-pem-file"
CRL = "application/pkix-crl"


class PkiParts(Protocol):
    """What these routes read of the context (the services' :class:`Context` has it all;
    a verifier-only deployment or a test may mount them on less)."""

    db: Database
    pki: Pki
    tsa: TimestampAuthority
    profile: Profile
    clock: Callable[[], dt.datetime]


def _parts(request: Request) -> PkiParts:
    parts: PkiParts = request.app.state.ctx
    return parts


async def _body(request: Request) -> bytes | None:
    """The request body, or None if it is larger than :data:`MAX_BODY_BYTES`."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def build_router() -> APIRouter:
    router = APIRouter(tags=["pki"])

    def certificate_route(name: str) -> None:
        async def certificate(request: Request) -> Response:
            pki: Pki = _parts(request).pki
            return Response(pki.pem(name), media_type=PEM,
                            headers={"Cache-Control": "public, max-age=3600"})
        certificate.__doc__ = f"The PEM certificate file {name}."
        router.add_api_route(f"/pki/{name}", certificate, methods=["GET"],
                             response_class=Response, name=f"pki_{name.replace('.', '_')}")

    for published in PUBLISHED:
        certificate_route(published)

    @router.get("/pki/profile")
    async def profile(request: Request) -> dict[str, str]:
        """The deployment's signature profile (``intl``, ``sm`` or ``dual``), fixed at
        ``anxin init``: what a verifier should expect in its letters and packages."""
        return {"profile": _parts(request).profile.value}

    @router.get("/pki/root.crl", response_class=Response)
    async def root_crl(request: Request) -> Response:
        """The root CA's CRL (DER), signed offline by ``anxin init`` / ``anxin keys``."""
        pki: Pki = _parts(request).pki
        return Response(pki.root_crl_der, media_type=CRL)

    @router.get("/pki/issuing.crl", response_class=Response)
    def issuing_crl(request: Request) -> Response:
        """A freshly signed CRL (DER) of the issuing CA."""
        ctx = _parts(request)
        crl = pki_publication.issuing_crl(ctx.db, ctx.pki, ctx.clock())
        return Response(crl, media_type=CRL, headers={"Cache-Control": "no-cache"})

    @router.post("/pki/ocsp", response_class=Response)
    async def ocsp(request: Request) -> Response:
        """RFC 6960 OCSP responder (``application/ocsp-request``)."""
        return await _ocsp_answer(request, await _body(request))

    @router.get("/pki/ocsp/{encoded:path}", response_class=Response)
    async def ocsp_get(encoded: str, request: Request) -> Response:
        """RFC 6960 A.1 OCSP over GET: the DER request, base64, URL-encoded, as the last
        part of the path (what browsers and Windows send for small requests)."""
        return await _ocsp_answer(request, _decode_ocsp_get(encoded),
                                  headers={"Cache-Control": "no-cache"})

    @router.post("/tsa", response_class=Response)
    async def tsa(request: Request) -> Response:
        """RFC 3161 time-stamping (``application/timestamp-query``)."""
        body = await _body(request)
        authority: TimestampAuthority = _parts(request).tsa
        reply = await run_in_threadpool(pki_publication.timestamp_reply, authority, body)
        return Response(reply, media_type="application/timestamp-reply")

    return router


async def _ocsp_answer(request: Request, body: bytes | None,
                       headers: dict[str, str] | None = None) -> Response:
    """The responder's answer to a request's DER (None: unreadable or too large)."""
    reply = await run_in_threadpool(_ocsp, request, body)
    return Response(reply, media_type="application/ocsp-response", headers=headers)


def _decode_ocsp_get(encoded: str) -> bytes | None:
    """The request of an OCSP GET path, or None. The server has already undone one URL
    encoding (so an encoded '/' is back, hence the path converter; ``unquote`` undoes a
    second, for clients that encode twice); base64url, and '+' and '/' left unencoded,
    decode the same here."""
    text = unquote(encoded).strip()
    if not text or len(text) > MAX_BODY_BYTES * 4 // 3 + 4:
        return None
    text = text.replace("-", "+").replace("_", "/").replace(" ", "+")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _ocsp(request: Request, body: bytes | None) -> bytes:
    ctx = _parts(request)
    return pki_publication.ocsp_answer(ctx.db, ctx.pki, body, ctx.clock())
