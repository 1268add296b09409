"""Tables of the webhook endpoints an institution registers by API, and of every delivery.

Created by the migration ``0012_webhook_endpoints``. A notification (the outbox row of a
status change, :class:`anxin.storage.portal_models.Notification`) or a ping is fanned out
into one :class:`WebhookDelivery` per distinct destination URL: the request's (or the
institution's default) ``callback_url`` and each endpoint subscribed to the event. The
unique ``(notification_id, url_sha256)`` is what makes "one event, one delivery per URL"
hold even if a fan-out runs twice. Import this module wherever these tables are used so
that they are registered on the metadata.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anxin.storage.models import Base
from anxin.storage.types import BigIntPK


class WebhookEndpoint(Base):
    """An institution's registered URL, the events it wants (``["*"]`` for all) and its
    signing secret (encrypted at rest, associated data ``webhook_endpoints/<id>``). After a
    rotation the previous secret stays valid until ``previous_secret_expires_at``."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (UniqueConstraint("institution_id", "url_sha256"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    institution_id: Mapped[str] = mapped_column(String(36), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    url_sha256: Mapped[str] = mapped_column(String(64))
    events: Mapped[list[str]]
    description: Mapped[str | None] = mapped_column(String(200))
    secret_enc: Mapped[bytes] = mapped_column(LargeBinary)
    previous_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_expires_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    secret_rotated_at: Mapped[dt.datetime | None]


class WebhookDelivery(Base):
    """One event to one URL, with its attempts: the delivery log.

    ``state``: ``pending`` → ``delivered`` | ``failed`` (gave up, or a permanent refusal)
    | ``cancelled`` (its endpoint was deleted first). ``endpoint_id`` is the endpoint it is
    for (None: only the callback URL); ``to_callback`` says it is also (or only) the
    notification's callback delivery, signed with the institution's default secret. A
    worker claims a row by setting ``claimed_until`` (a lease), posts outside any
    transaction, then records the outcome; a retry by API makes it due again.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "url_sha256"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
        Index("ix_webhook_deliveries_auth", "authorization_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    institution_id: Mapped[str] = mapped_column(String(36))
    notification_id: Mapped[int | None] = mapped_column(BigIntPK)
    authorization_id: Mapped[str | None] = mapped_column(String(36))
    endpoint_id: Mapped[str | None] = mapped_column(String(40))
    to_callback: Mapped[bool] = mapped_column(Boolean)
    url: Mapped[str] = mapped_column(String(2000))
    url_sha256: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime]
    claimed_until: Mapped[dt.datetime | None]
    last_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    response_status: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
