"""Webhook endpoints by API (``/v1/webhook-endpoints``): register, list, rotate, delete,
ping, the delivery log and its retry; and the rotation of the institution's default secret.

Each change (create, rotate, delete, default-secret rotation) is one transaction with its
ledger leaf (ids and the URL's SHA-256; never the secret). A secret is shown once, in the
answer that made it, and stored encrypted (:mod:`anxin.services.webhook_signing`). A
rotation keeps the previous secret signing for ``grace_seconds`` (default and maximum
24 h, as Stripe does; 0 ends it at once): deliveries then carry two ``v1`` signatures.
Refusals (bad ``url``, unknown event, another institution's endpoint: 404) change nothing.

Example::

    status, ep = create_endpoint(ctx, inst, EndpointSpec("https://bank.example/hook",
                                                         ["authorization:signed"]))
    ep["secret"]   # 'whsec_…', shown this once
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.error_codes import Code
from anxin.errors import Conflict, NotFound, ValidationFailed
from anxin.net.outbound import OutboundPolicy
from anxin.services.context import Context
from anxin.services.idempotency import check_key, remember, replay, request_digest
from anxin.services.institutions import InstitutionRef
from anxin.services.notifications import NOTIFIED_EVENTS, new_webhook_secret, store_webhook_secret
from anxin.services.records import record
from anxin.services.webhook_fanout import ALL_EVENTS, Target, new_delivery, summarise, url_key
from anxin.services.webhook_signing import open_endpoint_secret, seal_endpoint_secret
from anxin.storage.models import Institution
from anxin.storage.webhook_models import WebhookDelivery, WebhookEndpoint

MAX_ENDPOINTS = 16
MAX_GRACE_SECONDS = 86400
MAX_PAGE_SIZE = 100
ROUTE = "POST /v1/webhook-endpoints"


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    url: str
    events: Sequence[str]
    description: str | None = None


def subscribable_events() -> list[str]:
    return sorted(e.value for e in NOTIFIED_EVENTS)


def validate_events(events: Sequence[str]) -> list[str]:
    """The list, without repeats, in the order given; 422 naming ``events`` otherwise."""
    if not events:
        raise ValidationFailed("events lists at least one event (or \"*\" for all)",
                               field="events")
    allowed = set(subscribable_events()) | {ALL_EVENTS}
    for i, e in enumerate(events):
        if e not in allowed:
            raise ValidationFailed(f"events[{i}] {e!r} is not an event Anxin notifies",
                                   field="events", code=Code.UNKNOWN_EVENT,
                                   allowed=[ALL_EVENTS, *subscribable_events()])
    return list(dict.fromkeys(events))


def _grace(seconds: int | None) -> int:
    g = MAX_GRACE_SECONDS if seconds is None else seconds
    if not 0 <= g <= MAX_GRACE_SECONDS:
        raise ValidationFailed(f"grace_seconds is between 0 and {MAX_GRACE_SECONDS}",
                               field="grace_seconds")
    return g


def endpoint_dict(ep: WebhookEndpoint) -> dict[str, Any]:
    return {"id": ep.id, "object": "webhook_endpoint", "url": ep.url,
            "events": list(ep.events), "description": ep.description,
            "created_at": ep.created_at.isoformat(),
            "secret_rotated_at": ep.secret_rotated_at.isoformat()
            if ep.secret_rotated_at else None,
            "previous_secret_expires_at": ep.previous_secret_expires_at.isoformat()
            if ep.previous_secret_expires_at else None}


def delivery_dict(d: WebhookDelivery) -> dict[str, Any]:
    def iso(v: dt.datetime | None) -> str | None:
        return v.isoformat() if v else None
    return {"id": str(d.id), "object": "webhook_delivery", "endpoint_id": d.endpoint_id,
            "event": d.event, "event_id": d.event_id, "authorization_id": d.authorization_id,
            "url": d.url, "status": d.state, "attempts": d.attempts,
            "last_error": d.last_error, "last_attempt_at": iso(d.last_attempt_at),
            "response_status": d.response_status, "delivered_at": iso(d.delivered_at),
            "next_attempt_at": iso(d.next_attempt_at) if d.state == "pending" else None,
            "also_callback_url": d.to_callback, "created_at": iso(d.created_at)}


def _endpoint(s: Session, inst: InstitutionRef, endpoint_id: str, *,
              lock: bool = False) -> WebhookEndpoint:
    ep = s.get(WebhookEndpoint, endpoint_id, with_for_update=lock) if len(
        endpoint_id) <= 40 else None
    if ep is None or ep.institution_id != inst.id:
        raise NotFound(f"no webhook endpoint {endpoint_id}",
                       code=Code.WEBHOOK_ENDPOINT_NOT_FOUND)
    return ep


def _check_spec(ctx: Context, spec: EndpointSpec) -> tuple[str, list[str]]:
    url = OutboundPolicy.from_settings(ctx.settings).check_given_url(spec.url, field="url")
    assert url is not None
    if spec.description is not None and len(spec.description) > 200:
        raise ValidationFailed("description has at most 200 characters", field="description")
    return url, validate_events(spec.events)


def create_endpoint(ctx: Context, inst: InstitutionRef, spec: EndpointSpec, *,
                    idempotency_key: str | None = None,
                    body_for_digest: Any = None) -> tuple[int, dict[str, Any]]:
    """201 and the endpoint with its ``secret`` (shown once). A replay of the same
    ``Idempotency-Key`` answers the same endpoint (its secret is not kept in the replay
    record, which stays free of secrets: it is read from the endpoint again)."""
    url, events = _check_spec(ctx, spec)
    check_key(idempotency_key)
    digest = request_digest(body_for_digest if body_for_digest is not None else
                            {"url": spec.url, "events": list(spec.events),
                             "description": spec.description})
    now = ctx.clock()
    key = url_key(url)
    try:
        with ctx.db.transaction() as s:
            stored = replay(s, inst.id, ROUTE, idempotency_key, digest)
            if stored is not None:
                return stored[0], _with_secret(s, ctx, inst, stored[1])
            # Lock the institution row: concurrent creations count and compare in turn.
            s.get(Institution, inst.id, with_for_update=True)
            same = s.scalars(select(WebhookEndpoint).where(
                WebhookEndpoint.institution_id == inst.id,
                WebhookEndpoint.url_sha256 == key)).first()
            if same is not None:
                raise Conflict("you already have a webhook endpoint with this url",
                               code=Code.WEBHOOK_ENDPOINT_EXISTS, field="url", id=same.id)
            count = s.scalar(select(func.count()).select_from(WebhookEndpoint).where(
                WebhookEndpoint.institution_id == inst.id)) or 0
            if count >= MAX_ENDPOINTS:
                raise ValidationFailed(f"an institution has at most {MAX_ENDPOINTS} webhook "
                                       "endpoints", field="url")
            ep_id = "we_" + uuid.uuid4().hex
            secret = new_webhook_secret()
            ep = WebhookEndpoint(id=ep_id, institution_id=inst.id, url=url, url_sha256=key,
                                 events=events, description=spec.description,
                                 secret_enc=seal_endpoint_secret(ctx, ep_id, secret),
                                 created_at=now)
            s.add(ep)
            s.flush()
            record(s, Event.WEBHOOK_ENDPOINT_CREATED, at=now, institution_id=inst.id,
                   endpoint_id=ep_id, url_sha256=key, events=events)
            out = endpoint_dict(ep)
            remember(s, inst.id, ROUTE, idempotency_key, digest, 201,
                     out | {"secret": None}, now)
            return 201, out | {"secret": secret}
    except IntegrityError:  # a concurrent creation of the same URL or key won the race
        with ctx.db.transaction() as s:
            stored = replay(s, inst.id, ROUTE, idempotency_key, digest)
            if stored is not None:
                return stored[0], _with_secret(s, ctx, inst, stored[1])
        raise Conflict("you already have a webhook endpoint with this url",
                       code=Code.WEBHOOK_ENDPOINT_EXISTS, field="url") from None


def _with_secret(s: Session, ctx: Context, inst: InstitutionRef,
                 out: dict[str, Any]) -> dict[str, Any]:
    ep = s.get(WebhookEndpoint, out.get("id", ""))
    if ep is None or ep.institution_id != inst.id:
        return out  # deleted since: the replay still answers what was made
    return out | {"secret": open_endpoint_secret(ctx, ep.id, ep.secret_enc)}


def list_endpoints(ctx: Context, inst: InstitutionRef) -> dict[str, Any]:
    with ctx.db.transaction() as s:
        items = [endpoint_dict(ep) for ep in s.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.institution_id == inst.id).order_by(
            WebhookEndpoint.created_at, WebhookEndpoint.id))]
    return {"items": items, "subscribable_events": [ALL_EVENTS, *subscribable_events()]}


def get_endpoint(ctx: Context, inst: InstitutionRef, endpoint_id: str) -> dict[str, Any]:
    with ctx.db.transaction() as s:
        return endpoint_dict(_endpoint(s, inst, endpoint_id))


def delete_endpoint(ctx: Context, inst: InstitutionRef, endpoint_id: str) -> dict[str, Any]:
    """Deletes the endpoint: nothing more is sent to it. Its undelivered deliveries are
    cancelled (one that is also the callback URL's stays, signed by the default secret)."""
    now = ctx.clock()
    with ctx.db.transaction() as s:
        ep = _endpoint(s, inst, endpoint_id, lock=True)
        touched: set[int] = set()
        for d in s.scalars(select(WebhookDelivery).where(
                WebhookDelivery.endpoint_id == ep.id, WebhookDelivery.state == "pending")
                .with_for_update()):
            if d.to_callback:
                d.endpoint_id = None
            else:
                d.state, d.last_error, d.claimed_until = ("cancelled",
                                                          "the endpoint was deleted", None)
            if d.notification_id is not None:
                touched.add(d.notification_id)
        for n_id in sorted(touched):
            summarise(s, n_id)
        s.delete(ep)
        record(s, Event.WEBHOOK_ENDPOINT_DELETED, at=now, institution_id=inst.id,
               endpoint_id=endpoint_id)
    return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


def rotate_endpoint_secret(ctx: Context, inst: InstitutionRef, endpoint_id: str,
                           grace_seconds: int | None = None) -> dict[str, Any]:
    """A new secret (shown once); the old one keeps signing for ``grace_seconds``."""
    grace = _grace(grace_seconds)
    now = ctx.clock()
    secret = new_webhook_secret()
    with ctx.db.transaction() as s:
        ep = _endpoint(s, inst, endpoint_id, lock=True)
        if grace:
            old = open_endpoint_secret(ctx, ep.id, ep.secret_enc)
            ep.previous_secret_enc = seal_endpoint_secret(ctx, ep.id, old, previous=True)
            ep.previous_secret_expires_at = now + dt.timedelta(seconds=grace)
        else:
            ep.previous_secret_enc, ep.previous_secret_expires_at = None, None
        ep.secret_enc = seal_endpoint_secret(ctx, ep.id, secret)
        ep.secret_rotated_at = now
        record(s, Event.WEBHOOK_ENDPOINT_ROTATED, at=now, institution_id=inst.id,
               endpoint_id=ep.id, grace_seconds=grace)
        return endpoint_dict(ep) | {"secret": secret}


def rotate_default_secret(ctx: Context, inst: InstitutionRef,
                          grace_seconds: int | None = None) -> dict[str, Any]:
    """A new default secret (signs ``callback_url`` deliveries), shown once; the old one
    keeps signing for ``grace_seconds``."""
    grace = _grace(grace_seconds)
    now = ctx.clock()
    secret = new_webhook_secret()
    until = now + dt.timedelta(seconds=grace) if grace else None
    with ctx.db.transaction() as s:
        row = s.get(Institution, inst.id, with_for_update=True)
        assert row is not None  # authenticated just now
        store_webhook_secret(ctx, row, secret, grace_until=until)
        record(s, Event.WEBHOOK_DEFAULT_ROTATED, at=now, institution_id=inst.id,
               grace_seconds=grace)
        expires = row.webhook_secret_previous_expires_at
    return {"webhook_secret": secret,
            "previous_secret_expires_at": expires.isoformat() if expires else None}


def ping(ctx: Context, inst: InstitutionRef, endpoint_id: str) -> dict[str, Any]:
    """Queue a ``webhook:ping`` to the endpoint (sent by the delivery worker, signed and
    retried like any event); answers the delivery."""
    now = ctx.clock()
    with ctx.db.transaction() as s:
        ep = _endpoint(s, inst, endpoint_id)
        payload = {"event": Event.WEBHOOK_PING.value, "endpoint_id": ep.id,
                   "institution_id": inst.id,
                   "occurred_at": now.astimezone(dt.UTC).isoformat(timespec="microseconds")}
        d = new_delivery(institution_id=inst.id, target=Target(ep.url, endpoint_id=ep.id),
                         event=Event.WEBHOOK_PING.value,
                         event_id="ping_" + secrets.token_hex(8), payload=payload, now=now)
        s.add(d)
        s.flush()
        return delivery_dict(d)


def _page(page: int, page_size: int) -> tuple[int, int]:
    if page < 1:
        raise ValidationFailed("page is 1 or more", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"page_size is between 1 and {MAX_PAGE_SIZE}",
                               field="page_size")
    return page, page_size


def list_deliveries(ctx: Context, inst: InstitutionRef, endpoint_id: str, *,
                    page: int = 1, page_size: int = 50) -> dict[str, Any]:
    """The endpoint's delivery log, newest first, a page at a time."""
    page, size = _page(page, page_size)
    with ctx.db.transaction() as s:
        ep = _endpoint(s, inst, endpoint_id)
        rows = list(s.scalars(select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == ep.id).order_by(WebhookDelivery.id.desc())
            .offset((page - 1) * size).limit(size + 1)))
    return {"items": [delivery_dict(d) for d in rows[:size]], "page": page,
            "page_size": size, "has_more": len(rows) > size}


