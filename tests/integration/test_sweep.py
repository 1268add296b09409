"""The expiry sweep: due authorizations expire and lapse without anyone reading them,
with two sweepers running at once, one ledger leaf and one notification each."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from anxin.bootstrap import build_services
from anxin.config import Settings
from anxin.notify.sweep import make_sweeper, sweep_due
from anxin.services.context import Context
from anxin.storage.models import Authorization
from anxin.storage.portal_models import Notification
from tests.common.factories import Api, sign
from tests.common.ledger_view import event_names
from tests.common.portal_fixtures import client

__all__ = ["client"]


def _statuses(ctx: Context, ids: list[str]) -> dict[str, str]:
    with ctx.db.transaction() as s:
        return dict(s.execute(select(Authorization.id, Authorization.status).where(
            Authorization.id.in_(ids))).all())  # type: ignore[arg-type]


def _notified(ctx: Context, auth_id: str) -> list[str]:
    with ctx.db.transaction() as s:
        return list(s.scalars(select(Notification.event).where(
            Notification.authorization_id == auth_id).order_by(Notification.id)))


def test_two_sweepers_expire_and_lapse_once_each(client: TestClient, api: Api, outbox,
                                                 ctx: Context, settings: Settings,
                                                 clock) -> None:
    api.template(validity_days=30, request_ttl_minutes=60)
    active = [api.request(seq=80 + i) for i in range(6)]
    for a in active:
        sign(client, outbox, a)
    pending = [api.request(seq=90 + i) for i in range(6)]
    ids = [a["id"] for a in active + pending]
    clock.advance(hours=2)  # the requests' hour is over
    other = build_services(settings, clock=clock)
    sweepers = [make_sweeper(ctx, interval=0.02), make_sweeper(other, interval=0.02)]
    try:
        for sw in sweepers:
            sw.start()
        _wait(lambda: all(v == "lapsed" for k, v in _statuses(ctx, ids).items()
                          if k in {p["id"] for p in pending}))
        assert all(v == "active" for k, v in _statuses(ctx, ids).items()
                   if k in {a["id"] for a in active})
        clock.advance(days=31)  # now past every letter's validity
        _wait(lambda: all(v in ("expired", "lapsed") for v in _statuses(ctx, ids).values()))
    finally:
        for sw in sweepers:
            sw.stop()
        other.close()
    for a in active:
        assert event_names(ctx, a["id"]).count("authorization:expired") == 1
        assert _notified(ctx, a["id"]) == ["authorization:signed", "authorization:expired"]
    for p in pending:
        assert event_names(ctx, p["id"]).count("authorization:lapsed") == 1
        assert _notified(ctx, p["id"]) == ["authorization:lapsed"]


def test_concurrent_sweep_passes_record_once(client: TestClient, api: Api, outbox,
                                             ctx: Context, settings: Settings, clock) -> None:
    api.template(validity_days=1)
    active = [api.request(seq=100 + i) for i in range(8)]
    for a in active:
        sign(client, outbox, a)
    clock.advance(days=2)
    contexts = [ctx, build_services(settings, clock=clock), build_services(settings, clock=clock)]
    barrier = threading.Barrier(len(contexts))

    def run(c: Context) -> None:
        barrier.wait()
        sweep_due(c)

    threads = [threading.Thread(target=run, args=(c,)) for c in contexts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in contexts[1:]:
        c.close()
    for a in active:
        assert event_names(ctx, a["id"]).count("authorization:expired") == 1
        assert _notified(ctx, a["id"]).count("authorization:expired") == 1


def test_not_due_is_left_alone(client: TestClient, api: Api, outbox, ctx: Context) -> None:
    api.template()
    a = api.request(seq=110)
    sign(client, outbox, a)
    sweep_due(ctx)
    assert _statuses(ctx, [a["id"]]) == {a["id"]: "active"}
    assert _notified(ctx, a["id"]) == ["authorization:signed"]


def _wait(cond: object, timeout: float = 15.0) -> None:
    assert callable(cond)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("the sweep did not act in time")
