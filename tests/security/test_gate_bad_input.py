"""Issue 12 item 9, the gate's part: a gate call refused for bad input (a NUL byte in
``reference``, an over-long field, a missing member) answers a 422 problem naming the
field -- never a 500 -- and is still recorded as a refused use (``validation_failed``) with
its values neutralised: no control character is ever stored. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from anxin.storage.models import LedgerLeaf, UseRecord
from tests.common.factories import sign

BODY = {"purpose": "loan_approval", "reference": "Q-1", "operator": "officer-7",
        "data_item": "credit_report"}


def _signed(api: Any, client: Any, outbox: Any, seq: int) -> dict[str, Any]:
    api.template(max_uses=3)
    auth = api.request(seq=seq)
    sign(client, outbox, auth)
    return auth


@pytest.mark.parametrize(("over", "field"), [
    ({"reference": "Q-\x00-1"}, "reference"),
    ({"operator": "officer\x1b[31m"}, "operator"),
    ({"purpose": "loan_approval\x00"}, "purpose"),
    ({"data_item": "x" * 65}, "data_item"),
    ({"purpose": "p" * 100}, "purpose"),
    ({"reference": "r" * 201}, "reference"),
])
def test_bad_field_is_a_recorded_422(api, client, outbox, ctx, over, field):
    auth = _signed(api, client, outbox, 401)
    r = api.use(auth["id"], **over)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "validation_failed"
    assert r.json()["field"] == field
    got = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert got["uses"] == 0
    log = got["uses_log"]
    assert len(log) == 1
    assert not log[0]["granted"]
    with ctx.db.transaction() as s:
        rec = s.scalars(select(UseRecord).where(
            UseRecord.authorization_id == auth["id"])).one()
    assert rec.refusal_code == "validation_failed"
    for value in (rec.purpose, rec.data_item, rec.reference, rec.operator):
        assert all(c >= " " and c != "\x7f" for c in value), value
    assert len(rec.purpose) <= 64
    assert len(rec.reference) <= 200
    # The refusal is in the ledger like any other call.
    ctx.ledger.integrate()
    with ctx.db.transaction() as s:
        leaves = list(s.scalars(select(LedgerLeaf.data).where(
            LedgerLeaf.authorization_id == auth["id"])))
    refused = [bytes(d) for d in leaves if b"authorization:use:refused" in bytes(d)]
    assert len(refused) == 1
    assert b"validation_failed" in refused[0]


def test_missing_member_is_a_recorded_422(api, client, outbox):
    auth = _signed(api, client, outbox, 402)
    body = {k: v for k, v in BODY.items() if k != "operator"}
    r = api.post(f"/v1/authorizations/{auth['id']}/uses", body)
    assert r.status_code == 422, r.text
    got = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert [u["granted"] for u in got["uses_log"]] == [False]
    assert got["uses"] == 0


def test_nul_in_the_authorization_id_is_a_4xx_problem_not_a_500(api):
    """The shared path guard (anxin.web.input_guard) answers before any statement: 422
    naming the path (it was a 500 on PostgreSQL)."""
    r = api.post("/v1/authorizations/ab%00cd/uses", BODY)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "validation_failed"
    assert r.json()["field"] == "path"
