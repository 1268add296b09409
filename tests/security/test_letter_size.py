"""Issue 12 item 6: the rendered letter is bounded. ``{{ 'x' * 10**8 }}`` was accepted
(and computed while compiling); a 1 MB letter took 7 s to sign and held SQLite's gate for
everyone. Templates are rendered with the longest values at creation, requests with their
real values; over ``letter_max_chars`` or ``letter_max_pages`` is a 422
``letter_too_long`` naming the rule, and rendering itself never allocates far beyond the
bound. SQLite and PostgreSQL."""

from __future__ import annotations

import time
import tracemalloc

import pytest
from sqlalchemy import update

from anxin.storage.models import Template

BASE = {"code": "big", "title": "Credit check", "purpose": "loan_approval",
        "data_scope": ["credit_report"], "locale": "en", "validity_days": 30,
        "max_uses": 1}


def _post_template(api, body: str):
    return api.post("/v1/templates", {**BASE, "body": body})


@pytest.mark.parametrize("body", [
    "{{ 'x' * 10**8 }}",
    "{{ ('x' * 10000) * 10000 }}",
    "{{ 'ab' + 'x' * 19999 }}",
])
def test_a_huge_expression_is_refused_fast_and_small(api, body):
    tracemalloc.start()
    t0 = time.perf_counter()
    r = _post_template(api, body)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "letter_too_long"
    assert r.json()["field"] == "body"
    assert elapsed < 5
    assert peak < 64 * 1024 * 1024


def test_longest_placeholder_values_are_counted_at_creation(api):
    r = _post_template(api, "{{ reference }} {{ institution }} " * 60)
    assert r.status_code == 422, r.text
    assert (r.json()["code"], r.json()["rule"]) == ("letter_too_long", "letter_max_chars")


def test_too_many_pages_is_refused_at_creation(api):
    r = _post_template(api, "本人同意授权查询本人的个人信用报告。\n" * 900)  # ~16,000 chars
    assert r.status_code == 422, r.text
    assert (r.json()["code"], r.json()["rule"]) == ("letter_too_long", "letter_max_pages")


def test_repeating_statements_are_refused(api):
    r = _post_template(api, "{% for i in range(100000) %}{% for j in range(100000) %}"
                            "{% endfor %}{% endfor %}")
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "body"


def test_an_ordinary_template_still_passes(api):
    r = _post_template(api, "I, {{ subject_name }}, authorize {{ institution }} to query "
                            "my {{ scope }} for {{ purpose }} ({{ reference|upper }}).")
    assert r.status_code == 201, r.text


def test_an_oversized_letter_is_refused_at_request_time(api, ctx):
    """A template stored before the bound (or by any other path) is checked again on
    every request, with the real values."""
    api.template(code="old")
    with ctx.db.transaction() as s:
        s.execute(update(Template).where(Template.code == "old",
                                         Template.institution_id == api.institution_id)
                  .values(body="words " * 5000))
    r = api.post("/v1/authorizations", {
        "template": "old", "reference": "LOAN-9",
        "subject": {"name": "Zhang San", "id_type": "resident_id",
                    "id_number": "11010519491231002X", "mobile": "13800138000"}})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "letter_too_long"
