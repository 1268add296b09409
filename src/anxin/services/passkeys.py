"""Passkeys of subjects: the ceremonies' challenges and credentials, kept in storage.

The WebAuthn work is :mod:`anxin.identity.passkeys` (pure); this module keeps a
single-use challenge server-side for five minutes per ceremony and the credentials per
subject, by the mobile number's blind index (several per subject):

- registration (the caller first proves the phone by the SMS code, see
  :mod:`anxin.services.passkey_signing`): :func:`begin_registration`,
  :func:`finish_registration`;
- the signing assertion: :func:`begin_signing_assertion`, :func:`check_signing_assertion`;
- portal sign-in: :func:`passkey_login_options` and :func:`verify_passkey_login`.

Functions taking a ``Session`` run in the caller's transaction (they never commit).

Example::

    opts = passkey_login_options(ctx, mobile_index)
    login = verify_passkey_login(ctx, browser_payload)
    login.mobile_index
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from anxin.error_codes import Code
from anxin.errors import Conflict
from anxin.identity.passkey_evidence import NONCE_BYTES, signing_challenge
from anxin.identity.passkeys import (
    CHALLENGE_TTL,
    KnownCredential,
    PasskeyLogin,
    RelyingParty,
    authentication_options,
    credential_payload,
    credential_sha256,
    invalid,
    registration_options,
    relying_party,
    signing_evidence,
    verify_assertion,
    verify_assertion_evidence,
    verify_registration,
)
from anxin.storage.passkey_models import PasskeyChallenge, PasskeyCredential

if TYPE_CHECKING:
    from anxin.services.context import Context

__all__ = ["CHALLENGE_TTL", "PasskeyLogin", "RelyingParty", "begin_registration",
           "begin_signing_assertion", "check_signing_assertion", "credentials_of",
           "finish_registration", "passkey_login_options", "purge_challenges", "relying_party",
           "verify_assertion_evidence", "verify_passkey_login"]


def credentials_of(s: Session, mobile_index: str) -> list[PasskeyCredential]:
    return list(s.scalars(select(PasskeyCredential).where(
        PasskeyCredential.subject_mobile_index == mobile_index
    ).order_by(PasskeyCredential.created_at)))


def purge_challenges(s: Session, now: dt.datetime) -> int:
    """Delete lapsed or used challenges (for the periodic sweep); answers how many."""
    result = s.execute(delete(PasskeyChallenge).where(
        (PasskeyChallenge.expires_at <= now) | PasskeyChallenge.consumed_at.is_not(None)))
    return int(getattr(result, "rowcount", 0))


def _known(creds: list[PasskeyCredential]) -> list[KnownCredential]:
    return [KnownCredential(c.credential_id, list(c.transports)) for c in creds]


def _new_challenge(s: Session, purpose: str, key: str, secret: bytes,
                   now: dt.datetime) -> str:
    cid = secrets.token_urlsafe(24)
    s.add(PasskeyChallenge(id=cid, purpose=purpose, key=key, secret=secret, created_at=now,
                           expires_at=now + CHALLENGE_TTL))
    return cid


def _take_challenge(s: Session, payload: dict[str, Any], purpose: str, key: str | None,
                    now: dt.datetime) -> PasskeyChallenge:
    """The live challenge named by the payload, marked used (the caller's transaction)."""
    cid = payload.get("challenge_id")
    row = s.get(PasskeyChallenge, cid, with_for_update=True) if isinstance(cid, str) else None
    if (row is None or row.purpose != purpose or (key is not None and row.key != key)
            or row.consumed_at is not None or row.expires_at <= now):
        raise invalid("the passkey challenge is unknown, used or expired: start again")
    row.consumed_at = now
    return row


def begin_registration(s: Session, rp: RelyingParty, *, authorization_id: str,
                       mobile_index: str, user_handle: bytes, user_name: str,
                       display_name: str, now: dt.datetime) -> dict[str, Any]:
    """Creation options for ``navigator.credentials.create`` and their challenge id."""
    challenge = secrets.token_bytes(32)
    cid = _new_challenge(s, "register", authorization_id, challenge, now)
    opts = registration_options(rp, challenge=challenge, user_handle=user_handle,
                                user_name=user_name, display_name=display_name,
                                exclude=_known(credentials_of(s, mobile_index)))
    return {"challenge_id": cid, "publicKey": opts}


def finish_registration(s: Session, rp: RelyingParty, payload: dict[str, Any], *,
                        authorization_id: str, mobile_index: str, user_handle: bytes,
                        now: dt.datetime) -> PasskeyCredential:
    """Verify the attestation response (user verified) and store the credential."""
    row = _take_challenge(s, payload, "register", authorization_id, now)
    verified = verify_registration(rp, credential_payload(payload), row.secret)
    if s.get(PasskeyCredential, verified.id) is not None:
        raise Conflict("this passkey is already registered", code=Code.PASSKEY_ALREADY_REGISTERED)
    new = PasskeyCredential(
        id=verified.id, subject_mobile_index=mobile_index,
        credential_id=verified.credential_id, public_key_cose=verified.public_key_cose,
        sign_count=verified.sign_count, user_handle=user_handle, aaguid=verified.aaguid,
        transports=verified.transports, backed_up=verified.backed_up,
        registered_authorization_id=authorization_id, created_at=now, last_used_at=None)
    s.add(new)
    return new


def begin_signing_assertion(s: Session, rp: RelyingParty, *, authorization_id: str,
                            letter_sha256: str, mobile_index: str,
                            now: dt.datetime) -> dict[str, Any]:
    """Request options whose challenge commits to this letter; ``registered`` = how many
    credentials the subject has (0: register one first, no challenge is issued)."""
    creds = credentials_of(s, mobile_index)
    if not creds:
        return {"registered": 0}
    nonce = secrets.token_bytes(NONCE_BYTES)
    cid = _new_challenge(s, "sign", authorization_id, nonce, now)
    opts = authentication_options(
        rp, challenge=signing_challenge(authorization_id, letter_sha256, nonce),
        allow=_known(creds))
    return {"registered": len(creds), "challenge_id": cid, "publicKey": opts}


def _verify_assertion(s: Session, rp: RelyingParty, cred: dict[str, Any], challenge: bytes,
                      mobile_index: str | None, now: dt.datetime) -> PasskeyCredential:
    stored = s.get(PasskeyCredential, credential_sha256(cred), with_for_update=True)
    if stored is None or (mobile_index is not None
                          and stored.subject_mobile_index != mobile_index):
        raise invalid("this passkey is not registered for this person")
    stored.sign_count = verify_assertion(rp, cred, challenge,
                                         public_key_cose=stored.public_key_cose,
                                         sign_count=stored.sign_count)
    stored.last_used_at = now
    return stored


def check_signing_assertion(s: Session, rp: RelyingParty, payload: dict[str, Any], *,
                            authorization_id: str, letter_sha256: str, mobile_index: str,
                            now: dt.datetime) -> dict[str, Any]:
    """Verify the letter-bound assertion; answer the evidence to keep with the signing."""
    row = _take_challenge(s, payload, "sign", authorization_id, now)
    cred = credential_payload(payload)
    challenge = signing_challenge(authorization_id, letter_sha256, row.secret)
    stored = _verify_assertion(s, rp, cred, challenge, mobile_index, now)
    return signing_evidence(
        rp, cred, credential_id=stored.credential_id, credential_sha256=stored.id,
        public_key_cose=stored.public_key_cose, sign_count=stored.sign_count,
        aaguid=stored.aaguid, nonce=row.secret, authorization_id=authorization_id,
        letter_sha256=letter_sha256, now=now)


def passkey_login_options(ctx: Context, mobile_index: str | None = None) -> dict[str, Any]:
    """Portal sign-in options. With ``mobile_index``, only that subject's credentials are
    allowed; without it, a discoverable-credential sign-in (no number typed, nothing
    enumerable). Answers ``{"challenge_id", "publicKey"}`` for the page's script."""
    rp = relying_party(ctx.settings)
    challenge = secrets.token_bytes(32)
    with ctx.db.transaction() as s:
        now = ctx.clock()
        creds = credentials_of(s, mobile_index) if mobile_index is not None else []
        cid = _new_challenge(s, "login", mobile_index or "*", challenge, now)
        allow = _known(creds)
    return {"challenge_id": cid,
            "publicKey": authentication_options(rp, challenge=challenge, allow=allow)}


def verify_passkey_login(ctx: Context, payload: dict[str, Any],
                         mobile_index: str | None = None) -> PasskeyLogin:
    """Verify a portal sign-in assertion (``{"challenge_id", "credential"}``) or raise
    ``ValidationFailed(code="passkey_invalid")``; answers whose mobile index signed in."""
    rp = relying_party(ctx.settings)
    with ctx.db.transaction() as s:
        now = ctx.clock()
        row = _take_challenge(s, payload, "login", mobile_index or "*", now)
        stored = _verify_assertion(s, rp, credential_payload(payload), row.secret,
                                   mobile_index, now)
        return PasskeyLogin(mobile_index=stored.subject_mobile_index,
                            credential_sha256=stored.id, at=now)
