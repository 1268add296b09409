"""Terms v2 in the domain: parsing (422 naming the field), the narrowing rule, the
calendar periods in Asia/Shanghai (day, ISO week, month; month ends, year ends), the
lookback's month arithmetic, the gate's order and the wording lint."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from anxin.domain.gate import GateView, UseRefused, UseRequest, check_use
from anxin.domain.letter_wording import check_wording
from anxin.domain.periods import (
    lookback_window,
    months_before,
    next_period_start,
    period_key,
    seconds_to_next_period,
)
from anxin.domain.terms import DataRange, Frequency, TermsV2, narrow_terms, parse_terms
from anxin.domain.terms_wording import term_rows, terms_paragraph
from anxin.errors import ValidationFailed

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def _sh(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


# --- parsing --------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "field"), [
    ({"frequency": {"max_uses": 0, "per": "day"}}, "frequency.max_uses"),
    ({"frequency": {"max_uses": 1, "per": "year"}}, "frequency.per"),
    ({"frequency": {"per": "day"}}, "frequency.max_uses"),
    ({"frequency": {"max_uses": True, "per": "day"}}, "frequency.max_uses"),
    ({"frequency": {"max_uses": 1, "per": "day", "x": 1}}, "frequency.x"),
    ({"data_range": {"lookback_months": 0}}, "data_range.lookback_months"),
    ({"data_range": {"from": "2026-01-01"}}, "data_range.to"),
    ({"data_range": {"from": "2026-02-30", "to": "2026-03-01"}}, "data_range.from"),
    ({"data_range": {"from": "2026-03-02", "to": "2026-03-01"}}, "data_range.from"),
    ({"data_range": {"lookback_months": 3, "from": "2026-01-01"}}, "data_range"),
    ({"data_life_days": 0}, "data_life_days"),
    ({"data_life_days": "30"}, "data_life_days"),
])
def test_bad_terms_name_the_field(raw, field):
    with pytest.raises(ValidationFailed) as err:
        parse_terms(raw)
    assert err.value.field == field


def test_terms_round_trip_as_one_dict():
    raw = {"frequency": {"max_uses": 2, "per": "week"},
           "data_range": {"from": "2025-01-01", "to": "2025-12-31"}, "data_life_days": 30}
    t = parse_terms(raw)
    assert t.to_dict() == raw
    assert TermsV2.from_stored(t.stored()) == t
    assert TermsV2().stored() is None


# --- narrowing ------------------------------------------------------------------------

T = parse_terms({"frequency": {"max_uses": 2, "per": "day"},
                 "data_range": {"lookback_months": 24}, "data_life_days": 90})


@pytest.mark.parametrize("req", [
    {"frequency": {"max_uses": 1, "per": "day"}},
    {"frequency": {"max_uses": 2, "per": "week"}},   # 2 a week is at most 2 a day
    {"frequency": {"max_uses": 2, "per": "month"}},
    {"data_range": {"lookback_months": 12}},
    {"data_life_days": 30},
])
def test_a_request_may_narrow(req):
    out = narrow_terms(T, parse_terms(req))
    assert out != T
    for key, value in req.items():
        assert out.to_dict()[key] == value


@pytest.mark.parametrize(("req", "field"), [
    ({"frequency": {"max_uses": 3, "per": "day"}}, "frequency"),
    ({"data_range": {"lookback_months": 25}}, "data_range"),
    ({"data_range": {"from": "2025-01-01", "to": "2025-02-01"}}, "data_range"),
    ({"data_life_days": 91}, "data_life_days"),
])
def test_a_request_never_widens(req, field):
    with pytest.raises(ValidationFailed) as err:
        narrow_terms(T, parse_terms(req))
    assert (err.value.code, err.value.field) == ("terms_exceed_template", field)


def test_a_week_is_not_inside_a_month_and_fixed_dates_stay_inside():
    weekly = parse_terms({"frequency": {"max_uses": 1, "per": "week"}})
    with pytest.raises(ValidationFailed):
        narrow_terms(weekly, parse_terms({"frequency": {"max_uses": 1, "per": "month"}}))
    with pytest.raises(ValidationFailed):
        narrow_terms(weekly, parse_terms({"frequency": {"max_uses": 1, "per": "day"}}))
    fixed = parse_terms({"data_range": {"from": "2025-01-01", "to": "2025-12-31"}})
    inside = narrow_terms(fixed, parse_terms(
        {"data_range": {"from": "2025-03-01", "to": "2025-06-30"}}))
    assert inside.data_range == DataRange(start=dt.date(2025, 3, 1), end=dt.date(2025, 6, 30))
    with pytest.raises(ValidationFailed):
        narrow_terms(fixed, parse_terms({"data_range": {"from": "2024-12-31",
                                                        "to": "2025-06-30"}}))
    # No term on the template: the request's term is a narrowing.
    assert narrow_terms(TermsV2(), weekly) == weekly
    assert narrow_terms(T, TermsV2()) == T


# --- calendar periods in Asia/Shanghai ---------------------------------------------------

def test_days_begin_at_midnight_in_shanghai_not_utc():
    before = _sh(2026, 12, 1, 23, 59, 59)
    after = _sh(2026, 12, 2, 0, 0, 0)
    assert period_key(before, "day", SH) == "2026-12-01"
    assert period_key(after, "day", SH) == "2026-12-02"
    # 16:00 UTC is midnight in Shanghai: the same UTC date, another local day.
    assert period_key(after.astimezone(UTC), "day", SH) == "2026-12-02"
    assert period_key(after.astimezone(UTC), "day", UTC) == "2026-12-01"
    assert next_period_start(before, "day", SH) == after
    assert seconds_to_next_period(before, "day", SH) == 1


def test_iso_weeks_start_on_monday_and_cross_the_year():
    sunday = _sh(2026, 12, 6, 23, 0)
    monday = _sh(2026, 12, 7, 0, 0)
    assert monday.weekday() == 0
    assert period_key(sunday, "week", SH) == "2026-W49"
    assert period_key(monday, "week", SH) == "2026-W50"
    assert next_period_start(sunday, "week", SH) == monday
    assert next_period_start(monday, "week", SH) == _sh(2026, 12, 14)
    # 1 January 2027 is a Friday: still ISO week 53 of 2026.
    assert period_key(_sh(2027, 1, 1, 12), "week", SH) == "2026-W53"
    assert period_key(_sh(2027, 1, 4), "week", SH) == "2027-W01"


@pytest.mark.parametrize(("moment", "key", "start"), [
    (_sh(2026, 1, 31, 23, 59), "2026-01", _sh(2026, 2, 1)),
    (_sh(2026, 2, 28, 12), "2026-02", _sh(2026, 3, 1)),
    (_sh(2028, 2, 29, 12), "2028-02", _sh(2028, 3, 1)),
    (_sh(2026, 12, 31, 23, 59, 59), "2026-12", _sh(2027, 1, 1)),
    (_sh(2026, 4, 30, 10), "2026-04", _sh(2026, 5, 1)),
])
def test_month_ends(moment, key, start):
    assert period_key(moment, "month", SH) == key
    assert next_period_start(moment, "month", SH) == start
    assert seconds_to_next_period(moment, "month", SH) == int((start - moment).total_seconds())


@pytest.mark.parametrize(("day", "months", "back"), [
    (dt.date(2026, 3, 31), 1, dt.date(2026, 2, 28)),
    (dt.date(2024, 3, 31), 1, dt.date(2024, 2, 29)),
    (dt.date(2025, 3, 31), 13, dt.date(2024, 2, 29)),
    (dt.date(2026, 1, 15), 1, dt.date(2025, 12, 15)),
    (dt.date(2026, 12, 1), 24, dt.date(2024, 12, 1)),
    (dt.date(2026, 5, 31), 12, dt.date(2025, 5, 31)),
])
def test_lookback_month_arithmetic(day, months, back):
    assert months_before(day, months) == back


def test_lookback_counts_from_the_local_date_of_the_call():
    # 1 Dec 2026 00:30 in Shanghai is still 30 Nov in UTC.
    now = _sh(2026, 12, 1, 0, 30).astimezone(UTC)
    assert lookback_window(now, 1, SH) == (dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    assert lookback_window(now, 1, UTC) == (dt.date(2026, 10, 30), dt.date(2026, 11, 30))


# --- the gate -------------------------------------------------------------------------

NOW = _sh(2026, 12, 1, 10).astimezone(UTC)


def _view(**kw) -> GateView:
    base = {"status": "active", "purpose": "post_loan_management",
            "data_scope": ("credit_report",), "valid_from": NOW - dt.timedelta(days=1),
            "valid_until": NOW + dt.timedelta(days=300), "max_uses": 12, "uses": 0}
    return GateView(**(base | kw))


def _req(**kw) -> UseRequest:
    return UseRequest(**({"purpose": "post_loan_management", "data_item": "credit_report",
                          "data_from": dt.date(2025, 1, 1), "data_to": dt.date(2026, 11, 30)}
                         | kw))


def test_frequency_refuses_in_the_same_period_with_retry_after():
    view = _view(frequency=Frequency(1, "month"), period="2026-12", period_uses=1)
    with pytest.raises(UseRefused) as err:
        check_use(view, _req(), NOW, SH)
    assert err.value.code == "frequency_exceeded"
    assert err.value.extra["retry_after"] == int(
        (_sh(2027, 1, 1) - NOW).total_seconds())
    # Another period's count does not hold the next month back.
    check_use(_view(frequency=Frequency(1, "month"), period="2026-11", period_uses=1),
              _req(), NOW, SH)


def test_data_range_needs_both_dates_and_refuses_outside():
    view = _view(data_range=DataRange(lookback_months=24))
    for missing in ("data_from", "data_to"):
        with pytest.raises(ValidationFailed) as bad:
            check_use(view, _req(**{missing: None}), NOW, SH)
        assert bad.value.field == missing
    check_use(view, _req(data_from=dt.date(2024, 12, 1), data_to=dt.date(2026, 12, 1)),
              NOW, SH)
    for req in (_req(data_from=dt.date(2024, 11, 30)), _req(data_to=dt.date(2026, 12, 2))):
        with pytest.raises(UseRefused) as err:
            check_use(view, req, NOW, SH)
        assert err.value.code == "data_range_mismatch"
    # Without a range on the letter, the dates are not needed.
    check_use(_view(), _req(data_from=None, data_to=None), NOW, SH)


def test_more_fundamental_refusals_come_first():
    view = _view(frequency=Frequency(1, "day"), period=period_key(NOW, "day", SH),
                 period_uses=1, data_range=DataRange(lookback_months=1))
    with pytest.raises(UseRefused) as err:
        check_use(view, _req(purpose="loan_approval"), NOW, SH)
    assert err.value.code == "purpose_mismatch"
    with pytest.raises(UseRefused) as err:
        check_use(view, _req(data_from=dt.date(2020, 1, 1)), NOW, SH)
    assert err.value.code == "data_range_mismatch"
    with pytest.raises(UseRefused) as err:
        check_use(view, _req(data_from=dt.date(2026, 11, 15)), NOW, SH)
    assert err.value.code == "frequency_exceeded"


# --- words ----------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "terms", "rule"), [
    ("本授权不限频次，机构可随时查询。", {"frequency": {"max_uses": 1, "per": "month"}},
     "unlimited_frequency"),
    ("The bank may query my credit report at any time.",
     {"frequency": {"max_uses": 1, "per": "week"}}, "unlimited_frequency"),
    ("授权查询本人全部历史信用记录。", {"data_range": {"lookback_months": 24}},
     "unlimited_data_range"),
    ("The data will be kept permanently.", {"data_life_days": 30}, "kept_forever"),
    ("查询所得数据将永久保存。", {"data_life_days": 30}, "kept_forever"),
])
def test_wording_that_contradicts_a_term_is_refused(body, terms, rule):
    with pytest.raises(ValidationFailed) as err:
        check_wording(body, max_uses=1, terms=parse_terms(terms))
    assert (err.value.code, err.value.extra["rule"]) == ("letter_contradicts_terms", rule)
    check_wording(body, max_uses=1)  # without that term, the same words pass


def test_the_terms_in_words():
    assert [label for label, _ in term_rows(T, "en")] == [
        "Frequency", "Period of data", "Data kept for"]
    zh = terms_paragraph(T, "zh-CN")
    assert "每自然日最多 2 次" in zh
    assert "查询日前 24 个月内的数据" in zh
    assert "90 日内删除" in zh
    assert terms_paragraph(TermsV2(), "en") == ""


def test_the_bound_period_keys_are_the_period_keys():
    from anxin.domain.periods import period_keys
    for moment in (_sh(2026, 12, 31, 23, 59), _sh(2027, 1, 1, 0, 0), _sh(2026, 2, 28, 16)):
        assert period_keys(moment, SH) == {f"p_{p}": period_key(moment, p, SH)
                                           for p in ("day", "week", "month")}
