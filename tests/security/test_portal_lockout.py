"""Issue 12 item 4: locking a person out of ``/me`` (the right to withdraw consent).

Five wrong codes for a mobile that never asked for one locked it for an hour, again and
again; the lock also refused new codes; 20 concurrent right submits gave one success and
locked the number. Now wrong tries count only against a live code that was sent, a dead
code never stops a new one (within the normal send limits), and the right code submitted
again by the browser that used it is the same success. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from anxin.services.context import Context
from anxin.storage.models import OtpCode
from tests.common.factories import Api, last_code, mobile, token_of
from tests.common.ledger_view import event_names
from tests.common.portal_fixtures import client, csrf_of

__all__ = ["client"]


def _form(c: TestClient) -> str:
    return csrf_of(c.get("/me").text)


def _login(c: TestClient, number: str, code: str, csrf: str, **kw: Any) -> Any:
    return c.post("/me/login", data={"mobile": number, "code": code, "csrf": csrf},
                  follow_redirects=False, **kw)


def _wrong(good: str) -> str:
    return f"{(int(good) + 1) % 10**6:06d}"


def test_wrong_codes_for_a_number_that_never_asked_lock_nothing(
        client: TestClient, outbox: Path, clock) -> None:
    victim = mobile(8101)
    csrf = _form(client)
    for _ in range(20):  # a griefer's guesses: no code was ever sent to this number
        r = _login(client, victim, "123456", csrf)
        assert r.status_code == 422, r.text
        assert 'data-code="otp_invalid"' in r.text
    # The person asks for a code and gets in at once.
    assert client.post("/me/code", data={"mobile": victim, "csrf": csrf}).status_code == 200
    r = _login(client, victim, last_code(outbox, to="+86" + victim), csrf)
    assert r.status_code == 303, r.text
    assert "anxin_me" in client.cookies


def test_a_dead_code_never_stops_a_new_one(client: TestClient, outbox: Path, clock,
                                           ctx: Context) -> None:
    victim = mobile(8102)
    csrf = _form(client)
    assert client.post("/me/code", data={"mobile": victim, "csrf": csrf}).status_code == 200
    good = last_code(outbox, to="+86" + victim)
    codes = [_login(client, victim, _wrong(good), csrf).status_code
             for _ in range(ctx.settings.otp_max_failures)]
    assert codes == [422] * (ctx.settings.otp_max_failures - 1) + [409]
    assert _login(client, victim, good, csrf).status_code == 409  # that code is dead
    clock.advance(seconds=61)  # the normal one-a-minute rule, nothing more
    r = client.post("/me/code", data={"mobile": victim, "csrf": csrf})
    assert r.status_code == 200, r.text
    fresh = last_code(outbox, to="+86" + victim)
    assert _login(client, victim, _wrong(fresh), csrf).status_code == 422  # counts afresh
    assert _login(client, victim, fresh, csrf).status_code == 303


def test_twenty_concurrent_right_submits_all_succeed(client: TestClient, outbox: Path,
                                                     ctx: Context) -> None:
    person = mobile(8103)
    csrf = _form(client)
    pre = client.cookies["anxin_me_pre"]
    assert client.post("/me/code", data={"mobile": person, "csrf": csrf}).status_code == 200
    good = last_code(outbox, to="+86" + person)
    # Twenty submits of the same form, all sent before any answer came back (the
    # browser's double submit, or a flaky network's retries).
    client.cookies.clear()
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(20)

    def submit() -> None:
        barrier.wait()
        r = _login(client, person, good, csrf, headers={"Cookie": f"anxin_me_pre={pre}"})
        with lock:
            statuses.append(r.status_code)

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert statuses == [303] * 20
    with ctx.db.transaction() as s:
        rows = s.scalars(select(OtpCode).where(OtpCode.scope == "portal",
                                               OtpCode.key == ctx.keys.blind_index(
                                                   "mobile", "+86" + person))).all()
    assert [(r.failures, r.consumed_at is not None) for r in rows] == [(0, True)]


def test_the_used_code_from_another_browser_is_neither_success_nor_failure(
        client: TestClient, outbox: Path, ctx: Context, clock) -> None:
    person = mobile(8104)
    csrf = _form(client)
    assert client.post("/me/code", data={"mobile": person, "csrf": csrf}).status_code == 200
    good = last_code(outbox, to="+86" + person)
    assert _login(client, person, good, csrf).status_code == 303
    with TestClient(client.app) as other:  # someone who saw the code over the shoulder
        other_csrf = _form(other)
        for _ in range(ctx.settings.otp_max_failures + 2):
            r = _login(other, person, good, other_csrf)
            assert r.status_code == 422  # not a session, and not a wrong try either
        assert "anxin_me" not in other.cookies
    clock.advance(seconds=61)
    with TestClient(client.app) as later:  # the person, another day: not locked out
        csrf = _form(later)
        assert later.post("/me/code", data={"mobile": person, "csrf": csrf}
                          ).status_code == 200
        assert _login(later, person, last_code(outbox, to="+86" + person), csrf
                      ).status_code == 303


def test_guesses_on_a_signing_link_without_a_live_code_lock_nothing(
        api: Api, client: TestClient, outbox: Path, ctx: Context, clock) -> None:
    """The same rule on the signing link: the request locks after five wrong entries of a
    code that was sent (CONTRACT §3), never after guesses at no code."""
    api.template()
    auth = api.request(seq=8105)
    tok = token_of(auth)
    for _ in range(ctx.settings.otp_max_failures + 3):
        r = client.post(f"/s/{tok}/sign", json={"otp": "123456", "read_confirmed": True})
        assert (r.status_code, r.json()["code"]) == (422, "otp_invalid")
    assert "authorization:otp:failed" not in event_names(ctx, auth["id"])
    assert client.post(f"/s/{tok}/otp").status_code == 204
    clock.advance(seconds=301)  # that code expired unused: later guesses count nothing
    r = client.post(f"/s/{tok}/sign", json={"otp": "123456", "read_confirmed": True})
    assert (r.status_code, r.json()["code"]) == (422, "otp_invalid")
    clock.advance(seconds=61)
    assert client.post(f"/s/{tok}/otp").status_code == 204
    r = client.post(f"/s/{tok}/sign", json={"otp": last_code(outbox), "read_confirmed": True})
    assert (r.status_code, r.json()["status"]) == (200, "active")
    assert "authorization:otp:failed" not in event_names(ctx, auth["id"])
