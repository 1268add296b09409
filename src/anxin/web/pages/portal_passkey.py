"""Passkey sign-in to the person's portal ``/me``: a discoverable credential says whose it
is, so nothing is typed and nothing can be enumerated. The page is a portal template
(``portal_passkey.html``) in one language; its script's messages are on the page too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from anxin.error_codes import Code
from anxin.services.context import Context
from anxin.services.passkeys import passkey_login_options, verify_passkey_login
from anxin.services.portal import start_portal_session
from anxin.web.input_guard import read_json_object
from anxin.web.pages.portal import COOKIE, page
from anxin.web.pages.web_common import set_cookie
from anxin.web.problems import problems

router = APIRouter(tags=["portal"])


@router.get("/me/passkey", response_class=HTMLResponse, include_in_schema=False)
def passkey_page(request: Request) -> Response:
    """The page, in the portal's style and the person's one language (as every portal
    page: ``?lang=``, the switch's cookie, ``Accept-Language``, else zh-CN)."""
    return page(request, "portal_passkey.html")


@router.post("/me/passkey/options", summary="Options for a passkey sign-in")
async def options(request: Request) -> dict[str, Any]:
    ctx: Context = request.app.state.ctx
    out: dict[str, Any] = await run_in_threadpool(passkey_login_options, ctx)
    return out


@router.post("/me/passkey/verify", responses=problems(s422=[Code.PASSKEY_INVALID]),
             summary="Verify a passkey assertion and open a portal session")
async def verify(request: Request) -> JSONResponse:
    ctx: Context = request.app.state.ctx
    payload = await read_json_object(request)
    login = await run_in_threadpool(verify_passkey_login, ctx, payload)
    token = await run_in_threadpool(start_portal_session, ctx, login.mobile_index)
    resp = JSONResponse({"signed_in": True, "next": "/me"})
    set_cookie(resp, ctx, COOKIE, token, path="/me")
    return resp
