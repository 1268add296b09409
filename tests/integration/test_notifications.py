"""Notifications: the outbox is written with each status change, delivered signed
(HMAC of ``timestamp.body``) once per transition, in order per authorization, through
receiver outages and worker restarts; ``GET /v1/events`` catches up."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Select, select, update

from anxin.bootstrap import build_services
from anxin.config import Settings
from anxin.errors import ValidationFailed
from anxin.notify.worker import DeliveryWorker, RetryPolicy
from anxin.services import console
from anxin.services.context import Context
from anxin.services.notifications import verify_signature, webhook_secret
from anxin.services.revocation import revoke_authorization
from anxin.storage.models import Institution, LedgerLeaf, LedgerQueued
from anxin.storage.portal_models import Notification
from tests.common.factories import Api, sign, token_of
from tests.common.portal_fixtures import Receiver, client, receiver

__all__ = ["client", "receiver"]
FAST = RetryPolicy(base_seconds=0.05, max_seconds=0.2, lease_seconds=30)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The receiver listens on 127.0.0.1, which outgoing calls may reach only when the
    allow-list says so (anxin.net.outbound): these tests say so explicitly."""
    return settings.model_copy(update={"outbound_allow": "127.0.0.1"})


def _hook(ctx: Context, api: Api, url: str) -> bytes:
    secret = console.set_webhook(ctx, "op-test", api.institution_id, url, new_secret=True)
    assert secret is not None
    return secret.encode()


def _mine(ids: Iterable[str]) -> Select[tuple[Notification]]:
    return select(Notification).where(Notification.authorization_id.in_(list(ids)))


def _drain(worker: DeliveryWorker, ctx: Context, ids: Iterable[str], *,
           until: float = 10.0) -> None:
    """Run passes until no notification of these authorizations is pending."""
    ids = list(ids)
    deadline = time.monotonic() + until
    while time.monotonic() < deadline:
        worker.deliver_due()
        with ctx.db.transaction() as s:
            if all(n.state != "pending" for n in s.scalars(_mine(ids))):
                return
        time.sleep(0.05)
    raise AssertionError("notifications still pending")


def api_ctx(client: TestClient) -> Context:
    ctx: Context = client.app.state.ctx  # type: ignore[attr-defined]
    return ctx


def _every_transition(client: TestClient, api: Api, outbox) -> dict[str, list[str]]:
    api.template(max_uses=1)
    used = api.request(seq=21)
    sign(client, outbox, used)
    assert api.use(used["id"]).status_code == 201          # → exhausted
    revoked = api.request(seq=22)
    sign(client, outbox, revoked)
    declined = api.request(seq=23)
    assert client.post(f"/s/{token_of(declined)}/decline").status_code == 200
    cancelled = api.request(seq=24)
    assert api.post(f"/v1/authorizations/{cancelled['id']}/cancel").status_code == 200
    revoke_authorization(api_ctx(client), revoked["id"], subject_index=None, channel="test")
    return {used["id"]: ["authorization:signed", "authorization:exhausted"],
            revoked["id"]: ["authorization:signed", "authorization:revoked"],
            declined["id"]: ["authorization:declined"],
            cancelled["id"]: ["authorization:cancelled"]}


def _check(receiver: Receiver, secret: bytes, expected: dict[str, list[str]]) -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    ids = []
    for msg in receiver.received:
        verify_signature(secret, msg["body"], msg["headers"]["Anxin-Signature"],
                         now=int(time.time()))
        ids.append(msg["json"]["id"])
        seen[msg["json"]["authorization_id"]].append(msg["json"]["event"])
        assert msg["headers"]["Anxin-Event-Id"] == msg["json"]["id"]
        assert msg["headers"]["Anxin-Event"] == msg["json"]["event"]
    assert len(ids) == len(set(ids)), "a notification arrived twice"
    assert dict(seen) == expected


def test_every_transition_once_in_order_signed(client: TestClient, api: Api, outbox,
                                               ctx: Context, receiver: Receiver) -> None:
    secret = _hook(ctx, api, receiver.url)
    expected = _every_transition(client, api, outbox)
    r = client.post(f"/me/authorizations/{next(iter(expected))}/revoke",
                    follow_redirects=False)
    assert r.status_code == 303  # no portal session: sent to sign in, nothing revoked
    worker = DeliveryWorker(ctx, policy=FAST)
    try:
        _drain(worker, ctx, expected)
    finally:
        worker.stop()
    _check(receiver, secret, expected)
    tampered = receiver.received[0]
    with pytest.raises(ValidationFailed, match="does not match"):
        verify_signature(secret, tampered["body"] + b" ",
                         tampered["headers"]["Anxin-Signature"], now=int(time.time()))


