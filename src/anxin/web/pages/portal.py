"""The person's portal ``/me`` (CONTRACT §4): pages over :mod:`anxin.services.portal`.

Plain HTML forms, no script needed. The session cookie ``anxin_me`` is http-only,
SameSite=Strict, Secure on https, scoped to ``/me``; every form carries a CSRF token
(bound to the session, or before sign-in to the ``anxin_me_pre`` cookie).

A page asked for before sign-in (a deep link) leads to the sign-in, which then opens it
(``next``, a ``/me`` path only); "session expired" is said only where a session cookie
was sent. Every refusal is said in words, with what follows it (seconds to wait, tries
left); a use's outcome is a sentence, never the machine code.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from anxin.domain.subject import mask_mobile, normalize_mobile
from anxin.error_codes import Code
from anxin.errors import (
    AnxinError,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthenticated,
    ValidationFailed,
)
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
from anxin.web.edge_errors import problem_for, request_page_args
from anxin.web.error_pages import PORTAL_LANG_COOKIE
from anxin.web.pages.i18n import chosen
from anxin.web.pages.portal_i18n import portal_strings
from anxin.web.pages.web_common import (
    ctx_of,
    fmt_instant,
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
LANG_COOKIE = PORTAL_LANG_COOKIE


PASSKEY_SIGNIN_URL = "/me/passkey"  # :mod:`anxin.web.pages.portal_passkey`
# Where a sign-in may lead back to: a portal page, never another site.
_NEXT = re.compile(r"/me(/[A-Za-z0-9_-]+)*")


def page_locale(request: Request) -> str:
    asked = chosen(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))
    if asked is not None:
        return asked
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") \
        else "zh-CN"


def safe_next(value: str | None) -> str | None:
    """A ``next`` page to open after sign-in: a ``/me`` path, or None."""
    return value if value and _NEXT.fullmatch(value) else None


def masked_mobile(mobile: str) -> str:
    """The number as the code page shows it (``139****0001``), "" if it is no number."""
    try:
        return mask_mobile(normalize_mobile(mobile, field="mobile"))
    except ValidationFailed:
        return ""


def outcome(t: dict[str, str], granted: bool, refusal: str | None) -> str:
    """A use's outcome in words: granted, or refused with the reason (never the code)."""
    if granted:
        return t["granted"]
    return t["refused_because"].format(reason=t.get(f"r_{refusal}", t["r_other"]))


def _err_detail(t: dict[str, str], exc: AnxinError) -> str:
    """What follows the refusal's sentence: the seconds to wait, the tries left."""
    if isinstance(exc, TooManyRequests):
        return t["retry_in"].format(s=max(1, math.ceil(exc.retry_after)))
    left = exc.extra.get("tries_left")
    return t["tries_left"].format(n=left) if isinstance(left, int) else ""


def page(request: Request, template: str, status: int = 200, *,
         session: SessionRef | None = None, csrf: str | None = None,
         **values: Any) -> Response:
    """A portal page in the person's language (``?lang=`` sets the cookie)."""
    locale = page_locale(request)
    t = portal_strings(locale)
    values.setdefault("next", None)
    resp = html(request, template, status, t=t, locale=locale,
                other_locale="en" if locale == "zh-CN" else "zh-CN",
                csrf=csrf or (session.csrf if session else None),
                signed_in=session is not None,
                fmt=lambda v: fmt_time(v, locale),
                fmt_trusted=lambda v: fmt_instant(v, locale, ctx_of(request).settings.zone),
                outcome=lambda g, r: outcome(t, g, r), **values)
    if request.query_params.get("lang") in ("zh-CN", "en"):
        set_cookie(resp, ctx_of(request), LANG_COOKIE, locale, path="/me")
    return resp




def session_of(request: Request) -> SessionRef:
    return resume_session(ctx_of(request), "portal", request.cookies.get(COOKIE))




def _signin_page(request: Request, *, err: str | None = None, status: int = 200,
                 mobile: str | None = None, next_page: str | None = None,
                 err_detail: str = "") -> Response:
    ctx = ctx_of(request)
    pre, new = pre_token(request, PRE_COOKIE)
    info = "signin_first" if next_page and not err else None
    resp = page(request, "portal_signin.html", status, csrf=pre_csrf(ctx, "portal", pre),
                 err=err, err_detail=err_detail, mobile=mobile,
                 passkey_url=PASSKEY_SIGNIN_URL, next=next_page, info=info)
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


