"""Templates: versioned, immutable, sandboxed."""

import pytest

from tests.common.factories import sign


def test_versioning_keeps_the_signed_version(api, client, outbox):
    v1 = api.template()
    auth = api.request()
    same = api.template()
    assert (same["version"], same["id"]) == (1, v1["id"])
    v2 = api.template(title="Credit check, revised")
    assert v2["version"] == 2
    sign(client, outbox, auth)
    got = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert got["template"] == {"code": "credit", "version": 1}
    listed = api.get("/v1/templates/credit").json()
    assert (listed["version"], listed["versions"]) == (2, [1, 2])
    assert api.get("/v1/templates/credit", params={"version": 1}).json()["title"] == "Credit check"
    assert [t["code"] for t in api.get("/v1/templates").json()["items"]] == ["credit"]


@pytest.mark.parametrize("body", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ self.__init__.__globals__ }}",
    "{{ unknown_placeholder }}",
    "{% include '/etc/passwd' %}",
])
def test_template_cannot_reach_python_or_files(api, body):
    r = api.post("/v1/templates", {"code": "evil", "title": "x", "purpose": "loan_approval",
                                   "data_scope": ["credit_report"], "body": body,
                                   "locale": "en", "validity_days": 10})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "body"
    assert api.get("/v1/templates/evil").status_code == 404


@pytest.mark.parametrize(("patch", "field"), [
    ({"purpose": "marketing"}, "purpose"),
    ({"data_scope": ["dna"]}, "data_scope[0]"),
    ({"locale": "fr"}, "locale"),
    ({"validity_days": 0}, "validity_days"),
    ({"validity_days": 91}, "validity_days"),  # the default loan_approval ceiling
])
def test_template_validation(api, patch, field):
    body = {"code": "t", "title": "x", "purpose": "loan_approval",
            "data_scope": ["credit_report"], "body": "{{ subject_name }}", "locale": "en",
            "validity_days": 10} | patch
    r = api.post("/v1/templates", body)
    assert (r.status_code, r.json()["field"]) == (422, field)


@pytest.mark.parametrize(("text", "rule"), [
    ("I, {{ subject_name }}, irrevocably authorize {{ institution }}.", "irrevocable"),
    ("{{ subject_name }} 不可撤销地授权 {{ institution }}。", "irrevocable"),
    ("{{ institution }} may query my data an unlimited number of times.", "unlimited_uses"),
])
def test_template_lint_refuses_wording_that_contradicts_the_terms(api, text, rule):
    r = api.post("/v1/templates", {"code": "lint", "title": "x", "purpose": "loan_approval",
                                   "data_scope": ["credit_report"], "body": text,
                                   "locale": "en", "validity_days": 10, "max_uses": 2})
    assert r.status_code == 422, r.text
    assert (r.json()["code"], r.json()["rule"], r.json()["field"]) == (
        "letter_contradicts_terms", rule, "body")
    assert api.get("/v1/templates/lint").status_code == 404
