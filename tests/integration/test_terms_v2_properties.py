"""Property test of the gate with terms v2 (hypothesis), on SQLite and PostgreSQL: over
random terms and random sequences of gate calls and clock moves, the real gate (the
API-key path; on PostgreSQL its one-statement grant) grants exactly what an independent
model of the rules grants -- and so never beyond the total count, the frequency's
calendar period in Asia/Shanghai, the data range counted back from each call, or the
validity -- and a refusal never changes the count.

One signed authorization is reset before each example (as in test_gate_conformance):
signing is the slow part and is not what is tested here."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from anxin.domain.terms import DataRange, Frequency, TermsV2
from anxin.errors import AnxinError
from anxin.services import uses as gate
from anxin.services.use_input import UseCall
from anxin.storage.models import Authorization
from tests.common.factories import sign

A = Authorization
TICKS = [1, 59, 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 31 * 86400]


def _months_back(day: dt.date, months: int) -> dt.date:
    """Independent of anxin.domain.periods: step back a month at a time, then clamp."""
    y, m = day.year, day.month
    for _ in range(months):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    for d in range(day.day, 0, -1):
        try:
            return dt.date(y, m, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _period(moment: dt.datetime, per: str, zone: dt.tzinfo) -> tuple[int, ...]:
    local = moment.astimezone(zone)
    if per == "day":
        return (local.year, local.month, local.day)
    if per == "week":
        iso = local.isocalendar()
        return (iso.year, iso.week)
    return (local.year, local.month)


terms_st = st.fixed_dictionaries({
    "max_uses": st.integers(1, 8), "freq_n": st.integers(1, 3),
    "per": st.sampled_from(["day", "week", "month"]), "lookback": st.integers(1, 24),
    "validity_days": st.integers(1, 60), "start_offset_h": st.integers(0, 24 * 400)})
# Mostly calls whose dates the range allows (so that the counts are what is tested),
# some reaching back beyond it or ahead of today, and clock moves small and large.
op_st = st.one_of(
    st.tuples(st.just("use"), st.integers(0, 40), st.integers(-1, 40)),
    st.tuples(st.just("use"), st.integers(0, 40), st.integers(-1, 40)),
    st.tuples(st.just("use"), st.integers(0, 800), st.integers(-1, 400)),
    st.tuples(st.just("tick"), st.sampled_from(TICKS), st.just(0)))


@pytest.fixture
def signed(api: Any, client: Any, outbox: Any) -> str:
    api.template(code="prop", purpose="post_loan_management", data_scope=["credit_report"],
                 max_uses=10, frequency={"max_uses": 3, "per": "day"},
                 data_range={"lookback_months": 24})
    auth = api.request(template="prop", seq=1900)
    sign(client, outbox, auth)
    return str(auth["id"])


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(t=terms_st, ops=st.lists(op_st, min_size=1, max_size=20))
def test_the_gate_grants_exactly_what_the_rules_allow(ctx, clock, api, signed, t, ops):
    zone = ctx.settings.zone
    clock.frozen = True
    clock.now = (dt.datetime.now(dt.UTC).replace(microsecond=0)
                 + dt.timedelta(hours=t["start_offset_h"]))
    start = clock.now
    valid_until = start + dt.timedelta(days=t["validity_days"])
    terms = TermsV2(Frequency(t["freq_n"], t["per"]), DataRange(lookback_months=t["lookback"]))
    with ctx.db.core_transaction() as conn:
        conn.execute(update(A).where(A.id == signed).values(
            status="active", uses=0, max_uses=t["max_uses"], valid_from=start,
            valid_until=valid_until, terms=terms.stored(), freq_max=t["freq_n"],
            freq_per=t["per"], freq_period=None, freq_uses=0))
    ctx.caches.signed_authorizations.clear()
    granted_at: list[dt.datetime] = []
    for kind, a, b in ops:
        if kind == "tick":
            clock.now += dt.timedelta(seconds=a)
            continue
        now = clock.now
        today = now.astimezone(zone).date()
        data_from = today - dt.timedelta(days=a)
        data_to = min(data_from + dt.timedelta(days=b), today) if b >= 0 else (
            today + dt.timedelta(days=1))
        call = UseCall("post_loan_management", "credit_report", "Q-prop", "hypothesis",
                       data_from=data_from, data_to=data_to)
        same_period = [g for g in granted_at
                       if _period(g, t["per"], zone) == _period(now, t["per"], zone)]
        model_grants = (start <= now < valid_until and len(granted_at) < t["max_uses"]
                        and len(same_period) < t["freq_n"]
                        and _months_back(today, t["lookback"]) <= data_from
                        and data_to <= today)
        try:
            gate.consume_use_with_key(ctx, api.api_key, signed, call)
            outcome = True
        except AnxinError:
            outcome = False
        assert outcome == model_grants, (kind, now, data_from, data_to, granted_at)
        if outcome:
            granted_at.append(now)
        with ctx.db.core_transaction() as conn:
            assert conn.execute(select(A.uses).where(A.id == signed)).scalar() == len(
                granted_at)
    assert len(granted_at) <= t["max_uses"]
