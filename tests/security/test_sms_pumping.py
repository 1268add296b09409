"""Issue 12 item 3: SMS pumping. ``POST /me/code`` sent a code to any number, premium
international ranges included, limited per number only (30 SMS to 30 numbers in 0.2 s).
Now: numbers outside ``ANXIN_SMS_COUNTRIES`` answer 422 naming the mobile field on every
path that sends an SMS; sends are limited per client IP (``X-Forwarded-For`` only behind
``ANXIN_TRUSTED_PROXIES``), per session and in total, with counters in the database
that hold across workers and nodes; every 429 carries ``retry_after`` and
``Retry-After``. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from anxin.config import Settings
from anxin.error_codes import Code
from anxin.errors import TooManyRequests
from anxin.services import signing
from anxin.services.context import Context
from anxin.services.rate_limits import Limit, charge
from anxin.storage.database import Database
from anxin.storage.rate_limit_models import RateCounter
from tests.common.factories import Api, mobile, token_of
from tests.common.portal_fixtures import csrf_of
from tests.common.reconfigure import reconfigure

UK_MOBILE = "+447911123456"  # a valid mobile number, outside the default countries
PROXY = ("127.0.0.1", 50000)  # the direct peer of every request: our trusted proxy
JSON = {"Accept": "application/json"}


def _limits(app: Any, **over: Any) -> None:
    base: dict[str, Any] = {"sms_limit_per_ip": 1000, "sms_limit_per_session": 1000,
                            "sms_limit_global": 10**9, "trusted_proxies": ("127.0.0.1",),
                            "sms_countries": ("86",)}
    reconfigure(app, **(base | over))


@pytest.fixture
def app_(client: TestClient) -> Any:
    """The app behind ``api`` too, so that :func:`_limits` reaches both."""
    return client.app


@pytest.fixture
def proxied(app_: Any) -> Iterator[TestClient]:
    """A browser whose requests reach us through the proxy on 127.0.0.1."""
    with TestClient(app_, client=PROXY) as c:
        yield c


def _sends(outbox: Path) -> int:
    return len(outbox.read_text(encoding="utf-8").splitlines()) if outbox.exists() else 0


def _ask(c: TestClient, number: str, ip: str | None = None) -> Any:
    page = c.get("/me")
    headers = dict(JSON)
    if ip is not None:
        headers["X-Forwarded-For"] = ip
    return c.post("/me/code", data={"mobile": number, "csrf": csrf_of(page.text)},
                  headers=headers)


def _assert_429(r: Any, code: str, window: int = 3600) -> None:
    assert r.status_code == 429, r.text
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["code"] == code
    assert isinstance(body["retry_after"], int)
    assert 1 <= body["retry_after"] <= window
    assert r.headers["retry-after"] == str(body["retry_after"])


def test_portal_refuses_numbers_outside_the_sms_countries(proxied: TestClient, ctx: Context,
                                                         outbox: Path) -> None:
    _limits(proxied.app)
    before = _sends(outbox)
    r = _ask(proxied, UK_MOBILE)
    assert r.status_code == 422, r.text
    assert (r.json()["code"], r.json()["field"]) == ("sms_country_not_allowed", "mobile")
    page = proxied.post("/me/code", data={"mobile": UK_MOBILE,
                                          "csrf": csrf_of(proxied.get("/me").text)})
    assert page.status_code == 422  # the HTML form answers the same, as a page
    assert 'data-code="sms_country_not_allowed"' in page.text
    assert _sends(outbox) == before
    # The operator may open more countries.
    _limits(proxied.app, sms_countries=("86", "44"))
    assert _ask(proxied, UK_MOBILE).status_code == 200
    assert _sends(outbox) == before + 1


def test_request_creation_refuses_a_subject_mobile_outside_the_countries(
        api: Api, ctx: Context) -> None:
    api.template()
    body = {"template": "credit", "reference": "LOAN-UK",
            "subject": {"name": "Zhang San", "id_type": "passport", "id_number": "E1234567",
                        "mobile": UK_MOBILE}}
    r = api.post("/v1/authorizations", body)
    assert r.status_code == 422, r.text
    assert (r.json()["code"], r.json()["field"]) == ("sms_country_not_allowed",
                                                     "subject.mobile")
    assert api.get("/v1/authorizations").json()["items"] == []


def test_signing_code_follows_the_same_country_rule(api: Api, proxied: TestClient,
                                                    ctx: Context, outbox: Path) -> None:
    _limits(proxied.app, sms_countries=("86", "44"))
    api.template()
    auth = api.request(subject={"name": "Zhang San", "id_type": "passport",
                                "id_number": "E1234567", "mobile": UK_MOBILE})
    _limits(proxied.app)  # the operator narrowed the countries after the request was made
    before = _sends(outbox)
    r = proxied.post(f"/s/{token_of(auth)}/otp")
    assert r.status_code == 422, r.text
    assert (r.json()["code"], r.json()["field"]) == ("sms_country_not_allowed",
                                                     "subject.mobile")
    assert _sends(outbox) == before
    # Nothing was counted against the request.
    assert signing.view(ctx, token_of(auth))["otp_sends_left"] == ctx.settings.otp_max_sends


def test_one_address_cannot_pump_many_numbers(proxied: TestClient, ctx: Context,
                                              outbox: Path) -> None:
    _limits(proxied.app, sms_limit_per_ip=3)
    before = _sends(outbox)
    for seq in range(3):
        assert _ask(proxied, mobile(9100 + seq), ip="203.0.113.9").status_code == 200
    r = _ask(proxied, mobile(9103), ip="203.0.113.9")
    _assert_429(r, "sms_ip_limit")
    # A forged left part of the header does not make a new client.
    _assert_429(_ask(proxied, mobile(9104), ip="198.51.100.1, 203.0.113.9"), "sms_ip_limit")
    assert _sends(outbox) == before + 3
    with ctx.db.transaction() as s:  # refused requests left the counter as it was
        counts = s.scalars(select(RateCounter.count).where(
            RateCounter.key == "sms:ip:203.0.113.9")).all()
    assert counts == [3]
    # Another client behind the same proxy is not affected.
    assert _ask(proxied, mobile(9105), ip="203.0.113.10").status_code == 200


def test_an_ipv6_client_cannot_rotate_addresses_in_its_prefix(proxied: TestClient,
                                                             ctx: Context) -> None:
    _limits(proxied.app, sms_limit_per_ip=2)
    for seq, ip in enumerate(["2001:db8:5:6::1", "2001:db8:5:6::2"]):
        assert _ask(proxied, mobile(9150 + seq), ip=ip).status_code == 200
    _assert_429(_ask(proxied, mobile(9152), ip="2001:db8:5:6:ffff::3"), "sms_ip_limit")
    assert _ask(proxied, mobile(9153), ip="2001:db8:5:7::1").status_code == 200


def test_forwarded_for_is_ignored_from_an_untrusted_peer(app_: Any, ctx: Context) -> None:
    _limits(app_, sms_limit_per_ip=2, trusted_proxies=())
    with TestClient(app_, client=("127.0.0.9", 40000)) as direct:
        for seq, ip in enumerate(["198.51.100.1", "198.51.100.2"]):
            assert _ask(direct, mobile(9200 + seq), ip=ip).status_code == 200
        _assert_429(_ask(direct, mobile(9202), ip="198.51.100.3"), "sms_ip_limit")


def test_one_session_cannot_pump_many_numbers(app_: Any, ctx: Context) -> None:
    _limits(app_, sms_limit_per_session=2)
    with TestClient(app_, client=PROXY) as browser:
        for seq in range(2):
            assert _ask(browser, mobile(9300 + seq), ip=f"203.0.113.{30 + seq}"
                        ).status_code == 200
        _assert_429(_ask(browser, mobile(9302), ip="203.0.113.32"), "sms_session_limit")
    with TestClient(app_, client=PROXY) as fresh:  # a new sign-in form, a new session
        assert _ask(fresh, mobile(9303), ip="203.0.113.33").status_code == 200


def test_total_sends_are_limited(proxied: TestClient, ctx: Context, clock) -> None:
    clock.advance(days=20_000)  # a window no other test has written to
    _limits(proxied.app, sms_limit_global=2, sms_limit_window_seconds=600)
    assert _ask(proxied, mobile(9400), ip="203.0.113.40").status_code == 200
    assert _ask(proxied, mobile(9401), ip="203.0.113.41").status_code == 200
    _assert_429(_ask(proxied, mobile(9402), ip="203.0.113.42"), "sms_global_limit",
                window=600)
    clock.advance(seconds=600)
    assert _ask(proxied, mobile(9403), ip="203.0.113.43").status_code == 200


def test_signing_codes_are_limited_per_address(api: Api, proxied: TestClient,
                                               ctx: Context) -> None:
    _limits(proxied.app, sms_limit_per_ip=2)
    api.template()
    tokens = [token_of(api.request(seq=9500 + i)) for i in range(3)]
    xff = {"X-Forwarded-For": "203.0.113.50"}
    assert proxied.post(f"/s/{tokens[0]}/otp", headers=xff).status_code == 204
    assert proxied.post(f"/s/{tokens[1]}/otp", headers=xff).status_code == 204
    r = proxied.post(f"/s/{tokens[2]}/otp", headers=xff)
    _assert_429(r, "sms_ip_limit")
    assert signing.view(ctx, tokens[2])["otp_sends_left"] == ctx.settings.otp_max_sends
    assert proxied.post(f"/s/{tokens[2]}/otp",
                        headers={"X-Forwarded-For": "203.0.113.51"}).status_code == 204


def test_every_code_limit_answers_retry_after(api: Api, proxied: TestClient, ctx: Context,
                                              clock) -> None:
    _limits(proxied.app)
    api.template()
    tok = token_of(api.request(seq=9600))
    for _ in range(ctx.settings.otp_max_sends):
        assert proxied.post(f"/s/{tok}/otp").status_code == 204
        clock.advance(seconds=61)
    r = proxied.post(f"/s/{tok}/otp")  # today's otp_send_limit had neither
    assert r.json()["code"] == "otp_send_limit"
    _assert_429(r, "otp_send_limit", window=10**6)
    for _ in range(ctx.settings.otp_max_sends):
        assert _ask(proxied, mobile(9601)).status_code == 200
        clock.advance(seconds=61)
    _assert_429(_ask(proxied, mobile(9601)), "otp_send_limit")
    page = proxied.post("/me/code", data={"mobile": mobile(9601),
                                          "csrf": csrf_of(proxied.get("/me").text)})
    assert page.status_code == 429
    assert int(page.headers["retry-after"]) >= 1
    _assert_429(_ask(proxied, mobile(9601)), "otp_send_limit")


def test_counters_are_exact_across_nodes(backend: str, settings: Settings) -> None:
    """Two database handles (two workers or nodes) charging one key from 24 threads:
    exactly the limit is granted."""
    nodes = [Database.connect(backend), Database.connect(backend)]
    now = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    key = f"test:nodes:{backend[:10]}"
    granted: list[bool] = []
    waits: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(24)

    def one(i: int) -> None:
        barrier.wait()
        wait = 0
        try:
            with nodes[i % 2].transaction() as s:
                charge(s, [Limit(key, 10, 3600, Code.RATE_LIMITED)], now)
        except TooManyRequests as exc:
            wait = exc.retry_after
        with lock:
            granted.append(wait == 0)
            waits.append(wait)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert granted.count(True) == 10
        assert granted.count(False) == 14
        assert sorted(waits)[-14:] == [3600] * 14  # the whole window is still to come
        with nodes[0].transaction() as s:
            assert s.scalars(select(RateCounter.count).where(RateCounter.key == key)
                             ).all() == [10]
    finally:
        for n in nodes:
            n.dispose()
