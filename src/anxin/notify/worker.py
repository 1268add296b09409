"""Delivery of the notification outbox to the institutions' callback URLs.

A pass claims due rows (a short transaction that sets a lease), POSTs each outside any
transaction, then records the outcome. Claims are safe with several workers: rows are
locked ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises writers with ``BEGIN
IMMEDIATE``. A row waits while an earlier row of the same authorization is undelivered,
so an institution sees each authorization's transitions in order. Failures are retried
with exponential back-off (state in the database: a restart loses nothing). Delivery is
at least once: receivers deduplicate by ``Anxin-Event-Id``.

Every POST goes through :class:`anxin.net.outbound.OutboundClient` (no loopback, private
or metadata addresses unless allow-listed; no redirects). One bad row never stops the
others: a URL that can never be called (malformed, stored before validation existed) or a
destination the policy refuses marks that row ``failed`` at once with the reason; an
unexpected error of one row is logged with its traceback and fails that row alone.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

import httpx
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import aliased

from anxin.errors import IntegrityFailure
from anxin.net.outbound import OutboundClient, OutboundError, OutboundPolicy
from anxin.services.context import Context
from anxin.services.notifications import SIGNATURE_HEADER, sign_payload, webhook_secret
from anxin.services.periodic import PeriodicThread
from anxin.storage.models import Authorization, Institution
from anxin.storage.portal_models import Notification

log = logging.getLogger(__name__)
N = Notification


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_seconds: float = 5.0
    max_seconds: float = 3600.0
    max_attempts: int = 20  # ~ a day with the defaults, then ``failed``
    lease_seconds: float = 60.0
    timeout_seconds: float = 10.0

    def delay(self, attempts: int) -> float:
        return float(min(self.base_seconds * 2 ** max(attempts - 1, 0), self.max_seconds))


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    lease: dt.datetime
    url: str
    secret: bytes | None
    body: bytes
    event: str
    attempts: int


class DeliveryWorker:
    """Claims and delivers due notifications; :meth:`deliver_due` is one pass."""

    def __init__(self, ctx: Context, *, policy: RetryPolicy | None = None, batch: int = 20,
                 poll_seconds: float = 1.0) -> None:
        self.ctx = ctx
        self.policy = policy or RetryPolicy()
        self.batch = batch
        self._client = OutboundClient(OutboundPolicy.from_settings(ctx.settings),
                                      timeout=self.policy.timeout_seconds)
        self._thread = PeriodicThread("anxin-notify", self.deliver_due, poll_seconds)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._thread.stop()
        self._client.close()

    def _claim(self) -> list[Claimed]:
        ctx = self.ctx
        now = ctx.clock()
        lease = now + dt.timedelta(seconds=self.policy.lease_seconds)
        earlier = aliased(Notification)
        out: list[Claimed] = []
        with ctx.db.transaction() as s:
            rows = s.execute(
                select(N, Authorization.callback_url, Institution.callback_url,
                       Institution.webhook_secret_enc)
                .join(Authorization, Authorization.id == N.authorization_id)
                .join(Institution, Institution.id == N.institution_id)
                .where(N.state == "pending", N.next_attempt_at <= now,
                       or_(N.claimed_until.is_(None), N.claimed_until < now),
                       ~exists().where(earlier.authorization_id == N.authorization_id,
                                       earlier.id < N.id, earlier.state == "pending"))
                .order_by(N.id).limit(self.batch)
                .with_for_update(skip_locked=True, of=N)).all()
            for n, auth_url, inst_url, secret_enc in rows:
                url = auth_url or inst_url
                if not url:
                    n.state = "no_endpoint"  # still readable through GET /v1/events
                    continue
                try:
                    secret = webhook_secret(ctx, n.institution_id, secret_enc)
                except (IntegrityFailure, UnicodeError) as exc:  # a damaged row fails alone
                    n.state, n.last_error = "failed", f"webhook secret: {exc}"[:500]
                    log.error("notification %s: %s", n.id, n.last_error)
                    continue
                n.claimed_until = lease
                body = json.dumps({"id": str(n.id), **n.payload}, sort_keys=True,
                                  separators=(",", ":"), ensure_ascii=False).encode()
                out.append(Claimed(n.id, lease, url, secret, body, n.event, n.attempts))
        return out

    def _post(self, c: Claimed) -> tuple[str | None, bool]:
        """(None, _) on success, else (what went wrong, whether it is permanent)."""
        if c.secret is None:
            return "the institution has no webhook secret (set one in the console)", False
        ts = int(self.ctx.clock().timestamp())
        headers = {"Content-Type": "application/json", "User-Agent": "Anxin-Webhook/1",
                   SIGNATURE_HEADER: sign_payload(c.secret, c.body, ts),
                   "Anxin-Event-Id": str(c.id), "Anxin-Event": c.event}
        try:
            r = self._client.post(c.url, content=c.body, headers=headers,
                                  field="callback_url")
        except OutboundError as exc:
            return f"{exc.code}: {exc.detail}"[:500], True
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:500], False
        if 200 <= r.status_code < 300:
            return None, False
        return f"HTTP {r.status_code}", False

    def _attempt(self, c: Claimed) -> tuple[str | None, bool]:
        try:
            return self._post(c)
        except Exception as exc:  # the URL and the answer are untrusted input:
            # whatever one of them does, it fails its own row, never the pass.
            log.exception("notification %s: unexpected error; marking it failed", c.id)
            return f"unexpected {type(exc).__name__}: {exc}"[:500], True

    def deliver_due(self) -> int:
        claimed = self._claim()
        for c in claimed:
            error, permanent = self._attempt(c)
            now = self.ctx.clock()
            if error is None:
                values: dict[str, object] = {"state": "delivered", "delivered_at": now,
                                             "attempts": c.attempts + 1, "last_error": None,
                                             "claimed_until": None}
            else:
                attempts = c.attempts + 1
                gave_up = permanent or attempts >= self.policy.max_attempts
                values = {"state": "failed" if gave_up else "pending", "attempts": attempts,
                          "last_error": error, "claimed_until": None,
                          "next_attempt_at": now + dt.timedelta(
                              seconds=self.policy.delay(attempts))}
                log.info("notification %s to %r failed (%s); attempt %d", c.id, c.url,
                         error, attempts)
            with self.ctx.db.transaction() as s:
                # Only if our lease still holds: a worker that took it over decides.
                s.execute(update(N).where(N.id == c.id, N.claimed_until == c.lease)
                          .values(**values).execution_options(synchronize_session=False))
        return len(claimed)
