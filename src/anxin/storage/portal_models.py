"""Tables of the person's portal, the notification outbox and the operator console.

Kept apart from :mod:`anxin.storage.models` (same ``Base``, same metadata); created by the
migration ``0005_portal``. Import this module wherever these tables are used so that
they are registered on the metadata.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from anxin.storage.models import Base
from anxin.storage.types import BigIntPK


class WebSession(Base):
    """A signed-in browser: the person's portal (``realm`` portal, ``principal`` the
    mobile's blind index) or the console (``console``, the operator id). Only the keyed
    hash of the cookie's token is stored."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    realm: Mapped[str] = mapped_column(String(16))
    principal: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]           # idle limit, slides on every request
    absolute_expires_at: Mapped[dt.datetime]  # hard limit, never slides


class PortalThrottle(Base):
    """Per mobile (blind index): when the last code was sent (one a minute), locked for
    update by every code request so that concurrent requests are counted one after
    another. ``failures`` and ``locked_until`` are no longer used (wrong tries now count
    per sent code, ``otp_codes.failures``): a mobile itself is never locked."""

    __tablename__ = "portal_throttle"

    mobile_index: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None]
    last_sent_at: Mapped[dt.datetime | None]


class Notification(Base):
    """The durable outbox of status changes, written in the transaction of the change.

    ``id`` is the institution's catch-up cursor (``GET /v1/events?after=``). A worker fans
    it out into one webhook delivery per destination URL (``dispatched_at``,
    :mod:`anxin.storage.webhook_models`), which are claimed and retried one by one;
    ``state``, ``attempts``, ``last_error`` and ``delivered_at`` then sum them up:
    ``pending`` → ``delivered`` | ``no_endpoint`` | ``failed`` (one gave up).
    ``next_attempt_at`` and ``claimed_until`` are no longer used (rows of before 0012).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "state", "next_attempt_at"),
        Index("ix_notifications_inst", "institution_id", "id"),
        Index("ix_notifications_auth", "authorization_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    institution_id: Mapped[str] = mapped_column(String(36))
    authorization_id: Mapped[str] = mapped_column(String(36))
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime]
    claimed_until: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime]
    # When the worker fanned it out into webhook deliveries (anxin.storage.webhook_models);
    # ``state``, ``attempts`` and ``last_error`` then summarise those deliveries.
    dispatched_at: Mapped[dt.datetime | None]


class Operator(Base):
    """A console operator: argon2 password hash, TOTP secret encrypted at rest."""

    __tablename__ = "operators"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret_enc: Mapped[bytes] = mapped_column(LargeBinary)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # no code used twice
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class SubjectPreference(Base):
    """A person's notification preferences (``/me/preferences``), by the mobile's blind
    index: whether a refused query of their data is told to them by SMS, and up to which
    refused use (its time) they were told (``notify.refusal_alerts``)."""

    __tablename__ = "subject_preferences"

    mobile_index: Mapped[str] = mapped_column(String(64), primary_key=True)
    refusal_alerts: Mapped[bool] = mapped_column(Boolean, default=False)
    alerted_until: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]
