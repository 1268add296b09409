"""Webhook endpoints by API (issue 16), over HTTP against listeners on 127.0.0.1.

The lifecycle (create → the secret once, list without secrets, ping received and its
signature checked with an HMAC computed here, rotate → the new secret signs, delete → no
more deliveries), the delivery log of a failing endpoint and its retry, one delivery per
URL, one failing endpoint never holding up another, the institution's default secret on
``callback_url`` deliveries, and refusals that change nothing. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from anxin.config import Settings
from anxin.notify.worker import DeliveryWorker, RetryPolicy
from anxin.services.context import Context
from anxin.services.institutions import NewInstitution, add_institution
from anxin.services.revocation import revoke_authorization
from anxin.storage.portal_models import Notification
from anxin.storage.webhook_models import WebhookDelivery, WebhookEndpoint
from anxin_client import WebhookSignatureError, verify_webhook
from tests.common.factories import Api, sign
from tests.common.listener import listener
from tests.common.portal_fixtures import client

__all__ = ["client"]
FAST = RetryPolicy(base_seconds=0.05, max_seconds=0.2, lease_seconds=30, max_attempts=3)
SIGNED = "authorization:signed"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The listeners are on 127.0.0.1, which outgoing calls reach only when allow-listed."""
    return settings.model_copy(update={"outbound_allow": "127.0.0.1"})


@pytest.fixture
def bank(client: TestClient, ctx: Context) -> tuple[Api, NewInstitution]:
    new = add_institution(ctx, "Webhook Bank")
    return Api(client, new.api_key, new.id), new


@pytest.fixture
def worker(ctx: Context) -> Iterator[DeliveryWorker]:
    w = DeliveryWorker(ctx, policy=FAST)
    yield w
    w.stop()


def mac(secret: str, t: str, body: bytes) -> str:
    """Computed here, independently of the product's code."""
    return hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_by(secret: str, request: dict[str, Any]) -> bool:
    parts = [p.split("=", 1) for p in request["headers"]["Anxin-Signature"].split(",")]
    (t,) = [v for k, v in parts if k == "t"]
    assert abs(int(t) - time.time()) < 300
    return mac(secret, t, request["body"]) in [v for k, v in parts if k == "v1"]


