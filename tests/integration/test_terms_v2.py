"""Terms v2 through the API (SQLite and PostgreSQL): templates and requests carry
frequency, data range and data life (a request narrows, 422 naming the field when it
widens), the signed letter shows them (pdftotext), and the gate enforces them: 409
``frequency_exceeded`` with ``retry_after`` to the next Shanghai midnight, 422 for a
missing ``data_from``, 403 ``data_range_mismatch``, each refusal recorded and changing
no count, the receipt naming the terms checked."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from anxin.domain.periods import next_period_start
from tests.common.factories import sign
from tests.common.letters import pdftotext

SH = ZoneInfo("Asia/Shanghai")
ZH_BODY = ("本人{{ subject_name }}（{{ subject_id_type }} {{ subject_id_number }}）授权"
           "{{ institution }}为{{ purpose }}查询本人的{{ scope }}，自{{ valid_from }}至"
           "{{ valid_until }}，最多 {{ max_uses }} 次，频率：{{ frequency }}。"
           "业务编号 {{ reference }}。")
PL = {"purpose": "post_loan_management", "data_scope": ["credit_report"]}
TERMS = {"frequency": {"max_uses": 2, "per": "day"},
         "data_range": {"lookback_months": 24}, "data_life_days": 30}


def _payload(jws: str) -> dict[str, Any]:
    part = jws.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def _signed(api: Any, client: Any, outbox: Any, seq: int, **over: Any) -> str:
    auth = api.request(seq=seq, **over)
    sign(client, outbox, auth)
    return str(auth["id"])


def _use(api: Any, auth_id: str, **over: Any) -> Any:
    return api.use(auth_id, purpose="post_loan_management", **over)


def _dates(now: dt.datetime, back_days: int = 30) -> dict[str, str]:
    today = now.astimezone(SH).date()
    return {"data_from": str(today - dt.timedelta(days=back_days)), "data_to": str(today)}


def test_templates_and_requests_carry_the_terms(api):
    tpl = api.template(code="v2-tpl", max_uses=12, **PL, **TERMS)
    assert {k: tpl[k] for k in TERMS} == TERMS
    auth = api.request(template="v2-tpl", seq=1701,
                       frequency={"max_uses": 1, "per": "week"}, data_life_days=7)
    got = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert got["frequency"] == {"max_uses": 1, "per": "week"}
    assert got["data_range"] == {"lookback_months": 24}
    assert got["data_life_days"] == 7
    plain = api.template(code="plain-tpl")
    assert (plain["frequency"], plain["data_range"], plain["data_life_days"]) == (
        None, None, None)


@pytest.mark.parametrize(("over", "field", "code"), [
    ({"frequency": {"max_uses": 3, "per": "day"}}, "frequency", "terms_exceed_template"),
    ({"frequency": {"max_uses": 1, "per": "hour"}}, "frequency.per", "validation_failed"),
    ({"data_range": {"lookback_months": 36}}, "data_range", "terms_exceed_template"),
    ({"data_range": {"from": "2020-01-01", "to": "2020-12-31"}}, "data_range",
     "terms_exceed_template"),
    ({"data_life_days": 31}, "data_life_days", "terms_exceed_template"),
])
def test_a_request_that_widens_is_refused_naming_the_field(api, over, field, code):
    api.template(code="v2-tpl", max_uses=12, **PL, **TERMS)
    before = api.get("/v1/authorizations").json()["total"]
    r = api.post("/v1/authorizations", {
        "template": "v2-tpl", "reference": "W-1",
        "subject": {"name": "Zhang San", "id_type": "passport", "id_number": "E12345678",
                    "mobile": "13900001111"}, **over})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (r.json()["code"], r.json()["field"]) == (code, field)
    assert api.get("/v1/authorizations").json()["total"] == before


def test_a_template_whose_words_contradict_its_frequency_is_refused(api):
    r = api.post("/v1/templates", {
        "code": "v2-bad", "title": "Post-loan", "purpose": "post_loan_management",
        "data_scope": ["credit_report"], "locale": "zh-CN", "max_uses": 12,
        "body": ZH_BODY + "机构可随时查询。", "frequency": {"max_uses": 1, "per": "month"}})
    assert r.status_code == 422, r.text
    assert (r.json()["code"], r.json()["rule"]) == ("letter_contradicts_terms",
                                                    "unlimited_frequency")


def test_the_signed_letter_shows_the_terms(api, client, outbox, tmp_path):
    api.template(code="v2-zh", title="贷后管理授权书", purpose="post_loan_management",
                 locale="zh-CN", body=ZH_BODY, max_uses=12,
                 frequency={"max_uses": 1, "per": "month"},
                 data_range={"lookback_months": 24}, data_life_days=90)
    auth_id = _signed(api, client, outbox, 1702, template="v2-zh")
    text = pdftotext(api.get(f"/v1/authorizations/{auth_id}/letter.pdf").content, tmp_path)
    flat = "".join(text.split())
    for words in ("使用频率", "每自然月最多1次", "数据时间范围", "查询日前24个月内的数据",
                  "数据保存期限", "每次使用后90日内删除", "频率：每自然月最多1次", "使用条件："):
        assert words in flat, words


def test_frequency_refuses_until_the_next_shanghai_day(api, client, outbox, clock):
    api.template(code="v2-tpl", max_uses=12, **PL, **TERMS)
    auth_id = _signed(api, client, outbox, 1703, template="v2-tpl")
    clock.frozen = True
    # One minute before midnight in Shanghai (16:00 UTC).
    clock.now = next_period_start(clock.now, "day", SH) - dt.timedelta(minutes=1)
    body = _dates(clock.now)
    first = _use(api, auth_id, **body)
    assert first.status_code == 201, first.text
    assert _use(api, auth_id, **body).status_code == 201
    third = _use(api, auth_id, **body)
    assert third.status_code == 409, third.text
    assert third.json()["code"] == "frequency_exceeded"
    assert third.json()["retry_after"] == 60
    assert third.headers["Retry-After"] == "60"
    got = api.get(f"/v1/authorizations/{auth_id}").json()
    assert (got["uses"], got["uses_remaining"]) == (2, 10)
    # (The frozen clock gives the three calls one time: compare them unordered.)
    assert sorted(str(u["code"]) for u in got["uses_log"]) == [
        "None", "None", "frequency_exceeded"]
    clock.now += dt.timedelta(minutes=1)  # midnight: a new day
    again = _use(api, auth_id, **_dates(clock.now))
    assert again.status_code == 201, again.text
    receipt = _payload(again.json()["receipt"])
    assert receipt["terms_checked"]["frequency"] == {
        "max_uses": 2, "per": "day", "period": clock.now.astimezone(SH).date().isoformat()}
    assert receipt["terms_checked"]["data_range"] == {"lookback_months": 24}
    assert receipt["data_from"] == _dates(clock.now)["data_from"]
    delete_by = dt.datetime.fromisoformat(again.json()["delete_by"])
    assert delete_by == dt.datetime.fromisoformat(again.json()["granted_at"]) + dt.timedelta(
        days=30)
    assert receipt["delete_by"] == again.json()["delete_by"]


@pytest.mark.parametrize(("dates", "status", "code", "field"), [
    ({}, 422, "validation_failed", "data_from"),
    ({"data_from": "2026-01-01"}, 422, "validation_failed", "data_to"),
    ({"data_from": "2000-01-01", "data_to": "2000-12-31"}, 403, "data_range_mismatch", None),
    ("future", 403, "data_range_mismatch", None),
])
def test_the_data_range_is_required_and_checked(api, client, outbox, clock, dates, status,
                                                code, field):
    api.template(code="v2-tpl", max_uses=12, **PL, **TERMS)
    auth_id = _signed(api, client, outbox, 1704, template="v2-tpl")
    if dates == "future":
        today = clock.now.astimezone(SH).date()
        dates = {"data_from": str(today), "data_to": str(today + dt.timedelta(days=1))}
    r = _use(api, auth_id, **dates)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    assert r.json().get("field") == field
    got = api.get(f"/v1/authorizations/{auth_id}").json()
    assert got["uses"] == 0
    assert [u["code"] for u in got["uses_log"]] == [code]
    ok = _use(api, auth_id, **_dates(clock.now, back_days=730))
    assert ok.status_code == 201, ok.text


def test_a_letter_without_a_range_needs_no_dates(api, client, outbox):
    api.template(code="v2-freq", max_uses=5, **PL, frequency={"max_uses": 5, "per": "month"})
    auth_id = _signed(api, client, outbox, 1705, template="v2-freq")
    r = _use(api, auth_id)
    assert r.status_code == 201, r.text
    assert "delete_by" not in r.json()
    assert "data_range" not in _payload(r.json()["receipt"])["terms_checked"]


def test_a_plain_receipt_is_unchanged(api, client, outbox):
    api.template(code="plain", max_uses=2)
    auth_id = _signed(api, client, outbox, 1706, template="plain")
    r = api.use(auth_id)
    assert r.status_code == 201, r.text
    assert not {"terms_checked", "data_from", "delete_by"} & set(_payload(r.json()["receipt"]))


def test_a_console_edit_keeps_the_terms_it_shows(api, ctx):
    """The editor starts from the current version's terms (template_form) and saves what it
    shows: an edit of the title keeps them; terms the operator blanked are gone."""
    import dataclasses

    from anxin.domain.terms import TermsV2
    from anxin.services.console import save_template_version, template_form
    from anxin.services.templates import TemplateSpec

    api.template(code="v2-console", max_uses=12, **PL, **TERMS)
    shown = template_form(ctx, api.institution_id, "v2-console")
    assert {k: shown[k] for k in TERMS} == TERMS
    spec = TemplateSpec(
        code="v2-console", title="Edited", purpose="post_loan_management",
        data_scope=("credit_report",), body=ZH_BODY, locale="zh-CN", validity_days=30,
        max_uses=12, terms=TermsV2.from_stored({k: shown[k] for k in TERMS}))
    made, saved = save_template_version(ctx, "operator-1", api.institution_id, spec)
    assert made
    assert saved["version"] == 2
    assert {k: saved[k] for k in TERMS} == TERMS
    made, saved = save_template_version(ctx, "operator-1", api.institution_id,
                                        dataclasses.replace(spec, terms=TermsV2()))
    assert made
    assert saved["version"] == 3
    assert {k: saved[k] for k in TERMS} == dict.fromkeys(TERMS)
