"""The institution API over HTTP, on SQLite and PostgreSQL (CONTRACT §2)."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from anxin.storage.models import Authorization
from tests.common.factories import mobile, resident_id, sign, token_of
from tests.common.ledger_view import event_names, ledger_count


def count_authorizations(ctx):
    with ctx.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Authorization))


def test_happy_path_request_sign_use(api, client, outbox, ctx):
    api.template()
    auth = api.request()
    assert auth["status"] == "pending"
    assert auth["signing_url"].startswith("http://localhost:")
    assert auth["subject"]["id_number"] == resident_id(1)[:6] + "********" + resident_id(1)[-4:]
    assert auth["subject"]["mobile"] == "139****0001"
    sign(client, outbox, auth)
    r = api.use(auth["id"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["uses_remaining"] == 0
    assert body["receipt"].count(".") == 2
    got = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert got["status"] == "exhausted"
    assert got["uses"] == 1
    assert got["uses_remaining"] == 0
    assert got["signed_at"] is not None
    assert len(got["letter_sha256"]) == 64
    assert "0001" not in got["subject"]["name"]
    names = event_names(ctx, auth["id"])
    assert names[:1] == ["authorization:requested"]
    for e in ("authorization:otp:sent", "authorization:otp:verified", "authorization:signed",
              "authorization:use:granted", "authorization:exhausted"):
        assert e in names


def test_leaves_carry_no_clear_personal_data(api, client, outbox, ctx):
    api.template()
    auth = api.request()
    sign(client, outbox, auth)
    api.use(auth["id"])
    from tests.common.ledger_view import events_of
    raw = str(events_of(ctx, auth["id"]))
    for secret in (resident_id(1), mobile(1), "Zhang San", "LOAN-1", "Q-1", "officer-7"):
        assert secret not in raw


def test_refusals_have_stable_codes(api, client, outbox, clock, ctx):
    api.template(max_uses=2, data_scope=["credit_report"])
    pending = api.request(seq=2)
    r = api.use(pending["id"])
    assert (r.status_code, r.json()["code"]) == (409, "authorization_not_active")
    assert r.headers["content-type"].startswith("application/problem+json")

    auth = api.request(seq=3)
    sign(client, outbox, auth)
    r = api.use(auth["id"], purpose="account_opening")
    assert (r.status_code, r.json()["code"]) == (403, "purpose_mismatch")
    r = api.use(auth["id"], data_item="credit_score")
    assert (r.status_code, r.json()["code"]) == (403, "scope_mismatch")
    assert api.use(auth["id"]).status_code == 201
    assert api.use(auth["id"]).status_code == 201
    r = api.use(auth["id"])
    assert (r.status_code, r.json()["code"]) == (409, "authorization_exhausted")
    names = event_names(ctx, auth["id"])
    assert names.count("authorization:use:refused") == 3
    assert names.count("authorization:use:granted") == 2

    expiring = api.request(seq=4)
    sign(client, outbox, expiring)
    clock.advance(days=31)
    r = api.use(expiring["id"])
    assert (r.status_code, r.json()["code"]) == (409, "authorization_expired")
    assert api.get(f"/v1/authorizations/{expiring['id']}").json()["status"] == "expired"
    assert event_names(ctx, expiring["id"]).count("authorization:expired") == 1


def test_revoked_authorization_is_refused_at_once(api, client, outbox, ctx):
    from anxin.services.revocation import revoke_authorization
    api.template(max_uses=3)
    auth = api.request()
    sign(client, outbox, auth)
    assert api.use(auth["id"]).status_code == 201
    revoke_authorization(ctx, auth["id"], subject_index=None, channel="test")
    r = api.use(auth["id"])
    assert (r.status_code, r.json()["code"]) == (409, "authorization_revoked")


def test_another_institution_sees_404_never_data(api, other_api, client, outbox):
    api.template()
    auth = api.request()
    sign(client, outbox, auth)
    for r in (other_api.get(f"/v1/authorizations/{auth['id']}"),
              other_api.use(auth["id"]),
              other_api.post(f"/v1/authorizations/{auth['id']}/cancel"),
              other_api.get(f"/v1/authorizations/{auth['id']}/letter.pdf")):
        assert r.status_code == 404, r.text
        assert auth["reference"] not in r.text
    assert other_api.get("/v1/authorizations").json()["total"] == 0
    assert other_api.get("/v1/templates/credit").status_code == 404
    # and the gate did not move
    assert api.get(f"/v1/authorizations/{auth['id']}").json()["uses"] == 0


def test_unauthenticated(client):
    r = client.get("/v1/authorizations")
    assert (r.status_code, r.json()["code"]) == (401, "missing_api_key")
    r = client.get("/v1/authorizations", headers={"Authorization": "Bearer nope"})
    assert (r.status_code, r.json()["code"]) == (401, "invalid_api_key")


@pytest.mark.parametrize(("patch", "field", "code"), [
    ({"subject": {"name": "Li Si", "id_type": "resident_id", "id_number": "110105194912310021",
                  "mobile": "13800138000"}}, "subject.id_number", "invalid_id_number"),
    ({"subject": {"name": "Li Si", "id_type": "resident_id", "id_number": "11010519491231002X",
                  "mobile": "1380013800"}}, "subject.mobile", "invalid_mobile"),
    ({"template": "nope"}, "template", "unknown_template"),
    ({"valid_until": "2099-01-01T00:00:00Z"}, "valid_until", "validity_exceeds_template"),
    ({"max_uses": 5}, "max_uses", "max_uses_exceeds_template"),
    ({"subject": {"name": "Li Si", "id_type": "resident_id"}}, "subject.id_number",
     "validation_failed"),
    ({"surprise": 1}, "surprise", "validation_failed"),
])
def test_bad_input_is_422_naming_the_field_and_stores_nothing(api, ctx, patch, field, code):
    api.template()
    before = (count_authorizations(ctx), ledger_count(ctx))
    body = {"template": "credit", "subject": {"name": "Li Si", "id_type": "resident_id",
                                              "id_number": "11010519491231002X",
                                              "mobile": "13800138000"},
            "reference": "R-1"} | patch
    r = api.post("/v1/authorizations", body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert r.json()["code"] == code
    assert (count_authorizations(ctx), ledger_count(ctx)) == before


def test_idempotency_replay_and_conflict(api, ctx):
    api.template()
    body = {"template": "credit", "subject": {"name": "Li Si", "id_type": "resident_id",
                                              "id_number": "11010519491231002X",
                                              "mobile": "13800138000"}, "reference": "R-9"}
    h = {"Idempotency-Key": "abc-1"}
    r1 = api.post("/v1/authorizations", body, headers=h)
    r2 = api.post("/v1/authorizations", body, headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r1.json() == r2.json()
    n = count_authorizations(ctx)
    r3 = api.post("/v1/authorizations", body | {"reference": "R-10"}, headers=h)
    assert (r3.status_code, r3.json()["code"]) == (422, "idempotency_key_reused")
    assert count_authorizations(ctx) == n


def test_cancel_then_the_link_cannot_sign(api, client, outbox):
    api.template()
    auth = api.request()
    r = api.post(f"/v1/authorizations/{auth['id']}/cancel")
    assert (r.status_code, r.json()["status"]) == (200, "cancelled")
    r = api.post(f"/v1/authorizations/{auth['id']}/cancel")
    assert (r.status_code, r.json()["code"]) == (409, "authorization_not_pending")
    tok = token_of(auth)
    r = client.post(f"/s/{tok}/otp")
    assert (r.status_code, r.json()["code"]) == (409, "authorization_not_pending")
    page = client.get(f"/s/{tok}")
    assert 'data-state="cancelled"' in page.text
    assert 'id="sign-form"' not in page.text


def test_list_filters_and_pages(api):
    api.template()
    for i in range(3):
        api.request(seq=10 + i, reference="SAME" if i < 2 else "OTHER")
    out = api.get("/v1/authorizations", params={"reference": "SAME"}).json()
    assert out["total"] == 2
    assert {a["reference"] for a in out["items"]} == {"SAME"}
    assert api.get("/v1/authorizations", params={"status": "active"}).json()["total"] == 0
    r = api.get("/v1/authorizations", params={"status": "bogus"})
    assert (r.status_code, r.json()["field"]) == (422, "status")


def test_request_with_shorter_validity_and_fewer_uses(api, clock):
    api.template(max_uses=3)
    until = (clock() + dt.timedelta(days=5)).isoformat()
    auth = api.request(valid_until=until, max_uses=2)
    assert auth["max_uses"] == 2
    assert auth["valid_until"].startswith(until[:16])


def test_the_gate_does_not_trust_what_it_remembered_over_the_row(api, client, outbox, ctx):
    """The PostgreSQL grant signs its receipt from facts it remembers per process and
    re-checks them in its WHERE clause: if the row says otherwise, the row wins."""
    from sqlalchemy import update

    from anxin.seal import verify_jws

    api.template(max_uses=3)
    auth = api.request(max_uses=2)
    sign(client, outbox, auth)
    assert api.use(auth["id"]).status_code == 201
    with ctx.db.transaction() as s:  # not something the product does: a repair by hand
        s.execute(update(Authorization).where(Authorization.id == auth["id"])
                  .values(max_uses=3))
    r = api.use(auth["id"])
    assert r.status_code == 201, r.text
    assert (r.json()["uses"], r.json()["uses_remaining"]) == (2, 1)
    assert verify_jws(r.json()["receipt"], ctx.seal.public_key)["max_uses"] == 3
    assert api.use(auth["id"]).status_code == 201
    refused = api.use(auth["id"])
    assert (refused.status_code, refused.json()["code"]) == (409, "authorization_exhausted")


GOOD_USE = {"purpose": "loan_approval", "reference": "Q-1", "operator": "officer-7",
            "data_item": "credit_report"}


@pytest.mark.parametrize(("body", "field"), [
    ({k: v for k, v in GOOD_USE.items() if k != "purpose"}, "purpose"),
    (GOOD_USE | {"surprise": 1}, "surprise"),
    (GOOD_USE | {"data_item": 7}, "data_item"),
    (GOOD_USE | {"reference": "x" * 201}, "reference"),
    (GOOD_USE | {"operator": ""}, "operator"),
])
def test_a_bad_gate_call_answers_422_naming_the_field_and_is_recorded_as_refused(
        api, client, outbox, ctx, body, field):
    # Issue 12 item 9: every gate call is recorded, one refused for its input too (it
    # used to store nothing); it spends no use.
    api.template()
    auth = api.request()
    sign(client, outbox, auth)
    before = ledger_count(ctx)
    r = api.post(f"/v1/authorizations/{auth['id']}/uses", body)
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (
        422, "validation_failed", field), r.text
    got = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert (got["uses"], got["status"]) == (0, "active")
    assert [(u["granted"], u["code"]) for u in got["uses_log"]] == [
        (False, "validation_failed")]
    assert ledger_count(ctx) == before + 1
    assert api.use(auth["id"]).status_code == 201  # and the use is still there to take


def test_a_gate_call_that_is_not_json_answers_422(api, client, outbox):
    api.template()
    auth = api.request()
    sign(client, outbox, auth)
    r = client.post(f"/v1/authorizations/{auth['id']}/uses", content=b"{not json",
                    headers={**api.h, "Content-Type": "application/json"})
    assert (r.status_code, r.json()["code"]) == (422, "validation_failed")


def test_list_by_cursor_walks_the_same_order_as_by_number(api):
    """``after=`` continues exactly where the numbered page stopped, ties of created_at
    (a frozen clock makes them all equal) included, and ends with ``next`` null."""
    api.template()
    for i in range(5):
        api.request(seq=20 + i)
    by_number = [a["id"] for p in (1, 2, 3) for a in api.get(
        "/v1/authorizations", params={"page_size": 2, "page": p}).json()["items"]]
    first = api.get("/v1/authorizations", params={"page_size": 2}).json()
    by_cursor, page = [a["id"] for a in first["items"]], first
    while page["next"] is not None:
        page = api.get("/v1/authorizations",
                       params={"page_size": 2, "after": page["next"]}).json()
        assert (page["page"], page["next_page"], page["total"]) == (None, None, 5)
        by_cursor += [a["id"] for a in page["items"]]
    assert by_cursor == by_number
    assert len(set(by_cursor)) == 5
    assert (len(page["items"]), page["total_capped"]) == (1, False)


def test_list_cursor_keeps_the_filters_and_refuses_nonsense(api):
    api.template()
    for i in range(3):
        api.request(seq=30 + i, reference="KEEP" if i != 1 else "DROP")
    first = api.get("/v1/authorizations", params={"reference": "KEEP", "page_size": 1}).json()
    rest = api.get("/v1/authorizations", params={"reference": "KEEP", "page_size": 1,
                                                 "after": first["next"]}).json()
    assert [a["reference"] for a in first["items"] + rest["items"]] == ["KEEP", "KEEP"]
    assert rest["next"] is None
    for bad in ("nonsense", "!!!", "eHx5", first["next"][:-3]):
        r = api.get("/v1/authorizations", params={"after": bad})
        assert (r.status_code, r.json()["field"]) == (422, "after"), (bad, r.text)
    r = api.get("/v1/authorizations", params={"after": first["next"], "page": 2})
    assert (r.status_code, r.json()["field"]) == (422, "after")


def test_list_total_is_capped_not_a_full_count(api, monkeypatch):
    """Past TOTAL_CAP the total stops counting (a full count is O(rows)); the pages go on."""
    from anxin.services import authorizations
    monkeypatch.setattr(authorizations, "TOTAL_CAP", 2)
    api.template()
    for i in range(3):
        api.request(seq=40 + i)
    out = api.get("/v1/authorizations", params={"page_size": 2}).json()
    assert (out["total"], out["total_capped"], out["next_page"]) == (2, True, 2)
    last = api.get("/v1/authorizations", params={"page_size": 2, "page": 2}).json()
    assert (len(last["items"]), last["next_page"], last["next"]) == (1, None, None)


def test_status_changed_at_moves_with_the_status_not_with_each_use(api, client, outbox,
                                                                   clock):
    """A use that leaves the authorization active does not change when its status changed
    (it did not); the last use, which makes it exhausted, does."""
    api.template(max_uses=2)
    auth = api.request()
    sign(client, outbox, auth)
    signed = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert signed["status"] == "active"
    clock.advance(minutes=5)
    assert api.use(auth["id"]).status_code == 201
    after_one = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert (after_one["status"], after_one["uses"]) == ("active", 1)
    assert after_one["status_changed_at"] == signed["status_changed_at"]
    clock.advance(minutes=5)
    assert api.use(auth["id"]).status_code == 201
    last = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert last["status"] == "exhausted"
    changed = dt.datetime.fromisoformat(last["status_changed_at"])
    assert changed - dt.datetime.fromisoformat(signed["status_changed_at"]) >= \
        dt.timedelta(minutes=10)
    assert last["status_times"]["exhausted"] == last["status_changed_at"]