def body_of(request: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(request["body"])
    return out


def deliveries(ctx: Context, inst_id: str) -> list[WebhookDelivery]:
    with ctx.db.transaction() as s:
        rows = list(s.scalars(select(WebhookDelivery).where(
            WebhookDelivery.institution_id == inst_id).order_by(WebhookDelivery.id)))
        for r in rows:
            s.expunge(r)
        return rows


def drain(worker: DeliveryWorker, ctx: Context, inst_id: str, *, want: int = 1,
          until: float = 15.0) -> list[WebhookDelivery]:
    """Passes until this institution has at least ``want`` deliveries, none pending (the
    session's database holds other tests' rows too)."""
    deadline = time.monotonic() + until
    while time.monotonic() < deadline:
        worker.deliver_due()
        rows = deliveries(ctx, inst_id)
        if len(rows) >= want and all(d.state != "pending" for d in rows):
            return rows
        time.sleep(0.05)
    raise AssertionError(f"deliveries still pending: {deliveries(ctx, inst_id)}")


def create(api: Api, url: str, events: list[str] | None = None) -> dict[str, Any]:
    r = api.post("/v1/webhook-endpoints", {"url": url, "events": events or ["*"]})
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def test_endpoint_lifecycle(bank: tuple[Api, NewInstitution], ctx: Context, outbox,
                            worker: DeliveryWorker) -> None:
    api, _ = bank
    with listener() as rx:
        ep = create(api, rx.url(path="/anxin"), [SIGNED, "authorization:revoked"])
        assert ep["secret"].startswith("whsec_")
        assert ep["url"] == rx.url(path="/anxin")
        assert ep["events"] == [SIGNED, "authorization:revoked"]
        listed = api.get("/v1/webhook-endpoints").json()["items"]
        assert [e["id"] for e in listed] == [ep["id"]]
        assert "secret" not in listed[0]
        assert ep["secret"] not in json.dumps(api.get(f"/v1/webhook-endpoints/{ep['id']}")
                                              .json())
        with ctx.db.transaction() as s:  # encrypted at rest
            row = s.get(WebhookEndpoint, ep["id"])
            assert row is not None
            assert ep["secret"].encode() not in row.secret_enc

        r = api.post(f"/v1/webhook-endpoints/{ep['id']}/ping")
        assert r.status_code == 202, r.text
        assert r.json()["event"] == "webhook:ping"
        drain(worker, ctx, api.institution_id)
        (got,) = rx.requests
        assert got["path"] == "/anxin"
        assert got["headers"]["Anxin-Event"] == "webhook:ping"
        assert body_of(got)["event"] == "webhook:ping"
        assert body_of(got)["endpoint_id"] == ep["id"]
        assert got["headers"]["Anxin-Event-Id"] == body_of(got)["id"]
        assert signed_by(ep["secret"], got)
        assert not signed_by("whsec_other", got)
        # ... and the Python client's helper, as an integrator would check it
        assert verify_webhook(got["body"], got["headers"]["Anxin-Signature"],
                              ep["secret"])["event"] == "webhook:ping"
        with pytest.raises(WebhookSignatureError):
            verify_webhook(got["body"], got["headers"]["Anxin-Signature"], "whsec_other")

        # Rotation with no grace: only the new secret signs the next delivery.
        r = api.post(f"/v1/webhook-endpoints/{ep['id']}/rotate-secret", {"grace_seconds": 0})
        assert r.status_code == 200, r.text
        new = r.json()["secret"]
        assert new != ep["secret"]
        assert r.json()["previous_secret_expires_at"] is None
        api.post(f"/v1/webhook-endpoints/{ep['id']}/ping")
        drain(worker, ctx, api.institution_id, want=2)
        assert signed_by(new, rx.requests[1])
        assert not signed_by(ep["secret"], rx.requests[1])

        # Rotation with the default grace (24 h): both sign, the new one first.
        r = api.post(f"/v1/webhook-endpoints/{ep['id']}/rotate-secret")
        assert r.status_code == 200, r.text
        newer = r.json()["secret"]
        assert r.json()["previous_secret_expires_at"] is not None
        api.post(f"/v1/webhook-endpoints/{ep['id']}/ping")
        drain(worker, ctx, api.institution_id, want=3)
        assert signed_by(newer, rx.requests[2])
        assert signed_by(new, rx.requests[2])
        header = rx.requests[2]["headers"]["Anxin-Signature"]
        assert header.split(",")[1] == "v1=" + mac(newer, header.split(",")[0][2:],
                                                   rx.requests[2]["body"])

        # An event it subscribes to arrives; after the delete, nothing more does.
        api.template()
        a = api.request(seq=801)
        sign(api.client, outbox, a)
        drain(worker, ctx, api.institution_id, want=4)
        assert [body_of(x)["event"] for x in rx.requests[3:]] == [SIGNED]
        assert signed_by(newer, rx.requests[3])
        r = api.client.delete(f"/v1/webhook-endpoints/{ep['id']}", headers=api.h)
        assert r.status_code == 200, r.text
        assert r.json()["deleted"] is True
        assert api.get("/v1/webhook-endpoints").json()["items"] == []
        assert api.get(f"/v1/webhook-endpoints/{ep['id']}").status_code == 404
        connections = rx.connections
        revoke_authorization(ctx, a["id"], subject_index=None, channel="test")
        for _ in range(5):
            worker.deliver_due()
        assert len(deliveries(ctx, api.institution_id)) == 4
        assert rx.connections == connections


def test_delivery_log_shows_failures_and_retry_resends(
        bank: tuple[Api, NewInstitution], ctx: Context, outbox,
        worker: DeliveryWorker) -> None:
    api, _ = bank
    with listener(status=500) as rx:
        ep = create(api, rx.url(), [SIGNED])
        api.template()
        a = api.request(seq=811)
        sign(api.client, outbox, a)
        drain(worker, ctx, api.institution_id)
        log = api.get(f"/v1/webhook-endpoints/{ep['id']}/deliveries").json()
        (d,) = log["items"]
        assert d["event"] == SIGNED
        assert d["authorization_id"] == a["id"]
        assert d["status"] == "failed"                  # gave up after max_attempts
        assert d["attempts"] == FAST.max_attempts == len(rx.requests)
        assert d["last_error"] == "HTTP 500"
        assert d["response_status"] == 500
        assert d["last_attempt_at"] is not None
        assert d["delivered_at"] is None
        with ctx.db.transaction() as s:  # the notification sums its deliveries up
            n = s.scalars(select(Notification).where(
                Notification.authorization_id == a["id"])).one()
            assert (n.state, n.attempts, n.last_error) == ("failed", 3, "HTTP 500")

        rx.status = 200
        r = api.post(f"/v1/webhook-endpoints/{ep['id']}/deliveries/{d['id']}/retry")
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "pending"
        drain(worker, ctx, api.institution_id)
        again = api.get(f"/v1/webhook-endpoints/{ep['id']}/deliveries").json()["items"]
        assert [(x["id"], x["status"], x["attempts"], x["last_error"], x["response_status"])
                for x in again] == [(d["id"], "delivered", FAST.max_attempts + 1, None, 200)]
        last = rx.requests[-1]
        assert body_of(last)["authorization_id"] == a["id"]
        assert last["headers"]["Anxin-Event-Id"] == rx.requests[0]["headers"]["Anxin-Event-Id"]
        assert signed_by(ep["secret"], last)
        # Paging: page 2 is empty, a page size over the maximum is refused.
        assert api.get(f"/v1/webhook-endpoints/{ep['id']}/deliveries?page=2").json()[
            "items"] == []
        bad = api.get(f"/v1/webhook-endpoints/{ep['id']}/deliveries?page_size=101")
        assert bad.status_code == 422
        assert bad.json()["field"] == "page_size"


def test_one_event_once_per_url_and_a_failing_endpoint_holds_up_no_other(
        bank: tuple[Api, NewInstitution], ctx: Context, outbox,
        worker: DeliveryWorker) -> None:
    api, new = bank
    with listener() as same, listener() as other, listener(status=503) as broken:
        shared = create(api, same.url(), ["*"])
        create(api, broken.url(), ["*"])
        second = create(api, other.url(), [SIGNED, "authorization:revoked"])
        create(api, other.url(path="/not-revoked"), ["authorization:declined"])
        api.template()
        a = api.request(seq=821, callback_url=same.url())
        sign(api.client, outbox, a)
        revoke_authorization(ctx, a["id"], subject_index=None, channel="test")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (len(same.requests) < 2
                                                or len(other.requests) < 2):
            worker.deliver_due()
            time.sleep(0.05)
        # The callback URL is also an endpoint's: each event arrives there once, signed
        # with both the endpoint's secret and the institution's default secret.
        assert [body_of(x)["event"] for x in same.requests] == [SIGNED,
                                                                "authorization:revoked"]
        assert all(signed_by(shared["secret"], x) and signed_by(new.webhook_secret, x)
                   for x in same.requests)
        # The other endpoint got both, in order, while the broken one kept failing.
        assert [body_of(x)["event"] for x in other.requests] == [SIGNED,
                                                                 "authorization:revoked"]
        assert all(x["path"] == "/hook" and signed_by(second["secret"], x)
                   for x in other.requests)
        assert broken.requests
        assert len({x["headers"]["Anxin-Event-Id"] for x in same.requests}) == 2
    rows = deliveries(ctx, api.institution_id)
    per_url: dict[str, int] = {}
    for d in rows:
        per_url[d.url] = per_url.get(d.url, 0) + 1
    assert per_url == {same.url(): 2, other.url(): 2, broken.url(): 2}


def test_the_default_secret_signs_callback_deliveries_and_rotates_by_api(
        bank: tuple[Api, NewInstitution], ctx: Context, outbox,
        worker: DeliveryWorker) -> None:
    api, new = bank
    assert new.webhook_secret.startswith("whsec_")
    with listener() as rx:
        api.template()
        a = api.request(seq=831, callback_url=rx.url())
        sign(api.client, outbox, a)
        drain(worker, ctx, api.institution_id)
        (got,) = rx.requests
        assert body_of(got)["authorization_id"] == a["id"]
        assert signed_by(new.webhook_secret, got)

        r = api.post("/v1/institution/rotate-webhook-secret", {"grace_seconds": 0})
        assert r.status_code == 200, r.text
        rotated = r.json()["webhook_secret"]
        assert rotated.startswith("whsec_")
        assert rotated != new.webhook_secret
        b = api.request(seq=832, callback_url=rx.url())
        sign(api.client, outbox, b)
        drain(worker, ctx, api.institution_id, want=2)
        assert signed_by(rotated, rx.requests[1])
        assert not signed_by(new.webhook_secret, rx.requests[1])
    refused = api.post("/v1/institution/rotate-webhook-secret", {"grace_seconds": 86401})
    assert refused.status_code == 422
    assert refused.json()["field"] == "grace_seconds"


BAD = [
    ({"url": "ftp://bank.example/hook", "events": ["*"]}, "url", "validation_failed"),
    ({"url": "http://[::1", "events": ["*"]}, "url", "validation_failed"),
    ({"url": "http://169.254.169.254/latest", "events": ["*"]}, "url", "outbound_refused"),
    ({"url": "http://10.1.2.3/hook", "events": ["*"]}, "url", "outbound_refused"),
    ({"url": "https://bank.example/hook", "events": ["authorization:nothing"]}, "events",
     "unknown_event"),
    ({"url": "https://bank.example/hook", "events": ["webhook:ping"]}, "events",
     "unknown_event"),
    ({"url": "https://bank.example/hook", "events": []}, "events", "validation_failed"),
    ({"url": "https://bank.example/hook"}, "events", "validation_failed"),
    ({"events": ["*"]}, "url", "validation_failed"),
    ({"url": "https://bank.example/hook", "events": ["*"], "secret": "mine"}, "secret",
     "validation_failed"),
]


@pytest.mark.parametrize(("body", "field", "code"), BAD)
def test_bad_endpoints_are_refused_naming_the_field(api: Api, ctx: Context,
                                                    body: dict[str, Any], field: str,
                                                    code: str) -> None:
    r = api.post("/v1/webhook-endpoints", body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (r.json()["code"], r.json()["field"]) == (code, field)
    assert api.get("/v1/webhook-endpoints").json()["items"] == []
    with ctx.db.transaction() as s:
        assert s.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.institution_id == api.institution_id)).first() is None


