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

from anxin.errors import NotFound
from anxin.pki.authority import PUBLISHED, Pki
from anxin.pki.signature_profile import Profile
from anxin.pki.sm2_tsa import Sm2TimestampAuthority
from anxin.pki.tsa import TimestampAuthority
from anxin.services import pki_publication
from anxin.services.sm2_services import Sm2Services
from anxin.storage.database import Database
from anxin.web.api.schemas import SignatureProfile

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
    sm2: Sm2Services | None
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
            parts = _parts(request)
            pem = _sm2(parts).pki.pem(name) if _is_sm(parts) else \
                parts.pki.pem(name)
            return Response(pem, media_type=PEM,
                            headers={"Cache-Control": "public, max-age=3600"})
        certificate.__doc__ = (f"The PEM certificate file {name} (in the sm profile the "
                               "SM2 one, as under /pki/sm2/).")
        router.add_api_route(f"/pki/{name}", certificate, methods=["GET"],
                             response_class=Response, name=f"pki_{name.replace('.', '_')}")

        async def sm2_certificate(request: Request) -> Response:
            return Response(_sm2(_parts(request)).pki.pem(name), media_type=PEM,
                            headers={"Cache-Control": "public, max-age=3600"})
        sm2_certificate.__doc__ = f"The SM2 PKI's PEM certificate file {name} (sm, dual)."
        router.add_api_route(f"/pki/sm2/{name}", sm2_certificate, methods=["GET"],
                             response_class=Response,
                             name=f"pki_sm2_{name.replace('.', '_')}")

    for published in PUBLISHED:
        certificate_route(published)

    @router.get("/pki/sm2/root.crl", response_class=Response)
    async def sm2_root_crl(request: Request) -> Response:
        """The SM2 root CA's CRL (DER, SM2-signed offline at ``anxin init``)."""
        return Response(_sm2(_parts(request)).pki.root_crl_der, media_type=CRL)

    @router.get("/pki/sm2/issuing.crl", response_class=Response)
    def sm2_issuing_crl(request: Request) -> Response:
        """A freshly signed CRL (DER, SM2) of the SM2 issuing CA."""
        ctx = _parts(request)
        crl = pki_publication.sm2_issuing_crl(ctx.db, _sm2(ctx).pki, ctx.clock())
        return Response(crl, media_type=CRL, headers={"Cache-Control": "no-cache"})

    @router.post("/pki/sm2/ocsp", response_class=Response)
    async def sm2_ocsp(request: Request) -> Response:
        """RFC 6960 OCSP responder of the SM2 issuing CA (answers signed SM2)."""
        _sm2(_parts(request))
        return await _ocsp_answer(request, await _body(request), sm2=True)

    @router.get("/pki/sm2/ocsp/{encoded:path}", response_class=Response)
    async def sm2_ocsp_get(encoded: str, request: Request) -> Response:
        """RFC 6960 A.1 OCSP over GET, of the SM2 issuing CA."""
        _sm2(_parts(request))
        return await _ocsp_answer(request, _decode_ocsp_get(encoded),
                                  headers={"Cache-Control": "no-cache"}, sm2=True)

    @router.post("/tsa/sm2", response_class=Response)
    async def tsa_sm2(request: Request) -> Response:
        """RFC 3161 time-stamping with SM3 imprints and SM2 tokens (GM/T 0033 profile)."""
        authority = _sm2(_parts(request)).tsa
        body = await _body(request)
        reply = await run_in_threadpool(pki_publication.timestamp_reply, authority, body)
        return Response(reply, media_type="application/timestamp-reply")

    @router.get("/pki/profile", response_model=SignatureProfile)
    async def profile(request: Request) -> dict[str, str]:
        """The deployment's signature profile (``intl``, ``sm`` or ``dual``), fixed at
        ``anxin init``: what a verifier should expect in its letters and packages."""
        return {"profile": _parts(request).profile.value}

    @router.get("/pki/root.crl", response_class=Response)
    async def root_crl(request: Request) -> Response:
        """The root CA's CRL (DER), signed offline by ``anxin init`` / ``anxin keys``
        (in the sm profile the SM2 root's)."""
        parts = _parts(request)
        der = _sm2(parts).pki.root_crl_der if _is_sm(parts) else \
            parts.pki.root_crl_der
        return Response(der, media_type=CRL)

    @router.get("/pki/issuing.crl", response_class=Response)
    def issuing_crl(request: Request) -> Response:
        """A freshly signed CRL (DER) of the issuing CA (in the sm profile the SM2 one)."""
        ctx = _parts(request)
        crl = pki_publication.sm2_issuing_crl(ctx.db, _sm2(ctx).pki, ctx.clock()) \
            if _is_sm(ctx) else \
            pki_publication.issuing_crl(ctx.db, ctx.pki, ctx.clock())
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
        """RFC 3161 time-stamping (``application/timestamp-query``); in the sm profile the
        SM2 TSA (SM3 imprints), as ``/tsa/sm2``."""
        body = await _body(request)
        parts = _parts(request)
        authority: TimestampAuthority | Sm2TimestampAuthority = \
            _sm2(parts).tsa if _is_sm(parts) else parts.tsa
        reply = await run_in_threadpool(pki_publication.timestamp_reply, authority, body)
        return Response(reply, media_type="application/timestamp-reply")

    return router


def _is_sm(parts: PkiParts) -> bool:
    """The sm profile: the unqualified routes serve the SM2 PKI and TSA (CONTRACT §8). A
    verifier-only mounting without a profile is intl."""
    return getattr(parts, "profile", Profile.INTL) is Profile.SM


def _sm2(parts: PkiParts) -> Sm2Services:
    """The SM2 parts, or 404 in the intl profile (the routes exist, the PKI does not)."""
    sm2: Sm2Services | None = getattr(parts, "sm2", None)
    if sm2 is None:
        raise NotFound("this deployment's signature profile is intl: it has no SM2 PKI "
                       "(GET /pki/profile)")
    return sm2


async def _ocsp_answer(request: Request, body: bytes | None,
                       headers: dict[str, str] | None = None, *, sm2: bool = False
                       ) -> Response:
    """The responder's answer to a request's DER (None: unreadable or too large)."""
    parts = _parts(request)
    if sm2 or _is_sm(parts):
        sm2_pki = _sm2(parts).pki
        reply = await run_in_threadpool(pki_publication.sm2_ocsp_answer, parts.db, sm2_pki,
                                        body, parts.clock())
        return Response(reply, media_type="application/ocsp-response", headers=headers)
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
