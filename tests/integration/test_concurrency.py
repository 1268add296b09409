"""The use gate under concurrency: never more grants than max_uses (SQLite and PostgreSQL)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from anxin.domain.gate import UseRefused
from anxin.services.institutions import InstitutionRef
from anxin.services.uses import UseCall, consume_use
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