def test_another_institutions_endpoint_is_404_and_untouched(
        bank: tuple[Api, NewInstitution], other_api: Api, ctx: Context,
        worker: DeliveryWorker) -> None:
    api, _ = bank
    with listener() as rx:
        ep = create(api, rx.url())
        api.post(f"/v1/webhook-endpoints/{ep['id']}/ping")
        drain(worker, ctx, api.institution_id)
        (d,) = api.get(f"/v1/webhook-endpoints/{ep['id']}/deliveries").json()["items"]
        base = f"/v1/webhook-endpoints/{ep['id']}"
        for method, path in [("GET", base), ("DELETE", base), ("POST", base + "/ping"),
                             ("POST", base + "/rotate-secret"),
                             ("GET", base + "/deliveries"),
                             ("POST", f"{base}/deliveries/{d['id']}/retry")]:
            r = other_api.client.request(method, path, headers=other_api.h)
            assert r.status_code == 404, (method, path, r.text)
            assert r.json()["code"] == "webhook_endpoint_not_found"
        assert other_api.get("/v1/webhook-endpoints").json()["items"] == []
        # The owner's endpoint is as it was: still there, same secret, one delivery.
        assert [e["id"] for e in api.get("/v1/webhook-endpoints").json()["items"]] == [
            ep["id"]]
        api.post(f"{base}/ping")
        drain(worker, ctx, api.institution_id, want=2)
        assert signed_by(ep["secret"], rx.requests[1])
        # Unknown delivery ids of one's own endpoint: 404 too.
        for bad in ("999999999", "abc", "1" * 40):
            r = api.post(f"{base}/deliveries/{bad}/retry")
            assert r.status_code == 404
            assert r.json()["code"] == "webhook_delivery_not_found"
        # The same URL twice: 409 naming the endpoint that has it.
        r = api.post("/v1/webhook-endpoints", {"url": rx.url(), "events": [SIGNED]})
        assert r.status_code == 409
        assert (r.json()["code"], r.json()["id"]) == ("webhook_endpoint_exists", ep["id"])
        assert len(api.get("/v1/webhook-endpoints").json()["items"]) == 1
    assert api.get("/v1/webhook-endpoints/we_nope").status_code == 404
    assert api.client.get("/v1/webhook-endpoints").status_code == 401


