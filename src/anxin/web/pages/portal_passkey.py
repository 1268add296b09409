"""Passkey sign-in to the person's portal ``/me``: a discoverable credential says whose it
is, so nothing is typed and nothing can be enumerated."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from anxin.error_codes import Code
from anxin.services.context import Context
from anxin.services.passkeys import passkey_login_options, verify_passkey_login
from anxin.services.portal import start_portal_session
from anxin.web.input_guard import read_json_object
from anxin.web.pages.portal import COOKIE
from anxin.web.pages.web_common import set_cookie
from anxin.web.problems import problems

router = APIRouter(tags=["portal"])

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>通行密钥登录 · Sign in with a passkey — Anxin</title>
<link rel="stylesheet" href="/static/anxin.css"></head><body>
<header class="bar"><strong>安心授权 Anxin</strong></header><main>
<h1>通行密钥登录 <span lang="en">/ Sign in with a passkey</span></h1>
<section class="card"><p>使用您签署授权时登记的通行密钥（指纹、面容或安全密钥）登录。<br>
<span lang="en">Use the passkey you registered when signing (fingerprint, face or key).</span></p>
<button class="primary" id="go" type="button">使用通行密钥 / Use my passkey</button>
<div id="notice" role="status" aria-live="polite"></div>
<p><a href="/me">改用短信验证码 / Use an SMS code instead</a></p></section></main>
<script src="/static/passkey.js"></script>
<script src="/static/portal-passkey.js"></script></body></html>"""


@router.get("/me/passkey", response_class=HTMLResponse, include_in_schema=False)
def page() -> HTMLResponse:
    return HTMLResponse(PAGE)


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
