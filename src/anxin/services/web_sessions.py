"""Browser sessions of the portal and the console, and their CSRF tokens.

The cookie holds a random token; the database holds only its keyed hash. A session dies
after ``idle`` without a request or ``absolute`` after sign-in, whichever comes first. The
CSRF token of a form is a keyed hash of the session token, so it needs no storage and
cannot be computed without the cookie.

Example::

    token = start_session(ctx, "portal", mobile_index)
    resume_session(ctx, "portal", token).principal
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from sqlalchemy import delete, select

from anxin.error_codes import Code
from anxin.errors import Forbidden, Unauthenticated
from anxin.keys import new_token
from anxin.services.context import Context
from anxin.storage.portal_models import WebSession

# "signed": the short download window of the browser that has just signed a letter
# (anxin.services.signed_downloads).
IDLE = {"portal": dt.timedelta(minutes=15), "console": dt.timedelta(minutes=30),
        "signed": dt.timedelta(minutes=10)}
ABSOLUTE = {"portal": dt.timedelta(hours=2), "console": dt.timedelta(hours=12),
            "signed": dt.timedelta(minutes=10)}


@dataclass(frozen=True, slots=True)
class SessionRef:
    realm: str
    principal: str
    csrf: str


def _hash(ctx: Context, realm: str, token: str) -> str:
    return ctx.keys.secret_mac(f"session-{realm}", token)


def csrf_for(ctx: Context, realm: str, token: str) -> str:
    return ctx.keys.secret_mac(f"csrf-{realm}", token)[:40]


def start_session(ctx: Context, realm: str, principal: str) -> str:
    """Open a session for ``principal``; returns the cookie value (shown only here)."""
    token = new_token()
    now = ctx.clock()
    with ctx.db.transaction() as s:
        s.execute(delete(WebSession).where(WebSession.absolute_expires_at < now))
        s.add(WebSession(token_hash=_hash(ctx, realm, token), realm=realm,
                         principal=principal, created_at=now, last_seen_at=now,
                         expires_at=now + IDLE[realm],
                         absolute_expires_at=now + ABSOLUTE[realm]))
    return token


def resume_session(ctx: Context, realm: str, token: str | None) -> SessionRef:
    """The session of this cookie, its idle limit moved on; or raise ``session_expired``."""
    if not token:
        raise Unauthenticated("sign in first", code=Code.NOT_SIGNED_IN)
    now = ctx.clock()
    with ctx.db.transaction() as s:
        row = s.scalars(select(WebSession).where(
            WebSession.token_hash == _hash(ctx, realm, token),
            WebSession.realm == realm)).first()
        if row is None or row.expires_at <= now or row.absolute_expires_at <= now:
            raise Unauthenticated("the session has ended: sign in again",
                                  code=Code.SESSION_EXPIRED)
        row.last_seen_at = now
        row.expires_at = min(now + IDLE[realm], row.absolute_expires_at)
        return SessionRef(realm, row.principal, csrf_for(ctx, realm, token))


def end_session(ctx: Context, realm: str, token: str | None) -> None:
    if not token:
        return
    with ctx.db.transaction() as s:
        s.execute(delete(WebSession).where(WebSession.token_hash == _hash(ctx, realm, token)))


def check_csrf(expected: str, given: str | None) -> None:
    """Verify-or-raise: the form's token must be the session's."""
    if not given or not hmac.compare_digest(expected, given):
        raise Forbidden("the form is stale or was not sent by this site: reload the page",
                        code=Code.CSRF_FAILED)
