"""The subject's side of a request: view the letter, get a code, sign or decline.

The signing token is only ever stored as a hash. A code is 6 digits, stored as a keyed
hash, lives ``otp_ttl_seconds``; at most one a minute and ``otp_max_sends`` per request;
``otp_max_failures`` wrong entries of a live code lock the request (with no live code a
guess is refused and counts nothing).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.domain.states import Action, Status, transition
from anxin.domain.vocabulary import purpose_label, scope_labels
from anxin.error_codes import Code
from anxin.errors import (
    AnxinError,
    ConfigurationError,
    Conflict,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from anxin.keys import token_hash
from anxin.pki.events import record_certificate
from anxin.pki.sm2_events import record_sm2_certificate
from anxin.services.authorizations import not_pending, settle_status
from anxin.services.context import Context
from anxin.services.letter_signing import SnapshotStatus
from anxin.services.notifications import notify
from anxin.services.ports import LetterToSign, SignatureOutcome
from anxin.services.records import record
from anxin.services.refusals import refuse, refusing_transaction
from anxin.services.renewal import start_validity
from anxin.services.sms_guard import charge_sms, check_sms_country
from anxin.services.test_mode import TEST_OTP, TestMode, marked_sms_text
from anxin.services.transitions import move
from anxin.storage.certificate_store import SqlCertificateStore
from anxin.storage.models import Authorization, Document, Institution, OtpCode, Template
from anxin.storage.passkey_models import PasskeyCredential


class OtpLocked(Conflict):
    code = Code.OTP_LOCKED




def load_by_token(s: Session, token: str, *, for_update: bool = False) -> Authorization:
    """The authorization a signing link names (by the token's hash), row-locked if asked."""
    q = select(Authorization).where(Authorization.token_hash == token_hash(token))
    if for_update:
        q = q.with_for_update()
    a = s.scalars(q).first()
    if a is None:
        raise NotFound("this signing link is not valid", code=Code.SIGNING_LINK_INVALID)
    return a


def view(ctx: Context, token: str) -> dict[str, Any]:
    """Everything the signing page shows, in the letter's locale."""
    with ctx.db.transaction() as s:
        a = load_by_token(s, token)
        settle_status(s, ctx, a)
        tpl = s.get(Template, a.template_id)
        inst = s.get(Institution, a.institution_id)
        assert tpl is not None
        assert inst is not None
        now = ctx.clock()
        cooldown = 0
        if a.otp_last_sent_at is not None:
            wait = ctx.settings.otp_min_interval_seconds - (now - a.otp_last_sent_at
                                                            ).total_seconds()
            cooldown = max(0, int(wait + 0.999))
        return {
            "id": a.id, "status": a.status, "locale": tpl.locale, "title": tpl.title,
            "institution": inst.name,
            "purpose": purpose_label(a.purpose, tpl.locale, ctx.settings.purpose_labels),
            "purpose_code": a.purpose,
            "scope": list(scope_labels(a.data_scope, tpl.locale)),
            "valid_from": a.valid_from, "valid_until": a.valid_until, "max_uses": a.max_uses,
            "letter_text": shown_letter(ctx, a),
            "scope_codes": list(a.data_scope),
            "letter_sha256": a.letter_sha256, "mobile_masked": a.subject_mobile_masked,
            "subject_name": a.subject_name_masked, "require_passkey": tpl.require_passkey,
            "request_expires_at": a.request_expires_at, "signed_at": a.signed_at,
            "locked": a.otp_failures >= ctx.settings.otp_max_failures,
            "otp_cooldown_seconds": cooldown,
            "otp_sends_left": max(ctx.settings.otp_max_sends - a.otp_sends, 0),
            "has_pdf": s.get(Document, (a.id, "letter.pdf")) is not None,
            # Embedding and return (services.embedding), the first view (subject_reach).
            "frame_ancestors": tuple(inst.frame_ancestors or ()),
            "return_url": a.return_url, "viewed_at": a.viewed_at,
            "test": bool(a.test),
        }


def shown_letter(ctx: Context, a: Authorization) -> str:
    """The letter as the signing page shows it: the id number and the mobile masked
    (anyone holding the link reads the page; the person knows both, and the signed PDF,
    whose hash is the letter's, holds them in full)."""
    k = ctx.keys
    text = k.decrypt_text(a.letter_enc, aad=f"{a.id}/letter")
    id_number = k.decrypt_text(a.subject_id_enc, aad=f"{a.id}/id")
    mobile = k.decrypt_text(a.subject_mobile_enc, aad=f"{a.id}/mobile")
    national = mobile[3:] if mobile.startswith("+86") else mobile
    for full, masked in ((id_number, a.subject_id_masked), (mobile, a.subject_mobile_masked),
                         (national, a.subject_mobile_masked)):
        if len(full) >= 4:
            text = text.replace(full, masked)
    return text


def _ensure_realname(ctx: Context, token: str) -> None:
    """Before the first code: check (or record that we trust) name, id and mobile."""
    with ctx.db.transaction() as s:
        a = load_by_token(s, token)
        if a.realname is not None:
            if a.realname.get("result") == "mismatch":
                raise ValidationFailed("the name, id number and mobile do not belong together",
                                       code=Code.REALNAME_MISMATCH)
            return
        if a.test:
            return  # test mode: no real-name provider is ever called
        k = ctx.keys
        triple = (k.decrypt_text(a.subject_name_enc, aad=f"{a.id}/name"), a.subject_id_type,
                  k.decrypt_text(a.subject_id_enc, aad=f"{a.id}/id"),
                  k.decrypt_text(a.subject_mobile_enc, aad=f"{a.id}/mobile"))
    outcome = ctx.realname.check(*triple)  # outside any transaction: may be a network call
    with ctx.db.transaction() as s:
        a = load_by_token(s, token, for_update=True)
        if a.realname is None:
            a.realname = outcome.as_dict()
            record(s, Event.REALNAME_CHECKED, at=ctx.clock(), authorization_id=a.id,
                   institution_id=a.institution_id, provider=outcome.provider,
                   result=outcome.result)
    if outcome.result == "mismatch":
        raise ValidationFailed("the name, id number and mobile do not belong together",
                               code=Code.REALNAME_MISMATCH)


def send_code(ctx: Context, token: str, *, client_ip: str | None = None,
              user_agent: str | None = None) -> None:
    """Send a code to the subject's mobile, under the request's own rules (one a minute,
    ``otp_max_sends`` per request) and the platform's SMS rules
    (:mod:`anxin.services.sms_guard`: the country, the per-IP, per-link and global
    limits). A refusal changes nothing. The client that asked (IP, user agent) is kept
    with the code, not in the ledger leaf."""
    _ensure_realname(ctx, token)
    st = ctx.settings
    with refusing_transaction(ctx.db) as s:
        a = load_by_token(s, token, for_update=True)
        settle_status(s, ctx, a)
        now = ctx.clock()
        if a.status != Status.PENDING.value:
            refuse(not_pending(a.status))
        elif a.otp_failures >= st.otp_max_failures:
            refuse(OtpLocked("too many wrong codes: this request is locked"))
        elif a.otp_sends >= st.otp_max_sends:
            # No more codes for this request, ever: come back when the request lapses
            # (the institution then makes a new one).
            refuse(TooManyRequests(
                f"at most {st.otp_max_sends} codes per request", code=Code.OTP_SEND_LIMIT,
                retry_after=max((a.request_expires_at - now).total_seconds(), 1)))
        elif a.otp_last_sent_at is not None and (
                now - a.otp_last_sent_at).total_seconds() < st.otp_min_interval_seconds:
            wait = st.otp_min_interval_seconds - (now - a.otp_last_sent_at).total_seconds()
            refuse(TooManyRequests("at most one code a minute", code=Code.OTP_RATE_LIMITED,
                                   retry_after=wait))
        else:
            mobile = ctx.keys.decrypt_text(a.subject_mobile_enc, aad=f"{a.id}/mobile")
            # Raised inside the transaction: it rolls back, nothing is counted.
            check_sms_country(ctx, mobile, field="subject.mobile")
            if not a.test:  # test SMS go to the outbox: no gateway budget is spent
                charge_sms(ctx, s, client_ip=client_ip, session=f"sign:{a.id}")
            code = f"{secrets.randbelow(10**6):06d}"
            s.add(OtpCode(scope="sign", key=a.id,
                          code_hash=ctx.keys.secret_mac("otp-sign", f"{a.id}:{code}"),
                          created_at=now,
                          expires_at=now + dt.timedelta(seconds=st.otp_ttl_seconds),
                          client_ip=client_ip[:100] if client_ip else None,
                          user_agent=(user_agent or "")[:500] or None))
            a.otp_sends += 1
            a.otp_last_sent_at = now
            record(s, Event.OTP_SENT, at=now, authorization_id=a.id,
                   institution_id=a.institution_id, send_number=a.otp_sends)
            inst = s.get(Institution, a.institution_id)
            assert inst is not None
            # Sent last, inside the transaction: a gateway failure rolls the count back.
            text = otp_text(code, inst.name, st.otp_ttl_seconds // 60)
            if a.test:  # test mode: always the outbox, never the real gateway
                _test_mode(ctx).sms.send(mobile, marked_sms_text(text))
            else:
                ctx.sms.send(mobile, text)
                ctx.metrics.codes_sent.labels("sign").inc()


def _test_mode(ctx: Context) -> TestMode:
    if ctx.test_mode is None:
        raise ConfigurationError("this data directory has no test CA: run `anxin init` "
                                 "(test authorizations cannot be signed until then)")
    return ctx.test_mode


def otp_text(code: str, institution: str, minutes: int) -> str:
    return (f"【安心授权】验证码 {code}，用于签署{institution}的授权书，{minutes}分钟内有效。"
            f"请勿告诉他人。/ Anxin code {code} to sign {institution}'s authorization; "
            f"valid {minutes} min. Never share it.")


def live_code(s: Session, scope: str, key: str, now: dt.datetime) -> OtpCode | None:
    """The newest code of ``scope``/``key`` that was sent, is unused and has not expired."""
    return s.scalars(select(OtpCode).where(
        OtpCode.scope == scope, OtpCode.key == key, OtpCode.consumed_at.is_(None),
        OtpCode.expires_at > now).order_by(OtpCode.id.desc())).first()


def no_live_code() -> ValidationFailed:
    """The answer to a code when none was sent or it has expired: a wrong try only
    counts against a live code (guesses at nothing lock nothing)."""
    return ValidationFailed("no live code: ask for a new one", field="otp",
                            code=Code.OTP_INVALID)


def check_code(ctx: Context, s: Session, scope: str, key: str, code: str,
               now: dt.datetime) -> OtpCode | None:
    """The live code of ``scope``/``key`` if ``code`` matches it (compared as keyed
    hashes, in constant time), else None. Shared by signing and passkeys; the caller
    counts failures (only when :func:`live_code` finds one) and consumes the code."""
    row = live_code(s, scope, key, now)
    if row is None:
        return None
    expected = ctx.keys.secret_mac(f"otp-{scope}", f"{key}:{code}")
    return row if hmac.compare_digest(expected, row.code_hash) else None


def sign(ctx: Context, token: str, *, otp: str, read_confirmed: bool, client_ip: str | None,
         user_agent: str | None, passkey: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sign the letter: check, sign with no lock held, then a conditional commit.

    1. A short transaction checks the request (pending, not locked, the code right; a
       wrong code counts and locks exactly as it always did, committed) and the passkey
       assertion (verified, then rolled back: it is verified again, and its sign counter
       stored, in step 3), and reads the :class:`LetterToSign`.
    2. The signer renders and signs the letter with no transaction open.
    3. A short transaction stores everything at once (status, code consumed, document,
       event certificates (intl and SM2, by profile), leaves, notification) only if the
       request is still pending and the code still unconsumed. Of two concurrent
       signings one wins; the other's work is discarded (its event certificates are never
       recorded) and it gets the answer a late second signer always got
       (``authorization_not_pending``). A signer that raises leaves the request pending
       and its code unconsumed.
    """
    if read_confirmed is not True:
        raise ValidationFailed("confirm that you have read the whole letter",
                               field="read_confirmed", code=Code.READ_NOT_CONFIRMED)
    if not (isinstance(otp, str) and len(otp) == 6 and otp.isdigit()):
        raise ValidationFailed("the code has 6 digits", field="otp", code=Code.OTP_INVALID)
    checked = _check_request(ctx, token, otp, passkey)
    if checked.letter.test:
        # Test mode: the test CA signs, with its own status data; never the platform's.
        test = _test_mode(ctx)
        outcome = test.letter_signer(checked.letter, SnapshotStatus(ctx.db, test.pki))
    else:
        status = SnapshotStatus(ctx.db, ctx.pki, ctx.sm2.pki if ctx.sm2 is not None else None)
        outcome = ctx.letter_signer(checked.letter, status)
    return _store_signing(ctx, token, checked, outcome, passkey, client_ip, user_agent)


@dataclass(frozen=True, slots=True)
class _Checked:
    """What the first transaction found: the code to consume and the letter to sign."""

    code_id: int
    letter: LetterToSign


def _check_request(ctx: Context, token: str, otp: str,
                   passkey: dict[str, Any] | None) -> _Checked:
    st = ctx.settings
    with refusing_transaction(ctx.db) as s:
        a = load_by_token(s, token, for_update=True)
        settle_status(s, ctx, a)
        now = ctx.clock()
        tpl = s.get(Template, a.template_id)
        assert tpl is not None
        if a.status != Status.PENDING.value:
            refuse(not_pending(a.status))
        elif a.otp_failures >= st.otp_max_failures:
            refuse(OtpLocked("too many wrong codes: this request is locked"))
        else:
            row = check_code(ctx, s, "sign", a.id, otp, now)
            if row is None and a.test and hmac.compare_digest(otp, TEST_OTP):
                # Test mode: the fixed code stands for the live code sent (to the outbox).
                row = live_code(s, "sign", a.id, now)
            if row is None and live_code(s, "sign", a.id, now) is None:
                refuse(no_live_code())
            elif row is None:
                a.otp_failures += 1
                record(s, Event.OTP_FAILED, at=now, authorization_id=a.id,
                       institution_id=a.institution_id, failures=a.otp_failures)
                if a.otp_failures >= st.otp_max_failures:
                    record(s, Event.OTP_LOCKED, at=now, authorization_id=a.id,
                           institution_id=a.institution_id)
                    refuse(OtpLocked("too many wrong codes: this request is now locked"))
                else:
                    left = st.otp_max_failures - a.otp_failures
                    refuse(ValidationFailed(
                        f"the code is wrong or has expired ({left} tries left)", field="otp",
                        code=Code.OTP_INVALID, tries_left=left))
            elif tpl.require_passkey and passkey is None:
                refuse(ValidationFailed("this letter must be confirmed with a passkey",
                                        field="passkey", code=Code.PASSKEY_REQUIRED))
            else:
                evidence = _try_passkey(ctx, s, a, passkey, now)
                checked = _Checked(code_id=row.id,
                                   letter=_letter_to_sign(ctx, s, a, tpl, evidence, now))
    return checked


def _try_passkey(ctx: Context, s: Session, a: Authorization, passkey: dict[str, Any] | None,
                 now: dt.datetime) -> dict[str, Any] | None:
    """The passkey evidence the letter will carry, verified in a savepoint that is rolled
    back (the challenge and the sign counter are taken for real by the final commit)."""
    if passkey is None:
        return None
    savepoint = s.begin_nested()
    try:
        return ctx.passkey_check(s, a, passkey, now)
    finally:
        savepoint.rollback()


def _letter_to_sign(ctx: Context, s: Session, a: Authorization, tpl: Template,
                    passkey_evidence: dict[str, Any] | None, now: dt.datetime) -> LetterToSign:
    inst = s.get(Institution, a.institution_id)
    assert inst is not None
    k = ctx.keys
    return LetterToSign(
        authorization_id=a.id, letter_sha256=a.letter_sha256,
        letter_text=k.decrypt_text(a.letter_enc, aad=f"{a.id}/letter"),
        locale=tpl.locale, title=tpl.title, institution_name=inst.name, purpose=a.purpose,
        data_scope=tuple(a.data_scope), valid_from=a.valid_from, valid_until=a.valid_until,
        max_uses=a.max_uses, reference=a.reference,
        subject_name=k.decrypt_text(a.subject_name_enc, aad=f"{a.id}/name"),
        subject_id_number=k.decrypt_text(a.subject_id_enc, aad=f"{a.id}/id"),
        subject_id_masked=a.subject_id_masked,
        method="sms+passkey" if passkey_evidence is not None else "sms",
        passkey_evidence=passkey_evidence, now=now, terms=a.terms,
        purpose_label=purpose_label(a.purpose, tpl.locale, ctx.settings.purpose_labels),
        test=bool(a.test))


def passkey_enrolment(s: Session, a: Authorization, credential_sha256: str) -> str:
    """Which passkey signed (kept in the signing evidence): ``existing`` (registered
    before this request), ``first_passkey`` (registered for this request, the subject's
    first) or ``new_device`` (registered for this request, after the SMS code, beside
    passkeys the subject already had on other devices)."""
    used = s.get(PasskeyCredential, credential_sha256)
    if used is None or used.registered_authorization_id != a.id:
        return "existing"
    others = s.scalar(select(func.count()).select_from(PasskeyCredential).where(
        PasskeyCredential.subject_mobile_index == a.subject_mobile_index,
        PasskeyCredential.id != credential_sha256,
        PasskeyCredential.created_at <= used.created_at))
    return "new_device" if others else "first_passkey"


def _store_signing(ctx: Context, token: str, checked: _Checked,
                   outcome: SignatureOutcome, passkey: dict[str, Any] | None,
                   client_ip: str | None, user_agent: str | None) -> dict[str, Any]:
    """The conditional commit: everything of the signing, or (if another signing won,
    or the request moved on meanwhile) nothing."""
    letter = checked.letter
    now = letter.now
    with refusing_transaction(ctx.db) as s:
        a = load_by_token(s, token, for_update=True)
        settle_status(s, ctx, a)
        if a.status != Status.PENDING.value:
            refuse(not_pending(a.status))
        elif not _consume_code(s, checked.code_id, now):
            refuse(no_live_code())  # cannot happen while pending: signing consumes it
        else:
            passkey_refusal = _complete_signing(ctx, s, a, letter, outcome, passkey,
                                                client_ip, user_agent)
            if passkey_refusal is not None:
                refuse(passkey_refusal)
        out = {"status": a.status, "id": a.id, "signed_at": a.signed_at,
               "letter_sha256": a.letter_sha256, "timestamp": a.timestamp_at}
        test = bool(a.test)
    if not test:  # test mode never counts in production figures
        ctx.metrics.authorizations_signed.inc()
    return out


def _consume_code(s: Session, code_id: int, now: dt.datetime) -> bool:
    """Mark the code used, if nothing used it since it was checked (compare-and-set)."""
    result = s.execute(update(OtpCode).where(OtpCode.id == code_id,
                                             OtpCode.consumed_at.is_(None))
                       .values(consumed_at=now).execution_options(synchronize_session=False))
    return getattr(result, "rowcount", 0) == 1


def _complete_signing(ctx: Context, s: Session, a: Authorization, letter: LetterToSign,
                      outcome: SignatureOutcome, passkey: dict[str, Any] | None,
                      client_ip: str | None, user_agent: str | None) -> AnxinError | None:
    now = letter.now
    passkey_evidence = letter.passkey_evidence
    if passkey_evidence is not None:
        assert passkey is not None  # how the evidence was made
        # Verified again, now for real: the challenge is taken and the sign counter stored
        # with the signing. The letter carries the first verification's evidence; a
        # different answer means the credential was used meanwhile.
        if ctx.passkey_check(s, a, passkey, now) != passkey_evidence:
            return ValidationFailed("the passkey was used meanwhile: confirm again",
                                    field="passkey", code=Code.PASSKEY_INVALID)
    record(s, Event.OTP_VERIFIED, at=now, authorization_id=a.id,
           institution_id=a.institution_id)
    if passkey_evidence is not None:
        record(s, Event.PASSKEY_VERIFIED, at=now, authorization_id=a.id,
               institution_id=a.institution_id,
               credential_sha256=passkey_evidence.get("credential_sha256"))
    a.status = transition(Status(a.status), Action.SIGN).value
    a.signed_at = now
    a.status_changed_at = now
    start_validity(a, now)  # a renewal's validity starts now
    method = letter.method
    a.signing = {"method": method, "otp_verified_at": now.isoformat(), "client_ip": client_ip,
                 "user_agent": (user_agent or "")[:500], "letter_sha256": a.letter_sha256,
                 "passkey": passkey_evidence}
    if passkey_evidence is not None:
        a.signing["passkey_enrolment"] = passkey_enrolment(
            s, a, str(passkey_evidence.get("credential_sha256")))
    certificates = SqlCertificateStore(s)
    if outcome.certificate is not None:
        record_certificate(certificates, outcome.certificate, keys=ctx.keys,
                           kind="event", authorization_id=a.id)
    if outcome.sm2_certificate is not None:
        record_sm2_certificate(certificates, outcome.sm2_certificate, keys=ctx.keys,
                               kind="event", authorization_id=a.id)
    a.timestamp_at = outcome.timestamp_at
    a.signing = {**a.signing, **outcome.evidence}
    store_document(ctx, s, a.id, "letter.pdf", outcome.pdf, now)
    record(s, Event.SIGNED, at=now, authorization_id=a.id, institution_id=a.institution_id,
           letter_sha256=a.letter_sha256, method=method,
           **({"renews": a.renews} if a.renews is not None else {}))
    # The outbox row is dated by this transaction's clock, not by the signing's moment
    # (``now``, when the code was checked, before the letter was signed): a catch-up read
    # trusts a row's time to be within SETTLE_SECONDS of its commit.
    notify(s, institution_id=a.institution_id, authorization_id=a.id, reference=a.reference,
           event=Event.SIGNED, at=ctx.clock(), test=a.test)
    return None


def store_document(ctx: Context, s: Session, auth_id: str, kind: str, content: bytes,
                   now: dt.datetime) -> None:
    import hashlib
    s.merge(Document(authorization_id=auth_id, kind=kind,
                     content_enc=ctx.keys.encrypt(content, aad=f"{auth_id}/{kind}"),
                     sha256=hashlib.sha256(content).hexdigest(), created_at=now))


def decline(ctx: Context, token: str) -> dict[str, Any]:
    with refusing_transaction(ctx.db) as s:
        a = load_by_token(s, token, for_update=True)
        settle_status(s, ctx, a)
        if a.status != Status.PENDING.value:
            refuse(not_pending(a.status))
        move(s, a, Action.DECLINE, at=ctx.clock())
        return {"status": a.status, "id": a.id}
