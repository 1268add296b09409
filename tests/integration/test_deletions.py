"""Deletion attestations (terms v2, data life), SQLite and PostgreSQL: the API (201, each
refusal naming its field and changing nothing), the ledger leaf without personal data,
the notification, the person's /me page, the console's list of overdue attestations and
the sweep that notifies an overdue one exactly once, under a fake clock."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from anxin.console.totp import totp_code
from anxin.services.context import Context
from anxin.services.deletions import notify_overdue, overdue
from anxin.storage.models import Deletion
from anxin.storage.portal_models import Notification
from tests.common.factories import mobile, sign
from tests.common.ledger_view import events_of
from tests.common.portal_fixtures import client, portal_sign_in
from tests.integration.test_console import PASSWORD, _add_operator, _login, _unique

__all__ = ["client"]
PL = {"purpose": "post_loan_management", "data_scope": ["credit_report"]}


def _granted(api: Any, client: TestClient, outbox: Any, seq: int, n: int = 2,
             life: int = 30) -> tuple[str, list[dict[str, Any]]]:
    api.template(code=f"life-{life}", max_uses=5, data_life_days=life, **PL)
    auth = api.request(template=f"life-{life}", seq=seq)
    sign(client, outbox, auth)
    uses = []
    for _ in range(n):
        r = api.use(auth["id"], purpose="post_loan_management")
        assert r.status_code == 201, r.text
        uses.append(r.json())
    return str(auth["id"]), uses


def _deletions(ctx: Context, auth_id: str) -> int:
    with ctx.db.transaction() as s:
        return len(list(s.scalars(select(Deletion.id).where(
            Deletion.authorization_id == auth_id))))


def _notified(ctx: Context, auth_id: str, event: str) -> list[dict[str, Any]]:
    with ctx.db.transaction() as s:
        return [n.payload for n in s.scalars(select(Notification).where(
            Notification.authorization_id == auth_id, Notification.event == event))]


def test_an_attestation_is_recorded_signed_into_the_ledger_and_shown(
        api, client, outbox, ctx, clock):
    auth_id, uses = _granted(api, client, outbox, 1801)
    use_ids = [u["use_id"] for u in uses]
    deleted_at = ctx.clock().astimezone(dt.UTC).isoformat()
    r = api.post(f"/v1/authorizations/{auth_id}/deletion",
                 {"deleted_at": deleted_at, "items": use_ids})
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["items"] == use_ids
    assert dt.datetime.fromisoformat(out["deleted_at"]) == dt.datetime.fromisoformat(
        deleted_at)
    leaves = [e for e in events_of(ctx, auth_id)
              if e["event"] == "authorization:deletion:attested"]
    assert len(leaves) == 1
    assert leaves[0]["use_ids"] == use_ids
    assert leaves[0]["deletion_id"] == out["id"]
    assert "Zhang San" not in str(leaves[0])
    assert [n["deletion_id"] for n in _notified(ctx, auth_id,
                                                "authorization:deletion:attested")] == [
        out["id"]]
    log = api.get(f"/v1/authorizations/{auth_id}").json()["uses_log"]
    assert {u["deletion_id"] for u in log} == {out["id"]}
    # The person sees it on the detail page.
    portal_sign_in(client, outbox, mobile(1801))
    page = client.get(f"/me/authorizations/{auth_id}?lang=en")
    assert page.status_code == 200
    assert 'id="deletions"' in page.text
    assert page.text.count("deletion attested by the institution") == 2


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"deleted_at": "future", "items": "uses"}, 422, "validation_failed", "deleted_at"),
    ({"deleted_at": "before", "items": "uses"}, 422, "validation_failed", "deleted_at"),
    ({"deleted_at": "now", "items": []}, 422, "validation_failed", "items"),
    ({"deleted_at": "now", "items": ["unknown"]}, 422, "validation_failed", "items[0]"),
    ({"deleted_at": "now", "items": "twice"}, 422, "validation_failed", "items[1]"),
    ({"deleted_at": "2026-01-01T00:00:00", "items": "uses"}, 422, "validation_failed",
     "deleted_at"),
])
def test_a_bad_attestation_is_refused_and_changes_nothing(api, client, outbox, ctx, clock,
                                                          body, status, code, field):
    auth_id, uses = _granted(api, client, outbox, 1802)
    ids = [u["use_id"] for u in uses]
    when = {"future": ctx.clock() + dt.timedelta(hours=1),
            "before": ctx.clock() - dt.timedelta(days=1), "now": ctx.clock()}
    sent = {"deleted_at": when[body["deleted_at"]].isoformat()
            if body["deleted_at"] in when else body["deleted_at"],
            "items": {"uses": ids, "twice": [ids[0], ids[0]]}.get(body["items"], body["items"])
            if isinstance(body["items"], str) else body["items"]}
    before = len(events_of(ctx, auth_id))
    r = api.post(f"/v1/authorizations/{auth_id}/deletion", sent)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    if field is not None and r.json().get("field") is not None:
        assert r.json()["field"] == field
    else:
        assert field in str(r.json().get("errors", r.json()))
    assert _deletions(ctx, auth_id) == 0
    assert len(events_of(ctx, auth_id)) == before


def test_a_use_is_attested_once_and_another_institution_sees_404(api, other_api, client,
                                                                 outbox, ctx, clock):
    auth_id, uses = _granted(api, client, outbox, 1803)
    body = {"deleted_at": ctx.clock().isoformat(), "items": [uses[0]["use_id"]]}
    assert other_api.post(f"/v1/authorizations/{auth_id}/deletion",
                          body).status_code == 404
    assert api.post(f"/v1/authorizations/{auth_id}/deletion", body).status_code == 201
    again = api.post(f"/v1/authorizations/{auth_id}/deletion",
                     {**body, "items": [uses[1]["use_id"], uses[0]["use_id"]]})
    assert again.status_code == 409, again.text
    assert (again.json()["code"], again.json()["field"]) == ("deletion_already_attested",
                                                             "items[1]")
    assert _deletions(ctx, auth_id) == 1


def test_overdue_attestations_are_listed_and_notified_once(api, client, outbox, ctx, clock,
                                                           settings):
    auth_id, uses = _granted(api, client, outbox, 1804, n=2, life=1)
    assert all(dt.datetime.fromisoformat(u["delete_by"]) - dt.datetime.fromisoformat(
        u["granted_at"]) == dt.timedelta(days=1) for u in uses)
    assert auth_id not in {o["authorization_id"] for o in overdue(ctx)}
    notify_overdue(ctx)
    assert _notified(ctx, auth_id, "authorization:deletion:overdue") == []
    clock.advance(days=1, minutes=1)
    listed = {o["authorization_id"]: o for o in overdue(ctx)}
    assert listed[auth_id]["uses"] == 2
    notify_overdue(ctx)
    notify_overdue(ctx)  # once only
    sent = _notified(ctx, auth_id, "authorization:deletion:overdue")
    assert len(sent) == 1
    assert sorted(sent[0]["use_ids"]) == sorted(u["use_id"] for u in uses)
    assert [e["event"] for e in events_of(ctx, auth_id)].count(
        "authorization:deletion:overdue") == 1
    # The console lists it, with the operator signed in.
    name = _unique("dora")
    secret = _add_operator(settings, name)
    assert _login(client, name, PASSWORD,
                  totp_code(secret, ctx.clock().timestamp())).status_code == 303
    page = client.get("/console/deletions")
    assert page.status_code == 200
    assert f'data-id="{auth_id}"' in page.text
    # Once attested, it is no longer overdue.
    r = api.post(f"/v1/authorizations/{auth_id}/deletion",
                 {"deleted_at": ctx.clock().isoformat(), "items": [u["use_id"] for u in uses]})
    assert r.status_code == 201, r.text
    assert auth_id not in {o["authorization_id"] for o in overdue(ctx)}
    assert f'data-id="{auth_id}"' not in client.get("/console/deletions").text
    dispute = client.get(f"/console/authorizations/{auth_id}")
    assert 'id="deletions"' in dispute.text


def test_revocation_makes_the_deletion_due_at_once(api, client, outbox, ctx):
    auth_id, _uses = _granted(api, client, outbox, 1805, n=1, life=30)
    portal_sign_in(client, outbox, mobile(1805))
    confirm = client.get(f"/me/authorizations/{auth_id}/revoke")
    csrf = re.search(r'name="csrf" value="([^"]+)"', confirm.text)
    assert csrf
    r = client.post(f"/me/authorizations/{auth_id}/revoke", data={"csrf": csrf.group(1)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert auth_id in {o["authorization_id"] for o in overdue(ctx)}
    notify_overdue(ctx)
    assert len(_notified(ctx, auth_id, "authorization:deletion:overdue")) == 1


def test_an_unknown_authorization_answers_404(api):
    r = api.post(f"/v1/authorizations/{uuid.uuid4()}/deletion",
                 {"deleted_at": "2026-01-01T00:00:00Z", "items": ["x"]})
    assert r.status_code == 404
