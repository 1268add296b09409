"""Issue 12 item 2: a state-changing request from another site is refused and changes
nothing; the signing page's no-JavaScript forms carry a token derived from the signing
token.

Before the fix ``POST /s/<token>/decline`` with ``Origin: https://evil.example`` declined
the request, and a sign with the code went through.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from anxin.config import Settings
from tests.common.factories import Api, form_token_of, last_code, token_of

EVIL = {"Origin": "https://evil.example"}


def _status(api: Api, auth: dict[str, object]) -> str:
    return str(api.get(f"/v1/authorizations/{auth['id']}").json()["status"])


def _refused(r: object, code: str = "cross_site_request") -> None:
    assert r.status_code == 403, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    assert r.json()["code"] == code  # type: ignore[attr-defined]


@pytest.mark.parametrize("headers", [EVIL, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"},
                                     {"Origin": "http://localhost:8000.evil.example"}])
def test_cross_site_decline_is_refused(api: Api, client: TestClient,
                                       headers: dict[str, str]) -> None:
    api.template()
    auth = api.request()
    _refused(client.post(f"/s/{token_of(auth)}/decline", headers=headers))
    assert _status(api, auth) == "pending"


def test_cross_site_sign_with_the_code_is_refused(api: Api, client: TestClient,
                                                  outbox: Path) -> None:
    api.template()
    auth = api.request()
    tok = token_of(auth)
    _refused(client.post(f"/s/{tok}/otp", headers=EVIL))
    assert client.post(f"/s/{tok}/otp").status_code == 204
    r = client.post(f"/s/{tok}/sign", headers=EVIL,
                    json={"otp": last_code(outbox), "read_confirmed": True})
    _refused(r)
    assert _status(api, auth) == "pending"


def test_same_origin_json_posts_still_work(api: Api, client: TestClient, outbox: Path,
                                           settings: Settings) -> None:
    api.template()
    auth = api.request()
    tok = token_of(auth)
    same = {"Origin": settings.effective_base_url, "Sec-Fetch-Site": "same-origin"}
    assert client.post(f"/s/{tok}/otp", headers=same).status_code == 204
    r = client.post(f"/s/{tok}/sign", headers=same,
                    json={"otp": last_code(outbox), "read_confirmed": True})
    assert r.status_code == 200, r.text
    assert _status(api, auth) == "active"


def test_form_post_without_the_form_token_is_refused(api: Api, client: TestClient) -> None:
    api.template()
    auth = api.request()
    tok = token_of(auth)
    # An old browser that sends no Origin: the form token is what stops it.
    _refused(client.post(f"/s/{tok}/decline", data={"x": "1"}, follow_redirects=False),
             "form_token_invalid")
    _refused(client.post(f"/s/{tok}/decline", data={"ft": "0" * 32}, follow_redirects=False),
             "form_token_invalid")
    # A token of another letter does not open this one.
    other = token_of(api.request(seq=2))
    _refused(client.post(f"/s/{tok}/decline", data={"ft": form_token_of(client, other)},
                         follow_redirects=False), "form_token_invalid")
    assert _status(api, auth) == "pending"
    r = client.post(f"/s/{tok}/decline", data={"ft": form_token_of(client, tok)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert _status(api, auth) == "declined"


def test_portal_and_console_posts_from_another_site_are_refused(client: TestClient,
                                                                outbox: Path) -> None:
    before = outbox.read_text(encoding="utf-8") if outbox.exists() else ""
    _refused(client.post("/me/code", data={"mobile": "13900000001"}, headers=EVIL,
                         follow_redirects=False))
    after = outbox.read_text(encoding="utf-8") if outbox.exists() else ""
    assert after == before  # no SMS was sent
    _refused(client.post("/console/login", data={"username": "a", "password": "b"},
                         headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False))


def test_a_browser_gets_an_html_refusal(api: Api, client: TestClient) -> None:
    api.template()
    tok = token_of(api.request())
    r = client.post(f"/s/{tok}/decline", headers={**EVIL, "Accept": "text/html"})
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
