"""From the notification outbox to webhook deliveries: one row per event and distinct URL.

A notification (written with its status change, :mod:`anxin.services.notifications`) is
fanned out by the delivery worker (:mod:`anxin.notify.worker`) into
:class:`~anxin.storage.webhook_models.WebhookDelivery` rows: the authorization's
``callback_url`` (or else the institution's default one), signed with the institution's
default secret, and every registered endpoint subscribed to the event, signed with its
own secret. Destinations are compared by :func:`url_key` (scheme, host, port, path and
query, after normalisation): an endpoint whose URL is the callback URL shares that one
delivery, which then carries both signatures. So one event is never delivered twice to
one URL, and the ``(notification_id, url_sha256)`` unique key holds it in the database.

The notification row then summarises its deliveries (:func:`summarise`): ``pending``
while one is, else ``failed`` if one gave up, else ``delivered``; ``attempts`` is the
most any took and ``last_error`` the latest error. ``GET /v1/events`` shows that summary.

An institution made before default secrets existed gets one at its first delivery to a
callback URL (a conditional UPDATE, so concurrent workers agree on one), with its ledger
leaf; the institution reads it by rotating it (API or console).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased

from anxin.domain.events import Event
from anxin.net.urls import BadUrl, parse_url
from anxin.services.context import Context
from anxin.services.notifications import encrypt_webhook_secret, new_webhook_secret
from anxin.services.records import record
from anxin.storage.models import Authorization, Institution
from anxin.storage.portal_models import Notification
from anxin.storage.webhook_models import WebhookDelivery, WebhookEndpoint

N = Notification
ALL_EVENTS = "*"


def url_key(url: str) -> str:
    """The SHA-256 that says two URLs are the same destination (a URL that does not
    parse is compared as written: its delivery fails on its own)."""
    try:
        u = parse_url(url)
        port = u.port or (443 if u.scheme == "https" else 80)
        norm = f"{u.scheme}://{u.host.lower()}:{port}{u.raw_path.decode('ascii', 'replace')}"
    except BadUrl:
        norm = url
    return hashlib.sha256(norm.encode("utf-8", "surrogatepass")).hexdigest()


def subscribed(endpoint_events: list[str], event: str) -> bool:
    return ALL_EVENTS in endpoint_events or event in endpoint_events


@dataclass
class Target:
    url: str
    endpoint_id: str | None = None
    to_callback: bool = False


def plan(callback_url: str | None, endpoints: list[WebhookEndpoint], event: str
         ) -> dict[str, Target]:
    """The destinations of one event, keyed by :func:`url_key`: the callback URL first,
    then the subscribed endpoints (an endpoint at the callback URL joins that one)."""
    out: dict[str, Target] = {}
    if callback_url:
        out[url_key(callback_url)] = Target(callback_url, to_callback=True)
    for ep in endpoints:
        if not subscribed(list(ep.events), event):
            continue
        key = ep.url_sha256
        if key in out:
            if out[key].endpoint_id is None:
                out[key].endpoint_id = ep.id
            continue
        out[key] = Target(ep.url, endpoint_id=ep.id)
    return out


def _ensure_default_secret(s: Session, ctx: Context, inst_id: str, now: dt.datetime) -> None:
    made = s.execute(update(Institution).where(
        Institution.id == inst_id, Institution.webhook_secret_enc.is_(None)).values(
        webhook_secret_enc=encrypt_webhook_secret(ctx, inst_id, new_webhook_secret()))
        .execution_options(synchronize_session=False))
    if getattr(made, "rowcount", 0) == 1:
        record(s, Event.WEBHOOK_DEFAULT_ROTATED, at=now, institution_id=inst_id,
               reason="created_at_first_delivery")


def new_delivery(*, institution_id: str, target: Target, event: str, event_id: str,
                 payload: dict[str, Any], now: dt.datetime, notification_id: int | None = None,
                 authorization_id: str | None = None) -> WebhookDelivery:
    return WebhookDelivery(
        institution_id=institution_id, notification_id=notification_id,
        authorization_id=authorization_id, endpoint_id=target.endpoint_id,
        to_callback=target.to_callback, url=target.url, url_sha256=url_key(target.url),
        event=event, event_id=event_id, payload=payload, state="pending", attempts=0,
        next_attempt_at=now, created_at=now)


def dispatch_due(ctx: Context, *, batch: int = 50) -> int:
    """Fan out up to ``batch`` notifications not yet dispatched, oldest first; a
    notification waits while an earlier one of its authorization is not dispatched (so
    each destination gets an authorization's transitions in order). Returns how many."""
    now = ctx.clock()
    earlier = aliased(Notification)
    with ctx.db.transaction() as s:
        rows = s.execute(
            select(N, Authorization.callback_url, Institution.callback_url)
            .join(Authorization, Authorization.id == N.authorization_id)
            .join(Institution, Institution.id == N.institution_id)
            .where(N.state == "pending", N.dispatched_at.is_(None),
                   ~exists().where(earlier.authorization_id == N.authorization_id,
                                   earlier.id < N.id, earlier.state == "pending",
                                   earlier.dispatched_at.is_(None)))
            .order_by(N.id).limit(batch)
            .with_for_update(skip_locked=True, of=N)).all()
        if not rows:
            return 0
        insts = {n.institution_id for n, _, _ in rows}
        endpoints: dict[str, list[WebhookEndpoint]] = defaultdict(list)
        for ep in s.scalars(select(WebhookEndpoint).where(
                WebhookEndpoint.institution_id.in_(insts)).order_by(
                WebhookEndpoint.created_at, WebhookEndpoint.id)):
            endpoints[ep.institution_id].append(ep)
        for n, auth_url, inst_url in rows:
            targets = plan(auth_url or inst_url, endpoints[n.institution_id], n.event)
            n.dispatched_at = now
            if not targets:
                n.state = "no_endpoint"  # still readable through GET /v1/events
                continue
            if any(t.to_callback for t in targets.values()):
                _ensure_default_secret(s, ctx, n.institution_id, now)
            for t in targets.values():
                s.add(new_delivery(institution_id=n.institution_id, target=t,
                                   event=n.event, event_id=str(n.id), payload=n.payload,
                                   now=now, notification_id=n.id,
                                   authorization_id=n.authorization_id))
        return len(rows)


def summarise(s: Session, notification_id: int) -> None:
    """Bring a notification's ``state``, ``attempts``, ``last_error`` and
    ``delivered_at`` in line with its deliveries (locks the notification row)."""
    n = s.get(Notification, notification_id, with_for_update=True)
    if n is None:
        return
    ds = list(s.scalars(select(WebhookDelivery).where(
        WebhookDelivery.notification_id == notification_id)))
    if not ds:
        return
    states = {d.state for d in ds}
    if "pending" in states:
        n.state = "pending"
    elif "failed" in states:
        n.state = "failed"
    elif "delivered" in states:
        n.state = "delivered"
    else:
        n.state = "no_endpoint"  # every delivery was cancelled (endpoints deleted)
    n.attempts = max(d.attempts for d in ds)
    errors = sorted((d for d in ds if d.state != "delivered" and d.last_error),
                    key=lambda d: (d.last_attempt_at or d.created_at, d.id))
    n.last_error = errors[-1].last_error if errors else None
    done = [d.delivered_at for d in ds if d.delivered_at is not None]
    n.delivered_at = max(done) if n.state == "delivered" and done else None
