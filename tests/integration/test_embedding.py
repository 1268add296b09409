"""Embedding (issue 16): ``PATCH /v1/institution`` (frame_ancestors, return_url_prefixes),
the signing page's CSP ``frame-ancestors`` per institution in real responses (``'none'``
for everyone else), ``return_url`` allow-listed and the page's return after signing or
declining, by JSON and by the no-JavaScript forms."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from anxin.services.context import Context
from tests.common.factories import Api, form_token_of, last_code, sign, token_of
from tests.common.ledger_view import ledger_count

APP = "https://app.bank.example"


def _csp(r) -> dict[str, str]:  # type: ignore[no-untyped-def]
    policy = r.headers["content-security-policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in
            (x.strip() for x in policy.split(";")) if " " in d}


def _embed(api: Api, **body: object) -> dict:  # type: ignore[type-arg]
    r = api.client.patch("/v1/institution", json=body, headers=api.h)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_get_and_patch_the_institution_settings(api: Api, ctx: Context) -> None:
    got = api.get("/v1/institution").json()
    assert (got["id"], got["name"]) == (api.institution_id, "Example Bank")
    assert (got["frame_ancestors"], got["return_url_prefixes"]) == ([], [])
    before = ledger_count(ctx)
    out = _embed(api, frame_ancestors=["https://App.Bank.example:443", "https://m.bank.example:8443"],
                 return_url_prefixes=["https://app.bank.example"])
    assert out["frame_ancestors"] == [APP, "https://m.bank.example:8443"]
    assert out["return_url_prefixes"] == [APP + "/"]  # never a bare host: no .evil suffix
    assert ledger_count(ctx) == before + 1              # institution:embedding:updated
    # A member left out keeps its list; [] clears it.
    assert _embed(api, return_url_prefixes=[])["frame_ancestors"] == out["frame_ancestors"]
    assert api.get("/v1/institution").json()["return_url_prefixes"] == []


@pytest.mark.parametrize(("body", "field"), [
    ({"frame_ancestors": ["http://app.bank.example"]}, "frame_ancestors[0]"),
    ({"frame_ancestors": [APP, "https://app.bank.example/path"]}, "frame_ancestors[1]"),
    ({"frame_ancestors": ["https://*.bank.example"]}, "frame_ancestors[0]"),
    ({"frame_ancestors": ["'self'"]}, "frame_ancestors[0]"),
    ({"frame_ancestors": ["https://user:pw@app.bank.example"]}, "frame_ancestors[0]"),
    ({"frame_ancestors": ["javascript:alert(1)"]}, "frame_ancestors[0]"),
    ({"frame_ancestors": [f"https://h{i}.example" for i in range(11)]}, "frame_ancestors"),
    ({"frame_ancestors": "https://app.bank.example"}, "frame_ancestors"),
    ({"return_url_prefixes": ["ftp://app.bank.example/"]}, "return_url_prefixes[0]"),
    ({"return_url_prefixes": ["https://app.bank.example/done?x=1"]}, "return_url_prefixes[0]"),
    ({"return_url_prefixes": ["/relative/"]}, "return_url_prefixes[0]"),
    ({"surprise": []}, "surprise"),
])
def test_patch_validation_is_422_naming_the_field_and_changes_nothing(
        api: Api, ctx: Context, body: dict, field: str) -> None:  # type: ignore[type-arg]
    _embed(api, frame_ancestors=[APP])
    before = (api.get("/v1/institution").json(), ledger_count(ctx))
    r = api.client.patch("/v1/institution", json=body, headers=api.h)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field, r.json()
    assert (api.get("/v1/institution").json(), ledger_count(ctx)) == before


def test_patch_needs_the_api_key(client: TestClient) -> None:
    r = client.patch("/v1/institution", json={"frame_ancestors": [APP]})
    assert (r.status_code, r.json()["code"]) == (401, "missing_api_key")


def test_the_signing_page_may_be_framed_only_by_its_institutions_origins(
        api: Api, other_api: Api, client: TestClient) -> None:
    _embed(api, frame_ancestors=[APP, "https://m.bank.example"])
    api.template()
    other_api.template()
    mine = client.get(f"/s/{token_of(api.request(seq=401))}")
    theirs = client.get(f"/s/{token_of(other_api.request(seq=402))}")
    assert mine.status_code == theirs.status_code == 200
    assert _csp(mine)["frame-ancestors"] == f"{APP} https://m.bank.example"
    assert "x-frame-options" not in mine.headers
    assert _csp(theirs)["frame-ancestors"] == "'none'"
    assert theirs.headers["x-frame-options"] == "DENY"
    # Everything else keeps 'none': the portal, the console, the API, an unknown link.
    for path in ("/me", "/console/login", "/s/not-a-token", "/healthz"):
        r = client.get(path, headers={"Accept": "text/html"})
        assert _csp(r)["frame-ancestors"] == "'none'", path
    # The rest of the policy is unchanged by embedding: no inline scripts anywhere.
    assert _csp(mine)["script-src"] == "'self'"


def test_embedding_does_not_open_the_cross_site_guard(api: Api, client: TestClient,
                                                      outbox) -> None:  # type: ignore[no-untyped-def]
    """The framed page posts to its own origin (Origin = Anxin, Sec-Fetch-Site:
    same-origin); the embedding site itself still cannot post for the person."""
    _embed(api, frame_ancestors=[APP])
    api.template()
    auth = api.request(seq=403)
    tok = token_of(auth)
    r = client.post(f"/s/{tok}/decline", headers={"Origin": APP})
    assert (r.status_code, r.json()["code"]) == (403, "cross_site_request")
    r = client.post(f"/s/{tok}/otp", headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    assert api.get(f"/v1/authorizations/{auth['id']}").json()["status"] == "pending"


@pytest.mark.parametrize(("url", "code"), [
    ("https://elsewhere.example/done", "return_url_not_allowed"),
    ("https://app.bank.example.evil.example/anxin/done", "return_url_not_allowed"),
    ("https://app.bank.example/other/done", "return_url_not_allowed"),
    ("http://app.bank.example/anxin/done", "validation_failed"),
    ("javascript:alert(1)", "validation_failed"),
    ("https://x@app.bank.example/anxin/done", "validation_failed"),
])
def test_a_return_url_outside_the_prefixes_is_422_and_stores_nothing(
        api: Api, ctx: Context, url: str, code: str) -> None:
    _embed(api, return_url_prefixes=[APP + "/anxin/"])
    api.template()
    before = ledger_count(ctx)
    r = api.post("/v1/authorizations", {
        "template": "credit", "reference": "R-RET", "return_url": url,
        "subject": {"name": "Li Si", "id_type": "resident_id",
                    "id_number": "11010519491231002X", "mobile": "13800138000"}})
    assert r.status_code == 422, r.text
    assert (r.json()["field"], r.json()["code"]) == ("return_url", code)
    assert ledger_count(ctx) == before


def test_without_prefixes_no_return_url_is_accepted(api: Api) -> None:
    api.template()
    r = api.post("/v1/authorizations", {
        "template": "credit", "reference": "R-RET2", "return_url": APP + "/x",
        "subject": {"name": "Li Si", "id_type": "resident_id",
                    "id_number": "11010519491231002X", "mobile": "13800138000"}})
    assert (r.status_code, r.json()["code"]) == (422, "return_url_not_allowed")


def _outcome(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parse_qs(parts.query)


def test_after_signing_the_page_returns_with_the_outcome(api: Api, client: TestClient,
                                                         outbox) -> None:  # type: ignore[no-untyped-def]
    _embed(api, return_url_prefixes=[APP + "/anxin/"])
    api.template()
    auth = api.request(seq=404, return_url=APP + "/anxin/done?loan=42")
    assert api.get(f"/v1/authorizations/{auth['id']}").json()["return_url"] == \
        APP + "/anxin/done?loan=42"
    page = client.get(f"/s/{token_of(auth)}")
    # The no-JavaScript forms may end in the redirect there (CSP form-action).
    assert _csp(page)["form-action"] == f"'self' {APP}"
    out = sign(client, outbox, auth)  # the script's JSON path
    where, query = _outcome(out["return_to"])
    assert where == APP + "/anxin/done"
    assert query == {"loan": ["42"], "authorization_id": [auth["id"]], "status": ["signed"]}
    # Opened again later, the page offers the way back with the outcome.
    again = client.get(f"/s/{token_of(auth)}")
    link = re.search(r'id="return" href="([^"]+)"', again.text)
    assert link
    assert _outcome(link.group(1).replace("&amp;", "&"))[1]["status"] == ["signed"]


def test_the_forms_redirect_to_the_return_url_after_declining_and_signing(
        api: Api, client: TestClient, outbox) -> None:  # type: ignore[no-untyped-def]
    _embed(api, return_url_prefixes=[APP + "/anxin/"])
    api.template()
    declined = api.request(seq=405, return_url=APP + "/anxin/back")
    tok = token_of(declined)
    r = client.post(f"/s/{tok}/decline", data={"ft": form_token_of(client, tok)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert _outcome(r.headers["location"]) == (APP + "/anxin/back", {
        "authorization_id": [declined["id"]], "status": ["declined"]})
    r = client.post(f"/s/{tok}/decline", headers={"Accept": "application/json"})
    assert r.status_code == 409  # declined once, the page cannot act again

    signed = api.request(seq=406, return_url=APP + "/anxin/back")
    tok = token_of(signed)
    ft = form_token_of(client, tok)
    assert client.post(f"/s/{tok}/otp", data={"ft": ft, "read_confirmed": "on"},
                       follow_redirects=False).status_code == 303
    r = client.post(f"/s/{tok}/sign", data={"ft": ft, "read_confirmed": "on",
                                            "otp": last_code(outbox)}, follow_redirects=False)
    assert r.status_code == 303
    assert _outcome(r.headers["location"])[1]["status"] == ["signed"]
    assert api.get(f"/v1/authorizations/{signed['id']}").json()["status"] == "active"


def test_without_a_return_url_the_page_stays(api: Api, client: TestClient, outbox) -> None:  # type: ignore[no-untyped-def]
    api.template()
    auth = api.request(seq=407)
    out = sign(client, outbox, auth)
    assert out["return_to"] is None
    page = client.get(f"/s/{token_of(auth)}")
    assert 'id="return"' not in page.text
    assert _csp(page)["form-action"] == "'self'"