def _code_page(request: Request, *, mobile: str, next_page: str | None, status: int = 200,
               err: str | None = None, err_detail: str = "", msg: str | None = None
               ) -> Response:
    """The code entry page: the masked number it went to, the code, a resend button."""
    pre = request.cookies.get(PRE_COOKIE, "")
    return page(request, "portal_code.html", status,
                 csrf=pre_csrf(ctx_of(request), "portal", pre), mobile=mobile,
                 masked=masked_mobile(mobile), next=next_page, err=err,
                 err_detail=err_detail, msg=msg)


def _refusal(request: Request, exc: AnxinError, *, mobile: str,
             next_page: str | None = None, on_code_page: bool = False) -> Response:
    """A refused sign-in step: problem+json for a client that asks for JSON, else the
    sign-in page (or, for a resend or a wrong code, the code page) with the status and
    the refusal in words; a 429 carries ``Retry-After`` either way."""
    if _wants_json(request):
        return problem_response(exc.status, exc.code, exc.title, exc.detail, **exc.extra)
    detail = _err_detail(portal_strings(page_locale(request)), exc)
    if on_code_page:
        resp = _code_page(request, mobile=mobile, next_page=next_page, status=exc.status,
                          err=exc.code, err_detail=detail)
    else:
        resp = _signin_page(request, err=exc.code, status=exc.status, mobile=mobile,
                            next_page=next_page, err_detail=detail)
    if isinstance(exc, TooManyRequests):
        resp.headers["Retry-After"] = str(exc.retry_after)
    return resp


def to_signin(request: Request) -> Response:
    """To the sign-in page, which then opens this page: "session expired" only where a
    session cookie was sent (a first visit from a deep link has none)."""
    query = f"next={quote(request.url.path, safe='/')}"
    if request.query_params.get("lang") in ("zh-CN", "en"):
        query += f"&lang={request.query_params['lang']}"
    if request.cookies.get(COOKIE):
        query = "err=session_expired&" + query
    return RedirectResponse(f"/me?{query}", status_code=303)




