"""Notifications to institutions: a durable outbox written with each status change.

Every status change (signed, declined, cancelled, revoked, expired, exhausted, lapsed),
and the first opening of a signing page (viewed, status still pending), calls
:func:`notify` (ORM use cases) or executes :func:`notification_row` (the use gate's
Core path) in the SAME transaction as the change, so a notification exists if and only
if the change committed. Delivery (:mod:`anxin.notify.worker`) happens later, outside the
use case, so a slow or dead receiver never blocks it.

A delivery is a POST of the JSON payload with the header
``Anxin-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``, one
``v1`` per secret that applies (:func:`signature_header`): the institution's default
webhook secret for its ``callback_url``, an endpoint's own secret for a registered
endpoint, and a rotated-out secret during its grace period. A receiver accepts the
delivery when any ``v1`` matches its secret (:func:`verify_signature`).

Example::

    sign_payload(b"secret", b'{"id":1}', 1700000000)
    # -> 't=1700000000,v1=...'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.error_codes import Code
from anxin.errors import ValidationFailed
from anxin.services.context import Context
from anxin.services.institutions import InstitutionRef
from anxin.storage.models import Authorization, Institution
from anxin.storage.portal_models import Notification

NOTIFIED_EVENTS = frozenset({Event.SIGNED, Event.DECLINED, Event.CANCELLED, Event.REVOKED,
                             Event.EXPIRED, Event.EXHAUSTED, Event.LAPSED, Event.PAUSED,
                             Event.RESUMED, Event.EXPIRING, Event.VIEWED})
# The status each event leaves the authorization in (viewed: still pending, once).
STATUS_OF = {Event.VIEWED: "pending", Event.SIGNED: "active", Event.DECLINED: "declined",
             Event.CANCELLED: "cancelled", Event.REVOKED: "revoked",
             Event.EXPIRED: "expired", Event.EXHAUSTED: "exhausted", Event.LAPSED: "lapsed",
             Event.PAUSED: "paused", Event.RESUMED: "active",
             Event.EXPIRING: "active"}  # or paused: the payload says the row's own
# Events that announce no change: their payload's status is the authorization's own.
STATUS_UNCHANGED = frozenset({Event.EXPIRING})
SIGNATURE_HEADER = "Anxin-Signature"
# A catch-up read returns only rows older than this, so that a row committed late with a
# lower id (concurrent writers on PostgreSQL) is never jumped over by a cursor.
SETTLE_SECONDS = 2.0
PAGE_SIZE = 100


def notification_row(*, institution_id: str, authorization_id: str, reference: str,
                     event: Event, at: dt.datetime, test: bool = False) -> dict[str, Any]:
    """The column values of one outbox row (for a Core ``insert(Notification)``)."""
    if event not in NOTIFIED_EVENTS:
        raise ValueError(f"{event} is not a notified status change")
    payload = {"event": event.value, "authorization_id": authorization_id,
               "institution_id": institution_id, "status": STATUS_OF[event],
               "reference": reference,
               "occurred_at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
               "test": test}
    return {"institution_id": institution_id, "authorization_id": authorization_id,
            "event": event.value, "payload": payload, "state": "pending", "attempts": 0,
            "next_attempt_at": at, "claimed_until": None, "delivered_at": None,
            "last_error": None, "created_at": at}


def notify(session: Session, *, institution_id: str, authorization_id: str, reference: str,
           event: Event, at: dt.datetime, status: str | None = None,
           extra: dict[str, Any] | None = None, test: bool = False) -> None:
    """Enqueue the notification of a status change inside the caller's transaction
    (``status`` and ``extra`` for an event of :data:`STATUS_UNCHANGED`; ``test``: the
    authorization is a test-mode one, the payload says so)."""
    row = notification_row(institution_id=institution_id, authorization_id=authorization_id,
                           reference=reference, event=event, at=at, test=test)
    if event in STATUS_UNCHANGED:
        assert status is not None
        row["payload"] = {**row["payload"], "status": status, **(extra or {})}
    session.add(Notification(**row))


def _mac(secret: bytes, body: bytes, timestamp: int) -> str:
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign_payload(secret: bytes, body: bytes, timestamp: int) -> str:
    """The ``Anxin-Signature`` header value for ``body`` sent at ``timestamp``."""
    return signature_header([secret], body, timestamp)


def signature_header(keys: Sequence[bytes], body: bytes, timestamp: int) -> str:
    """``t=<timestamp>`` and one ``v1=`` per secret, in the order given (newest first)."""
    if not keys:
        raise ValueError("a delivery is never sent unsigned")
    unique = list(dict.fromkeys(keys))
    return ",".join([f"t={timestamp}"] + [f"v1={_mac(k, body, timestamp)}" for k in unique])


def verify_signature(secret: bytes, body: bytes, header: str, *, now: int,
                     tolerance: int = 300) -> None:
    """What a receiver does: check that one ``v1`` is the MAC under ``secret`` and that
    the timestamp is recent, or raise."""
    pairs = [p.strip().split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in pairs if k == "t"]
    macs = [v for k, v in pairs if k == "v1"]
    try:
        if len(stamps) != 1 or not macs:
            raise ValueError
        t = int(stamps[0])
    except ValueError:
        raise ValidationFailed("malformed Anxin-Signature header",
                               code=Code.SIGNATURE_MALFORMED) from None
    if abs(now - t) > tolerance:
        raise ValidationFailed("the signature's timestamp is too old (replay?)",
                               code=Code.SIGNATURE_STALE)
    want = _mac(secret, body, t)
    if not any(hmac.compare_digest(want, got) for got in macs):
        raise ValidationFailed("the signature does not match", code=Code.SIGNATURE_INVALID)


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _aad(inst_id: str, previous: bool = False) -> str:
    return f"{inst_id}/webhook_secret" + ("/previous" if previous else "")


def store_webhook_secret(ctx: Context, inst: Institution, secret: str, *,
                         grace_until: dt.datetime | None = None) -> None:
    """Set the institution's default secret. With ``grace_until``, the secret it replaces
    keeps signing (a second ``v1``) until then; without, it stops at once."""
    old = inst.webhook_secret_enc
    if grace_until is not None and old is not None:
        current = ctx.keys.decrypt_text(old, aad=_aad(inst.id))
        inst.webhook_secret_previous_enc = ctx.keys.encrypt_text(
            current, aad=_aad(inst.id, previous=True))
        inst.webhook_secret_previous_expires_at = grace_until
    else:
        inst.webhook_secret_previous_enc = None
        inst.webhook_secret_previous_expires_at = None
    inst.webhook_secret_enc = encrypt_webhook_secret(ctx, inst.id, secret)


def encrypt_webhook_secret(ctx: Context, inst_id: str, secret: str) -> bytes:
    return ctx.keys.encrypt_text(secret, aad=_aad(inst_id))


def webhook_secret(ctx: Context, inst_id: str, blob: bytes | None) -> bytes | None:
    if blob is None:
        return None
    return ctx.keys.decrypt_text(blob, aad=_aad(inst_id)).encode()


def default_secrets(ctx: Context, inst: Institution, now: dt.datetime) -> list[bytes]:
    """The secrets that sign a ``callback_url`` delivery now: the current one, then the
    previous one while its grace period lasts."""
    out = []
    current = webhook_secret(ctx, inst.id, inst.webhook_secret_enc)
    if current is not None:
        out.append(current)
    until = inst.webhook_secret_previous_expires_at
    if inst.webhook_secret_previous_enc is not None and until is not None and until > now:
        out.append(ctx.keys.decrypt_text(inst.webhook_secret_previous_enc,
                                         aad=_aad(inst.id, previous=True)).encode())
    return out


def event_dict(n: Notification) -> dict[str, Any]:
    return {"cursor": str(n.id), **n.payload, "delivery": n.state,
            "attempts": n.attempts}


def list_events(ctx: Context, inst: InstitutionRef, *, after: str | None,
                limit: int = PAGE_SIZE) -> dict[str, Any]:
    """An institution's own events after ``after`` (a cursor), oldest first."""
    try:
        cursor = int(after) if after else 0
    except ValueError:
        raise ValidationFailed("after is a cursor from a previous answer",
                               field="after") from None
    if not 1 <= limit <= PAGE_SIZE:
        raise ValidationFailed(f"limit is between 1 and {PAGE_SIZE}", field="limit")
    settled = ctx.clock() - dt.timedelta(seconds=SETTLE_SECONDS)
    # A fresh read (the replica once it has replayed the primary's position, else the
    # primary): the settling rule above holds of the primary's state, so a replica
    # behind it could skip an event the cursor then passes.
    def read(s: Session) -> list[dict[str, Any]]:
        # Test mode: a test key reads the events of test authorizations, a live key the
        # others (the authorization's mark decides, as everywhere).
        rows = s.scalars(select(Notification).join(
            Authorization, Authorization.id == Notification.authorization_id).where(
            Notification.institution_id == inst.id, Notification.id > cursor,
            Authorization.test == inst.test,
            Notification.created_at <= settled).order_by(Notification.id).limit(limit)).all()
        return [event_dict(n) for n in rows]

    items = ctx.db.read_fresh(read)
    nxt = items[-1]["cursor"] if items else (str(cursor) if cursor else None)
    return {"events": items, "next": nxt, "has_more": len(items) == limit}
