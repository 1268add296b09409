"""The signing page's passkey steps, behind the link ``/s/<token>``.

How the phone is proven before a passkey is registered (a decision, see
docs/signing-page.md): there is no separate "phone proven" state. Each options request
(registration or assertion) carries the SMS code the person has just received; the server
checks it against the live code of this request *without consuming it*, counting a wrong
code as a failed try exactly like signing does (so these endpoints are no way around the
five-tries lock), and only then issues a single-use challenge that lives five minutes and is
bound to this authorization. The code itself is consumed by the signing that follows. A
link holder without the phone thus learns nothing, not even whether the subject has a
passkey, and cannot register one.

The signing use case calls :func:`make_passkey_check`'s callable twice: in its first check,
in a savepoint it rolls back (the evidence goes into the letter), and in its final
conditional transaction, where the challenge is taken and the sign counter stored with the
signing (:func:`anxin.services.signing.sign`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from anxin.config import Settings
from anxin.domain.events import Event
from anxin.domain.states import Status
from anxin.error_codes import Code
from anxin.errors import AnxinError, ValidationFailed
from anxin.services.authorizations import not_pending, settle_status
from anxin.services.context import Context
from anxin.services.passkeys import (
    begin_registration,
    begin_signing_assertion,
    check_signing_assertion,
    credentials_of,
    finish_registration,
    relying_party,
)
from anxin.services.ports import PasskeyCheck
from anxin.services.records import record
from anxin.services.refusals import refuse, refusing_transaction
from anxin.services.signing import (
    OtpLocked,
    check_code,
    live_code,
    load_by_token,
    no_live_code,
)
from anxin.storage.models import Authorization


def user_handle(ctx: Context, mobile_index: str) -> bytes:
    """The WebAuthn user id of a subject: stable, 32 bytes, no personal data."""
    return bytes.fromhex(ctx.keys.blind_index("passkey-user-handle", mobile_index))


def _prove_phone(ctx: Context, s: Session, a: Authorization, otp: Any,
                 now: dt.datetime) -> AnxinError | None:
    """Check the live code without consuming it; a wrong code counts as a failed try
    (only when a live code exists)."""
    st = ctx.settings
    if a.status != Status.PENDING.value:
        return not_pending(a.status)
    if a.otp_failures >= st.otp_max_failures:
        return OtpLocked("too many wrong codes: this request is locked")
    if not (isinstance(otp, str) and len(otp) == 6 and otp.isdigit()):
        return ValidationFailed("the code has 6 digits", field="otp", code=Code.OTP_INVALID)
    if check_code(ctx, s, "sign", a.id, otp, now) is not None:
        return None
    if live_code(s, "sign", a.id, now) is None:
        return no_live_code()
    a.otp_failures += 1
    record(s, Event.OTP_FAILED, at=now, authorization_id=a.id,
           institution_id=a.institution_id, failures=a.otp_failures)
    if a.otp_failures >= st.otp_max_failures:
        record(s, Event.OTP_LOCKED, at=now, authorization_id=a.id,
               institution_id=a.institution_id)
        return OtpLocked("too many wrong codes: this request is now locked")
    left = st.otp_max_failures - a.otp_failures
    return ValidationFailed(f"the code is wrong or has expired ({left} tries left)",
                            field="otp", code=Code.OTP_INVALID, tries_left=left)


def registration_options(ctx: Context, token: str, otp: Any) -> dict[str, Any]:
    """Creation options for a new passkey of this subject, once the code is proven."""
    rp = relying_party(ctx.settings)
    with refusing_transaction(ctx.db) as s:
        a = load_by_token(s, token, for_update=True)
        settle_status(s, ctx, a)
        now = ctx.clock()
        if (refusal := _prove_phone(ctx, s, a, otp, now)) is not None:
            refuse(refusal)
        return begin_registration(
            s, rp, authorization_id=a.id, mobile_index=a.subject_mobile_index,
            user_handle=user_handle(ctx, a.subject_mobile_index),
            user_name=a.subject_mobile_masked, display_name=a.subject_name_masked,
            now=now)


def register(ctx: Context, token: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Verify the new credential (user verified) and keep it for this subject."""
    rp = relying_party(ctx.settings)
    with refusing_transaction(ctx.db) as s:
        a = load_by_token(s, token, for_update=True)
        settle_status(s, ctx, a)
        if a.status != Status.PENDING.value:
            refuse(not_pending(a.status))
        else:
            now = ctx.clock()
            cred = finish_registration(
                s, rp, payload, authorization_id=a.id, mobile_index=a.subject_mobile_index,
                user_handle=user_handle(ctx, a.subject_mobile_index), now=now)
            record(s, Event.PASSKEY_REGISTERED, at=now, authorization_id=a.id,
                   institution_id=a.institution_id, credential_sha256=cred.id)
            s.flush()
            out = {"credential_sha256": cred.id,
                   "registered": len(credentials_of(s, a.subject_mobile_index))}
    return out


def assertion_options(ctx: Context, token: str, otp: Any) -> dict[str, Any]:
    """Request options whose challenge commits to this letter (``registered`` = 0: the
    subject has no passkey yet and must register one first)."""
    rp = relying_party(ctx.settings)
    with refusing_transaction(ctx.db) as s:
        a = load_by_token(s, token, for_update=True)
        settle_status(s, ctx, a)
        now = ctx.clock()
        if (refusal := _prove_phone(ctx, s, a, otp, now)) is not None:
            refuse(refusal)
        return begin_signing_assertion(
            s, rp, authorization_id=a.id, letter_sha256=a.letter_sha256,
            mobile_index=a.subject_mobile_index, now=now)


def make_passkey_check(settings: Settings) -> PasskeyCheck:
    """The callable the signing use case runs in its transactions when a passkey is sent
    (it must answer the same evidence for the same state and ``now``)."""
    rp = relying_party(settings)

    def passkey_check(s: Session, a: Authorization, payload: dict[str, Any],
                      now: dt.datetime) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise ValidationFailed("the passkey member is an object", field="passkey",
                                   code=Code.PASSKEY_INVALID)
        return check_signing_assertion(s, rp, payload, authorization_id=a.id,
                                       letter_sha256=a.letter_sha256,
                                       mobile_index=a.subject_mobile_index, now=now)

    return passkey_check
