"""The person's portal ``/me`` (CONTRACT §4): pages over :mod:`anxin.services.portal`.

Plain HTML forms, no script needed. The session cookie ``anxin_me`` is http-only,
SameSite=Strict, Secure on https, scoped to ``/me``; every form carries a CSRF token
(bound to the session, or before sign-in to the ``anxin_me_pre`` cookie).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from anxin.error_codes import Code
from anxin.errors import AnxinError, Forbidden, NotFound, TooManyRequests, Unauthenticated
from anxin.services import portal
from anxin.services.context import Context
from anxin.services.sms_guard import session_key
from anxin.services.web_sessions import (
    SessionRef,
    check_csrf,
    end_session,
    resume_session,
)
from anxin.web.client_ip import client_ip
from anxin.web.edge_errors import problem_for
from anxin.web.pages.portal_i18n import portal_strings
from anxin.web.pages.web_common import (
    ctx_of,
    fmt_time,
    form_of,
    html,
    pre_csrf,
    pre_token,
    set_cookie,
)
from anxin.web.problems import problem_response

COOKIE = "anxin_me"
PRE_COOKIE = "anxin_me_pre"
LANG_COOKIE = "anxin_lang"


PASSKEY_SIGNIN_URL = "/me/passkey"  # :mod:`anxin.web.pages.portal_passkey`

def _locale(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in ("zh-CN", "en"):
        return asked
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") \
        else "zh-CN"


def _page(request: Request, template: str, status: int = 200, *,
          session: SessionRef | None = None, csrf: str | None = None,
          **values: Any) -> Response:
    locale = _locale(request)
    resp = html(request, template, status, t=portal_strings(locale), locale=locale,
                other_locale="en" if locale == "zh-CN" else "zh-CN",
                csrf=csrf or (session.csrf if session else None),
                signed_in=session is not None,
                fmt=lambda v: fmt_time(v, locale), **values)
    if request.query_params.get("lang") in ("zh-CN", "en"):
        set_cookie(resp, ctx_of(request), LANG_COOKIE, locale, path="/me")
    return resp


def _session(request: Request) -> SessionRef:
    return resume_session(ctx_of(request), "portal", request.cookies.get(COOKIE))


def _signin_page(request: Request, *, err: str | None = None, status: int = 200,
                 mobile: str | None = None) -> Response:
    ctx = ctx_of(request)
    pre, new = pre_token(request, PRE_COOKIE)
    resp = _page(request, "portal_signin.html", status, csrf=pre_csrf(ctx, "portal", pre),
                 err=err, mobile=mobile, passkey_url=PASSKEY_SIGNIN_URL)
    if new:
        set_cookie(resp, ctx, PRE_COOKIE, pre, path="/me")
    return resp


def _check_pre(ctx: Context, request: Request, form: dict[str, str]) -> None:
    pre = request.cookies.get(PRE_COOKIE)
    if not pre:
        raise Forbidden("no sign-in form cookie", code=Code.CSRF_FAILED)
    check_csrf(pre_csrf(ctx, "portal", pre), form.get("csrf"))


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _refusal(request: Request, exc: AnxinError, *, mobile: str) -> Response:
    """A refused sign-in step: problem+json for a client that asks for JSON, else the
    sign-in page with the status and the code; a 429 carries ``Retry-After`` either way."""
    if _wants_json(request):
        return problem_response(exc.status, exc.code, exc.title, exc.detail, **exc.extra)
    resp = _signin_page(request, err=exc.code, status=exc.status, mobile=mobile)
    if isinstance(exc, TooManyRequests):
        resp.headers["Retry-After"] = str(exc.retry_after)
    return resp


def _to_signin() -> Response:
    return RedirectResponse("/me?err=session_expired", status_code=303)


def build_router() -> APIRouter:
    router = APIRouter(tags=["portal"], include_in_schema=False)

    @router.get("/me")
    async def home(request: Request) -> Response:
        ctx = ctx_of(request)
        try:
            sess = await run_in_threadpool(_session, request)
        except Unauthenticated:
            return _signin_page(request, err=request.query_params.get("err"))
        items = await run_in_threadpool(portal.list_mine, ctx, sess.principal,
                                        _locale(request))
        return _page(request, "portal_list.html", session=sess, items=items,
                     msg=request.query_params.get("msg"))

    @router.post("/me/code")
    async def send_code(request: Request) -> Response:
        ctx = ctx_of(request)
        form = await form_of(request)
        mobile = form.get("mobile", "").strip()
        pre = request.cookies.get(PRE_COOKIE, "")
        try:
            _check_pre(ctx, request, form)
            masked = await run_in_threadpool(
                portal.send_portal_code, ctx, mobile, client_ip=client_ip(request, ctx),
                session=session_key("portal", pre))
        except AnxinError as exc:
            return _refusal(request, exc, mobile=mobile)
        return _page(request, "portal_code.html", csrf=pre_csrf(ctx, "portal", pre),
                     mobile=mobile, masked=masked)

    @router.post("/me/login")
    async def login(request: Request) -> Response:
        ctx = ctx_of(request)
        form = await form_of(request)
        mobile = form.get("mobile", "").strip()
        try:
            _check_pre(ctx, request, form)
            token = await run_in_threadpool(portal.sign_in_with_code, ctx, mobile,
                                            form.get("code", ""),
                                            session=request.cookies.get(PRE_COOKIE))
        except AnxinError as exc:
            if _wants_json(request):
                return _refusal(request, exc, mobile=mobile)
            if exc.code == Code.OTP_INVALID:
                pre = request.cookies.get(PRE_COOKIE, "")
                return _page(request, "portal_code.html", exc.status,
                             csrf=pre_csrf(ctx, "portal", pre), mobile=mobile,
                             masked="", err=exc.code)
            return _refusal(request, exc, mobile=mobile)
        resp = RedirectResponse("/me", status_code=303)
        set_cookie(resp, ctx, COOKIE, token, path="/me")
        resp.delete_cookie(PRE_COOKIE, path="/me")
        return resp

    @router.post("/me/logout")
    async def logout(request: Request) -> Response:
        ctx = ctx_of(request)
        form = await form_of(request)
        try:
            sess = await run_in_threadpool(_session, request)
            check_csrf(sess.csrf, form.get("csrf"))
        except Unauthenticated:
            return _to_signin()
        await run_in_threadpool(end_session, ctx, "portal", request.cookies.get(COOKIE))
        resp = RedirectResponse("/me", status_code=303)
        resp.delete_cookie(COOKIE, path="/me")
        return resp

    @router.get("/me/authorizations/{auth_id}")
    async def detail(auth_id: str, request: Request) -> Response:
        ctx = ctx_of(request)
        try:
            sess = await run_in_threadpool(_session, request)
        except Unauthenticated:
            return _to_signin()
        try:
            a = await run_in_threadpool(portal.view_mine, ctx, sess.principal, auth_id,
                                        _locale(request))
        except NotFound:
            return _page(request, "portal_base.html", 404, session=sess, err="not_found")
        return _page(request, "portal_detail.html", session=sess, a=a,
                     msg=request.query_params.get("msg"), err=request.query_params.get("err"))

    @router.get("/me/authorizations/{auth_id}/revoke")
    async def revoke_page(auth_id: str, request: Request) -> Response:
        ctx = ctx_of(request)
        try:
            sess = await run_in_threadpool(_session, request)
        except Unauthenticated:
            return _to_signin()
        try:
            a = await run_in_threadpool(portal.view_mine, ctx, sess.principal, auth_id,
                                        _locale(request))
        except NotFound:
            return _page(request, "portal_base.html", 404, session=sess, err="not_found")
        return _page(request, "portal_revoke.html", session=sess, a=a)

    @router.post("/me/authorizations/{auth_id}/revoke")
    async def revoke(auth_id: str, request: Request) -> Response:
        ctx = ctx_of(request)
        form = await form_of(request)
        try:
            sess = await run_in_threadpool(_session, request)
        except Unauthenticated:
            return _to_signin()
        try:
            check_csrf(sess.csrf, form.get("csrf"))
            await run_in_threadpool(portal.revoke_mine, ctx, sess.principal, auth_id)
        except NotFound:
            return _page(request, "portal_base.html", 404, session=sess, err="not_found")
        except AnxinError as exc:
            if exc.code == Code.CSRF_FAILED:
                return _page(request, "portal_base.html", 403, session=sess, err=exc.code)
            return RedirectResponse(f"/me/authorizations/{auth_id}?err={exc.code}",
                                    status_code=303)
        return RedirectResponse(f"/me/authorizations/{auth_id}?msg=revoked_ok",
                                status_code=303)

    async def _download(request: Request, auth_id: str, kind: str) -> Response:
        ctx = ctx_of(request)
        try:
            sess = await run_in_threadpool(_session, request)
        except Unauthenticated:
            return _to_signin()
        fn = {"letter.pdf": portal.letter_pdf_mine, "evidence.zip": portal.evidence_mine,
              "report.pdf": portal.report_mine}[kind]
        try:
            data = await run_in_threadpool(fn, ctx, sess.principal, auth_id)
        except NotFound as exc:
            return problem_for(request.headers.get("accept", ""), request.url.path, 404,
                               exc.code, exc.title, exc.detail)
        media = "application/zip" if kind.endswith(".zip") else "application/pdf"
        return Response(data, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="anxin-{auth_id}-{kind}"',
            "Cache-Control": "no-store"})

    @router.get("/me/authorizations/{auth_id}/letter.pdf")
    async def letter_pdf(auth_id: str, request: Request) -> Response:
        return await _download(request, auth_id, "letter.pdf")

    @router.get("/me/authorizations/{auth_id}/evidence.zip")
    async def evidence_zip(auth_id: str, request: Request) -> Response:
        return await _download(request, auth_id, "evidence.zip")

    @router.get("/me/authorizations/{auth_id}/report.pdf")
    async def report_pdf(auth_id: str, request: Request) -> Response:
        return await _download(request, auth_id, "report.pdf")

    return router
