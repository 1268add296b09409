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
    LETTER_RENEWED = "authorization:letter:renewed"
    DELETION_ATTESTED = "authorization:deletion:attested"
    DELETION_OVERDUE = "authorization:deletion:overdue"
    INSTITUTION_CREATED = "institution:created"
    INSTITUTION_KEY_ROTATED = "institution:key:rotated"
    INSTITUTION_SUSPENDED = "institution:suspended"
    TEMPLATE_VERSIONED = "template:versioned"
    CONSOLE_ACTION = "console:action"
