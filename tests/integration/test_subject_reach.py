"""Reaching the person (issue 16): the signing link by SMS when the request asks for it,
one reminder before the request lapses (claimed in the database: never twice, with two
sweepers), and ``authorization:viewed`` on the first opening of the signing page."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from anxin.bootstrap import build_services
from anxin.config import Settings
from anxin.notify.sweep import make_sweeper
from anxin.services.context import Context
from anxin.services.subject_reach import send_due_reminders
from anxin.storage.models import Authorization
from anxin.storage.portal_models import Notification
from tests.common.factories import Api, mobile, resident_id, sign, token_of
from tests.common.ledger_view import event_names, ledger_count

ZH_BODY = ("本人{{ subject_name }}（{{ subject_id_type }} {{ subject_id_number }}）授权"
           "{{ institution }}为{{ purpose }}查询本人的{{ scope }}，有效期自{{ valid_from }}至"
           "{{ valid_until }}，最多使用{{ max_uses }}次。本人可以随时撤销本授权，撤销不影响撤销前"
           "已进行的查询。业务编号{{ reference }}。")


def _sms_to(outbox: Path, seq: int) -> list[dict[str, Any]]:
    if not outbox.exists():
        return []
    lines = [json.loads(x) for x in outbox.read_text(encoding="utf-8").splitlines()]
    return [x for x in lines if x["to"] == "+86" + mobile(seq)]


def _count(ctx: Context) -> int:
    with ctx.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(Authorization)) or 0)


def _notified(ctx: Context, auth_id: str) -> list[str]:
    with ctx.db.transaction() as s:
        return list(s.scalars(select(Notification.event).where(
            Notification.authorization_id == auth_id).order_by(Notification.id)))


def test_notify_subject_sms_sends_the_link_in_the_letters_locale(api: Api, outbox: Path,
                                                                 ctx: Context) -> None:
    api.template()  # en
    api.template(code="zh", locale="zh-CN", body=ZH_BODY)
    en = api.request(seq=301, notify_subject="sms")
    zh = api.request(template="zh", seq=302, notify_subject="sms")
    [en_sms] = _sms_to(outbox, 301)
    [zh_sms] = _sms_to(outbox, 302)
    assert en["signing_url"] in en_sms["text"]
    assert "Example Bank asks you to read and sign" in en_sms["text"]
    assert zh["signing_url"] in zh_sms["text"]
    assert "请您阅读并签署" in zh_sms["text"]
    assert "Anxin" not in zh_sms["text"]
    assert "authorization:link:sent" in event_names(ctx, en["id"])
    record = api.get(f"/v1/authorizations/{en['id']}").json()
    assert record["notify_subject"] == "sms"
    # The person signs from the link the SMS carried.
    link = next(w for w in en_sms["text"].split() if "/s/" in w)
    sign(api.client, outbox, {"signing_url": link})
    assert api.get(f"/v1/authorizations/{en['id']}").json()["status"] == "active"


def test_without_notify_subject_nothing_is_sent(api: Api, outbox: Path, ctx: Context) -> None:
    api.template()
    auth = api.request(seq=303)
    assert _sms_to(outbox, 303) == []
    assert "authorization:link:sent" not in event_names(ctx, auth["id"])
    assert api.get(f"/v1/authorizations/{auth['id']}").json()["notify_subject"] is None


@pytest.mark.parametrize("value", ["email", "SMS", "", 1, True])
def test_an_unknown_notify_subject_is_422_naming_it_and_stores_nothing(
        api: Api, outbox: Path, ctx: Context, value: object) -> None:
    api.template()
    before = (_count(ctx), ledger_count(ctx))
    r = api.post("/v1/authorizations", {
        "template": "credit", "reference": "R-N", "notify_subject": value,
        "subject": {"name": "Li Si", "id_type": "resident_id", "id_number": resident_id(304),
                    "mobile": mobile(304)}})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "notify_subject"
    assert (_count(ctx), ledger_count(ctx)) == before
    assert _sms_to(outbox, 304) == []


def test_a_number_outside_the_sms_countries_is_refused_and_nothing_is_sent(
        settings: Settings, ctx: Context, outbox: Path) -> None:
    from anxin.services.institutions import add_institution
    from anxin.web.app import create_app
    narrow = dataclasses.replace(ctx, settings=settings.model_copy(
        update={"sms_countries": ("86",)}))
    with TestClient(create_app(narrow.settings, narrow)) as c:
        inst = add_institution(narrow, "Country Bank")
        api = Api(c, inst.api_key, inst.id)
        api.template()
        before = (_count(ctx), ledger_count(ctx))
        r = api.post("/v1/authorizations", {
            "template": "credit", "reference": "R-US", "notify_subject": "sms",
            "subject": {"name": "Li Si", "id_type": "resident_id",
                        "id_number": resident_id(305), "mobile": "+12025550123"}})
        assert r.status_code == 422, r.text
        assert (r.json()["code"], r.json()["field"]) == ("sms_country_not_allowed",
                                                         "subject.mobile")
        assert (_count(ctx), ledger_count(ctx)) == before
        assert not outbox.exists() or "+12025550123" not in outbox.read_text("utf-8")


def test_the_link_sms_counts_against_the_per_number_limit(settings: Settings, ctx: Context,
                                                          outbox: Path) -> None:
    """The same send limits as codes: one person cannot be flooded with invitations."""
    from anxin.services.institutions import add_institution
    from anxin.web.app import create_app
    tight = dataclasses.replace(ctx, settings=settings.model_copy(
        update={"sms_limit_per_session": 2}))
    with TestClient(create_app(tight.settings, tight)) as c:
        inst = add_institution(tight, "Flood Bank")
        api = Api(c, inst.api_key, inst.id)
        api.template()
        for ref in ("F-1", "F-2"):
            api.request(seq=306, notify_subject="sms", reference=ref)
        before = (_count(ctx), ledger_count(ctx))
        r = api.post("/v1/authorizations", {
            "template": "credit", "reference": "F-3", "notify_subject": "sms",
            "subject": {"name": "Zhang San", "id_type": "resident_id",
                        "id_number": resident_id(306), "mobile": mobile(306)}})
        assert r.status_code == 429, r.text
        assert r.json()["code"] == "sms_session_limit"
        assert int(r.headers["Retry-After"]) >= 1
        assert (_count(ctx), ledger_count(ctx)) == before
        assert len(_sms_to(outbox, 306)) == 2


def test_one_reminder_before_the_lapse_never_two(api: Api, outbox: Path, ctx: Context,
                                                 settings: Settings, clock) -> None:
    assert ctx.settings.signing_reminder_minutes == 120  # the default lead time
    api.template(request_ttl_minutes=24 * 60)
    due = api.request(seq=310, notify_subject="sms")
    silent = api.request(seq=311)                     # asked for no SMS: never reminded
    signed = api.request(seq=312, notify_subject="sms")
    sign(api.client, outbox, signed)                  # signed: never reminded
    assert len(_sms_to(outbox, 310)) == 1             # the invitation
    assert send_due_reminders(ctx) == 0               # a day ahead: not yet
    clock.advance(hours=21, minutes=59)
    assert send_due_reminders(ctx) == 0               # 2 h 1 min before the lapse
    clock.advance(minutes=2)                          # now inside the two hours
    other = build_services(settings, clock=clock, background_workers=False)
    try:
        barrier = threading.Barrier(2)
        sent: list[int] = []

        def run(c: Context) -> None:
            barrier.wait()
            sent.append(send_due_reminders(c))
        threads = [threading.Thread(target=run, args=(c,)) for c in (ctx, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(sent) >= 1
        assert send_due_reminders(other) == 0        # a later pass: already reminded
    finally:
        other.close()
    texts = [m["text"] for m in _sms_to(outbox, 310)]
    assert len(texts) == 2, texts
    assert texts[1].startswith("Anxin reminder:")
    assert due["signing_url"] in texts[1]
    assert _sms_to(outbox, 311) == []
    assert len(_sms_to(outbox, 312)) == 2  # the invitation and its signing code: no reminder
    assert event_names(ctx, due["id"]).count("authorization:reminder:sent") == 1
    record = api.get(f"/v1/authorizations/{due['id']}").json()
    assert record["reminder_sent_at"] is not None
    assert api.get(f"/v1/authorizations/{silent['id']}").json()["reminder_sent_at"] is None


def test_the_sweep_thread_sends_the_reminder(api: Api, outbox: Path, ctx: Context,
                                             clock) -> None:
    api.template(request_ttl_minutes=6 * 60)
    auth = api.request(seq=313, notify_subject="sms")
    clock.advance(hours=5)
    sweeper = make_sweeper(ctx, interval=0.05)
    sweeper.start()
    try:
        import time
        deadline = time.monotonic() + 20
        while len(_sms_to(outbox, 313)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # a few more passes: still one reminder
    finally:
        sweeper.stop()
    assert len(_sms_to(outbox, 313)) == 2
    assert event_names(ctx, auth["id"]).count("authorization:reminder:sent") == 1


def test_no_reminder_when_turned_off_or_the_request_is_too_short(
        api: Api, outbox: Path, ctx: Context, settings: Settings, clock) -> None:
    api.template(code="short", request_ttl_minutes=60)  # shorter than the lead time
    short = api.request(template="short", seq=314, notify_subject="sms")
    clock.advance(minutes=30)
    assert send_due_reminders(ctx) == 0
    off = dataclasses.replace(ctx, settings=settings.model_copy(
        update={"signing_reminder_minutes": 0}))
    api.template(request_ttl_minutes=24 * 60)
    long = api.request(seq=315, notify_subject="sms")
    clock.advance(hours=23)
    assert send_due_reminders(off) == 0
    assert len(_sms_to(outbox, 314)) == 1
    assert len(_sms_to(outbox, 315)) == 1
    assert api.get(f"/v1/authorizations/{short['id']}").json()["reminder_sent_at"] is None
    assert api.get(f"/v1/authorizations/{long['id']}").json()["reminder_sent_at"] is None


def test_viewed_is_recorded_once_on_the_first_opening(api: Api, client: TestClient,
                                                      outbox: Path, ctx: Context) -> None:
    api.template()
    auth = api.request(seq=320)
    assert api.get(f"/v1/authorizations/{auth['id']}").json()["viewed_at"] is None
    for _ in range(3):
        assert client.get(f"/s/{token_of(auth)}").status_code == 200
    events = event_names(ctx, auth["id"])
    assert events.count("authorization:viewed") == 1
    assert events.index("authorization:viewed") > events.index("authorization:requested")
    assert _notified(ctx, auth["id"]) == ["authorization:viewed"]
    record = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert record["viewed_at"] is not None
    assert record["status"] == "pending"
    sign(client, outbox, auth)
    client.get(f"/s/{token_of(auth)}")
    assert event_names(ctx, auth["id"]).count("authorization:viewed") == 1
    assert _notified(ctx, auth["id"]) == ["authorization:viewed", "authorization:signed"]


def test_a_page_first_opened_after_signing_records_no_view(api: Api, client: TestClient,
                                                           outbox: Path, ctx: Context) -> None:
    api.template()
    auth = api.request(seq=321)
    sign(client, outbox, auth)  # signed through the JSON endpoints, page never opened
    assert client.get(f"/s/{token_of(auth)}").status_code == 200
    assert "authorization:viewed" not in event_names(ctx, auth["id"])
