"""The operator console ``/console``: sign-in (password + TOTP), dashboard, institutions,
templates (list, diff, the editor with its live preview), the search of authorizations
and the dispute view.

The session cookie ``anxin_console`` is http-only, SameSite=Strict, Secure on https and
scoped to ``/console``; every form carries a CSRF token. In zh-CN or en, as the operator
chooses (``?lang=``, kept in a cookie; anxin.web.pages.console_i18n); times in the
deployment's zone (``ANXIN_TIME_ZONE``). Suspending an institution and rotating its key
ask for a confirmation first (a second form; no script needed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from anxin.console.operators import login_operator, operator_name
from anxin.domain.states import Status
from anxin.domain.terms import TermsV2, parse_terms
from anxin.error_codes import Code
from anxin.errors import AnxinError, Conflict, NotFound, Unauthenticated, ValidationFailed
from anxin.services import console as svc
from anxin.services.console_preview import preview_pages
from anxin.services.console_stats import MAX_DAYS, Period, bars, dashboard
from anxin.services.deletions import overdue
from anxin.services.documents import read_document
from anxin.services.templates import TemplateSpec
from anxin.services.web_sessions import SessionRef, check_csrf, end_session, resume_session
from anxin.web.input_guard import Positive32
from anxin.web.pages import console_webhooks
from anxin.web.pages.console_i18n import LANG_COOKIE, STRINGS, catalogue, choose_lang
from anxin.web.pages.web_common import ctx_of, form_of, html, pre_csrf, pre_token, set_cookie

COOKIE = "anxin_console"
PRE_COOKIE = "anxin_console_pre"
Handler = Callable[[Request, SessionRef, dict[str, str]], Awaitable[Response]]
# Messages after a redirect (?msg=): keys of the catalogue, nothing else is shown.
MESSAGES = ("msg_suspended", "msg_activated", "msg_webhook", "msg_paused", "msg_resumed")
LOGIN_ERRORS = ("login_failed", "login_locked", "csrf_failed")


def _lang(request: Request) -> str:
    return choose_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def _t(request: Request) -> dict[str, str]:
    return STRINGS[_lang(request)]


def _page(request: Request, template: str, sess: SessionRef | None, status: int = 200,
          **values: Any) -> Response:
    name = getattr(request.state, "operator_name", None) if sess else None
    lang = _lang(request)
    resp = html(request, template, status, operator=name, path=request.url.path,
                csrf=values.pop("csrf", sess.csrf if sess else None),
                **catalogue(lang, ctx_of(request).settings.zone), **values)
    if request.query_params.get("lang") == lang and request.cookies.get(LANG_COOKIE) != lang:
        set_cookie(resp, ctx_of(request), LANG_COOKIE, lang, path="/console",
                   max_age=365 * 86400)
    return resp


def _login_page(request: Request, *, err: str | None = None, status: int = 200) -> Response:
    """The sign-in form. A first visit shows no message; a session that ended says so
    as information, not as an error."""
    ctx = ctx_of(request)
    t = _t(request)
    pre, new = pre_token(request, PRE_COOKIE)
    resp = _page(request, "console_login.html", None, status, title=t["sign_in_title"],
                 csrf=pre_csrf(ctx, "console", pre),
                 err=err if err in LOGIN_ERRORS else None,
                 err_text=t.get(err or "") if err in LOGIN_ERRORS else None,
                 info=t["session_expired"] if err == "session_expired" else None)
    if new:
        set_cookie(resp, ctx, PRE_COOKIE, pre, path="/console")
    return resp


async def _session(request: Request) -> SessionRef:
    return await run_in_threadpool(resume_session, ctx_of(request), "console",
                                   request.cookies.get(COOKIE))


def _redirect(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def _day(form: dict[str, str] | Any, name: str) -> dt.date | None:
    v = (form.get(name) or "").strip()
    try:
        return dt.date.fromisoformat(v) if v else None
    except ValueError:
        raise ValidationFailed(f"{name} is a date (YYYY-MM-DD)", field=name) from None


def _period(request: Request) -> Period:
    """The dashboard's period from ``?from=&to=`` (local calendar days); the last 14
    days by default."""
    zone = ctx_of(request).settings.zone
    today = ctx_of(request).clock().astimezone(zone).date()
    first = _day(request.query_params, "from")
    last = _day(request.query_params, "to") or today
    if first is None:
        return Period.last_days(last, zone)
    if first > last:
        raise ValidationFailed("the period's start is after its end", field="from")
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed(f"a period has at most {MAX_DAYS} days", field="from")
    return Period(first, last, zone)


def _terms(form: dict[str, str]) -> TermsV2:
    """The editor's terms v2 fields (blank = no such term) as the API's members, checked by
    the API's own parser: a refusal names the member (``frequency.max_uses``...)."""
    def whole(name: str) -> int | None:
        v = form.get(name, "").strip()
        if not v:
            return None
        try:
            return int(v)
        except ValueError:
            raise ValidationFailed(f"{name} is a whole number", field=name) from None
    raw: dict[str, Any] = {}
    per_period = whole("frequency_max_uses")
    if per_period is not None:
        raw["frequency"] = {"max_uses": per_period, "per": form.get("frequency_per", "")}
    kind = form.get("data_range_kind", "none")
    if kind == "lookback":
        raw["data_range"] = {"lookback_months": whole("lookback_months")}
    elif kind == "dates":
        raw["data_range"] = {"from": form.get("range_from", ""),
                             "to": form.get("range_to", "")}
    elif kind != "none":
        raise ValidationFailed("data_range_kind is none, lookback or dates",
                               field="data_range_kind")
    raw["data_life_days"] = whole("data_life_days")
    return parse_terms(raw)


