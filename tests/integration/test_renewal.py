"""Renewal (issue 17): ``POST /v1/authorizations`` with ``renews`` asks the same person for
a new letter of the same purpose; the original stays in force until its own end; the
renewal's validity starts when it is signed; the chain is in the records (both ways), the
ledger, the portal and the evidence package; every refusal names its rule and stores
nothing."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
import json
import zipfile

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from anxin.services.context import Context
from anxin.storage.models import Authorization
from tests.common.factories import Api, mobile, resident_id, sign
from tests.common.ledger_view import event_names
from tests.common.portal_fixtures import client, portal_sign_in

__all__ = ["client"]
DAY = 86400.0


def _count(ctx: Context) -> int:
    with ctx.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(Authorization)) or 0)


def _renew(api: Api, original: dict, seq: int, **over) -> object:
    body = {"template": "credit", "reference": f"LOAN-{seq}-R",
            "subject": {"name": "Zhang San", "id_type": "resident_id",
                        "id_number": resident_id(seq), "mobile": mobile(seq)},
            "renews": original["id"]} | over
    return api.post("/v1/authorizations", body)


def _get(api: Api, auth_id: str) -> dict:
    return api.get(f"/v1/authorizations/{auth_id}").json()


def test_a_renewal_is_a_new_letter_and_the_original_runs_to_its_end(
        client: TestClient, api: Api, outbox, ctx: Context, clock) -> None:
    api.template(validity_days=30, max_uses=3)
    original = api.request(seq=61)
    sign(client, outbox, original)
    clock.advance(seconds=20 * DAY)
    r = _renew(api, original, 61)
    assert r.status_code == 201, r.text
    renewal = r.json()
    assert renewal["status"] == "pending"
    assert renewal["renews"] == original["id"]
    assert _get(api, original["id"])["renewed_by"] == renewal["id"]
    clock.advance(seconds=3600)
    before_signing = ctx.clock()
    sign(client, outbox, renewal)
    after = _get(api, renewal["id"])
    assert after["status"] == "active"
    # the renewal's validity starts at its signing, not at the request
    assert before_signing <= dt.datetime.fromisoformat(after["valid_from"]) <= ctx.clock()
    assert dt.datetime.fromisoformat(after["valid_from"]) == \
        dt.datetime.fromisoformat(after["signed_at"])
    first = _get(api, original["id"])
    assert first["status"] == "active"  # not cut short by the renewal
    assert [c["id"] for c in first["renewal_chain"]] == [original["id"], renewal["id"]]
    assert [c["id"] for c in after["renewal_chain"]] == [original["id"], renewal["id"]]
    assert api.use(original["id"]).status_code == 201
    assert api.use(renewal["id"]).status_code == 201
    clock.advance(seconds=10 * DAY)  # the original's own end
    assert api.use(original["id"]).json()["code"] == "authorization_expired"
    assert api.use(renewal["id"]).status_code == 201
    names = event_names(ctx, renewal["id"])
    assert "authorization:requested" in names
    assert "authorization:signed" in names


def test_the_chain_is_in_the_portal_and_the_evidence(client: TestClient, api: Api, outbox,
                                                     ctx: Context) -> None:
    api.template()
    original = api.request(seq=62)
    sign(client, outbox, original)
    renewal = _renew(api, original, 62).json()
    sign(client, outbox, renewal)
    package = api.get(f"/v1/authorizations/{renewal['id']}/evidence.zip")
    assert package.status_code == 200
    with zipfile.ZipFile(io.BytesIO(package.content)) as z:
        names = z.namelist()
        record_name = next(n for n in names if n.endswith("authorization.json"))
        record = json.loads(z.read(record_name))
        entries = json.loads(z.read("ledger/entries.json"))["entries"]
    leaves = [json.loads(base64.b64decode(e["data"])) for e in entries]
    assert record["renews"] == original["id"]
    assert [c["id"] for c in record["renewal_chain"]] == [original["id"], renewal["id"]]
    named = {leaf["event"] for leaf in leaves if leaf.get("renews") == original["id"]}
    assert named == {"authorization:requested", "authorization:signed"}
    portal_sign_in(client, outbox, mobile(62))
    page = client.get(f"/me/authorizations/{renewal['id']}")
    assert 'id="renewals"' in page.text
    assert f'href="/me/authorizations/{original["id"]}"' in page.text


def test_a_purpose_change_is_never_a_renewal(client: TestClient, api: Api, outbox,
                                             ctx: Context) -> None:
    api.template()
    api.template(code="card", purpose="credit_card_approval")
    original = api.request(seq=63)
    sign(client, outbox, original)
    before = _count(ctx)
    r = _renew(api, original, 63, template="card")
    assert r.status_code == 422
    assert r.json()["code"] == "renewal_purpose_changed"
    assert r.json()["field"] == "template"
    assert _count(ctx) == before
    assert _get(api, original["id"])["renewed_by"] is None


def test_only_the_same_person_renews(client: TestClient, api: Api, outbox,
                                     ctx: Context) -> None:
    api.template()
    original = api.request(seq=64)
    sign(client, outbox, original)
    before = _count(ctx)
    r = _renew(api, original, 64, subject={"name": "Li Si", "id_type": "resident_id",
                                           "id_number": resident_id(65),
                                           "mobile": mobile(64)})
    assert r.status_code == 422
    assert r.json()["code"] == "renewal_subject_mismatch"
    assert r.json()["field"] == "subject.id_number"
    assert _count(ctx) == before


def test_what_cannot_be_renewed(client: TestClient, api: Api, other_api: Api, outbox,
                                ctx: Context, clock) -> None:
    api.template(validity_days=1)
    other_api.template()
    pending = api.request(seq=66)
    r = _renew(api, pending, 66)
    assert (r.status_code, r.json()["code"]) == (409, "renewal_not_allowed")
    signed = api.request(seq=67)
    sign(client, outbox, signed)
    foreign = _renew(other_api, signed, 67)
    assert (foreign.status_code, foreign.json()["code"]) == (404, "authorization_not_found")
    first = _renew(api, signed, 67)
    assert first.status_code == 201
    second = _renew(api, signed, 67, reference="LOAN-67-R2")
    assert (second.status_code, second.json()["code"]) == (409, "renewal_not_allowed")
    assert second.json()["renewed_by"] == first.json()["id"]
    # a renewal that ended unsigned leaves room for another
    api.post(f"/v1/authorizations/{first.json()['id']}/cancel", {})
    assert _get(api, first.json()["id"])["status"] == "cancelled"
    third = _renew(api, signed, 67, reference="LOAN-67-R3")
    assert third.status_code == 201, third.text
    assert _get(api, signed["id"])["renewed_by"] == third.json()["id"]
    clock.advance(seconds=2 * DAY)  # past the original's end: too late to renew
    expired = api.request(seq=68)
    sign(client, outbox, expired)
    clock.advance(seconds=2 * DAY)
    late = _renew(api, expired, 68)
    assert (late.status_code, late.json()["code"]) == (409, "renewal_not_allowed")


def test_a_renewal_is_refused_in_the_api_schema_only_by_its_rules(ctx: Context) -> None:
    """``renews`` is documented on the request body (the integrator's contract)."""
    from anxin.web.app import create_app
    app = create_app(ctx.settings, dataclasses.replace(ctx, background_workers=False))
    schema = json.dumps(app.openapi())
    assert '"renews"' in schema
