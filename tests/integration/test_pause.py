"""Pause and resume (issue 17): by the person from /me and by the operator from the
console; the gate refuses a paused authorization with ``authorization_paused`` and spends
nothing; a pause can still be revoked and still expires; the operator's pause is lifted
only by the operator; every transition is a ledger leaf and a notification."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from anxin.config import Settings
from anxin.console.totp import totp_code
from anxin.notify.sweep import sweep_due
from anxin.services.context import Context
from anxin.storage.portal_models import Notification
from tests.common.factories import Api, mobile, sign
from tests.common.ledger_view import event_names
from tests.common.portal_fixtures import client, csrf_of, portal_sign_in
from tests.integration.test_console import PASSWORD, _add_operator, _login, _unique

__all__ = ["client"]


def _detail(client: TestClient, auth_id: str) -> str:
    page = client.get(f"/me/authorizations/{auth_id}")
    assert page.status_code == 200
    return page.text


def _post(client: TestClient, auth_id: str, action: str) -> str:
    r = client.post(f"/me/authorizations/{auth_id}/{action}",
                    data={"csrf": csrf_of(_detail(client, auth_id))}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]


def _status(api: Api, auth_id: str) -> dict:
    return api.get(f"/v1/authorizations/{auth_id}").json()


def _events(ctx: Context, auth_id: str) -> list[str]:
    with ctx.db.transaction() as s:
        return [n.event for n in s.scalars(select(Notification).where(
            Notification.authorization_id == auth_id).order_by(Notification.id))]


def test_the_person_pauses_and_resumes_and_the_gate_follows(client: TestClient, api: Api,
                                                            outbox, ctx: Context) -> None:
    api.template(max_uses=3)
    auth = api.request(seq=41)
    sign(client, outbox, auth)
    portal_sign_in(client, outbox, mobile(41))
    assert 'id="pause"' in _detail(client, auth["id"])
    assert "msg=paused_ok" in _post(client, auth["id"], "pause")
    record = _status(api, auth["id"])
    assert (record["status"], record["paused_by"]) == ("paused", "subject")
    refused = api.use(auth["id"])
    assert refused.status_code == 409
    assert refused.json()["code"] == "authorization_paused"
    assert _status(api, auth["id"])["uses"] == 0  # nothing spent
    page = _detail(client, auth["id"])
    assert 'id="resume"' in page
    assert 'id="revoke-link"' in page
    assert "授权已暂停" in page  # the refused use, in words
    # pausing again is refused, and changes nothing
    r = client.post(f"/me/authorizations/{auth['id']}/pause", data={"csrf": csrf_of(page)},
                    follow_redirects=False)
    assert "err=authorization_paused" in r.headers["location"]
    assert "msg=resumed_ok" in _post(client, auth["id"], "resume")
    assert _status(api, auth["id"])["status"] == "active"
    assert api.use(auth["id"]).status_code == 201
    names = event_names(ctx, auth["id"])
    assert names.count("authorization:paused") == 1
    assert names.count("authorization:resumed") == 1
    assert names.index("authorization:paused") < names.index("authorization:resumed")
    assert {"authorization:paused", "authorization:resumed"} <= set(_events(ctx, auth["id"]))


def test_a_paused_authorization_can_be_revoked(client: TestClient, api: Api, outbox) -> None:
    api.template()
    auth = api.request(seq=42)
    sign(client, outbox, auth)
    portal_sign_in(client, outbox, mobile(42))
    _post(client, auth["id"], "pause")
    confirm = client.get(f"/me/authorizations/{auth['id']}/revoke")
    r = client.post(f"/me/authorizations/{auth['id']}/revoke",
                    data={"csrf": csrf_of(confirm.text)}, follow_redirects=False)
    assert "revoked_ok" in r.headers["location"]
    record = _status(api, auth["id"])
    assert (record["status"], record["paused_by"]) == ("revoked", None)
    assert api.use(auth["id"]).json()["code"] == "authorization_revoked"
    r = client.post(f"/me/authorizations/{auth['id']}/resume",
                    data={"csrf": csrf_of(_detail(client, auth["id"]))}, follow_redirects=False)
    assert "err=invalid_transition" in r.headers["location"]
    assert _status(api, auth["id"])["status"] == "revoked"


def test_a_pause_never_stops_the_clock(client: TestClient, api: Api, outbox, ctx: Context,
                                       clock) -> None:
    api.template(validity_days=1)
    auth = api.request(seq=43)
    sign(client, outbox, auth)
    portal_sign_in(client, outbox, mobile(43))
    _post(client, auth["id"], "pause")
    clock.advance(seconds=dt.timedelta(days=2).total_seconds())
    assert sweep_due(ctx) >= 1
    assert _status(api, auth["id"])["status"] == "expired"
    assert api.use(auth["id"]).json()["code"] == "authorization_expired"
    states = [n for n in event_names(ctx, auth["id"]) if ":use:" not in n]
    assert states[-2:] == ["authorization:paused", "authorization:expired"]


def test_another_persons_authorization_cannot_be_paused(client: TestClient, api: Api,
                                                        outbox) -> None:
    api.template()
    mine, theirs = api.request(seq=44), api.request(seq=45)
    sign(client, outbox, theirs)
    portal_sign_in(client, outbox, mobile(44))
    csrf = csrf_of(_detail(client, mine["id"]))
    for action in ("pause", "resume"):
        r = client.post(f"/me/authorizations/{theirs['id']}/{action}", data={"csrf": csrf})
        assert r.status_code == 404
    r = client.post(f"/me/authorizations/{mine['id']}/pause", data={"csrf": "forged"})
    assert r.status_code == 403
    assert _status(api, theirs["id"])["status"] == "active"


@pytest.fixture
def operator(client: TestClient, settings: Settings, ctx: Context) -> str:
    name = _unique("olga")
    secret = _add_operator(settings, name)
    r = _login(client, name, PASSWORD, totp_code(secret, ctx.clock().timestamp()))
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    return name


def _console(client: TestClient, auth_id: str, action: str) -> None:
    page = client.get(f"/console/authorizations/{auth_id}")
    assert page.status_code == 200
    confirm = client.post(f"/console/authorizations/{auth_id}/{action}",
                          data={"csrf": csrf_of(page.text)})
    assert confirm.status_code == 200
    assert 'id="confirm"' in confirm.text
    r = client.post(f"/console/authorizations/{auth_id}/{action}",
                    data={"csrf": csrf_of(confirm.text), "confirmed": "yes"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text


def test_the_operators_pause_is_lifted_only_by_the_operator(client: TestClient, api: Api,
                                                            outbox, ctx: Context,
                                                            operator: str) -> None:
    api.template()
    auth = api.request(seq=46)
    sign(client, outbox, auth)
    page = client.get(f"/console/authorizations/{auth['id']}")
    r = client.post(f"/console/authorizations/{auth['id']}/pause",
                    data={"csrf": csrf_of(page.text)})
    assert _status(api, auth["id"])["status"] == "active"  # not before the confirmation
    _console(client, auth["id"], "pause")
    record = _status(api, auth["id"])
    assert (record["status"], record["paused_by"]) == ("paused", "operator")
    portal_sign_in(client, outbox, mobile(46))
    page = _detail(client, auth["id"])
    assert 'id="paused-by-operator"' in page
    assert 'id="resume"' not in page
    r = client.post(f"/me/authorizations/{auth['id']}/resume", data={"csrf": csrf_of(page)},
                    follow_redirects=False)
    assert "err=paused_by_operator" in r.headers["location"]
    assert _status(api, auth["id"])["status"] == "paused"
    _console(client, auth["id"], "resume")
    assert _status(api, auth["id"])["status"] == "active"
    assert api.use(auth["id"]).status_code == 201


def test_the_operator_takes_over_the_persons_pause(client: TestClient, api: Api, outbox,
                                                   ctx: Context, operator: str) -> None:
    api.template()
    auth = api.request(seq=47)
    sign(client, outbox, auth)
    portal_sign_in(client, outbox, mobile(47))
    _post(client, auth["id"], "pause")
    _console(client, auth["id"], "pause")
    assert _status(api, auth["id"])["paused_by"] == "operator"
    r = client.post(f"/me/authorizations/{auth['id']}/resume",
                    data={"csrf": csrf_of(_detail(client, auth["id"]))}, follow_redirects=False)
    assert "err=paused_by_operator" in r.headers["location"]
    assert event_names(ctx, auth["id"]).count("authorization:paused") == 2


def test_the_console_refuses_to_pause_what_is_not_active(client: TestClient, api: Api,
                                                         operator: str) -> None:
    api.template()
    auth = api.request(seq=48)  # pending
    page = client.get(f"/console/authorizations/{auth['id']}")
    assert 'id="pause"' not in page.text
    r = client.post(f"/console/authorizations/{auth['id']}/pause",
                    data={"csrf": csrf_of(page.text), "confirmed": "yes"})
    assert r.status_code == 409
    assert _status(api, auth["id"])["status"] == "pending"
