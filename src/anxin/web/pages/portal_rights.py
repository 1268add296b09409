"""The person's rights at ``/me`` (PIPL art. 45): ``GET /me/export.zip``, a copy of
everything held about them (:mod:`anxin.services.person_export`), for the signed-in
person only; before sign-in it leads to the sign-in and back."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from anxin.errors import Unauthenticated
from anxin.services.person_export import person_export
from anxin.web.pages.portal import session_of, to_signin
from anxin.web.pages.web_common import ctx_of


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/me/export.zip")
    async def export_zip(request: Request) -> Response:
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        data = await run_in_threadpool(person_export, ctx_of(request), sess.principal)
        return Response(data, media_type="application/zip", headers={
            "Content-Disposition": 'attachment; filename="anxin-my-data.zip"',
            "Cache-Control": "no-store"})

    return router
