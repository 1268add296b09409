"""The subject's signing page ``/s/<token>`` and its JSON endpoints (CONTRACT §3).

Every action works with a plain form post too (the page degrades to SMS-only without
JavaScript); JSON callers get JSON and problem details. A form post carries the hidden
form token ``ft`` (:func:`form_token`, derived from the signing token with a key from the
master secret; no cookie, which an institution's embedding page would not send) or is
refused with 403 ``form_token_invalid``; JSON posts rely on the Origin check
(anxin.web.cross_site).
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from anxin.domain.vocabulary import join_labels, purpose_label, scope_labels
from anxin.error_codes import Code
from anxin.errors import AnxinError, ValidationFailed
from anxin.services import signed_downloads, signing, subject_reach
from anxin.services.context import Context
from anxin.services.embedding import origin_of_url, return_target
from anxin.web.client_ip import client_ip
from anxin.web.deps import CtxDep
from anxin.web.edge_errors import problem_for, problem_or_page, request_page_args
from anxin.web.input_guard import Int32, read_form, read_json_object
from anxin.web.pages.i18n import strings
from anxin.web.pages.web_common import set_cookie
from anxin.web.problems import problems
from anxin.web.security_headers import FORM_ACTION_STATE, FRAME_ANCESTORS_STATE

router = APIRouter(tags=["signing page"])


def _wants_form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data"))


def form_token(ctx: Context, token: str) -> str:
    """The hidden field of the page's forms: a MAC of the signing token, so that only a
    page that was served the letter can post its forms."""
    return ctx.keys.secret_mac("signing-form", token)[:32]


def _bad_form_token(ctx: Context, token: str, request: Request,
                    data: dict[str, Any]) -> Response | None:
    """The 403 for a form post without the right form token, or None."""
    sent = data.get("ft")
    if isinstance(sent, str) and hmac.compare_digest(sent.encode(),
                                                     form_token(ctx, token).encode()):
        return None
    return problem_for(request.headers.get("accept", ""), request.url.path, 403,
                       Code.FORM_TOKEN_INVALID, "Forbidden",
                       "the form does not carry this page's form token; reload the page",
                       page=request_page_args(request))


def _fmt(value: dt.datetime | None, locale: str) -> str:
    if value is None:
        return ""
    local = value.astimezone(dt.timezone(dt.timedelta(hours=8)))
    if locale == "zh-CN":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return local.strftime("%d %b %Y %H:%M") + " (UTC+8)"


SIGNED_COOKIE = "anxin_signed"


def _page_locale(request: Request, lang: str | None, letter_locale: str) -> str:
    return lang if lang in ("zh-CN", "en") else letter_locale


def _can_download(ctx: Context, token: str, request: Request, v: dict[str, Any]) -> bool:
    """Whether this browser is the one that signed, inside its download window."""
    if not v["has_pdf"] or not request.cookies.get(SIGNED_COOKIE):
        return False
    try:
        signed_downloads.downloadable(ctx, token, request.cookies.get(SIGNED_COOKIE))
    except AnxinError:
        return False
    return True


@router.get("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
def page(token: str, request: Request, ctx: CtxDep, lang: str | None = None,
         msg: str | None = None, err: str | None = None,
         tries: Int32 | None = None) -> Response:
    try:
        v = signing.view(ctx, token)
    except AnxinError as exc:
        # An HTML route: its page unless the caller asks for JSON (CONTRACT §8).
        accept = request.headers.get("accept", "")
        return problem_or_page(accept if "json" in accept.lower() else "text/html",
                               request.url.path, exc.code, exc.detail,
                               page=request_page_args(request), **exc.extra)
    if v["status"] == "pending" and v["viewed_at"] is None:
        subject_reach.mark_viewed(ctx, v["id"])  # authorization:viewed, once
    # Embedding: the institution's allowed origins may frame this page (CSP
    # frame-ancestors); the forms may end in a redirect to its return_url (form-action).
    setattr(request.state, FRAME_ANCESTORS_STATE, v["frame_ancestors"])
    if v["return_url"]:
        setattr(request.state, FORM_ACTION_STATE, (origin_of_url(v["return_url"]),))
    locale = _page_locale(request, lang, v["locale"])
    t = strings(locale)
    # The terms are labels: they follow the page's language (the letter keeps its own).
    terms = {"purpose": purpose_label(v["purpose_code"], locale),
             "scope": join_labels(scope_labels(v["scope_codes"], locale), locale)}
    html = request.app.state.templates.get_template("sign.html").render(
        v=v, t=t, locale=locale, token=token, msg=msg, err=err, tries=tries, terms=terms,
        form_token=form_token(ctx, token),
        return_to=return_target(v["return_url"], v["id"], v["status"]),
        other_locale="en" if locale == "zh-CN" else "zh-CN",
        can_download=_can_download(ctx, token, request, v),
        window_minutes=signed_downloads.WINDOW_SECONDS // 60,
        valid_from=_fmt(v["valid_from"], locale), valid_until=_fmt(v["valid_until"], locale),
        signed_at=_fmt(v["signed_at"], locale), expires=_fmt(v["request_expires_at"], locale))
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/s/{token}/letter.pdf", include_in_schema=True, response_class=Response,
            responses=problems(s401=[Code.SIGNED_DOWNLOAD_EXPIRED],
                               s404=[Code.SIGNING_LINK_INVALID, Code.DOCUMENT_NOT_FOUND]),
            summary="The signed letter, for a short time, in the browser that signed")
async def signed_letter(token: str, request: Request, ctx: CtxDep) -> Response:
    pdf = await run_in_threadpool(signed_downloads.signed_letter_pdf, ctx, token,
                                  request.cookies.get(SIGNED_COOKIE))
    return Response(pdf, media_type="application/pdf", headers={
        "Cache-Control": "no-store",
        "Content-Disposition": 'attachment; filename="signed-letter.pdf"'})


@router.get("/s/{token}/receipt.json", include_in_schema=True, response_class=Response,
            responses=problems(s401=[Code.SIGNED_DOWNLOAD_EXPIRED],
                               s404=[Code.SIGNING_LINK_INVALID, Code.DOCUMENT_NOT_FOUND]),
            summary="The signed consent receipt, for a short time, in the browser that signed")
async def signed_receipt(token: str, request: Request, ctx: CtxDep) -> Response:
    """``{"receipt": <JSON-LD>, "jws": <compact JWS over it>}`` (docs/api.md)."""
    data = await run_in_threadpool(signed_downloads.signed_consent_receipt, ctx, token,
                                   request.cookies.get(SIGNED_COOKIE))
    return Response(data, media_type="application/json", headers={
        "Cache-Control": "no-store",
        "Content-Disposition": 'attachment; filename="consent-receipt.json"'})


def _open_download_window(response: Response, ctx: Context, token: str,
                          auth_id: str) -> None:
    """The signing browser's short download window: an http-only cookie on the link's
    path only (SameSite=Strict, Secure over https)."""
    cookie = signed_downloads.start_signed_session(ctx, auth_id)
    set_cookie(response, ctx, SIGNED_COOKIE, cookie, path=f"/s/{token}",
               max_age=signed_downloads.WINDOW_SECONDS)


async def _body(request: Request) -> dict[str, Any]:
    if _wants_form(request):
        return await read_form(request)
    return await read_json_object(request)


def _back(token: str, request: Request, *, msg: str | None = None,
          error: AnxinError | None = None) -> Response:
    """Back to the page after a form post (no JavaScript), in the language the page was
    shown in, with the outcome and, after a wrong code, how many tries are left."""
    params: dict[str, str] = {}
    if msg:
        params["msg"] = msg
    if error is not None:
        params["err"] = error.code
        if isinstance(error.extra.get("tries_left"), int):
            params["tries"] = str(error.extra["tries_left"])
    lang = request.query_params.get("lang")
    if lang in ("zh-CN", "en"):
        params["lang"] = lang
    q = "?" + urlencode(params) if params else ""
    return RedirectResponse(f"/s/{token}{q}", status_code=303)


@router.post("/s/{token}/otp", status_code=204, responses=problems(
    s404=[Code.SIGNING_LINK_INVALID], s409=[Code.AUTHORIZATION_NOT_PENDING, Code.OTP_LOCKED],
    s429=[Code.OTP_RATE_LIMITED, Code.OTP_SEND_LIMIT, Code.SMS_IP_LIMIT, Code.SMS_SESSION_LIMIT,
          Code.SMS_GLOBAL_LIMIT], s422=[Code.REALNAME_MISMATCH, Code.SMS_COUNTRY_NOT_ALLOWED]),
    summary="Send a one-time code to the subject's mobile")
async def send_code(token: str, request: Request, ctx: CtxDep) -> Response:
    form = _wants_form(request)
    data = await _body(request) if form else {}
    if form and (refused := _bad_form_token(ctx, token, request, data)):
        return refused
    if form and data.get("read_confirmed") not in ("on", "true", "1"):
        # The code comes after "I have read" (the script disables the button until then).
        return _back(token, request, error=ValidationFailed(
            "confirm that you have read the whole letter", field="read_confirmed",
            code=Code.READ_NOT_CONFIRMED))
    try:
        await run_in_threadpool(signing.send_code, ctx, token,
                                client_ip=client_ip(request, ctx),
                                user_agent=request.headers.get("user-agent"))
    except AnxinError as exc:
        if form:
            return _back(token, request, error=exc)
        raise
    return _back(token, request, msg="code_sent") if form else Response(status_code=204)


@router.post("/s/{token}/sign", responses=problems(
    s404=[Code.SIGNING_LINK_INVALID], s409=[Code.AUTHORIZATION_NOT_PENDING, Code.OTP_LOCKED],
    s422=[Code.OTP_INVALID, Code.READ_NOT_CONFIRMED, Code.PASSKEY_REQUIRED, Code.PASSKEY_INVALID]),
    summary="Sign with the code (and a passkey assertion where used)")
async def sign(token: str, request: Request, ctx: CtxDep) -> Response:
    form = _wants_form(request)
    try:
        data = await _body(request)
        if form and (refused := _bad_form_token(ctx, token, request, data)):
            return refused
        read = data.get("read_confirmed")
        read_ok = read is True or (form and read in ("on", "true", "1"))
        out = await run_in_threadpool(
            signing.sign, ctx, token, otp=str(data.get("otp", "")).strip(),
            read_confirmed=bool(read_ok),
            client_ip=client_ip(request, ctx),
            user_agent=request.headers.get("user-agent"), passkey=data.get("passkey"))
    except AnxinError as exc:
        if form:
            return _back(token, request, error=exc)
        raise
    auth_id = str(out["id"])
    target = await run_in_threadpool(subject_reach.return_to, ctx, auth_id, "active")
    answer: Response
    if form:
        answer = (RedirectResponse(target, status_code=303) if target
                  else _back(token, request, msg="signed"))
    else:
        answer = JSONResponse(
            {**{k: (v.isoformat() if isinstance(v, dt.datetime) else v)
                for k, v in out.items()}, "return_to": target})
    await run_in_threadpool(_open_download_window, answer, ctx, token, auth_id)
    return answer


@router.post("/s/{token}/decline", responses=problems(
    s404=[Code.SIGNING_LINK_INVALID], s409=[Code.AUTHORIZATION_NOT_PENDING]),
    summary="Decline the request")
async def decline(token: str, request: Request, ctx: CtxDep) -> Response:
    form = _wants_form(request)
    if form and (refused := _bad_form_token(ctx, token, request, await _body(request))):
        return refused
    try:
        out = await run_in_threadpool(signing.decline, ctx, token)
    except AnxinError as exc:
        if form:
            return _back(token, request, error=exc)
        raise
    target = await run_in_threadpool(subject_reach.return_to, ctx, str(out["id"]),
                                     "declined")
    if form:
        return (RedirectResponse(target, status_code=303) if target
                else _back(token, request, msg="declined"))
    return JSONResponse({**out, "return_to": target})
