"""Issue 12 item 13: ``Idempotency-Key`` on the use gate. A client whose connection dropped
after a grant retries; the retry must answer the same grant (same ``use_id``, ``receipt``,
status) and spend nothing, across workers and restarts, and 20 concurrent calls with one
key spend exactly one use. SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from anxin.bootstrap import build_services
from anxin.domain.gate import UseRefused
from anxin.errors import AnxinError
from anxin.services.uses import UseCall, consume_use_with_key
from tests.common.factories import sign

BODY = {"purpose": "loan_approval", "reference": "Q-1", "operator": "officer-7",
        "data_item": "credit_report"}


def _signed(api: Any, client: Any, outbox: Any, seq: int, max_uses: int) -> dict[str, Any]:
    api.template(max_uses=max_uses)
    auth = api.request(seq=seq)
    sign(client, outbox, auth)
    return auth


def test_retry_with_the_same_key_answers_the_same_grant_and_spends_nothing(
        api, client, outbox, settings):
    auth = _signed(api, client, outbox, 301, 3)
    path = f"/v1/authorizations/{auth['id']}/uses"
    first = api.post(path, BODY, headers={"Idempotency-Key": "retry-1"})
    assert first.status_code == 201, first.text
    again = api.post(path, BODY, headers={"Idempotency-Key": "retry-1"})
    assert again.status_code == 201, again.text
    assert again.json()["use_id"] == first.json()["use_id"]
    assert again.json()["receipt"] == first.json()["receipt"]
    assert again.json() == first.json()
    got = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert got["uses"] == 1
    assert len(got["uses_log"]) == 1

    # Another process (a restart, another worker) answers the same: the key is stored.
    other = build_services(settings)
    try:
        replayed = consume_use_with_key(other, api.api_key, auth["id"], UseCall(**BODY),
                                        idempotency_key="retry-1")
    finally:
        other.close()
    assert replayed["use_id"] == first.json()["use_id"]
    assert replayed["receipt"] == first.json()["receipt"]
    assert api.get(f"/v1/authorizations/{auth['id']}").json()["uses"] == 1

    # A new key is a new call.
    third = api.post(path, BODY, headers={"Idempotency-Key": "retry-2"})
    assert third.status_code == 201
    assert third.json()["use_id"] != first.json()["use_id"]
    assert api.get(f"/v1/authorizations/{auth['id']}").json()["uses"] == 2


def test_the_same_key_with_another_body_is_refused(api, client, outbox):
    auth = _signed(api, client, outbox, 302, 3)
    path = f"/v1/authorizations/{auth['id']}/uses"
    assert api.post(path, BODY, headers={"Idempotency-Key": "k"}).status_code == 201
    r = api.post(path, {**BODY, "reference": "Q-2"}, headers={"Idempotency-Key": "k"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "idempotency_key_reused"
    assert r.json()["field"] == "Idempotency-Key"
    assert api.get(f"/v1/authorizations/{auth['id']}").json()["uses"] == 1


def test_a_retry_after_the_last_use_still_answers_the_grant(api, client, outbox):
    auth = _signed(api, client, outbox, 303, 1)
    path = f"/v1/authorizations/{auth['id']}/uses"
    first = api.post(path, BODY, headers={"Idempotency-Key": "last"})
    assert first.status_code == 201
    again = api.post(path, BODY, headers={"Idempotency-Key": "last"})
    assert again.status_code == 201, again.text
    assert again.json()["use_id"] == first.json()["use_id"]
    assert api.get(f"/v1/authorizations/{auth['id']}").json()["status"] == "exhausted"


def test_twenty_concurrent_calls_with_one_key_spend_exactly_one_use(api, client, outbox, ctx):
    auth = _signed(api, client, outbox, 304, 3)
    call = UseCall(**BODY)

    def one(_: int) -> str:
        try:
            out = consume_use_with_key(ctx, api.api_key, auth["id"], call,
                                       idempotency_key="storm")
        except (UseRefused, AnxinError) as exc:
            return f"refused:{exc.code}"
        return str(out["use_id"])

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(one, range(20)))
    assert len(set(outcomes)) == 1, outcomes
    assert not outcomes[0].startswith("refused"), outcomes
    got = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert got["uses"] == 1
    assert sum(u["granted"] for u in got["uses_log"]) == 1


def test_a_bad_key_answers_the_same_422_as_on_the_other_routes_and_spends_nothing(
        api, client, outbox):
    # The gate reads the header itself (anxin.web.deps.idempotency_key_of) rather than as
    # a FastAPI parameter: the rules and the problem must be those of the other routes.
    auth = _signed(api, client, outbox, 311, 3)
    path = f"/v1/authorizations/{auth['id']}/uses"
    template = {"code": "idem-bad", "title": "T", "purpose": "loan_approval",
                "data_scope": ["credit_report"], "body": "{{ subject_name }}",
                "locale": "en", "validity_days": 30, "max_uses": 3}
    for bad in ["", "k" * 201, "tab\there"]:
        gate = api.post(path, BODY, headers={"Idempotency-Key": bad})
        other = api.post("/v1/templates", template, headers={"Idempotency-Key": bad})
        assert gate.status_code == other.status_code == 422, (bad, gate.text)
        assert gate.headers["content-type"] == other.headers["content-type"]
        g, o = gate.json(), other.json()
        assert (g["code"], g.get("field"), g.get("errors")) == (
            o["code"], o.get("field"), o.get("errors")), (g, o)
    got = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert got["uses"] == 0
    assert got["uses_log"] == []
    assert api.post(path, BODY, headers={"Idempotency-Key": "k" * 200}).status_code == 201