def test_receiver_down_then_up_loses_nothing(client: TestClient, api: Api, outbox,
                                             ctx: Context, receiver: Receiver) -> None:
    secret = _hook(ctx, api, receiver.url)
    receiver.down()
    api.template()
    auths = [api.request(seq=30 + i) for i in range(3)]
    for a in auths:
        sign(client, outbox, a)
    worker = DeliveryWorker(ctx, policy=FAST)
    for _ in range(4):
        worker.deliver_due()
        time.sleep(0.1)
    with ctx.db.transaction() as s:
        rows = s.scalars(_mine(a["id"] for a in auths)).all()
        assert all(n.state == "pending" for n in rows)
        assert max(n.attempts for n in rows) >= 2
        assert all(n.last_error for n in rows if n.attempts)
    receiver.up()  # same port
    _drain(worker, ctx, [a["id"] for a in auths])
    worker.stop()
    _check(receiver, secret, {a["id"]: ["authorization:signed"] for a in auths})


def test_restart_mid_retry_loses_nothing(client: TestClient, api: Api, outbox, ctx: Context,
                                         settings: Settings, clock,
                                         receiver: Receiver) -> None:
    secret = _hook(ctx, api, receiver.url)
    receiver.status = 503  # up, but failing
    api.template()
    a = api.request(seq=40)
    sign(client, outbox, a)
    first = DeliveryWorker(ctx, policy=FAST, poll_seconds=0.02)
    first.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with ctx.db.transaction() as s:
            if s.scalars(_mine([a["id"]])).one().attempts:
                break
        time.sleep(0.02)
    first.stop()  # "anxin serve" stops mid-retry
    receiver.status = 200
    fresh = build_services(settings, clock=clock)  # a new process on the same database
    try:
        second = DeliveryWorker(fresh, policy=FAST)
        _drain(second, fresh, [a["id"]])
        second.stop()
    finally:
        fresh.close()
    _check(receiver, secret, {a["id"]: ["authorization:signed"]})


def test_two_workers_deliver_each_once_in_order(client: TestClient, api: Api, outbox,
                                               ctx: Context, settings: Settings, clock,
                                               receiver: Receiver) -> None:
    secret = _hook(ctx, api, receiver.url)
    expected = _every_transition(client, api, outbox)
    other = build_services(settings, clock=clock)
    workers = [DeliveryWorker(ctx, policy=FAST, poll_seconds=0.01, batch=2),
               DeliveryWorker(other, policy=FAST, poll_seconds=0.01, batch=2)]
    try:
        for w in workers:
            w.start()
        _drain(workers[0], ctx, expected)
    finally:
        for w in workers:
            w.stop()
        other.close()
    _check(receiver, secret, expected)


def test_two_workers_and_a_slow_destination_deliver_each_once(
        client: TestClient, api: Api, outbox, ctx: Context, settings: Settings, clock,
        receiver: Receiver) -> None:
    """Two nodes, a destination slower than a batch's lease (0.3 s an answer, a 1.5 s
    lease, eight deliveries claimed at once): a worker never starts a POST its lease may
    not cover, so the other never claims and sends the same delivery meanwhile. (The
    timeout leaves 0.6 s beyond the answer: on a loaded machine a POST that times out
    after its destination has recorded it is a genuine, at-least-once second send.)"""
    secret = _hook(ctx, api, receiver.url)
    api.template()
    auths = [api.request(seq=50 + i) for i in range(8)]
    for a in auths:
        sign(client, outbox, a)
    receiver.delay = 0.3
    slow = RetryPolicy(base_seconds=0.05, max_seconds=0.2, lease_seconds=1.5,
                       timeout_seconds=0.9)
    other = build_services(settings, clock=clock)
    workers = [DeliveryWorker(ctx, policy=slow, poll_seconds=0.01),
               DeliveryWorker(other, policy=slow, poll_seconds=0.01)]
    try:
        for w in workers:
            w.start()
        _drain(workers[0], ctx, [a["id"] for a in auths], until=30)
        time.sleep(1.5)  # a late duplicate of a stolen lease would arrive by now
    finally:
        for w in workers:
            w.stop()
        other.close()
    _check(receiver, secret, {a["id"]: ["authorization:signed"] for a in auths})


