"""Event names, as recorded in the ledger and in notifications."""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    REQUESTED = "authorization:requested"
    LINK_SENT = "authorization:link:sent"
    REMINDER_SENT = "authorization:reminder:sent"
    VIEWED = "authorization:viewed"
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
    WEBHOOK_DEFAULT_ROTATED = "institution:webhook_secret:rotated"
    WEBHOOK_ENDPOINT_CREATED = "institution:webhook_endpoint:created"
    WEBHOOK_ENDPOINT_ROTATED = "institution:webhook_endpoint:secret_rotated"
    WEBHOOK_ENDPOINT_DELETED = "institution:webhook_endpoint:deleted"
    # Sent by POST /v1/webhook-endpoints/{id}/ping only; never a ledger leaf.
    WEBHOOK_PING = "webhook:ping"
    INSTITUTION_EMBEDDING_UPDATED = "institution:embedding:updated"
    TEMPLATE_VERSIONED = "template:versioned"
    CONSOLE_ACTION = "console:action"