def test_create_is_idempotent_without_keeping_the_secret_in_the_replay_record(
        api: Api, ctx: Context) -> None:
    body = {"url": "https://bank.example/hooks/a", "events": [SIGNED]}
    first = api.post("/v1/webhook-endpoints", body, headers={"Idempotency-Key": "ep-1"})
    again = api.post("/v1/webhook-endpoints", body, headers={"Idempotency-Key": "ep-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = api.post("/v1/webhook-endpoints", {**body, "events": ["*"]},
                     headers={"Idempotency-Key": "ep-1"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert len(api.get("/v1/webhook-endpoints").json()["items"]) == 1
    from anxin.storage.models import IdempotencyRecord
    with ctx.db.transaction() as s:
        stored = [json.dumps(r.response) for r in s.scalars(select(IdempotencyRecord).where(
            IdempotencyRecord.institution_id == api.institution_id))]
    assert stored
    assert all(first.json()["secret"] not in x for x in stored)


def test_institution_add_json_prints_the_secret_that_signs_callbacks(tmp_path) -> None:
    """``anxin institution add --json`` (a real process) prints ``webhook_secret``; a
    callback delivery of that institution verifies with it."""
    import os
    import subprocess
    import sys

    from anxin.bootstrap import build_services
    from anxin.config import load_settings
    from anxin.services.setup import initialise
    from anxin.web.app import create_app
    data = tmp_path / "data"
    initialise(load_settings(data_dir=data))
    env = {**os.environ, "ANXIN_DATA_DIR": str(data)}
    env.pop("ANXIN_DATABASE_URL", None)
    out = json.loads(subprocess.run(
        [sys.executable, "-m", "anxin", "institution", "add", "CLI Bank", "--json"],
        capture_output=True, text=True, check=True, env=env, timeout=120).stdout)
    assert out["webhook_secret"].startswith("whsec_")
    settings = load_settings(data_dir=data, outbound_allow="127.0.0.1")
    ctx = build_services(settings, background_workers=False)
    worker = DeliveryWorker(ctx, policy=FAST)
    try:
        with TestClient(create_app(settings, ctx)) as c, listener() as rx:
            api = Api(c, out["api_key"], out["id"])
            api.template()
            a = api.request(seq=841, callback_url=rx.url())
            sign(c, settings.outbox_path, a)
            drain(worker, ctx, out["id"])
            (got,) = rx.requests
            assert body_of(got)["authorization_id"] == a["id"]
            assert signed_by(out["webhook_secret"], got)
    finally:
        worker.stop()
        ctx.close()


def test_two_workers_deliver_each_event_once_per_url_in_order(
        bank: tuple[Api, NewInstitution], ctx: Context, settings: Settings, clock, outbox
        ) -> None:
    from anxin.bootstrap import build_services
    api, new = bank
    with listener() as hook, listener() as cb:
        ep = create(api, hook.url(), ["*"])
        api.template()
        auths = [api.request(seq=851 + i, callback_url=cb.url()) for i in range(3)]
        for a in auths:
            sign(api.client, outbox, a)
            revoke_authorization(ctx, a["id"], subject_index=None, channel="test")
        other = build_services(settings, clock=clock, background_workers=False)
        workers = [DeliveryWorker(ctx, policy=FAST, poll_seconds=0.01, batch=2),
                   DeliveryWorker(other, policy=FAST, poll_seconds=0.01, batch=2)]
        try:
            for w in workers:
                w.start()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and (len(hook.requests) < 6
                                                    or len(cb.requests) < 6):
                time.sleep(0.05)
        finally:
            for w in workers:
                w.stop()
            other.close()
        for rx, secret in ((hook, ep["secret"]), (cb, new.webhook_secret)):
            ids = [x["headers"]["Anxin-Event-Id"] for x in rx.requests]
            assert len(ids) == len(set(ids)) == 6, "an event arrived twice at one URL"
            assert all(signed_by(secret, x) for x in rx.requests)
            for a in auths:
                assert [body_of(x)["event"] for x in rx.requests
                        if body_of(x)["authorization_id"] == a["id"]] == [
                    SIGNED, "authorization:revoked"]


def test_deleting_an_endpoint_cancels_what_it_had_pending(
        bank: tuple[Api, NewInstitution], ctx: Context, outbox,
        worker: DeliveryWorker) -> None:
    api, new = bank
    slow = RetryPolicy(base_seconds=30, max_seconds=30, lease_seconds=30)
    with listener(status=503) as alone, listener(status=503) as shared:
        only = create(api, alone.url(), [SIGNED])
        both = create(api, shared.url(), [SIGNED])
        api.template()
        a = api.request(seq=861)
        b = api.request(seq=862, callback_url=shared.url())
        sign(api.client, outbox, a)
        sign(api.client, outbox, b)
        retrying = DeliveryWorker(ctx, policy=slow)
        try:
            for _ in range(100):  # one failed attempt each, then 30 s of back-off
                retrying.deliver_due()
                rows = deliveries(ctx, api.institution_id)
                if len(rows) == 4 and all(d.attempts == 1 for d in rows):
                    break
        finally:
            retrying.stop()
        assert {d.state for d in deliveries(ctx, api.institution_id)} == {"pending"}
        for ep in (only, both):
            r = api.client.delete(f"/v1/webhook-endpoints/{ep['id']}", headers=api.h)
            assert r.status_code == 200, r.text
        got = {(d.authorization_id, d.url): d for d in deliveries(ctx, api.institution_id)}
        assert len(got) == 4  # a and b, each to both URLs
        # Only for an endpoint: cancelled; a's notification then had nowhere to go.
        for key in ((a["id"], alone.url()), (a["id"], shared.url()), (b["id"], alone.url())):
            assert (got[key].state, got[key].last_error) == ("cancelled",
                                                             "the endpoint was deleted")
        with ctx.db.transaction() as s:
            n = s.scalars(select(Notification).where(
                Notification.authorization_id == a["id"])).one()
            assert n.state == "no_endpoint"
        # Also b's callback URL: it stays, now signed with the default secret alone.
        kept = got[(b["id"], shared.url())]
        assert (kept.state, kept.endpoint_id, kept.to_callback) == ("pending", None, True)
        shared.status = 200
        with ctx.db.transaction() as s:
            s.execute(update(WebhookDelivery).where(WebhookDelivery.id == kept.id).values(
                next_attempt_at=ctx.clock()))
        drain(worker, ctx, api.institution_id, want=4)
        assert len(alone.requests) == 2  # the two first attempts, nothing after the delete
        last = shared.requests[-1]
        assert body_of(last)["authorization_id"] == b["id"]
        assert signed_by(new.webhook_secret, last)
        assert not signed_by(both["secret"], last)
