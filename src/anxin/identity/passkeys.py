"""Passkeys (WebAuthn / FIDO2): the ceremonies' options and verifications, with py_webauthn.

Pure: no storage. The single-use challenges and the stored credentials are the use case's
(:mod:`anxin.services.passkeys`), which hands this module the challenge bytes and what it
knows of a credential and stores what comes back. Three ceremonies:

- registration of a credential (:func:`registration_options`, :func:`verify_registration`);
- the signing assertion, whose challenge commits to the letter
  (:func:`anxin.identity.passkey_evidence.signing_challenge`); :func:`signing_evidence`
  is what is kept so the assertion can be re-verified offline
  (:func:`verify_assertion_evidence`);
- portal sign-in (:func:`authentication_options`, :func:`verify_assertion`).

The relying-party id and origin come from ``ANXIN_BASE_URL``; user verification is required
everywhere; sign counters are checked and advanced.

Example::

    rp = relying_party(settings)
    opts = authentication_options(rp, challenge=secret, allow=[])
    new_count = verify_assertion(rp, credential, secret, public_key_cose=key, sign_count=0)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

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
from anxin.errors import ConfigurationError, ValidationFailed
from anxin.identity.passkey_evidence import (
    EVIDENCE_FORMAT,
    b64url,
    cose_public_key,
    from_b64url,
    public_key_pem,
    signing_challenge,
    verify_assertion_evidence,
)

__all__ = ["CHALLENGE_TTL", "KnownCredential", "PasskeyLogin", "RegisteredCredential",
           "RelyingParty", "authentication_options", "credential_payload",
           "credential_sha256", "invalid", "registration_options", "relying_party",
           "signing_evidence", "verify_assertion", "verify_assertion_evidence",
           "verify_registration"]

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


@dataclass(frozen=True, slots=True)
class KnownCredential:
    """What an options call needs of a stored credential (to allow or exclude it)."""

    credential_id: bytes
    transports: Sequence[str]


@dataclass(frozen=True, slots=True)
class RegisteredCredential:
    """A verified registration, to store."""

    id: str  # SHA-256 (hex) of the credential id
    credential_id: bytes
    public_key_cose: bytes
    sign_count: int
    aaguid: str
    transports: list[str]
    backed_up: bool


def invalid(detail: str) -> ValidationFailed:
    return ValidationFailed(detail, field="passkey", code=Code.PASSKEY_INVALID)


def _descriptors(creds: Sequence[KnownCredential]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(
        id=c.credential_id, transports=[AuthenticatorTransport(t) for t in c.transports])
        for c in creds]


def credential_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The browser's credential in a ceremony payload (or ``passkey_invalid``)."""
    cred = payload.get("credential")
    if not isinstance(cred, dict) or not isinstance(cred.get("rawId"), str):
        raise invalid("the passkey payload has no credential")
    return cred


def credential_sha256(cred: dict[str, Any]) -> str:
    """The stored id of the credential a browser answered with."""
    return hashlib.sha256(from_b64url(cred["rawId"])).hexdigest()


def _options(opts: Any) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(options_to_json(opts))
    return out


def registration_options(rp: RelyingParty, *, challenge: bytes, user_handle: bytes,
                         user_name: str, display_name: str,
                         exclude: Sequence[KnownCredential]) -> dict[str, Any]:
    """``publicKey`` options for ``navigator.credentials.create``."""
    return _options(generate_registration_options(
        rp_id=rp.rp_id, rp_name=rp.name, user_id=user_handle, user_name=user_name,
        user_display_name=display_name, challenge=challenge, timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=_descriptors(exclude),
        supported_pub_key_algs=ALGORITHMS))


def verify_registration(rp: RelyingParty, cred: dict[str, Any],
                        challenge: bytes) -> RegisteredCredential:
    """Verify the attestation response (user verified)."""
    try:
        verified = verify_registration_response(
            credential=cred, expected_challenge=challenge, expected_rp_id=rp.rp_id,
            expected_origin=rp.origin, require_user_verification=True,
            supported_pub_key_algs=ALGORITHMS)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise invalid(f"the passkey registration does not verify: {exc}") from None
    transports = cred.get("response", {}).get("transports") or []
    return RegisteredCredential(
        id=hashlib.sha256(verified.credential_id).hexdigest(),
        credential_id=verified.credential_id, public_key_cose=verified.credential_public_key,
        sign_count=verified.sign_count, aaguid=verified.aaguid,
        transports=[t for t in transports if t in _TRANSPORTS],
        backed_up=verified.credential_backed_up)


def authentication_options(rp: RelyingParty, *, challenge: bytes,
                           allow: Sequence[KnownCredential]) -> dict[str, Any]:
    """``publicKey`` options for ``navigator.credentials.get`` (``allow`` empty: a
    discoverable-credential sign-in)."""
    return _options(generate_authentication_options(
        rp_id=rp.rp_id, challenge=challenge, timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(allow),
        user_verification=UserVerificationRequirement.REQUIRED))


def verify_assertion(rp: RelyingParty, cred: dict[str, Any], challenge: bytes, *,
                     public_key_cose: bytes, sign_count: int) -> int:
    """Verify an assertion by the stored credential key; answers the new sign count."""
    try:
        verified = verify_authentication_response(
            credential=cred, expected_challenge=challenge, expected_rp_id=rp.rp_id,
            expected_origin=rp.origin, credential_public_key=public_key_cose,
            credential_current_sign_count=sign_count, require_user_verification=True)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise invalid(f"the passkey assertion does not verify: {exc}") from None
    return int(verified.new_sign_count)


def signing_evidence(rp: RelyingParty, cred: dict[str, Any], *, credential_id: bytes,
                     credential_sha256: str, public_key_cose: bytes, sign_count: int,
                     aaguid: str, nonce: bytes, authorization_id: str, letter_sha256: str,
                     now: dt.datetime) -> dict[str, Any]:
    """The evidence of a verified letter-bound assertion, checked to re-verify offline."""
    challenge = signing_challenge(authorization_id, letter_sha256, nonce)
    response = cred.get("response", {})
    key, alg = cose_public_key(public_key_cose)
    evidence = {
        "format": EVIDENCE_FORMAT, "rp_id": rp.rp_id, "origin": rp.origin,
        "credential_id": b64url(credential_id), "credential_sha256": credential_sha256,
        "authenticator_data": response.get("authenticatorData"),
        "client_data_json": response.get("clientDataJSON"),
        "signature": response.get("signature"), "user_handle": response.get("userHandle"),
        "public_key_cose": b64url(public_key_cose), "public_key_pem": public_key_pem(key),
        "algorithm": alg, "nonce": b64url(nonce), "challenge": b64url(challenge),
        "challenge_construction": "SHA-256(label || authorization id || letter SHA-256 || "
                                  "nonce), label = 'anxin/passkey-sign/v1\\x00'",
        "sign_count": sign_count, "aaguid": aaguid,
        "verified_at": now.isoformat()}
    # Fail closed: keep only evidence that re-verifies offline, exactly as a verifier will.
    verify_assertion_evidence(evidence, authorization_id, letter_sha256)
    return evidence
