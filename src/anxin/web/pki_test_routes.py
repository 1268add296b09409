"""The test CA of test mode, published for verifiers and integrators: ``/pki/test/root.crt``
(and ``issuing.crt``, ``tsa.crt``, ``seal.crt``, ``root.crl``, ``issuing.crl``).

A test authorization's letter and package chain to this root only, never to
``/pki/root.crt`` (:mod:`anxin.pki.test_ca`). Without a test CA (a data directory not
initialised since test mode came) these answer 404 problem+json.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from anxin.errors import NotFound
from anxin.pki.authority import PUBLISHED, Pki
from anxin.services import pki_publication
from anxin.services.context import Context

PEM = "application/x-pem-file"
CRL = "application/pkix-crl"


def _test_pki(request: Request) -> tuple[Context, Pki]:
    ctx: Context = request.app.state.ctx
    mode = getattr(ctx, "test_mode", None)
    if mode is None:
        raise NotFound("this deployment has no test CA (run `anxin init`)")
    return ctx, mode.pki


def build_router() -> APIRouter:
    router = APIRouter(tags=["pki"])

    def certificate_route(name: str) -> None:
        async def certificate(request: Request) -> Response:
            return Response(_test_pki(request)[1].pem(name), media_type=PEM,
                            headers={"Cache-Control": "public, max-age=3600"})
        certificate.__doc__ = (f"The test CA's PEM certificate file {name} (test mode: "
                               "test letters chain to /pki/test/root.crt only).")
        router.add_api_route(f"/pki/test/{name}", certificate, methods=["GET"],
                             response_class=Response,
                             name=f"pki_test_{name.replace('.', '_')}")

    for published in PUBLISHED:
        certificate_route(published)

    @router.get("/pki/test/root.crl", response_class=Response)
    async def test_root_crl(request: Request) -> Response:
        """The test root's CRL (DER)."""
        return Response(_test_pki(request)[1].root_crl_der, media_type=CRL)

    @router.get("/pki/test/issuing.crl", response_class=Response)
    def test_issuing_crl(request: Request) -> Response:
        """A freshly signed CRL (DER) of the test issuing CA."""
        ctx, pki = _test_pki(request)
        return Response(pki_publication.issuing_crl(ctx.db, pki, ctx.clock()),
                        media_type=CRL, headers={"Cache-Control": "no-cache"})

    return router
