"""The signed letter and the consent receipt through the signing link, for a short time,
in the signing browser.

After signing, the page offers the signed PDF and the signed consent receipt at once,
without a sign-in: signing starts a short session (realm ``signed``, ten minutes,
:mod:`anxin.services.web_sessions`) whose cookie the web edge sets on the signing browser
only, scoped to the link's path. Anyone else holding the link, or the same browser
later, is refused with 401 ``signed_download_expired`` and sent to ``/me``, where the
person signs in.

Example::

    cookie = start_signed_session(ctx, auth_id)
    pdf = signed_letter_pdf(ctx, token, cookie)
    receipt = signed_consent_receipt(ctx, token, cookie)
"""

from __future__ import annotations

from anxin.error_codes import Code
from anxin.errors import AnxinError, NotFound, Unauthenticated
from anxin.services.consent_receipts import consent_receipt
from anxin.services.context import Context
from anxin.services.documents import read_document
from anxin.services.signing import load_by_token
from anxin.services.web_sessions import IDLE, resume_session, start_session

REALM = "signed"
WINDOW_SECONDS = int(IDLE[REALM].total_seconds())


def start_signed_session(ctx: Context, auth_id: str) -> str:
    """The cookie value of the signing browser's download window."""
    return start_session(ctx, REALM, auth_id)


def _expired() -> Unauthenticated:
    return Unauthenticated("the downloads of the signing link are for the browser that "
                           "signed, for a short time: sign in at /me",
                           code=Code.SIGNED_DOWNLOAD_EXPIRED)


def downloadable(ctx: Context, token: str, cookie: str | None) -> str:
    """The authorization id whose documents this browser may still download through
    the link, or raise ``signed_download_expired``."""
    with ctx.db.transaction() as s:
        auth_id = load_by_token(s, token).id
    if not cookie:
        raise _expired()
    try:
        session = resume_session(ctx, REALM, cookie)
    except AnxinError as exc:
        raise _expired() from exc
    if session.principal != auth_id:
        raise _expired()
    return auth_id


def signed_letter_pdf(ctx: Context, token: str, cookie: str | None) -> bytes:
    """The signed letter (PDF) of the link, in its download window."""
    auth_id = downloadable(ctx, token, cookie)
    pdf = read_document(ctx, None, auth_id, "letter.pdf")
    if pdf is None:
        raise NotFound("this letter has no signed PDF", code=Code.DOCUMENT_NOT_FOUND)
    return pdf


def signed_consent_receipt(ctx: Context, token: str, cookie: str | None) -> bytes:
    """The signed consent receipt (consent-receipt.json) of the link, in its download
    window; issued on this first ask if it was not yet."""
    return consent_receipt(ctx, downloadable(ctx, token, cookie))
