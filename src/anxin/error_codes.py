"""The registry of error codes: each code once, with its HTTP status, its CLI exit code and
what it means.

Every failure the product reports carries a :class:`Code` (``AnxinError.code``). A
``StrEnum`` member equals its string, so the wire format (``"code": "otp_invalid"``) is
the member's value. The edges look a code up here: the web layer for the problem's
``status`` and ``title``, the CLI for its exit code; nothing below them knows a status.

docs/api.md's table of codes is generated from :data:`REGISTRY`
(``python -m anxin.error_codes`` rewrites it, ``--check`` only compares):

>>> spec(Code.AUTHORIZATION_EXHAUSTED).status
409
>>> Code.OTP_INVALID == "otp_invalid"
True
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType


class Code(StrEnum):
    """Every error code, grouped by HTTP status."""

    # 400
    BAD_REQUEST = "bad_request"
    MALFORMED_BODY = "malformed_body"
    HTTP_ERROR = "http_error"
    USE_REFUSED = "use_refused"
    EVENT_BINDING_FAILED = "event_binding_failed"
    FETCH_FAILED = "fetch_failed"
    LEDGER_UNAVAILABLE = "ledger_unavailable"
    # 401
    UNAUTHENTICATED = "unauthenticated"
    MISSING_API_KEY = "missing_api_key"
    INVALID_API_KEY = "invalid_api_key"
    INSTITUTION_SUSPENDED = "institution_suspended"
    NOT_SIGNED_IN = "not_signed_in"
    SESSION_EXPIRED = "session_expired"
    SIGNED_DOWNLOAD_EXPIRED = "signed_download_expired"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"
    # 403
    FORBIDDEN = "forbidden"
    PURPOSE_MISMATCH = "purpose_mismatch"
    SCOPE_MISMATCH = "scope_mismatch"
    DATA_RANGE_MISMATCH = "data_range_mismatch"
    CROSS_SITE_REQUEST = "cross_site_request"
    FORM_TOKEN_INVALID = "form_token_invalid"  # noqa: S105 (a code, not a password)
    CSRF_FAILED = "csrf_failed"
    TEST_KEY_NOT_ALLOWED = "test_key_not_allowed"
    # 404
    NOT_FOUND = "not_found"
    AUTHORIZATION_NOT_FOUND = "authorization_not_found"
    TEMPLATE_NOT_FOUND = "template_not_found"
    DOCUMENT_NOT_FOUND = "document_not_found"
    SIGNING_LINK_INVALID = "signing_link_invalid"
    INSTITUTION_NOT_FOUND = "institution_not_found"
    CERTIFICATE_NOT_FOUND = "certificate_not_found"
    WEBHOOK_ENDPOINT_NOT_FOUND = "webhook_endpoint_not_found"
    WEBHOOK_DELIVERY_NOT_FOUND = "webhook_delivery_not_found"
    NO_CHECKPOINT = "no_checkpoint"
    LEDGER_SIZE_UNKNOWN = "ledger_size_unknown"
    # 405
    METHOD_NOT_ALLOWED = "method_not_allowed"
    # 409
    CONFLICT = "conflict"
    AUTHORIZATION_NOT_ACTIVE = "authorization_not_active"
    AUTHORIZATION_EXHAUSTED = "authorization_exhausted"
    AUTHORIZATION_EXPIRED = "authorization_expired"
    AUTHORIZATION_REVOKED = "authorization_revoked"
    AUTHORIZATION_PAUSED = "authorization_paused"
    PAUSED_BY_OPERATOR = "paused_by_operator"
    FREQUENCY_EXCEEDED = "frequency_exceeded"
    AUTHORIZATION_DECLINED = "authorization_declined"
    AUTHORIZATION_CANCELLED = "authorization_cancelled"
    AUTHORIZATION_LAPSED = "authorization_lapsed"
    AUTHORIZATION_NOT_PENDING = "authorization_not_pending"
    INVALID_TRANSITION = "invalid_transition"
    RENEWAL_NOT_ALLOWED = "renewal_not_allowed"
    OTP_LOCKED = "otp_locked"
    PASSKEY_ALREADY_REGISTERED = "passkey_already_registered"
    CERTIFICATE_REVOKED = "certificate_revoked"
    OPERATOR_EXISTS = "operator_exists"
    WEBHOOK_ENDPOINT_EXISTS = "webhook_endpoint_exists"
    DELETION_ALREADY_ATTESTED = "deletion_already_attested"
    # 410
    GONE = "gone"
    # 413
    PAYLOAD_TOO_LARGE = "payload_too_large"
    # 415
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    # 422, input
    VALIDATION_FAILED = "validation_failed"
    INVALID_ID_NUMBER = "invalid_id_number"
    INVALID_MOBILE = "invalid_mobile"
    UNKNOWN_TEMPLATE = "unknown_template"
    UNKNOWN_PURPOSE = "unknown_purpose"
    UNKNOWN_DATA_CATEGORY = "unknown_data_category"
    VALIDITY_EXCEEDS_TEMPLATE = "validity_exceeds_template"
    MAX_USES_EXCEEDS_TEMPLATE = "max_uses_exceeds_template"
    POLICY_CEILING_EXCEEDED = "policy_ceiling_exceeded"
    RENEWAL_PURPOSE_CHANGED = "renewal_purpose_changed"
    RENEWAL_SUBJECT_MISMATCH = "renewal_subject_mismatch"
    TERMS_EXCEED_TEMPLATE = "terms_exceed_template"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    OTP_INVALID = "otp_invalid"
    READ_NOT_CONFIRMED = "read_not_confirmed"
    PASSKEY_REQUIRED = "passkey_required"
    PASSKEY_INVALID = "passkey_invalid"
    REALNAME_MISMATCH = "realname_mismatch"
    OUTBOUND_REFUSED = "outbound_refused"
    UNKNOWN_EVENT = "unknown_event"
    SMS_COUNTRY_NOT_ALLOWED = "sms_country_not_allowed"
    RETURN_URL_NOT_ALLOWED = "return_url_not_allowed"
    LETTER_TOO_LONG = "letter_too_long"
    LETTER_HASH_MISMATCH = "letter_hash_mismatch"
    LETTER_CONTRADICTS_TERMS = "letter_contradicts_terms"
    INVALID_VALUE = "invalid_value"
    SIGNATURE_INVALID = "signature_invalid"
    SIGNATURE_MALFORMED = "signature_malformed"
    SIGNATURE_STALE = "signature_stale"
    LEDGER_BAD_RANGE = "ledger_bad_range"
    UNREADABLE_INPUT = "unreadable_input"
    NO_TRUST_ROOT = "no_trust_root"
    UNSUPPORTED_KEY = "unsupported_key"
    MISSING_REVOCATION_DATA = "missing_revocation_data"
    STAMP_FONT_MISSING = "stamp_font_missing"
    STAMP_GLYPH_MISSING = "stamp_glyph_missing"
    # 422, integrity
    INTEGRITY_FAILURE = "integrity_failure"
    DAMAGED_SIGNED_PDF = "damaged_signed_pdf"
    UNEXPECTED_SIGNATURES = "unexpected_signatures"
    CHECKPOINT_INVALID = "checkpoint_invalid"
    LEDGER_PROOF_INVALID = "ledger_proof_invalid"
    LEDGER_NODE_MISSING = "ledger_node_missing"
    LEDGER_TRUNCATED = "ledger_truncated"
    LEDGER_LEAF_SM3_MISMATCH = "ledger_leaf_sm3_mismatch"
    EVENT_BINDING_MISSING = "event_binding_missing"
    EVENT_BINDING_MALFORMED = "event_binding_malformed"
    EVENT_BINDING_MISMATCH = "event_binding_mismatch"
    ID_COMMITMENT_MISMATCH = "id_commitment_mismatch"
    PACKAGE_MISMATCH = "package_mismatch"
    PASSKEY_ASSERTION_INVALID = "passkey_assertion_invalid"
    RECEIPT_INVALID = "receipt_invalid"
    RECEIPT_MALFORMED = "receipt_malformed"
    SM2_SIGNATURE_INVALID = "sm2_signature_invalid"
    SM2_KEY_INVALID = "sm2_key_invalid"
    SM2_TIMESTAMP_INVALID = "sm2_timestamp_invalid"
    SM2_CMS_MALFORMED = "sm2_cms_malformed"
    SM2_CMS_DIGEST_MISMATCH = "sm2_cms_digest_mismatch"
    SM2_CMS_SIGNER_NOT_FOUND = "sm2_cms_signer_not_found"
    SM2_CERTIFICATE_INVALID = "sm2_certificate_invalid"
    SM2_REVOCATION_INVALID = "sm2_revocation_invalid"
    # 429
    RATE_LIMITED = "rate_limited"
    OTP_RATE_LIMITED = "otp_rate_limited"
    OTP_SEND_LIMIT = "otp_send_limit"
    SMS_IP_LIMIT = "sms_ip_limit"
    SMS_SESSION_LIMIT = "sms_session_limit"
    SMS_GLOBAL_LIMIT = "sms_global_limit"
    # 500
    CONFIGURATION_ERROR = "configuration_error"
    PROFILE_MISMATCH = "profile_mismatch"
    DEPLOYMENT_MISMATCH = "deployment_mismatch"
    # 502
    SMS_FAILED = "sms_failed"
    REALNAME_UNAVAILABLE = "realname_unavailable"
    TSA_FAILED = "tsa_failed"
    # 503
    DATABASE_UNAVAILABLE = "database_unavailable"
    SERIAL_UNAVAILABLE = "serial_unavailable"
    UNHEALTHY = "unhealthy"


EXIT_FAILURE = 1
"""The exit code of a command that failed (typer itself exits 2 for a usage error)."""
EXIT_UNREADABLE = 3
"""Unreadable input: the exit code `anxin verify` documents, given to the same failure
wherever a command meets it."""

TITLES: Mapping[int, str] = MappingProxyType({
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 410: "Gone", 413: "Content too large",
    415: "Unsupported media type", 422: "Unprocessable content", 429: "Too many requests",
    500: "Configuration error", 502: "Bad gateway", 503: "Service unavailable"})
"""A problem's ``title`` by status, unless its code names another."""
INTEGRITY = "Integrity check failed"


