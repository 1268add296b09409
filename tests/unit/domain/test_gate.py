import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anxin.domain.gate import GateView, UseRefused, UseRequest, check_use, effective_status
from anxin.domain.states import Status

T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def view(**over):
    base = {"status": "active", "purpose": "loan_approval",
            "data_scope": ("credit_report", "credit_score"), "valid_from": T0,
            "valid_until": T0 + 30 * DAY, "max_uses": 2, "uses": 0}
    return GateView(**(base | over))


OK = UseRequest("loan_approval", "credit_report")


def refused(v, req=OK, now=T0 + DAY):
    with pytest.raises(UseRefused) as exc:
        check_use(v, req, now)
    return exc.value


def test_grants_inside_every_bound():
    check_use(view(), OK, T0 + DAY)
    check_use(view(uses=1), UseRequest("loan_approval", "credit_score"), T0)


@pytest.mark.parametrize(("over", "req", "now", "code", "status"), [
    ({"status": "revoked"}, OK, T0, "authorization_revoked", 409),
    ({"status": "paused"}, OK, T0, "authorization_paused", 409),
    ({"status": "paused"}, OK, T0 + 30 * DAY, "authorization_expired", 409),
    ({"status": "exhausted", "uses": 2}, OK, T0, "authorization_exhausted", 409),
    ({"uses": 2}, OK, T0, "authorization_exhausted", 409),
    ({"status": "expired"}, OK, T0, "authorization_expired", 409),
    ({}, OK, T0 + 30 * DAY, "authorization_expired", 409),
    ({"status": "pending"}, OK, T0, "authorization_not_active", 409),
    ({"status": "declined"}, OK, T0, "authorization_not_active", 409),
    ({"status": "cancelled"}, OK, T0, "authorization_not_active", 409),
    ({"status": "lapsed"}, OK, T0, "authorization_not_active", 409),
    ({}, OK, T0 - DAY, "authorization_not_active", 409),
    ({}, UseRequest("account_opening", "credit_report"), T0, "purpose_mismatch", 403),
    ({}, UseRequest("loan_approval", "judicial_records"), T0, "scope_mismatch", 403),
])
def test_each_refusal_has_its_code_and_status(over, req, now, code, status):
    exc = refused(view(**over), req, now)
    assert (exc.code, exc.status) == (code, status)


def test_revocation_is_named_before_anything_else():
    exc = refused(view(status="revoked", uses=2), UseRequest("x", "y"))
    assert exc.code == "authorization_revoked"


def test_effective_status_expires_and_lapses_by_time_alone():
    assert effective_status(Status.ACTIVE, now=T0 + 31 * DAY, valid_until=T0 + 30 * DAY,
                            request_expires_at=None) is Status.EXPIRED
    assert effective_status(Status.PENDING, now=T0 + DAY, valid_until=T0 + 30 * DAY,
                            request_expires_at=T0) is Status.LAPSED
    assert effective_status(Status.ACTIVE, now=T0, valid_until=T0 + DAY,
                            request_expires_at=None) is Status.ACTIVE
    assert effective_status(Status.REVOKED, now=T0 + 99 * DAY, valid_until=T0,
                            request_expires_at=T0) is Status.REVOKED
    # a pause never stops the clock
    assert effective_status(Status.PAUSED, now=T0 + 31 * DAY, valid_until=T0 + 30 * DAY,
                            request_expires_at=None) is Status.EXPIRED
    assert effective_status(Status.PAUSED, now=T0, valid_until=T0 + DAY,
                            request_expires_at=None) is Status.PAUSED


@given(max_uses=st.integers(1, 20), calls=st.lists(
    st.tuples(st.sampled_from(["loan_approval", "account_opening"]),
              st.sampled_from(["credit_report", "judicial_records"]),
              st.integers(0, 40)), max_size=60))
def test_no_sequence_grants_more_than_max_uses(max_uses, calls):
    uses, status = 0, "active"
    for purpose, item, day in calls:
        v = view(max_uses=max_uses, uses=uses, status=status)
        try:
            check_use(v, UseRequest(purpose, item), T0 + day * DAY)
        except UseRefused:
            continue
        uses += 1
        if uses >= max_uses:
            status = "exhausted"
    assert uses <= max_uses
