"""Event names, as recorded in the ledger and in notifications."""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    REQUESTED = "authorization:requested"
    REALNAME_CHECKED = "authorization:realname:checked"
    OTP_SENT = "authorization:otp:sent"
    OTP_VERIFIED = "authorization:otp:verified"
    OTP_FAILED = "authorization:otp:failed"
    OTP_LOCKED = "authorization:otp:locked"
    PASSKEY_REGISTERED = "authorization:passkey:registered"
    PASSKEY_VERIFIED = "authorization:passkey:verified"
    SIGNED = "authorization:signed"
    DECLINED = "authorization:declined"
    CANCELLED = "authorization:cancelled"
    LAPSED = "authorization:lapsed"
    USE_GRANTED = "authorization:use:granted"
    USE_REFUSED = "authorization:use:refused"
    EXHAUSTED = "authorization:exhausted"
    EXPIRED = "authorization:expired"
    REVOKED = "authorization:revoked"
    PAUSED = "authorization:paused"
    RESUMED = "authorization:resumed"
    EXPIRING = "authorization:expiring"
    LETTER_RENEWED = "authorization:letter:renewed"
    INSTITUTION_CREATED = "institution:created"
    INSTITUTION_KEY_ROTATED = "institution:key:rotated"
    INSTITUTION_SUSPENDED = "institution:suspended"
    TEMPLATE_VERSIONED = "template:versioned"
    CONSOLE_ACTION = "console:action"