@dataclass(frozen=True, slots=True)
class Spec:
    """What a code means at the edges."""

    status: int
    meaning: str
    exit: int = EXIT_FAILURE
    title: str = ""
    """The problem's ``title``; by default the status's (:data:`TITLES`)."""

    def __post_init__(self) -> None:
        if not self.title:
            object.__setattr__(self, "title", TITLES[self.status])


def _integrity(meaning: str) -> Spec:
    return Spec(422, meaning, title=INTEGRITY)


C = Code
REGISTRY: Mapping[Code, Spec] = MappingProxyType({
    C.BAD_REQUEST: Spec(400, "the request cannot be understood"),
    C.MALFORMED_BODY: Spec(400, "the body is not UTF-8, not JSON, or nested too deep "
                                "(`field` = `body`)"),
    C.HTTP_ERROR: Spec(400, "another error the HTTP framework raised itself (the status it "
                            "raised)", title="Error"),
    C.USE_REFUSED: Spec(400, "a refused use, before its precise code is known"),
    C.EVENT_BINDING_FAILED: Spec(400, "a letter's event certificate could not be checked "
                                      "against it"),
    C.FETCH_FAILED: Spec(400, "`anxin archive renew --server`: the server did not answer "
                              "the package"),
    C.LEDGER_UNAVAILABLE: Spec(400, "`anxin verify --ledger`: the log cannot be read"),
    C.UNAUTHENTICATED: Spec(401, "no valid credentials"),
    C.MISSING_API_KEY: Spec(401, "no `Authorization: Bearer` API key"),
    C.INVALID_API_KEY: Spec(401, "the API key is not valid"),
    C.INSTITUTION_SUSPENDED: Spec(401, "the institution is suspended"),
    C.NOT_SIGNED_IN: Spec(401, "the portal or console needs a sign-in first"),
    C.SESSION_EXPIRED: Spec(401, "the portal or console session has expired"),
    C.SIGNED_DOWNLOAD_EXPIRED: Spec(401, "the signing link's downloads are for the signing "
                                         "browser, for a short time: download from `/me`"),
    C.LOGIN_FAILED: Spec(401, "console sign-in: wrong user name, password or TOTP code"),
    C.LOGIN_LOCKED: Spec(401, "console sign-in: too many failures, locked for a while"),
    C.FORBIDDEN: Spec(403, "not allowed"),
    C.PURPOSE_MISMATCH: Spec(403, "the gate: the use's purpose is not the authorization's"),
    C.SCOPE_MISMATCH: Spec(403, "the gate: the data item is outside the authorization's "
                                "scope"),
    C.DATA_RANGE_MISMATCH: Spec(403, "the gate: the query's `data_from`/`data_to` is outside "
                                     "the letter's data range (lookback counted from the "
                                     "day of the call)"),
    C.CROSS_SITE_REQUEST: Spec(403, "a state-changing request to `/s/…`, `/me/…`, "
                                    "`/console/…` from another origin"),
    C.FORM_TOKEN_INVALID: Spec(403, "a signing-page form post without its form token"),
    C.CSRF_FAILED: Spec(403, "a portal or console form without its form token (the page "
                             "had expired)"),
    C.TEST_KEY_NOT_ALLOWED: Spec(403, "test mode: a test key (`anx_test_…`) cannot change what "
                                      "live requests use (templates); use the live key"),
    C.NOT_FOUND: Spec(404, "no such route or resource"),
    C.AUTHORIZATION_NOT_FOUND: Spec(404, "no such authorization (or another institution's)"),
    C.TEMPLATE_NOT_FOUND: Spec(404, "no such template or template version"),
    C.DOCUMENT_NOT_FOUND: Spec(404, "the authorization has no such document (yet)"),
    C.SIGNING_LINK_INVALID: Spec(404, "the signing link is not valid"),
    C.INSTITUTION_NOT_FOUND: Spec(404, "no such institution"),
    C.CERTIFICATE_NOT_FOUND: Spec(404, "no certificate with that serial"),
    C.WEBHOOK_ENDPOINT_NOT_FOUND: Spec(404, "no such webhook endpoint (or another "
                                            "institution's)"),
    C.WEBHOOK_DELIVERY_NOT_FOUND: Spec(404, "no such delivery of this webhook endpoint"),
    C.NO_CHECKPOINT: Spec(404, "the ledger is empty: no checkpoint yet"),
    C.LEDGER_SIZE_UNKNOWN: Spec(404, "a proof asked for a tree size the log has not reached"),
    C.METHOD_NOT_ALLOWED: Spec(405, "the route does not take this method"),
    C.CONFLICT: Spec(409, "the request conflicts with the current state"),
    C.AUTHORIZATION_NOT_ACTIVE: Spec(409, "the gate: the authorization is not active (or "
                                          "its validity has not begun); revocation: nothing "
                                          "to revoke"),
    C.AUTHORIZATION_EXHAUSTED: Spec(409, "the gate: every use is spent"),
    C.AUTHORIZATION_EXPIRED: Spec(409, "the gate: the validity has ended"),
    C.AUTHORIZATION_REVOKED: Spec(409, "the gate: the subject revoked the authorization"),
    C.AUTHORIZATION_PAUSED: Spec(409, "the gate: the authorization is paused (by the "
                                      "subject or the operator) until it is resumed"),
    C.PAUSED_BY_OPERATOR: Spec(409, "the operator paused this authorization (a dispute): "
                                    "only the operator can resume it"),
    C.FREQUENCY_EXCEEDED: Spec(409, "the gate: the letter's frequency (uses per calendar "
                                    "day, week or month) is spent for this period (with "
                                    "`retry_after` and `Retry-After`: seconds to the next)"),
    C.AUTHORIZATION_DECLINED: Spec(409, "the subject declined the request"),
    C.AUTHORIZATION_CANCELLED: Spec(409, "the institution cancelled the request"),
    C.AUTHORIZATION_LAPSED: Spec(409, "the request was not signed in time"),
    C.AUTHORIZATION_NOT_PENDING: Spec(409, "cancel, sign, decline, code: the request is no "
                                           "longer pending"),
    C.INVALID_TRANSITION: Spec(409, "the authorization's state does not allow this"),
    C.RENEWAL_NOT_ALLOWED: Spec(409, "`renews`: the original is not in force (active, "
                                     "paused or exhausted, before its `valid_until`), or "
                                     "already has a pending or signed renewal"),
    C.OTP_LOCKED: Spec(409, "too many wrong codes (signing: the request; portal: that code, "
                            "ask for a new one)"),
    C.PASSKEY_ALREADY_REGISTERED: Spec(409, "this passkey is already registered"),
    C.CERTIFICATE_REVOKED: Spec(409, "the certificate is already revoked"),
    C.OPERATOR_EXISTS: Spec(409, "an operator of that name exists"),
    C.WEBHOOK_ENDPOINT_EXISTS: Spec(409, "the institution already has a webhook endpoint "
                                         "with that `url` (with `id`)"),
    C.DELETION_ALREADY_ATTESTED: Spec(409, "a deletion attestation names a use whose deletion "
                                           "is already attested (`field` `items[i]`)"),
    C.GONE: Spec(410, "the resource is gone for good"),
    C.PAYLOAD_TOO_LARGE: Spec(413, "the body is over the limit (with `limit`, the byte "
                                   "limit: `ANXIN_MAX_BODY_BYTES`, `ANXIN_MAX_UPLOAD_BYTES` "
                                   "for `POST /verify`)"),
    C.UNSUPPORTED_MEDIA_TYPE: Spec(415, "the body's content type is not accepted"),
    C.VALIDATION_FAILED: Spec(422, "input that breaks a rule (with `field`, and `errors` for "
                                   "body-shape errors)"),
    C.INVALID_ID_NUMBER: Spec(422, "the id number fails its format or check digit"),
    C.INVALID_MOBILE: Spec(422, "not a mainland mobile number or E.164"),
    C.UNKNOWN_TEMPLATE: Spec(422, "no template of that code"),
    C.UNKNOWN_PURPOSE: Spec(422, "not a configured purpose code"),
    C.UNKNOWN_DATA_CATEGORY: Spec(422, "not a configured data category"),
    C.VALIDITY_EXCEEDS_TEMPLATE: Spec(422, "`valid_until` beyond the template's validity"),
    C.MAX_USES_EXCEEDS_TEMPLATE: Spec(422, "`max_uses` above the template's"),
    C.POLICY_CEILING_EXCEEDED: Spec(422, "above the purpose's configured ceiling (with "
                                         "`rule`)"),
    C.RENEWAL_PURPOSE_CHANGED: Spec(422, "`renews` with a template of another purpose: a new "
                                         "purpose needs a new authorization, not a renewal"),
    C.RENEWAL_SUBJECT_MISMATCH: Spec(422, "`renews`: the subject's id is not the original's"),
    C.TERMS_EXCEED_TEMPLATE: Spec(422, "a request's `frequency`, `data_range` or "
                                       "`data_life_days` is wider than its template's"),
    C.IDEMPOTENCY_KEY_REUSED: Spec(422, "the same `Idempotency-Key` with another body"),
    C.OTP_INVALID: Spec(422, "wrong or malformed code (with `tries_left`)"),
    C.READ_NOT_CONFIRMED: Spec(422, "the subject did not confirm reading the letter"),
    C.PASSKEY_REQUIRED: Spec(422, "the template requires a passkey assertion"),
    C.PASSKEY_INVALID: Spec(422, "the passkey assertion or registration is not valid"),
    C.REALNAME_MISMATCH: Spec(422, "the real-name check does not match the subject"),
    C.OUTBOUND_REFUSED: Spec(422, "a `callback_url` (or other outgoing call) to a loopback, "
                                  "private or metadata address"),
    C.UNKNOWN_EVENT: Spec(422, "`events` names an event that is not notified (with "
                               "`allowed`)"),
    C.SMS_COUNTRY_NOT_ALLOWED: Spec(422, "the number's country is not in "
                                         "`ANXIN_SMS_COUNTRIES` (field `subject.mobile` at "
                                         "request creation and signing code, `mobile` at "
                                         "`/me/code`)"),
    C.RETURN_URL_NOT_ALLOWED: Spec(422, "a `return_url` that starts with none of the "
                                        "institution's `return_url_prefixes`"),
    C.LETTER_TOO_LONG: Spec(422, "the letter exceeds `ANXIN_LETTER_MAX_CHARS` or "
                                 "`ANXIN_LETTER_MAX_PAGES` (`field` `body`, `rule`, `limit`)"),
    C.LETTER_HASH_MISMATCH: Spec(422, "the letter is not the one whose hash was given"),
    C.LETTER_CONTRADICTS_TERMS: Spec(422, "the template's wording contradicts the terms "
                                          "(`rule` `irrevocable`, `unlimited_uses`, "
                                          "`unlimited_frequency`, `unlimited_data_range` "
                                          "or `kept_forever`)"),
    C.INVALID_VALUE: Spec(422, "a value the database refuses to store"),
    C.SIGNATURE_INVALID: Spec(422, "a notification signature does not match"),
    C.SIGNATURE_MALFORMED: Spec(422, "a notification signature header is malformed"),
    C.SIGNATURE_STALE: Spec(422, "a notification signature is too old"),
    C.LEDGER_BAD_RANGE: Spec(422, "a ledger range or proof request outside the log"),
    C.UNREADABLE_INPUT: Spec(422, "the input is not a signed letter or evidence package "
                                  "that can be read", exit=EXIT_UNREADABLE),
    C.NO_TRUST_ROOT: Spec(422, "verification needs at least one trust root"),
    C.UNSUPPORTED_KEY: Spec(422, "the signer key must be ECDSA or RSA"),
    C.MISSING_REVOCATION_DATA: Spec(422, "revocation data for the signing chain is "
                                         "missing"),
    C.STAMP_FONT_MISSING: Spec(422, "the letter's last page has no font for the stamp"),
    C.STAMP_GLYPH_MISSING: Spec(422, "the letter's font lacks a glyph the stamp needs"),
    C.INTEGRITY_FAILURE: _integrity("a cryptographic or structural check failed"),
    C.DAMAGED_SIGNED_PDF: _integrity("the signed PDF is damaged"),
    C.UNEXPECTED_SIGNATURES: _integrity("the PDF carries signatures a letter does not"),
    C.CHECKPOINT_INVALID: _integrity("a ledger checkpoint does not verify"),
    C.LEDGER_PROOF_INVALID: _integrity("a ledger inclusion or consistency proof fails"),
    C.LEDGER_NODE_MISSING: _integrity("a ledger node is missing from storage"),
    C.LEDGER_TRUNCATED: _integrity("the ledger is shorter than a signed checkpoint"),
    C.LEDGER_LEAF_SM3_MISMATCH: _integrity("a ledger leaf's SM3 digest in the package is "
                                           "missing, malformed or not the leaf's"),
    C.EVENT_BINDING_MISSING: _integrity("the event certificate has no binding extension"),
    C.EVENT_BINDING_MALFORMED: _integrity("the event certificate's binding is malformed"),
    C.EVENT_BINDING_MISMATCH: _integrity("the event certificate binds another letter or "
                                         "authorization"),
    C.ID_COMMITMENT_MISMATCH: _integrity("the id-number commitment does not match"),
    C.PACKAGE_MISMATCH: _integrity("the new evidence package does not extend the held one"),
    C.PASSKEY_ASSERTION_INVALID: _integrity("a stored passkey assertion does not verify"),
    C.RECEIPT_INVALID: _integrity("a use receipt's signature does not verify"),
    C.RECEIPT_MALFORMED: _integrity("a use receipt is malformed"),
    C.SM2_SIGNATURE_INVALID: _integrity("an SM2 signature is malformed or does not verify "
                                        "for its key, data and user id"),
    C.SM2_KEY_INVALID: _integrity("an SM2 key is malformed, not on the SM2 curve, or its "
                                  "passphrase is wrong"),
    C.SM2_TIMESTAMP_INVALID: _integrity("an SM2 time-stamp token fails a check (`check` "
                                        "names it: `malformed`, `not_sm3`, "
                                        "`imprint_mismatch`, `nonce_mismatch`, "
                                        "`content_type`, `message_digest_mismatch`, "
                                        "`signature_invalid`, `tsa_certificate_missing`, "
                                        "`tsa_certificate_invalid`, "
                                        "`signing_certificate_mismatch`)"),
    C.SM2_CMS_MALFORMED: _integrity("an SM2 CMS SignedData is malformed or outside the "
                                    "profile (structure, algorithm or attribute named)"),
    C.SM2_CMS_DIGEST_MISMATCH: _integrity("an SM2 CMS messageDigest is not the SM3 of the "
                                          "signed content (the content was changed)"),
    C.SM2_CMS_SIGNER_NOT_FOUND: _integrity("no certificate in an SM2 CMS is the one its "
                                           "SignerInfo or signingCertificateV2 names"),
    C.SM2_CERTIFICATE_INVALID: _integrity("an SM2 certificate is malformed, badly signed, "
                                          "or fails a chain check (the check is named)"),
    C.SM2_REVOCATION_INVALID: _integrity("an SM2 CRL or OCSP response is malformed, not "
                                         "signed by its CA, stale, or not about the "
                                         "certificate (the check is named)"),
    C.RATE_LIMITED: Spec(429, "too many requests (with `retry_after` and `Retry-After`)"),
    C.OTP_RATE_LIMITED: Spec(429, "at most one code a minute (with `retry_after`)"),
    C.OTP_SEND_LIMIT: Spec(429, "no more codes for this request or hour (with "
                                "`retry_after`)"),
    C.SMS_IP_LIMIT: Spec(429, "too many codes asked from one address (with `retry_after`)"),
    C.SMS_SESSION_LIMIT: Spec(429, "too many codes asked from one session (with "
                                   "`retry_after`)"),
    C.SMS_GLOBAL_LIMIT: Spec(429, "the SMS service's global limit (with `retry_after`)"),
    C.CONFIGURATION_ERROR: Spec(500, "the configuration or key material is not usable"),
    C.PROFILE_MISMATCH: Spec(500, "`anxin init`/`serve` asked for another signature profile "
                                  "than the data directory's (it is fixed at init)"),
    C.DEPLOYMENT_MISMATCH: Spec(500, "the node's keys or master secret are not those of the "
                                     "deployment its database belongs to (`anxin node add`)"),
    C.SMS_FAILED: Spec(502, "the SMS gateway failed", title="SMS gateway failed"),
    C.REALNAME_UNAVAILABLE: Spec(502, "the real-name check cannot be reached",
                                 title="Real-name check unavailable"),
    C.TSA_FAILED: Spec(502, "the time-stamping authority refused the request or could not "
                            "be reached", title="Time-stamping authority failed"),
    C.DATABASE_UNAVAILABLE: Spec(503, "the database cannot be reached; retry (with "
                                      "`retry_after` and `Retry-After`)"),
    C.SERIAL_UNAVAILABLE: Spec(503, "no certificate serial could be reserved; retry"),
    C.UNHEALTHY: Spec(503, "`GET /healthz`: not ready"),
})