def build_router() -> APIRouter:
    router = APIRouter(tags=["portal"], include_in_schema=False)

    @router.get("/me")
    async def home(request: Request) -> Response:
        ctx = ctx_of(request)
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return _signin_page(request, err=request.query_params.get("err"),
                                next_page=safe_next(request.query_params.get("next")))
        items = await run_in_threadpool(portal.list_mine, ctx, sess.principal,
                                        page_locale(request))
        return page(request, "portal_list.html", session=sess, items=items,
                     msg=request.query_params.get("msg"))

    @router.post("/me/code")
    async def send_code(request: Request) -> Response:
        ctx = ctx_of(request)
        form = await form_of(request)
        mobile = form.get("mobile", "").strip()
        next_page = safe_next(form.get("next"))
        resend = form.get("resend") == "1"
        pre = request.cookies.get(PRE_COOKIE, "")
        try:
            _check_pre(ctx, request, form)
            await run_in_threadpool(
                portal.send_portal_code, ctx, mobile, client_ip=client_ip(request, ctx),
                session=session_key("portal", pre))
        except AnxinError as exc:
            return _refusal(request, exc, mobile=mobile, next_page=next_page,
                            on_code_page=resend and exc.code != Code.CSRF_FAILED)
        return _code_page(request, mobile=mobile, next_page=next_page,
                          msg="code_resent" if resend else None)

    @router.post("/me/login")
    async def login(request: Request) -> Response:
        ctx = ctx_of(request)
        form = await form_of(request)
        mobile = form.get("mobile", "").strip()
        next_page = safe_next(form.get("next"))
        try:
            _check_pre(ctx, request, form)
            token = await run_in_threadpool(portal.sign_in_with_code, ctx, mobile,
                                            form.get("code", ""),
                                            session=request.cookies.get(PRE_COOKIE))
        except AnxinError as exc:
            return _refusal(request, exc, mobile=mobile, next_page=next_page,
                            on_code_page=exc.code in (Code.OTP_INVALID, Code.OTP_LOCKED))
        resp = RedirectResponse(next_page or "/me", status_code=303)
        set_cookie(resp, ctx, COOKIE, token, path="/me")
        resp.delete_cookie(PRE_COOKIE, path="/me")
        return resp

    @router.post("/me/logout")
    async def logout(request: Request) -> Response:
        ctx = ctx_of(request)
        form = await form_of(request)
        try:
            sess = await run_in_threadpool(session_of, request)
            check_csrf(sess.csrf, form.get("csrf"))
        except Unauthenticated:
            return RedirectResponse("/me", status_code=303)
        await run_in_threadpool(end_session, ctx, "portal", request.cookies.get(COOKIE))
        resp = RedirectResponse("/me", status_code=303)
        resp.delete_cookie(COOKIE, path="/me")
        return resp

    @router.get("/me/authorizations/{auth_id}")
    async def detail(auth_id: str, request: Request) -> Response:
        ctx = ctx_of(request)
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        try:
            a = await run_in_threadpool(portal.view_mine, ctx, sess.principal, auth_id,
                                        page_locale(request))
        except NotFound:
            return page(request, "portal_base.html", 404, session=sess, err="not_found")
        return page(request, "portal_detail.html", session=sess, a=a,
                     msg=request.query_params.get("msg"), err=request.query_params.get("err"))

    @router.get("/me/authorizations/{auth_id}/revoke")
    async def revoke_page(auth_id: str, request: Request) -> Response:
        ctx = ctx_of(request)
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        try:
            a = await run_in_threadpool(portal.view_mine, ctx, sess.principal, auth_id,
                                        page_locale(request))
        except NotFound:
            return page(request, "portal_base.html", 404, session=sess, err="not_found")
        return page(request, "portal_revoke.html", session=sess, a=a)

    @router.post("/me/authorizations/{auth_id}/revoke")
    async def revoke(auth_id: str, request: Request) -> Response:
        ctx = ctx_of(request)
        form = await form_of(request)
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        try:
            check_csrf(sess.csrf, form.get("csrf"))
            await run_in_threadpool(portal.revoke_mine, ctx, sess.principal, auth_id)
        except NotFound:
            return page(request, "portal_base.html", 404, session=sess, err="not_found")
        except AnxinError as exc:
            if exc.code == Code.CSRF_FAILED:
                return page(request, "portal_base.html", 403, session=sess, err=exc.code)
            return RedirectResponse(f"/me/authorizations/{auth_id}?err={exc.code}",
                                    status_code=303)
        return RedirectResponse(f"/me/authorizations/{auth_id}?msg=revoked_ok",
                                status_code=303)

    async def _state_change(request: Request, auth_id: str, action: str) -> Response:
        """The pause and resume forms: one POST, back to the detail page with the outcome."""
        ctx = ctx_of(request)
        form = await form_of(request)
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        fn = {"pause": portal.pause_mine, "resume": portal.resume_mine}[action]
        try:
            check_csrf(sess.csrf, form.get("csrf"))
            await run_in_threadpool(fn, ctx, sess.principal, auth_id)
        except NotFound:
            return page(request, "portal_base.html", 404, session=sess, err="not_found")
        except AnxinError as exc:
            if exc.code == Code.CSRF_FAILED:
                return page(request, "portal_base.html", 403, session=sess, err=exc.code)
            return RedirectResponse(f"/me/authorizations/{auth_id}?err={exc.code}",
                                    status_code=303)
        done = "paused_ok" if action == "pause" else "resumed_ok"
        return RedirectResponse(f"/me/authorizations/{auth_id}?msg={done}", status_code=303)

    @router.post("/me/authorizations/{auth_id}/pause")
    async def pause(auth_id: str, request: Request) -> Response:
        return await _state_change(request, auth_id, "pause")

    @router.post("/me/authorizations/{auth_id}/resume")
    async def resume(auth_id: str, request: Request) -> Response:
        return await _state_change(request, auth_id, "resume")

    async def _download(request: Request, auth_id: str, kind: str) -> Response:
        ctx = ctx_of(request)
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        fn = {"letter.pdf": portal.letter_pdf_mine, "evidence.zip": portal.evidence_mine,
              "report.pdf": portal.report_mine, "receipt.json": portal.receipt_mine}[kind]
        try:
            data = await run_in_threadpool(fn, ctx, sess.principal, auth_id)
        except NotFound as exc:
            return problem_for(request.headers.get("accept", ""), request.url.path, 404,
                               exc.code, exc.title, exc.detail,
                               page=request_page_args(request))
        media = {"zip": "application/zip", "json": "application/json"}.get(
            kind.rsplit(".", 1)[-1], "application/pdf")
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

    @router.get("/me/authorizations/{auth_id}/receipt.json")
    async def receipt_json(auth_id: str, request: Request) -> Response:
        return await _download(request, auth_id, "receipt.json")

    return router