def test_a_post_starts_only_if_its_outcome_can_be_recorded_within_the_lease(
        client: TestClient, api: Api, outbox, ctx: Context, clock,
        receiver: Receiver) -> None:
    """Each answer takes 0.35 s of a 1 s lease (frozen clock, advanced per POST): after
    the first, 0.65 s are left, more than the 0.6 s timeout but not the timeout plus the
    margin to record the outcome, so the worker gives the rest back instead of starting a
    POST whose outcome could land after another node has claimed the row again."""
    _hook(ctx, api, receiver.url)
    api.template()
    auths = [api.request(seq=70 + i) for i in range(3)]
    for a in auths:
        sign(client, outbox, a)
    policy = RetryPolicy(lease_seconds=1.0, timeout_seconds=0.6)
    assert policy.record_margin.total_seconds() == pytest.approx(0.2)
    worker = DeliveryWorker(ctx, policy=policy)
    attempt = worker._attempt

    def slow_attempt(c):  # type: ignore[no-untyped-def]
        out = attempt(c)
        clock.advance(seconds=0.35)
        return out

    worker._attempt = slow_attempt  # type: ignore[method-assign]
    clock.frozen = True
    try:
        assert worker.deliver_due() == 1
        with ctx.db.transaction() as s:
            rows = s.scalars(_mine([a["id"] for a in auths])
                             .order_by(Notification.id)).all()
            assert [n.state for n in rows] == ["delivered", "pending", "pending"]
        assert len(receiver.received) == 1
        assert worker.deliver_due() == 1  # the next pass claims the rest afresh
        assert len(receiver.received) == 2
    finally:
        worker.stop()
    with pytest.raises(ValueError, match="must outlast"):
        RetryPolicy(lease_seconds=5, timeout_seconds=10)


def test_no_endpoint_and_an_old_institution_without_secret(client: TestClient, api: Api,
                                                            outbox, ctx: Context,
                                                            receiver: Receiver) -> None:
    api.template()
    a = api.request(seq=50)
    sign(client, outbox, a)
    worker = DeliveryWorker(ctx, policy=FAST)
    worker.deliver_due()
    with ctx.db.transaction() as s:
        assert s.scalars(_mine([a["id"]])).one().state == "no_endpoint"
    # An institution made before default secrets existed (no secret at all): its first
    # callback delivery makes one (with its ledger leaf) and is sent signed with it,
    # never unsigned and never "retried silently" as before.
    with ctx.db.transaction() as s:
        s.execute(update(Institution).where(Institution.id == api.institution_id)
                  .values(webhook_secret_enc=None))
    b = api.request(seq=51, callback_url=receiver.url)
    sign(client, outbox, b)
    _drain(worker, ctx, [b["id"]])
    worker.stop()
    with ctx.db.transaction() as s:
        inst = s.get(Institution, api.institution_id)
        assert inst is not None
        secret = webhook_secret(ctx, inst.id, inst.webhook_secret_enc)
        assert s.scalars(_mine([b["id"]])).one().state == "delivered"
        made = [json.loads(q.data) for q in s.scalars(select(LedgerQueued))]
        made += [json.loads(leaf.data) for leaf in s.scalars(select(LedgerLeaf))]
    assert secret is not None
    assert any(e.get("event") == "institution:webhook_secret:rotated"
               and e.get("institution_id") == api.institution_id for e in made)
    _check(receiver, secret, {b["id"]: ["authorization:signed"]})


def test_events_catch_up_own_only(client: TestClient, api: Api, other_api: Api, outbox,
                                  clock) -> None:
    # Frozen: four signings on a loaded machine take longer than the settle window, so
    # with a running clock the first events settled before the "not settled yet" read.
    clock.frozen = True
    api.template()
    other_api.template()
    mine = [api.request(seq=60 + i) for i in range(3)]
    for a in mine:
        sign(client, outbox, a)
    theirs = other_api.request(seq=70)
    sign(client, outbox, theirs)
    assert api.get("/v1/events").json()["events"] == []  # not settled yet
    clock.advance(seconds=5)
    page1 = api.get("/v1/events?limit=2").json()
    assert [e["authorization_id"] for e in page1["events"]] == [a["id"] for a in mine[:2]]
    assert page1["has_more"] is True
    page2 = api.get(f"/v1/events?after={page1['next']}").json()
    assert [e["authorization_id"] for e in page2["events"]] == [mine[2]["id"]]
    assert all(e["event"] == "authorization:signed" and e["status"] == "active"
               for e in page1["events"] + page2["events"])
    theirs_seen = other_api.get("/v1/events").json()["events"]
    assert [e["authorization_id"] for e in theirs_seen] == [theirs["id"]]
    assert api.get("/v1/events?after=abc").status_code == 422
    assert client.get("/v1/events").status_code == 401
