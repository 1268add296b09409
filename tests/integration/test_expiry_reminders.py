"""Expiry reminders (issue 17): ``ANXIN_EXPIRY_REMINDER_DAYS`` before ``valid_until`` an
authorization in force gets one ``authorization:expiring`` leaf, one notification to its
institution and one SMS to the person — once, whatever the number of sweepers."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from anxin.notify.expiry_reminders import remind_expiring
from anxin.services.context import Context
from anxin.storage.portal_models import Notification
from tests.common.factories import Api, mobile, sign
from tests.common.ledger_view import event_names
from tests.common.portal_fixtures import client, csrf_of, portal_sign_in

__all__ = ["client"]
DAY = 86400.0


def _sms_to(outbox: Path, number: str) -> list[str]:
    lines = [json.loads(x) for x in outbox.read_text(encoding="utf-8").splitlines()]
    return [x["text"] for x in lines if x["to"] == number]


def _notifications(ctx: Context, auth_id: str) -> list[Notification]:
    with ctx.db.transaction() as s:
        rows = list(s.scalars(select(Notification).where(
            Notification.authorization_id == auth_id, Notification.event ==
            "authorization:expiring")))
        s.expunge_all()
        return rows


def test_one_reminder_before_the_end(client: TestClient, api: Api, outbox, ctx: Context,
                                     clock) -> None:
    api.template(validity_days=30)
    auth = api.request(seq=71)
    sign(client, outbox, auth)
    clock.advance(seconds=22 * DAY)  # 8 days left: not yet
    remind_expiring(ctx)
    assert "authorization:expiring" not in event_names(ctx, auth["id"])
    clock.advance(seconds=2 * DAY)  # 6 days left
    assert remind_expiring(ctx) >= 1
    remind_expiring(ctx)  # once only
    texts = [t for t in _sms_to(outbox, "+86" + mobile(71)) if "ends on" in t]
    assert len(texts) == 1
    assert f"/me/authorizations/{auth['id']}" in texts[0]
    assert "LOAN-71" in texts[0]
    assert event_names(ctx, auth["id"]).count("authorization:expiring") == 1
    (note,) = _notifications(ctx, auth["id"])
    assert note.payload["status"] == "active"
    assert note.payload["valid_until"] == api.get(
        f"/v1/authorizations/{auth['id']}").json()["valid_until"]


def test_a_paused_one_is_reminded_with_its_status(client: TestClient, api: Api, outbox,
                                                  ctx: Context, clock) -> None:
    api.template(validity_days=10)
    auth = api.request(seq=72)
    sign(client, outbox, auth)
    portal_sign_in(client, outbox, mobile(72))
    page = client.get(f"/me/authorizations/{auth['id']}")
    client.post(f"/me/authorizations/{auth['id']}/pause", data={"csrf": csrf_of(page.text)})
    clock.advance(seconds=5 * DAY)
    assert remind_expiring(ctx) >= 1
    (note,) = _notifications(ctx, auth["id"])
    assert note.payload["status"] == "paused"


def test_ended_pending_and_far_ones_are_not_reminded(client: TestClient, api: Api, outbox,
                                                     ctx: Context, clock) -> None:
    api.template(validity_days=3)
    pending = api.request(seq=73)
    revoked = api.request(seq=74)
    sign(client, outbox, revoked)
    portal_sign_in(client, outbox, mobile(74))
    confirm = client.get(f"/me/authorizations/{revoked['id']}/revoke")
    client.post(f"/me/authorizations/{revoked['id']}/revoke",
                data={"csrf": csrf_of(confirm.text)})
    remind_expiring(ctx)
    for auth in (pending, revoked):
        assert "authorization:expiring" not in event_names(ctx, auth["id"])


def test_zero_turns_reminders_off(client: TestClient, api: Api, outbox, ctx: Context,
                                  clock) -> None:
    api.template(validity_days=3)
    auth = api.request(seq=75)
    sign(client, outbox, auth)
    off = dataclasses.replace(ctx, settings=ctx.settings.model_copy(
        update={"expiry_reminder_days": 0}))
    assert remind_expiring(off) == 0  # not even a query
    assert "authorization:expiring" not in event_names(ctx, auth["id"])


def test_concurrent_sweepers_remind_once(client: TestClient, api: Api, outbox, ctx: Context,
                                         clock) -> None:
    api.template(validity_days=10)
    auths = [api.request(seq=76 + i) for i in range(3)]
    for auth in auths:
        sign(client, outbox, auth)
    clock.advance(seconds=5 * DAY)
    counts: list[int] = []
    barrier = threading.Barrier(4)

    def sweeper() -> None:
        barrier.wait()
        counts.append(remind_expiring(ctx))

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(counts) == 4  # no sweeper failed
    assert sum(counts) >= 3  # the session's database may hold other tests' due ones
    for auth in auths:
        assert len(_notifications(ctx, auth["id"])) == 1
        assert event_names(ctx, auth["id"]).count("authorization:expiring") == 1


def test_a_letter_signed_for_less_than_the_lead_is_not_reminded(
        client: TestClient, api: Api, outbox, ctx: Context, clock) -> None:
    api.template(validity_days=3)  # shorter than the 7-day lead: the person knows
    auth = api.request(seq=79)
    sign(client, outbox, auth)
    clock.advance(seconds=2 * DAY)
    remind_expiring(ctx)
    remind_expiring(ctx)
    assert "authorization:expiring" not in event_names(ctx, auth["id"])
    assert _notifications(ctx, auth["id"]) == []
