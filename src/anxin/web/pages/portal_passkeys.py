"""The person's passkeys in the portal: ``/me/passkeys`` lists them (name, when
registered, when last used, synced or on one device), names one, removes one after a
confirmation page. Plain forms with the session's CSRF token, like revoking.

(``/me/passkey``, singular, is the passkey sign-in: :mod:`anxin.web.pages.portal_passkey`.)
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from anxin.error_codes import Code
from anxin.errors import AnxinError, NotFound, Unauthenticated
from anxin.services.portal_passkeys import (
    list_passkeys,
    passkey_of,
    remove_passkey,
    rename_passkey,
)
from anxin.services.web_sessions import SessionRef, check_csrf
from anxin.web.pages.portal import page, session_of, to_signin
from anxin.web.pages.web_common import ctx_of, form_of

LIST = "/me/passkeys"


def _not_found(request: Request, sess: SessionRef) -> Response:
    return page(request, "portal_base.html", 404, session=sess, err="passkey_not_found")


def build_router() -> APIRouter:
    """The passkey management routes (installed beside the portal's)."""
    router = APIRouter(tags=["portal"], include_in_schema=False)

    @router.get(LIST)
    async def passkeys(request: Request) -> Response:
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        items = await run_in_threadpool(list_passkeys, ctx_of(request), sess.principal)
        return page(request, "portal_passkeys.html", session=sess, passkeys=items,
                    msg=request.query_params.get("msg"),
                    err=request.query_params.get("err"))

    @router.post(LIST + "/{pk_id}/name")
    async def name(pk_id: str, request: Request) -> Response:
        form = await form_of(request)
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        try:
            check_csrf(sess.csrf, form.get("csrf"))
            await run_in_threadpool(rename_passkey, ctx_of(request), sess.principal, pk_id,
                                    form.get("name", ""))
        except NotFound:
            return _not_found(request, sess)
        except AnxinError as exc:
            if exc.code == Code.CSRF_FAILED:
                return page(request, "portal_base.html", 403, session=sess, err=exc.code)
            return RedirectResponse(f"{LIST}?err=passkey_name_invalid#pk-{pk_id}",
                                    status_code=303)
        return RedirectResponse(f"{LIST}?msg=passkey_renamed", status_code=303)

    @router.get(LIST + "/{pk_id}/remove")
    async def remove_page(pk_id: str, request: Request) -> Response:
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        try:
            pk = await run_in_threadpool(passkey_of, ctx_of(request), sess.principal, pk_id)
        except NotFound:
            return _not_found(request, sess)
        return page(request, "portal_passkey_remove.html", session=sess, pk=pk)

    @router.post(LIST + "/{pk_id}/remove")
    async def remove(pk_id: str, request: Request) -> Response:
        form = await form_of(request)
        try:
            sess = await run_in_threadpool(session_of, request)
        except Unauthenticated:
            return to_signin(request)
        try:
            check_csrf(sess.csrf, form.get("csrf"))
            await run_in_threadpool(remove_passkey, ctx_of(request), sess.principal, pk_id)
        except NotFound:
            return _not_found(request, sess)
        except AnxinError as exc:
            return page(request, "portal_base.html", exc.status, session=sess, err=exc.code)
        return RedirectResponse(f"{LIST}?msg=passkey_removed", status_code=303)

    return router
