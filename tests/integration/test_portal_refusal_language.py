"""The portal's refusal pages speak the person's chosen language (issue 15): the language
the portal's switch chose (its cookie) words every error page of ``/me``, whether the
route answers it (a download that does not exist) or an exception handler or a
middleware does (a control character in the query)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.common.factories import Api, mobile, sign
from tests.common.portal_fixtures import client, portal_sign_in

__all__ = ["client"]

HTML = {"Accept": "text/html", "Accept-Language": ""}
WORDS = {"en": ("Page not found", "页面不存在"), "zh-CN": ("页面不存在", "Page not found")}
REFUSED = {"en": ("could not be completed", "无法完成请求"),
           "zh-CN": ("无法完成请求", "could not be completed")}


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_missing_download_is_said_in_the_chosen_language(
        client: TestClient, api: Api, outbox, lang: str) -> None:
    api.template()
    auth = api.request(seq=61)
    sign(client, outbox, auth)
    portal_sign_in(client, outbox, mobile(61))
    assert client.get(f"/me?lang={lang}").status_code == 200  # the switch: the cookie
    # Another language in Accept-Language must not win over the person's choice.
    other = "zh-CN,zh;q=0.9" if lang == "en" else "en-GB,en;q=0.9"
    r = client.get("/me/authorizations/no-such-one/letter.pdf",
                   headers={**HTML, "Accept-Language": other})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    said, not_said = WORDS[lang]
    assert f'<html lang="{lang}">' in r.text
    assert said in r.text
    assert not_said not in r.text
    assert 'data-code="authorization_not_found"' in r.text


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_refusal_before_the_route_follows_the_chosen_language(
        client: TestClient, lang: str) -> None:
    assert client.get(f"/me?lang={lang}").status_code == 200
    other = "zh-CN" if lang == "en" else "en"
    r = client.get("/me?next=%01", headers={**HTML, "Accept-Language": other})
    assert r.status_code == 422
    said, not_said = REFUSED[lang]
    assert f'<html lang="{lang}">' in r.text
    assert said in r.text
    assert not_said not in r.text


def test_the_json_refusal_is_unchanged(client: TestClient, api: Api, outbox) -> None:
    api.template()
    auth = api.request(seq=62)
    sign(client, outbox, auth)
    portal_sign_in(client, outbox, mobile(62))
    client.get("/me?lang=en")
    r = client.get("/me/authorizations/no-such-one/letter.pdf",
                   headers={"Accept": "application/json"})
    assert r.status_code == 404
    assert r.json()["code"] == "authorization_not_found"