def _delivery(s: Session, ep: WebhookEndpoint, delivery_id: str) -> WebhookDelivery:
    d = (s.get(WebhookDelivery, int(delivery_id), with_for_update=True)
         if delivery_id.isascii() and delivery_id.isdigit() and len(delivery_id) <= 18
         else None)
    if d is None or d.endpoint_id != ep.id:
        raise NotFound(f"no delivery {delivery_id} of this endpoint",
                       code=Code.WEBHOOK_DELIVERY_NOT_FOUND)
    return d


def retry_delivery(ctx: Context, inst: InstitutionRef, endpoint_id: str,
                   delivery_id: str) -> dict[str, Any]:
    """Send the delivery again now, whatever its state (a delivered one too: receivers
    deduplicate by ``Anxin-Event-Id``). It counts as one more attempt."""
    now = ctx.clock()
    with ctx.db.transaction() as s:
        ep = _endpoint(s, inst, endpoint_id)
        d = _delivery(s, ep, delivery_id)
        d.state, d.next_attempt_at, d.claimed_until = "pending", now, None
        if d.notification_id is not None:
            s.flush()
            summarise(s, d.notification_id)
        return delivery_dict(d)


def console_view(ctx: Context, inst_id: str, *, per_endpoint: int = 20) -> dict[str, Any]:
    """What the console shows of an institution's webhooks: the default callback URL and
    whether a default secret exists, each endpoint with its latest deliveries."""
    with ctx.db.transaction() as s:
        inst = s.get(Institution, inst_id)
        if inst is None:
            raise NotFound(f"no institution {inst_id}", code=Code.INSTITUTION_NOT_FOUND)
        eps = []
        for ep in s.scalars(select(WebhookEndpoint).where(
                WebhookEndpoint.institution_id == inst_id).order_by(
                WebhookEndpoint.created_at, WebhookEndpoint.id)):
            ds = s.scalars(select(WebhookDelivery).where(
                WebhookDelivery.endpoint_id == ep.id).order_by(
                WebhookDelivery.id.desc()).limit(per_endpoint))
            eps.append(endpoint_dict(ep) | {"deliveries": [delivery_dict(d) for d in ds]})
        callback = s.scalars(select(WebhookDelivery).where(
            WebhookDelivery.institution_id == inst_id,
            WebhookDelivery.to_callback.is_(True)).order_by(
            WebhookDelivery.id.desc()).limit(per_endpoint))
        return {"id": inst.id, "name": inst.name, "callback_url": inst.callback_url,
                "has_secret": inst.webhook_secret_enc is not None, "endpoints": eps,
                "callback_deliveries": [delivery_dict(d) for d in callback]}
