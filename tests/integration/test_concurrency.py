"""The use gate under concurrency: never more grants than max_uses (SQLite and PostgreSQL)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from anxin.domain.gate import UseRefused
from anxin.services.institutions import InstitutionRef
from anxin.services.uses import UseCall, consume_use, consume_use_with_key
from tests.common.factories import sign

ROUNDS = 5


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_fifty_concurrent_calls_grant_exactly_max_uses(api, client, outbox, ctx, round_):
    api.template(max_uses=3)
    auth = api.request(seq=100 + round_)
    sign(client, outbox, auth)
    inst = InstitutionRef(api.institution_id, "Example Bank")
    call = UseCall("loan_approval", "credit_report", f"Q-{round_}", "load-test")

    def one(_):
        try:
            consume_use(ctx, inst, auth["id"], call)
        except UseRefused as exc:
            return exc.code
        return "granted"

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(one, range(50)))
    assert outcomes.count("granted") == 3
    assert set(outcomes) == {"granted", "authorization_exhausted"}
    got = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert (got["uses"], got["status"]) == (3, "exhausted")
    log = got["uses_log"]
    assert len(log) == 50
    assert sum(u["granted"] for u in log) == 3


@pytest.mark.parametrize("by_key", [False, True], ids=["by_institution", "by_api_key"])
def test_fifty_concurrent_calls_never_pass_the_frequency(api, client, outbox, ctx, by_key):
    """Terms v2: at most 3 a day of 20 in total, under 50 concurrent calls, through the
    institution's path and the API key's (on PostgreSQL, the one-statement grant)."""
    api.template(code="freq", purpose="post_loan_management", data_scope=["credit_report"],
                 max_uses=20, frequency={"max_uses": 3, "per": "day"},
                 data_range={"lookback_months": 12})
    auth = api.request(template="freq", seq=150 + by_key)
    sign(client, outbox, auth)
    inst = InstitutionRef(api.institution_id, "Example Bank")
    today = ctx.clock().astimezone(ctx.settings.zone).date()
    call = UseCall("post_loan_management", "credit_report", "Q-freq", "load-test",
                   data_from=today.replace(day=1), data_to=today)

    def one(_):
        try:
            if by_key:
                consume_use_with_key(ctx, api.api_key, auth["id"], call)
            else:
                consume_use(ctx, inst, auth["id"], call)
        except UseRefused as exc:
            return exc.code
        return "granted"

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(one, range(50)))
    assert outcomes.count("granted") == 3
    assert set(outcomes) == {"granted", "frequency_exceeded"}
    got = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert (got["uses"], got["status"]) == (3, "active")
    assert sum(u["granted"] for u in got["uses_log"]) == 3
    assert len(got["uses_log"]) == 50
