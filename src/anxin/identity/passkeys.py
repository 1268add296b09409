"""Passkeys (WebAuthn / FIDO2) of subjects, with py_webauthn.

Three ceremonies, each with a single-use challenge kept server-side for five minutes:

- registration of a credential for a subject (the caller first proves the phone by the SMS
  code, see :mod:`anxin.services.passkey_signing`); credentials are stored per subject by
  the mobile number's blind index, several per subject;
- the signing assertion, whose challenge commits to the letter
  (:func:`anxin.identity.passkey_evidence.signing_challenge`); its evidence is kept so the
  assertion can be re-verified offline (:func:`verify_assertion_evidence`);
- portal sign-in: :func:`passkey_login_options` and :func:`verify_passkey_login`.

The relying-party id and origin come from ``ANXIN_BASE_URL``; user verification is required
everywhere; sign counters are checked and advanced.

Example::

    opts = passkey_login_options(ctx, mobile_index)
    login = verify_passkey_login(ctx, browser_payload)
    login.mobile_index
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from anxin.config import Settings
from anxin.error_codes import Code
from anxin.errors import ConfigurationError, Conflict, ValidationFailed
from anxin.identity.passkey_evidence import (
    EVIDENCE_FORMAT,
    NONCE_BYTES,
    b64url,
    cose_public_key,
    from_b64url,
    public_key_pem,
    signing_challenge,
    verify_assertion_evidence,
)
from anxin.storage.passkey_models import PasskeyChallenge, PasskeyCredential

if TYPE_CHECKING:
    from anxin.services.context import Context

__all__ = ["CHALLENGE_TTL", "PasskeyLogin", "RelyingParty", "begin_registration",
           "begin_signing_assertion", "check_signing_assertion", "credentials_of",
           "finish_registration", "passkey_login_options", "purge_challenges", "relying_party",
           "verify_assertion_evidence", "verify_passkey_login"]

CHALLENGE_TTL = dt.timedelta(minutes=5)
TIMEOUT_MS = 120_000
ALGORITHMS = [COSEAlgorithmIdentifier.ECDSA_SHA_256, COSEAlgorithmIdentifier.EDDSA,
              COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256]
_TRANSPORTS = {t.value for t in AuthenticatorTransport}


@dataclass(frozen=True, slots=True)
class RelyingParty:
    rp_id: str
    origin: str
    name: str = "Anxin 安心授权"


def relying_party(settings: Settings) -> RelyingParty:
    """Relying-party id (the host) and origin (scheme://host[:port]) of ANXIN_BASE_URL."""
    parts = urlsplit(settings.effective_base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"ANXIN_BASE_URL {settings.effective_base_url!r} has no host")
    port = f":{parts.port}" if parts.port else ""
    return RelyingParty(rp_id=parts.hostname, origin=f"{parts.scheme}://{parts.hostname}{port}")


@dataclass(frozen=True, slots=True)
class PasskeyLogin:
    """A verified portal sign-in."""

    mobile_index: str
    credential_sha256: str
    at: dt.datetime


def _invalid(detail: str) -> ValidationFailed:
    return ValidationFailed(detail, field="passkey", code=Code.PASSKEY_INVALID)


def credentials_of(s: Session, mobile_index: str) -> list[PasskeyCredential]:
    return list(s.scalars(select(PasskeyCredential).where(
        PasskeyCredential.subject_mobile_index == mobile_index
    ).order_by(PasskeyCredential.created_at)))


def purge_challenges(s: Session, now: dt.datetime) -> int:
    """Delete lapsed or used challenges (for the periodic sweep); answers how many."""
    result = s.execute(delete(PasskeyChallenge).where(
        (PasskeyChallenge.expires_at <= now) | PasskeyChallenge.consumed_at.is_not(None)))
    return int(getattr(result, "rowcount", 0))


def _descriptors(creds: list[PasskeyCredential]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(
        id=c.credential_id, transports=[AuthenticatorTransport(t) for t in c.transports])
        for c in creds]


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
        raise _invalid("the passkey challenge is unknown, used or expired: start again")
    row.consumed_at = now
    return row


def _credential(payload: dict[str, Any]) -> dict[str, Any]:
    cred = payload.get("credential")
    if not isinstance(cred, dict) or not isinstance(cred.get("rawId"), str):
        raise _invalid("the passkey payload has no credential")
    return cred


def _options(opts: Any) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(options_to_json(opts))
    return out


def begin_registration(s: Session, rp: RelyingParty, *, authorization_id: str,
                       mobile_index: str, user_handle: bytes, user_name: str,
                       display_name: str, now: dt.datetime) -> dict[str, Any]:
    """Creation options for ``navigator.credentials.create`` and their challenge id."""
    challenge = secrets.token_bytes(32)
    cid = _new_challenge(s, "register", authorization_id, challenge, now)
    opts = generate_registration_options(
        rp_id=rp.rp_id, rp_name=rp.name, user_id=user_handle, user_name=user_name,
        user_display_name=display_name, challenge=challenge, timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=_descriptors(credentials_of(s, mobile_index)),
        supported_pub_key_algs=ALGORITHMS)
    return {"challenge_id": cid, "publicKey": _options(opts)}


def finish_registration(s: Session, rp: RelyingParty, payload: dict[str, Any], *,
                        authorization_id: str, mobile_index: str, user_handle: bytes,
                        now: dt.datetime) -> PasskeyCredential:
    """Verify the attestation response (user verified) and store the credential."""
    row = _take_challenge(s, payload, "register", authorization_id, now)
    cred = _credential(payload)
    try:
        verified = verify_registration_response(
            credential=cred, expected_challenge=row.secret, expected_rp_id=rp.rp_id,
            expected_origin=rp.origin, require_user_verification=True,
            supported_pub_key_algs=ALGORITHMS)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise _invalid(f"the passkey registration does not verify: {exc}") from None
    cred_hash = hashlib.sha256(verified.credential_id).hexdigest()
    if s.get(PasskeyCredential, cred_hash) is not None:
        raise Conflict("this passkey is already registered", code=Code.PASSKEY_ALREADY_REGISTERED)
    transports = cred.get("response", {}).get("transports") or []
    new = PasskeyCredential(
        id=cred_hash, subject_mobile_index=mobile_index, credential_id=verified.credential_id,
        public_key_cose=verified.credential_public_key, sign_count=verified.sign_count,
        user_handle=user_handle, aaguid=verified.aaguid,
        transports=[t for t in transports if t in _TRANSPORTS],
        backed_up=verified.credential_backed_up, registered_authorization_id=authorization_id,
        created_at=now, last_used_at=None)
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
    opts = generate_authentication_options(
        rp_id=rp.rp_id, challenge=signing_challenge(authorization_id, letter_sha256, nonce),
        timeout=TIMEOUT_MS, allow_credentials=_descriptors(creds),
        user_verification=UserVerificationRequirement.REQUIRED)
    return {"registered": len(creds), "challenge_id": cid, "publicKey": _options(opts)}


def _verify_assertion(s: Session, rp: RelyingParty, cred: dict[str, Any], challenge: bytes,
                      mobile_index: str | None, now: dt.datetime) -> PasskeyCredential:
    cred_hash = hashlib.sha256(from_b64url(cred["rawId"])).hexdigest()
    stored = s.get(PasskeyCredential, cred_hash, with_for_update=True)
    if stored is None or (mobile_index is not None
                          and stored.subject_mobile_index != mobile_index):
        raise _invalid("this passkey is not registered for this person")
    try:
        verified = verify_authentication_response(
            credential=cred, expected_challenge=challenge, expected_rp_id=rp.rp_id,
            expected_origin=rp.origin, credential_public_key=stored.public_key_cose,
            credential_current_sign_count=stored.sign_count, require_user_verification=True)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise _invalid(f"the passkey assertion does not verify: {exc}") from None
    stored.sign_count = verified.new_sign_count
    stored.last_used_at = now
    return stored


def check_signing_assertion(s: Session, rp: RelyingParty, payload: dict[str, Any], *,
                            authorization_id: str, letter_sha256: str, mobile_index: str,
                            now: dt.datetime) -> dict[str, Any]:
    """Verify the letter-bound assertion; answer the evidence to keep with the signing."""
    row = _take_challenge(s, payload, "sign", authorization_id, now)
    cred = _credential(payload)
    challenge = signing_challenge(authorization_id, letter_sha256, row.secret)
    stored = _verify_assertion(s, rp, cred, challenge, mobile_index, now)
    response = cred.get("response", {})
    key, alg = cose_public_key(stored.public_key_cose)
    evidence = {
        "format": EVIDENCE_FORMAT, "rp_id": rp.rp_id, "origin": rp.origin,
        "credential_id": b64url(stored.credential_id), "credential_sha256": stored.id,
        "authenticator_data": response.get("authenticatorData"),
        "client_data_json": response.get("clientDataJSON"),
        "signature": response.get("signature"), "user_handle": response.get("userHandle"),
        "public_key_cose": b64url(stored.public_key_cose), "public_key_pem": public_key_pem(key),
        "algorithm": alg, "nonce": b64url(row.secret), "challenge": b64url(challenge),
        "challenge_construction": "SHA-256(label || authorization id || letter SHA-256 || "
                                  "nonce), label = 'anxin/passkey-sign/v1\\x00'",
        "sign_count": stored.sign_count, "aaguid": stored.aaguid,
        "verified_at": now.isoformat()}
    # Fail closed: keep only evidence that re-verifies offline, exactly as a verifier will.
    verify_assertion_evidence(evidence, authorization_id, letter_sha256)
    return evidence


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
    opts = generate_authentication_options(
        rp_id=rp.rp_id, challenge=challenge, timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(creds),
        user_verification=UserVerificationRequirement.REQUIRED)
    return {"challenge_id": cid, "publicKey": _options(opts)}


def verify_passkey_login(ctx: Context, payload: dict[str, Any],
                         mobile_index: str | None = None) -> PasskeyLogin:
    """Verify a portal sign-in assertion (``{"challenge_id", "credential"}``) or raise
    ``ValidationFailed(code="passkey_invalid")``; answers whose mobile index signed in."""
    rp = relying_party(ctx.settings)
    with ctx.db.transaction() as s:
        now = ctx.clock()
        row = _take_challenge(s, payload, "login", mobile_index or "*", now)
        stored = _verify_assertion(s, rp, _credential(payload), row.secret, mobile_index, now)
        return PasskeyLogin(mobile_index=stored.subject_mobile_index,
                            credential_sha256=stored.id, at=now)
