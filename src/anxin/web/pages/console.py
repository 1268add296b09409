"""The operator console ``/console``: sign-in (password + TOTP), dashboard, institutions,
templates, the search of authorizations and the dispute view.

The session cookie ``anxin_console`` is http-only, SameSite=Strict, Secure on https and
scoped to ``/console``; every form carries a CSRF token. English only (operators).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from anxin.console.operators import login_operator, operator_name
from anxin.domain.states import Status
from anxin.error_codes import Code
from anxin.errors import AnxinError, NotFound, Unauthenticated, ValidationFailed
from anxin.services import console as svc
from anxin.services.console_stats import SERIES, bar_chart, dashboard
from anxin.services.documents import read_document
from anxin.services.web_sessions import SessionRef, check_csrf, end_session, resume_session
from anxin.web.input_guard import Positive32
from anxin.web.pages.web_common import ctx_of, form_of, html, pre_csrf, pre_token, set_cookie

COOKIE = "anxin_console"
PRE_COOKIE = "anxin_console_pre"
Handler = Callable[[Request, SessionRef, dict[str, str]], Awaitable[Response]]


def _page(request: Request, template: str, sess: SessionRef | None, status: int = 200,
          **values: Any) -> Response:
    name = getattr(request.state, "operator_name", None) if sess else None
    return html(request, template, status, operator=name,
                csrf=values.pop("csrf", sess.csrf if sess else None), **values)


def _login_page(request: Request, *, err: str | None = None, status: int = 200) -> Response:
    ctx = ctx_of(request)
    pre, new = pre_token(request, PRE_COOKIE)
    resp = _page(request, "console_login.html", None, status, title="sign in",
                 csrf=pre_csrf(ctx, "console", pre), err=err,
                 err_text={"login_failed": "Wrong username, password or code.",
                           "login_locked": "Too many failed sign-ins: wait 15 minutes.",
                           "csrf_failed": "The form had expired: try again.",
                           "session_expired": "Please sign in."}.get(err or ""))
    if new:
        set_cookie(resp, ctx, PRE_COOKIE, pre, path="/console")
    return resp


async def _session(request: Request) -> SessionRef:
    return await run_in_threadpool(resume_session, ctx_of(request), "console",
                                   request.cookies.get(COOKIE))


def _redirect(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def build_router() -> APIRouter:
    router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)

    async def guarded(request: Request, handler: Handler, *, post: bool) -> Response:
        try:
            sess = await _session(request)
        except Unauthenticated:
            return _redirect("/console/login?err=session_expired")
        request.state.operator_name = await run_in_threadpool(
            operator_name, ctx_of(request), sess.principal)
        form: dict[str, str] = {}
        if post:
            form = await form_of(request)
            try:
                check_csrf(sess.csrf, form.get("csrf"))
            except AnxinError as exc:
                return _page(request, "console_base.html", sess, exc.status, err=exc.code,
                             err_text="The form had expired or came from another site.")
        try:
            return await handler(request, sess, form)
        except NotFound as exc:
            return _page(request, "console_base.html", sess, 404, err=exc.code,
                         err_text=exc.detail)

    @router.get("/login")
    async def login_page(request: Request) -> Response:
        return _login_page(request, err=request.query_params.get("err"))

    @router.post("/login")
    async def login(request: Request) -> Response:
        ctx = ctx_of(request)
        form = await form_of(request)
        pre = request.cookies.get(PRE_COOKIE)
        try:
            if not pre:
                raise Unauthenticated("no form cookie", code=Code.CSRF_FAILED)
            check_csrf(pre_csrf(ctx, "console", pre), form.get("csrf"))
            token = await run_in_threadpool(login_operator, ctx, form.get("username", ""),
                                            form.get("password", ""), form.get("totp", ""))
        except AnxinError as exc:
            return _login_page(request, err=exc.code, status=exc.status)
        resp = _redirect("/console")
        set_cookie(resp, ctx, COOKIE, token, path="/console")
        resp.delete_cookie(PRE_COOKIE, path="/console")
        return resp

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            await run_in_threadpool(end_session, ctx_of(request), "console",
                                    request.cookies.get(COOKIE))
            resp = _redirect("/console/login")
            resp.delete_cookie(COOKIE, path="/console")
            return resp
        return await guarded(request, run, post=True)

    @router.get("")
    async def home(request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            stats = await run_in_threadpool(dashboard, ctx_of(request))
            days = [d[5:] for d in stats["days"]]  # MM-DD
            charts = [dict(bar_chart(k.replace("_", " ").capitalize(), days,
                                     stats["per_day"][k]), key=k) for k in SERIES]
            rows = stats["per_institution"]
            inst_charts = [dict(bar_chart(f"{k.replace('_', ' ').capitalize()} per institution",
                                          [r["name"] for r in rows], [r[k] for r in rows]),
                                key=k) for k in ("requests", "uses_granted", "revocations")]
            return _page(request, "console_dashboard.html", sess, title="dashboard",
                         stats=stats, charts=charts, inst_charts=inst_charts, series=SERIES)
        return await guarded(request, run, post=False)

    @router.get("/institutions")
    async def institutions(request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            items = await run_in_threadpool(svc.list_institutions, ctx_of(request))
            return _page(request, "console_institutions.html", sess, items=items,
                         msg=request.query_params.get("msg"))
        return await guarded(request, run, post=False)

    async def _institutions_after(request: Request, sess: SessionRef, **extra: Any
                                  ) -> Response:
        items = await run_in_threadpool(svc.list_institutions, ctx_of(request))
        return _page(request, "console_institutions.html", sess, items=items, **extra)

    @router.post("/institutions")
    async def create(request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            try:
                _inst_id, key = await run_in_threadpool(
                    svc.create_institution, ctx_of(request), sess.principal,
                    form.get("name", ""), form.get("code", "").strip() or None)
            except ValidationFailed as exc:
                return await _institutions_after(request, sess, err=exc.code,
                                                 err_text=exc.detail)
            return await _institutions_after(request, sess, new_key=key,
                                             new_key_for=form.get("name"))
        return await guarded(request, run, post=True)

    @router.post("/institutions/{inst_id}/{action}")
    async def institution_action(inst_id: str, action: str, request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            ctx = ctx_of(request)
            if action in ("suspend", "activate"):
                await run_in_threadpool(svc.set_institution_status, ctx, sess.principal,
                                        inst_id,
                                        "suspended" if action == "suspend" else "active")
                return _redirect(f"/console/institutions?msg=institution+{action}d")
            if action == "rotate-key":
                key = await run_in_threadpool(svc.rotate_key, ctx, sess.principal, inst_id)
                return await _institutions_after(request, sess, new_key=key,
                                                 new_key_for=inst_id)
            if action == "webhook":
                try:
                    secret = await run_in_threadpool(
                        svc.set_webhook, ctx, sess.principal, inst_id,
                        form.get("callback_url", ""), form.get("new_secret") == "on")
                except ValidationFailed as exc:
                    return await _institutions_after(request, sess, err=exc.code,
                                                     err_text=exc.detail)
                return await _institutions_after(request, sess, new_secret=secret,
                                                 msg="webhook saved")
            raise NotFound(f"no action {action}", code=Code.NOT_FOUND)
        return await guarded(request, run, post=True)

    @router.get("/templates")
    async def templates(request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            items = await run_in_threadpool(svc.template_versions, ctx_of(request),
                                            request.query_params.get("institution"))
            return _page(request, "console_templates.html", sess, items=items, diff=None)
        return await guarded(request, run, post=False)

    @router.get("/templates/diff")
    async def template_diff(request: Request, institution: str, code: str, a: Positive32,
                            b: Positive32) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            ctx = ctx_of(request)
            diff = await run_in_threadpool(svc.template_diff, ctx, institution, code, a, b)
            items = await run_in_threadpool(svc.template_versions, ctx, institution)
            return _page(request, "console_templates.html", sess, items=items, diff=diff)
        return await guarded(request, run, post=False)

    def _search_page(request: Request, sess: SessionRef, q: svc.Search,
                     results: list[dict[str, Any]] | None, **extra: Any) -> Response:
        insts = svc.list_institutions(ctx_of(request))
        return _page(request, "console_authorizations.html", sess, q=q, results=results,
                     institutions=insts, statuses=[st.value for st in Status], **extra)

    @router.get("/authorizations")
    async def authorizations(request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            return await run_in_threadpool(_search_page, request, sess, svc.Search(), None)
        return await guarded(request, run, post=False)

    @router.post("/authorizations")
    async def search(request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            ctx = ctx_of(request)

            def day(name: str) -> dt.date | None:
                v = form.get(name, "").strip()
                try:
                    return dt.date.fromisoformat(v) if v else None
                except ValueError:
                    raise ValidationFailed(f"{name} is a date", field=name) from None
            try:
                q = svc.Search(institution_id=form.get("institution") or None,
                               status=form.get("status") or None,
                               reference=form.get("reference") or None,
                               date_from=day("date_from"), date_to=day("date_to"),
                               id_type=form.get("id_type") or None,
                               id_number=form.get("id_number", "").strip() or None)
                results = await run_in_threadpool(svc.search_authorizations, ctx, q)
            except ValidationFailed as exc:
                return await run_in_threadpool(_search_page, request, sess, svc.Search(),
                                               None, err=exc.code, err_text=exc.detail)
            await run_in_threadpool(svc.record_view, ctx, sess.principal,
                                    "authorizations.search_by_id" if q.id_number
                                    else "authorizations.search")
            return await run_in_threadpool(_search_page, request, sess, q, results)
        return await guarded(request, run, post=True)

    @router.get("/authorizations/{auth_id}")
    async def dispute(auth_id: str, request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            ctx = ctx_of(request)
            a = await run_in_threadpool(svc.dispute_view, ctx, auth_id)
            await run_in_threadpool(svc.record_view, ctx, sess.principal,
                                    "authorization.view", auth_id)
            signed = a.get("signed_at") is not None
            return _page(request, "console_dispute.html", sess, a=a, title="dispute",
                         has_evidence=signed, has_report=signed)
        return await guarded(request, run, post=False)

    @router.get("/authorizations/{auth_id}/{kind}")
    async def document(auth_id: str, kind: str, request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            ctx = ctx_of(request)
            builders = {"evidence.zip": ctx.evidence_package, "report.pdf": ctx.evidence_report}
            data: bytes | None = None
            if kind == "letter.pdf":
                data = await run_in_threadpool(read_document, ctx, None, auth_id, kind)
            elif kind in builders:
                view = await run_in_threadpool(svc.dispute_view, ctx, auth_id)  # 404 if unknown
                if view.get("signed_at") is not None:
                    data = await run_in_threadpool(builders[kind], ctx, None, auth_id)
            if data is None:
                raise NotFound(f"no {kind} for {auth_id}", code=Code.DOCUMENT_NOT_FOUND)
            await run_in_threadpool(svc.record_view, ctx, sess.principal,
                                    f"authorization.download.{kind}", auth_id)
            media = "application/zip" if kind.endswith(".zip") else "application/pdf"
            return Response(data, media_type=media, headers={
                "Content-Disposition": f'attachment; filename="anxin-{auth_id}-{kind}"',
                "Cache-Control": "no-store"})
        return await guarded(request, run, post=False)

    return router
