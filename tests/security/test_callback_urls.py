"""Issue 12 item 7: one bad ``callback_url`` must not kill notification delivery.

Before the fix, ``http://[::1`` (or a CR/LF inside) was accepted, and delivering it raised
``httpx.InvalidURL`` (not an ``httpx.HTTPError``), which ended the notification thread for
every institution, again after each restart. Now such URLs answer 422 naming
``callback_url`` when given, a stored one fails its own notification with the reason, and
the background loop outlives any error of a pass.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from anxin.bootstrap import build_services
from anxin.config import Settings, load_settings
from anxin.errors import ValidationFailed
from anxin.notify.worker import DeliveryWorker, RetryPolicy
from anxin.services import console
from anxin.services.context import Context
from anxin.services.periodic import PeriodicThread
from anxin.storage.models import Authorization, Institution
from anxin.storage.portal_models import Notification
from anxin.web.app import create_app
from tests.common.factories import Api, sign
from tests.common.listener import listener

FAST = RetryPolicy(base_seconds=0.05, max_seconds=0.2, lease_seconds=30)
BAD_URLS = [
    "http://[::1",                      # unclosed IPv6 literal: httpx.InvalidURL
    "http://bank.example/\r\nX-Injected: 1",
    "http://bank.example/a\nb",
    "http://bank example/",
    "http://bank.example/\x00",
    "ftp://bank.example/",
    "javascript:alert(1)",
    "http://",
    "http:///path-only",
    "http://bank.example:99999/",
    "https://bank.example/" + "a" * 2000,
]


@pytest.fixture
def local_ctx(settings: Settings, clock) -> Iterator[Context]:
    """The platform with the 127.0.0.1 test receiver allow-listed (explicitly)."""
    s = load_settings(data_dir=settings.data_dir, database_url=settings.database_url,
                      outbound_allow="127.0.0.1")
    c = build_services(s, clock=clock, background_workers=False)
    yield c
    c.close()


@pytest.fixture
def local_api(local_ctx: Context) -> Iterator[Api]:
    from anxin.services.institutions import add_institution
    with TestClient(create_app(local_ctx.settings, local_ctx)) as c:
        inst = add_institution(local_ctx, "Callback Bank")
        yield Api(c, inst.api_key, inst.id)


def _count(ctx: Context, inst_id: str) -> int:
    with ctx.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(Authorization)
                            .where(Authorization.institution_id == inst_id)) or 0)


@pytest.mark.parametrize("bad", BAD_URLS)
def test_bad_callback_url_is_refused_at_request_naming_the_field(api: Api, ctx: Context,
                                                                 bad: str) -> None:
    api.template()
    before = _count(ctx, api.institution_id)
    r = api.post("/v1/authorizations", {
        "template": "credit", "reference": "LOAN-CB", "callback_url": bad,
        "subject": {"name": "Zhang San", "id_type": "resident_id",
                    "id_number": "11010519491231002X", "mobile": "13800138000"}})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "callback_url"
    assert _count(ctx, api.institution_id) == before  # a refused request changes no state


@pytest.mark.parametrize("bad", BAD_URLS)
def test_bad_webhook_url_is_refused_in_the_console(ctx: Context, api: Api, bad: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        console.set_webhook(ctx, "op-test", api.institution_id, bad, new_secret=True)
    assert caught.value.extra.get("field") == "callback_url"
    with ctx.db.transaction() as s:
        inst = s.get(Institution, api.institution_id)
        assert inst is not None
        assert inst.callback_url is None


def _stored_bad_and_good(ctx: Context, api: Api, outbox, good_url: str
                         ) -> tuple[str, str]:
    """Two signed authorizations: one whose stored callback is malformed (a row written
    before validation existed), one to the good receiver."""
    console.set_webhook(ctx, "op-test", api.institution_id, good_url, new_secret=True)
    api.template()
    bad = api.request(seq=71)
    good = api.request(seq=72)
    with ctx.db.transaction() as s:
        s.execute(update(Authorization).where(Authorization.id == bad["id"])
                  .values(callback_url="http://[::1"))
    sign(api.client, outbox, bad)  # the bad one first: its row is claimed first
    sign(api.client, outbox, good)
    return bad["id"], good["id"]


def _notification(ctx: Context, auth_id: str) -> Notification:
    with ctx.db.transaction() as s:
        n = s.scalars(select(Notification)
                      .where(Notification.authorization_id == auth_id)).one()
        s.expunge(n)
        return n


def test_a_stored_bad_url_fails_alone_and_delivery_goes_on(local_ctx: Context,
                                                           local_api: Api, outbox) -> None:
    with listener() as rx:
        bad, good = _stored_bad_and_good(local_ctx, local_api, outbox, rx.url())
        worker = DeliveryWorker(local_ctx, policy=FAST)
        try:
            # The session's database holds the other tests' pending notifications too,
            # claimed in id order a batch at a time: deliver until ours are decided.
            for _ in range(200):
                worker.deliver_due()
                if all(_notification(local_ctx, a).state != "pending" for a in (bad, good)):
                    break
        finally:
            worker.stop()
        assert [r["headers"]["Anxin-Event"] for r in rx.requests] == ["authorization:signed"]
    failed = _notification(local_ctx, bad)
    assert failed.state == "failed"        # at once: retrying cannot make it valid
    assert failed.attempts == 1
    assert failed.last_error
    assert "callback_url" in failed.last_error
    assert _notification(local_ctx, good).state == "delivered"


def test_the_delivery_thread_survives_a_bad_url(local_ctx: Context, local_api: Api,
                                                outbox) -> None:
    with listener() as rx:
        _bad, good = _stored_bad_and_good(local_ctx, local_api, outbox, rx.url())
        worker = DeliveryWorker(local_ctx, policy=FAST, poll_seconds=0.02)
        worker.start()
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not rx.requests:
                time.sleep(0.05)
            assert worker._thread.running
        finally:
            worker.stop()
        assert len(rx.requests) == 1
    assert _notification(local_ctx, good).state == "delivered"


def test_the_periodic_loop_outlives_an_unexpected_error() -> None:
    calls: list[int] = []
    again = threading.Event()

    def work() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug in one pass")
        again.set()
        return 0

    loop = PeriodicThread("test-loop", work, 0.01)
    loop.start()
    try:
        assert again.wait(5), "the loop died with its first failed pass"
        assert loop.running
    finally:
        loop.stop()
