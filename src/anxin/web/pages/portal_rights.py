"""The person's rights at ``/me``: ``GET /me/export.zip``, a copy of everything held about
them (PIPL art. 45, :mod:`anxin.services.person_export`), and ``GET|POST /me/erase``, the
erasure of what no retention duty covers, answered at once (art. 47,
:mod:`anxin.services.erasure`). For the signed-in person only; before sign-in they lead
to the sign-in and back."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from anxin.errors import AnxinError, Unauthenticated
from anxin.services.erasure import erase_mine
from anxin.services.person_export import person_export
from anxin.services.person_history import history_mine, preferences_mine, set_preferences
from anxin.services.web_sessions import check_csrf
from anxin.web.pages.portal import COOKIE, page, page_locale, session_of, to_signin
from anxin.web.pages.web_common import ctx_of, form_of


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

    @router.get("/me/history")
    async def history(request: Request) -> Response:
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        items = await run_in_threadpool(history_mine, ctx_of(request), sess.principal,
                                        page_locale(request))
        return page(request, "portal_history.html", session=sess, items=items,
                    refused=sum(1 for u in items if not u.granted))

    @router.get("/me/preferences")
    async def preferences(request: Request) -> Response:
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        prefs = await run_in_threadpool(preferences_mine, ctx_of(request), sess.principal)
        return page(request, "portal_preferences.html", session=sess, prefs=prefs,
                    msg=request.query_params.get("msg"))

    @router.post("/me/preferences")
    async def save_preferences(request: Request) -> Response:
        form = await form_of(request)
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        try:
            check_csrf(sess.csrf, form.get("csrf"))
        except AnxinError as exc:
            return page(request, "portal_base.html", 403, session=sess, err=exc.code)
        await run_in_threadpool(set_preferences, ctx_of(request), sess.principal,
                                refusal_alerts=form.get("refusal_alerts") == "on")
        return RedirectResponse("/me/preferences?msg=preferences_saved", status_code=303)

    @router.get("/me/erase")
    async def erase_page(request: Request) -> Response:
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        return page(request, "portal_erase.html", session=sess, answer=None)

    @router.post("/me/erase")
    async def erase(request: Request) -> Response:
        form = await form_of(request)
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        try:
            check_csrf(sess.csrf, form.get("csrf"))
        except AnxinError as exc:
            return page(request, "portal_base.html", 403, session=sess, err=exc.code)
        answer = await run_in_threadpool(erase_mine, ctx_of(request), sess.principal)
        shown = {"answered_at": answer.answered_at, "erased": answer.erased,
                 "passkeys_erased": answer.passkeys_erased,
                 "retained": [{**r, "until": dt.datetime.fromisoformat(r["retained_until"])}
                              for r in answer.retained]}
        resp = page(request, "portal_erase.html", answer=shown)  # signed out: no session
        resp.delete_cookie(COOKIE, path="/me")
        return resp

    return router