def spec(code: str) -> Spec:
    """The registry's entry for ``code``; a string that is no code is a programming error
    (KeyError), never a silent default."""
    return REGISTRY[Code(code)]


# --- docs/api.md's table -------------------------------------------------------------

BEGIN = "<!-- error-codes:begin (generated by `python -m anxin.error_codes`; do not edit) -->"
END = "<!-- error-codes:end -->"


def markdown_table() -> str:
    """The table of every code, by status, as docs/api.md shows it."""
    rows = ["| status | code | exit | meaning |", "|---|---|---|---|"]
    for code, entry in sorted(REGISTRY.items(), key=lambda kv: kv[1].status):
        rows.append(f"| {entry.status} | `{code.value}` | {entry.exit} | {entry.meaning} |")
    return "\n".join(rows)


def render_doc(text: str) -> str:
    """``text`` with the part between the markers replaced by :func:`markdown_table`."""
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"the markers {BEGIN!r} and {END!r} are missing")
    return f"{head}{BEGIN}\n{markdown_table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    """``python -m anxin.error_codes [--check] [PATH]`` (default docs/api.md)."""
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    path = Path(paths[0] if paths else "docs/api.md")
    text = path.read_text(encoding="utf-8")
    try:
        wanted = render_doc(text)
    except ValueError as exc:
        sys.stderr.write(f"{path}: {exc}\n")
        return 2
    if check:
        if wanted != text:
            sys.stderr.write(f"{path}: the error-code table differs from the registry; run "
                             "`python -m anxin.error_codes`\n")
            return 1
        return 0
    if wanted != text:
        path.write_text(wanted, encoding="utf-8")
        sys.stdout.write(f"{path}: error-code table rewritten\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