def _spec(form: dict[str, str]) -> TemplateSpec:
    def number(name: str, default: int) -> int:
        v = form.get(name, "").strip()
        try:
            return int(v) if v else default
        except ValueError:
            raise ValidationFailed(f"{name} is a whole number", field=name) from None
    scope = tuple(x for x in form.get("data_scope", "").split(",") if x)
    return TemplateSpec(terms=_terms(form),
        code=form.get("code", "").strip(), title=form.get("title", "").strip(),
        purpose=form.get("purpose", ""), data_scope=scope, body=form.get("body", ""),
        locale=form.get("locale", "zh-CN"), validity_days=number("validity_days", 30),
        max_uses=number("max_uses", 1), require_passkey=form.get("require_passkey") == "on",
        request_ttl_minutes=number("request_ttl_minutes", 1440))


_TERMS_FIELDS = ("frequency_max_uses", "frequency_per", "data_range_kind", "lookback_months",
                 "range_from", "range_to")


def build_router() -> APIRouter:
    router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)

    async def guarded(request: Request, handler: Handler, *, post: bool) -> Response:
        try:
            sess = await _session(request)
        except Unauthenticated:
            ended = "?err=session_expired" if request.cookies.get(COOKIE) else ""
            return _redirect("/console/login" + ended)
        request.state.operator_name = await run_in_threadpool(
            operator_name, ctx_of(request), sess.principal)
        form: dict[str, str] = {}
        if post:
            form = await form_of(request)
            try:
                check_csrf(sess.csrf, form.get("csrf"))
            except AnxinError as exc:
                return _page(request, "console_base.html", sess, exc.status, err=exc.code,
                             err_text=_t(request)["form_expired"])
        try:
            return await handler(request, sess, form)
        except NotFound as exc:
            return _page(request, "console_base.html", sess, 404, err=exc.code,
                         err_text=_t(request)["not_found"])

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
            t = _t(request)
            try:
                period = _period(request)
            except ValidationFailed as exc:
                period = Period.last_days(ctx_of(request).clock().astimezone(
                    ctx_of(request).settings.zone).date(), ctx_of(request).settings.zone)
                err: dict[str, Any] = {"err": exc.code, "err_text": exc.detail}
            else:
                err = {}
            stats = await run_in_threadpool(dashboard, ctx_of(request), period)
            days = [d[5:] for d in stats["days"]]  # MM-DD
            step = max(1, len(days) // 10)  # at most ~10 day labels under a chart
            charts = {k: bars([d if i % step == 0 else "" for i, d in enumerate(days)],
                              stats["per_day"][k]) for k in stats["per_day"]}
            return _page(request, "console_dashboard.html", sess, title=t["dashboard"],
                         stats=stats, charts=charts, **err)
        return await guarded(request, run, post=False)

    @router.get("/institutions")
    async def institutions(request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            items = await run_in_threadpool(svc.list_institutions, ctx_of(request))
            msg = request.query_params.get("msg")
            return _page(request, "console_institutions.html", sess, items=items,
                         title=_t(request)["institutions"],
                         msg=_t(request)[msg] if msg in MESSAGES else None)
        return await guarded(request, run, post=False)

    async def _institutions_after(request: Request, sess: SessionRef, **extra: Any
                                  ) -> Response:
        items = await run_in_threadpool(svc.list_institutions, ctx_of(request))
        return _page(request, "console_institutions.html", sess, items=items,
                     title=_t(request)["institutions"], **extra)

    @router.post("/institutions")
    async def create(request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            try:
                _inst_id, key, secret = await run_in_threadpool(
                    svc.create_institution, ctx_of(request), sess.principal,
                    form.get("name", ""), form.get("code", "").strip() or None)
            except ValidationFailed as exc:
                return await _institutions_after(request, sess, err=exc.code,
                                                 err_text=exc.detail)
            return await _institutions_after(request, sess, new_key=key,
                                             new_key_for=form.get("name"),
                                             new_secret=secret)
        return await guarded(request, run, post=True)

    async def _confirm(request: Request, sess: SessionRef, inst_id: str, action: str
                       ) -> Response:
        items = await run_in_threadpool(svc.list_institutions, ctx_of(request))
        inst = next((i for i in items if i["id"] == inst_id), None)
        if inst is None:
            raise NotFound(f"no institution {inst_id}", code=Code.INSTITUTION_NOT_FOUND)
        t = _t(request)
        key = "confirm_suspend" if action == "suspend" else "confirm_rotate"
        return _page(request, "console_confirm.html", sess, title=t["confirm_title"],
                     question=t[key].format(name=inst["name"]), action=action,
                     action_url=f"/console/institutions/{inst_id}/{action}",
                     button=t["suspend" if action == "suspend" else "rotate_key"],
                     back="/console/institutions")

    @router.post("/institutions/{inst_id}/{action}")
    async def institution_action(inst_id: str, action: str, request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            ctx = ctx_of(request)
            if action in ("suspend", "rotate-key") and form.get("confirmed") != "yes":
                return await _confirm(request, sess, inst_id, action)
            if action in ("suspend", "activate"):
                await run_in_threadpool(svc.set_institution_status, ctx, sess.principal,
                                        inst_id,
                                        "suspended" if action == "suspend" else "active")
                msg = "msg_suspended" if action == "suspend" else "msg_activated"
                return _redirect(f"/console/institutions?msg={msg}")
            if action == "rotate-key":
                key = await run_in_threadpool(svc.rotate_key, ctx, sess.principal, inst_id)
                items = await run_in_threadpool(svc.list_institutions, ctx)
                name = next((i["name"] for i in items if i["id"] == inst_id), inst_id)
                return await _institutions_after(request, sess, new_key=key,
                                                 new_key_for=name)
            if action == "test-key":
                key = await run_in_threadpool(svc.issue_test_key, ctx, sess.principal,
                                              inst_id)
                items = await run_in_threadpool(svc.list_institutions, ctx)
                name = next((i["name"] for i in items if i["id"] == inst_id), inst_id)
                return await _institutions_after(request, sess, new_test_key=key,
                                                 new_key_for=name)
            if action == "webhook":
                try:
                    secret = await run_in_threadpool(
                        svc.set_webhook, ctx, sess.principal, inst_id,
                        form.get("callback_url", ""), form.get("new_secret") == "on")
                except ValidationFailed as exc:
                    return await _institutions_after(request, sess, err=exc.code,
                                                     err_text=exc.detail)
                return await _institutions_after(request, sess, new_secret=secret,
                                                 msg=_t(request)["msg_webhook"])
            if action == "embedding":
                try:
                    await run_in_threadpool(
                        svc.set_embedding, ctx, sess.principal, inst_id,
                        form.get("frame_ancestors", ""), form.get("return_url_prefixes", ""))
                except ValidationFailed as exc:
                    return await _institutions_after(request, sess, err=exc.code,
                                                     err_text=exc.detail)
                return await _institutions_after(request, sess,
                                                 msg=_t(request)["msg_embedding"])
            raise NotFound(f"no action {action}", code=Code.NOT_FOUND)
        return await guarded(request, run, post=True)

    console_webhooks.add_routes(router, guarded, _page, _t)

    @router.get("/templates")
    async def templates(request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            ctx = ctx_of(request)
            items = await run_in_threadpool(svc.template_versions, ctx,
                                            request.query_params.get("institution"))
            insts = await run_in_threadpool(svc.list_institutions, ctx)
            return _page(request, "console_templates.html", sess, items=items, diff=None,
                         institutions=insts, title=_t(request)["templates"])
        return await guarded(request, run, post=False)

    @router.get("/templates/diff")
    async def template_diff(request: Request, institution: str, code: str, a: Positive32,
                            b: Positive32) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            ctx = ctx_of(request)
            diff = await run_in_threadpool(svc.template_diff, ctx, institution, code, a, b)
            items = await run_in_threadpool(svc.template_versions, ctx, institution)
            insts = await run_in_threadpool(svc.list_institutions, ctx)
            return _page(request, "console_templates.html", sess, items=items, diff=diff,
                         institutions=insts, title=_t(request)["templates"])
        return await guarded(request, run, post=False)

    def _editor(request: Request, sess: SessionRef, tpl: dict[str, Any], **extra: Any
                ) -> Response:
        s = ctx_of(request).settings
        return _page(request, "console_template_edit.html", sess, tpl=tpl,
                     purposes=s.purposes, categories=s.data_categories,
                     title=_t(request)["editor"], **extra)

    @router.get("/templates/edit")
    async def template_edit(request: Request, institution: str) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            tpl = await run_in_threadpool(svc.template_form, ctx_of(request), institution,
                                          request.query_params.get("code") or None)
            return _editor(request, sess, tpl)
        return await guarded(request, run, post=False)

    def _form_tpl(request: Request, form: dict[str, str]) -> dict[str, Any]:
        insts = svc.list_institutions(ctx_of(request))
        inst = next((i for i in insts if i["id"] == form.get("institution")), None)
        if inst is None:
            raise NotFound("no such institution", code=Code.INSTITUTION_NOT_FOUND)
        return {"institution_id": inst["id"], "institution": inst["name"],
                "code": form.get("code", ""), "title": form.get("title", ""),
                "purpose": form.get("purpose", ""),
                "data_scope": [x for x in form.get("data_scope", "").split(",") if x],
                "body": form.get("body", ""), "locale": form.get("locale", "zh-CN"),
                "validity_days": form.get("validity_days", ""),
                "max_uses": form.get("max_uses", ""),
                "require_passkey": form.get("require_passkey") == "on",
                "request_ttl_minutes": form.get("request_ttl_minutes", ""),
                "version": form.get("version") or None,
                # the terms v2 fields as typed, shown again after a refusal
                **{k: form.get(k, "") for k in _TERMS_FIELDS},
                "data_life_days": form.get("data_life_days", "")}

    async def _scope_form(request: Request) -> dict[str, str]:
        """The editor's form, its checkboxes of the data scope joined by commas."""
        raw = await request.form()
        form = {k: str(v) for k, v in raw.items() if k != "data_scope"}
        form["data_scope"] = ",".join(str(v) for v in raw.getlist("data_scope"))
        return form

    @router.post("/templates/edit")
    async def template_save(request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            ctx = ctx_of(request)
            form = await _scope_form(request)
            tpl = await run_in_threadpool(_form_tpl, request, form)
            try:
                made, saved = await run_in_threadpool(
                    svc.save_template_version, ctx, sess.principal, tpl["institution_id"],
                    _spec(form))
            except ValidationFailed as exc:
                return _editor(request, sess, tpl, status=422, err=exc.code,
                               err_text=exc.detail)
            t = _t(request)
            tpl |= saved
            msg = (t["saved_version"].format(code=saved["code"], version=saved["version"])
                   if made else t["unchanged"])
            return _editor(request, sess, tpl, msg=msg)
        return await guarded(request, run, post=True)

    @router.post("/templates/preview")
    async def template_preview(request: Request) -> Response:
        """The rendered letter's pages as images: JSON for the editor's script, or the
        editor with the preview for a browser without one."""
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            ctx = ctx_of(request)
            form = await _scope_form(request)
            tpl = await run_in_threadpool(_form_tpl, request, form)
            wants_json = "application/json" in request.headers.get("accept", "")
            try:
                pdf = await run_in_threadpool(svc.preview_letter, ctx, tpl["institution_id"],
                                              _spec(form))
                pages = await run_in_threadpool(preview_pages, pdf)
            except ValidationFailed as exc:
                if wants_json:
                    return JSONResponse({"code": exc.code, "detail": exc.detail,
                                         "field": exc.field}, status_code=422,
                                        headers={"Cache-Control": "no-store"})
                return _editor(request, sess, tpl, status=422, err=exc.code,
                               err_text=exc.detail)
            if wants_json:
                return JSONResponse({"pages": pages}, headers={"Cache-Control": "no-store"})
            return _editor(request, sess, tpl, pages=pages)
        return await guarded(request, run, post=True)

    def _search_page(request: Request, sess: SessionRef, q: svc.Search,
                     results: list[dict[str, Any]] | None, **extra: Any) -> Response:
        insts = svc.list_institutions(ctx_of(request))
        return _page(request, "console_authorizations.html", sess, q=q, results=results,
                     institutions=insts, statuses=[st.value for st in Status],
                     title=_t(request)["authorizations"], **extra)

    @router.get("/authorizations")
    async def authorizations(request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            return await run_in_threadpool(_search_page, request, sess, svc.Search(), None)
        return await guarded(request, run, post=False)

    @router.post("/authorizations")
    async def search(request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            ctx = ctx_of(request)
            try:
                q = svc.Search(institution_id=form.get("institution") or None,
                               status=form.get("status") or None,
                               reference=form.get("reference") or None,
                               date_from=_day(form, "date_from"),
                               date_to=_day(form, "date_to"),
                               id_type=form.get("id_type") or None,
                               id_number=form.get("id_number", "").strip() or None,
                               mobile=form.get("mobile", "").strip() or None,
                               mode=form.get("mode") or "live")
                results = await run_in_threadpool(svc.search_authorizations, ctx, q)
            except ValidationFailed as exc:
                return await run_in_threadpool(_search_page, request, sess, svc.Search(),
                                               None, err=exc.code, err_text=exc.detail)
            action = ("authorizations.search_by_id" if q.id_number else
                      "authorizations.search_by_mobile" if q.mobile else
                      "authorizations.search")
            await run_in_threadpool(svc.record_view, ctx, sess.principal, action)
            return await run_in_threadpool(_search_page, request, sess, q, results)
        return await guarded(request, run, post=True)

    @router.get("/deletions")
    async def overdue_deletions(request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            items = await run_in_threadpool(overdue, ctx_of(request))
            return _page(request, "console_deletions.html", sess, items=items,
                         title=_t(request)["deletions_h"])
        return await guarded(request, run, post=False)

    @router.get("/authorizations/{auth_id}")
    async def dispute(auth_id: str, request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            ctx = ctx_of(request)
            a = await run_in_threadpool(svc.dispute_view, ctx, auth_id)
            await run_in_threadpool(svc.record_view, ctx, sess.principal,
                                    "authorization.view", auth_id)
            signed = a.get("signed_at") is not None
            msg = request.query_params.get("msg")
            return _page(request, "console_dispute.html", sess, a=a,
                         title=_t(request)["dispute"], has_evidence=signed,
                         has_report=signed,
                         msg=_t(request)[msg] if msg in MESSAGES else None)
        return await guarded(request, run, post=False)

    @router.post("/authorizations/{auth_id}/{action}")
    async def dispute_action(auth_id: str, action: str, request: Request) -> Response:
        """Pause (during a dispute) and resume, each after a confirmation."""
        async def run(request: Request, sess: SessionRef, form: dict[str, str]) -> Response:
            ctx = ctx_of(request)
            fn = {"pause": svc.pause_on_dispute, "resume": svc.resume_after_dispute}.get(action)
            if fn is None:
                raise NotFound(f"no action {action}", code=Code.NOT_FOUND)
            t = _t(request)
            if form.get("confirmed") != "yes":
                a = await run_in_threadpool(svc.dispute_view, ctx, auth_id)  # 404 if unknown
                return _page(request, "console_confirm.html", sess, title=t["confirm_title"],
                             question=t[f"confirm_{action}"].format(ref=a["reference"]),
                             action=action,
                             action_url=f"/console/authorizations/{auth_id}/{action}",
                             button=t[f"{action}_authorization"],
                             back=f"/console/authorizations/{auth_id}")
            try:
                await run_in_threadpool(fn, ctx, sess.principal, auth_id)
            except Conflict as exc:  # not active / not paused: said, nothing changed
                return _page(request, "console_base.html", sess, exc.status, err=exc.code,
                             err_text=exc.detail)
            return _redirect(f"/console/authorizations/{auth_id}?msg=msg_{action}d")
        return await guarded(request, run, post=True)

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
