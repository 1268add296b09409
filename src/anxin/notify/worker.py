"""Delivery of webhooks: the notification outbox fanned out to callback URLs and endpoints.

A pass first fans out new notifications into one delivery per destination URL
(:func:`anxin.services.webhook_fanout.dispatch_due`), then claims due deliveries (a short
transaction that sets a lease), POSTs each outside any transaction, and records the
outcome (and the notification's summary of its deliveries). Claims are safe with several
workers: rows are locked ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises
writers with ``BEGIN IMMEDIATE``. A delivery waits while an earlier delivery of the same
authorization to the same URL is undecided, so each destination sees an authorization's
transitions in order; a failing destination holds up only itself. Failures are retried
with exponential back-off (state in the database: a restart loses nothing). Delivery is
at least once: receivers deduplicate by ``Anxin-Event-Id``. A worker starts a POST only
while its lease outlasts the POST's timeout plus a margin to record the outcome
(:attr:`RetryPolicy.record_margin`), and gives the rest of its batch back
otherwise, so a slow destination never has one delivery sent by two nodes at once (nor
out of order); a second send happens only when a node dies (or its clock is off by more
than the lease) mid-delivery.

Every POST goes through :class:`anxin.net.outbound.OutboundClient` (no loopback, private
or metadata addresses unless allow-listed; no redirects). One bad row never stops the
others: a URL that can never be called (malformed, stored before validation existed) or a
destination the policy refuses marks that delivery ``failed`` at once with the reason; an
unexpected error of one row is logged with its traceback and fails that row alone.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

import httpx
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from anxin.errors import IntegrityFailure
from anxin.net.outbound import OutboundClient, OutboundError, OutboundPolicy
from anxin.services.context import Context
from anxin.services.periodic import PeriodicThread
from anxin.services.webhook_fanout import dispatch_due, summarise
from anxin.services.webhook_signing import SIGNATURE_HEADER, delivery_secrets, signature_header
from anxin.storage.webhook_models import WebhookDelivery

log = logging.getLogger(__name__)
D = WebhookDelivery


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_seconds: float = 5.0
    max_seconds: float = 3600.0
    max_attempts: int = 20  # ~ a day with the defaults, then ``failed``
    lease_seconds: float = 60.0
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.lease_seconds <= self.timeout_seconds:
            raise ValueError(f"a delivery's lease ({self.lease_seconds} s) must outlast its "
                             f"POST's timeout ({self.timeout_seconds} s)")

    @property
    def record_margin(self) -> dt.timedelta:
        """Time left in a lease, after a POST's timeout, for recording its outcome: half
        of what the lease gives beyond the timeout (25 s with the defaults)."""
        return dt.timedelta(seconds=(self.lease_seconds - self.timeout_seconds) / 2)

    def delay(self, attempts: int) -> float:
        return float(min(self.base_seconds * 2 ** max(attempts - 1, 0), self.max_seconds))


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    lease: dt.datetime
    url: str
    secrets: tuple[bytes, ...]
    body: bytes
    event: str
    event_id: str
    attempts: int
    notification_id: int | None
    field: str


@dataclass(frozen=True, slots=True)
class Outcome:
    error: str | None = None
    permanent: bool = False
    status: int | None = None


class DeliveryWorker:
    """Fans out, claims and delivers due webhooks; :meth:`deliver_due` is one pass."""

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
        earlier = aliased(WebhookDelivery)
        out: list[Claimed] = []
        with ctx.db.transaction() as s:
            rows = s.scalars(
                select(D)
                .where(D.state == "pending", D.next_attempt_at <= now,
                       or_(D.claimed_until.is_(None), D.claimed_until < now),
                       ~exists().where(earlier.authorization_id == D.authorization_id,
                                       earlier.url_sha256 == D.url_sha256,
                                       earlier.id < D.id, earlier.state == "pending"))
                .order_by(D.id).limit(self.batch)
                .with_for_update(skip_locked=True, of=D)).all()
            for d in rows:
                try:
                    keys = delivery_secrets(s, ctx, d, now)
                except (IntegrityFailure, UnicodeError) as exc:  # a damaged row fails alone
                    self._give_up(s, d, now, f"webhook secret: {exc}")
                    continue
                if keys is None:  # its endpoint was deleted: nothing to sign it with
                    d.state, d.last_error = "cancelled", "the endpoint was deleted"
                    if d.notification_id is not None:
                        summarise(s, d.notification_id)
                    continue
                d.claimed_until = lease
                body = json.dumps({"id": d.event_id, **d.payload}, sort_keys=True,
                                  separators=(",", ":"), ensure_ascii=False).encode()
                out.append(Claimed(d.id, lease, d.url, tuple(keys), body, d.event,
                                   d.event_id, d.attempts, d.notification_id,
                                   "callback_url" if d.to_callback else "url"))
        return out

    def _give_up(self, s: Session, d: WebhookDelivery, now: dt.datetime, why: str) -> None:
        d.state, d.last_error = "failed", why[:500]
        d.attempts, d.last_attempt_at = d.attempts + 1, now
        log.error("webhook delivery %s: %s", d.id, d.last_error)
        if d.notification_id is not None:
            summarise(s, d.notification_id)

    def _post(self, c: Claimed) -> Outcome:
        if not c.secrets:
            return Outcome("the institution has no webhook secret (rotate one by API or in "
                           "the console)")
        ts = int(self.ctx.clock().timestamp())
        headers = {"Content-Type": "application/json", "User-Agent": "Anxin-Webhook/1",
                   SIGNATURE_HEADER: signature_header(c.secrets, c.body, ts),
                   "Anxin-Event-Id": c.event_id, "Anxin-Event": c.event,
                   "Anxin-Delivery-Id": str(c.id)}
        try:
            r = self._client.post(c.url, content=c.body, headers=headers, field=c.field)
        except OutboundError as exc:
            return Outcome(f"{exc.code}: {exc.detail}"[:500], permanent=True)
        except httpx.HTTPError as exc:
            return Outcome(f"{type(exc).__name__}: {exc}"[:500])
        if 200 <= r.status_code < 300:
            return Outcome(status=r.status_code)
        return Outcome(f"HTTP {r.status_code}", status=r.status_code)

    def _attempt(self, c: Claimed) -> Outcome:
        try:
            return self._post(c)
        except Exception as exc:  # the URL and the answer are untrusted input:
            # whatever one of them does, it fails its own row, never the pass.
            log.exception("webhook delivery %s: unexpected error; marking it failed", c.id)
            return Outcome(f"unexpected {type(exc).__name__}: {exc}"[:500], permanent=True)

    def _release(self, rest: list[Claimed]) -> None:
        """Give back claims this pass has no time left to honour (lease unchanged: ours)."""
        with self.ctx.db.transaction() as s:
            for c in rest:
                s.execute(update(D).where(D.id == c.id, D.claimed_until == c.lease)
                          .values(claimed_until=None)
                          .execution_options(synchronize_session=False))

    def deliver_due(self) -> int:
        dispatch_due(self.ctx, batch=max(self.batch, 50))
        claimed = self._claim()
        budget = dt.timedelta(seconds=self.policy.timeout_seconds) + self.policy.record_margin
        for i, c in enumerate(claimed):
            # A POST starts only if it ends (its timeout) and its outcome is recorded before
            # the lease: past the lease another worker (node) may claim the row and deliver
            # it too, and, once it is decided, the authorization's next one, which this late
            # POST would overtake. (Without the margin, a POST started just inside the lease
            # could answer in time and still be recorded after it: a clean CI run saw one
            # such second send.)
            if self.ctx.clock() + budget >= c.lease:
                self._release(claimed[i:])
                return i
            out = self._attempt(c)
            now = self.ctx.clock()
            attempts = c.attempts + 1
            values: dict[str, object] = {"attempts": attempts, "claimed_until": None,
                                         "last_attempt_at": now,
                                         "response_status": out.status}
            if out.error is None:
                values |= {"state": "delivered", "delivered_at": now, "last_error": None}
            else:
                gave_up = out.permanent or attempts >= self.policy.max_attempts
                values |= {"state": "failed" if gave_up else "pending",
                           "last_error": out.error,
                           "next_attempt_at": now + dt.timedelta(
                               seconds=self.policy.delay(attempts))}
                log.info("webhook delivery %s to %r failed (%s); attempt %d", c.id, c.url,
                         out.error, attempts)
            with self.ctx.db.transaction() as s:
                # Only if our lease still holds: a worker that took it over decides.
                done = s.execute(update(D).where(D.id == c.id, D.claimed_until == c.lease)
                                 .values(**values)
                                 .execution_options(synchronize_session=False))
                if getattr(done, "rowcount", 0) == 1 and c.notification_id is not None:
                    summarise(s, c.notification_id)
        return len(claimed)
