"""The consent receipt from /me (issue 17): the signed-in owner downloads the same receipt
the signing page gave, linked from the detail page in zh-CN and en; another person's
authorization, or an unsigned one, answers 404; without a session, the sign-in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from anxin.services.context import Context
from tests.common.factories import Api, mobile, sign, token_of
from tests.common.portal_fixtures import client, portal_sign_in

__all__ = ["client"]


def test_the_owner_downloads_the_receipt_from_me(client: TestClient, api: Api, outbox,
                                                 ctx: Context) -> None:
    api.template()
    mine = api.request(seq=41)
    sign(client, outbox, mine)
    from_link = client.get(f"/s/{token_of(mine)}/receipt.json").content
    portal_sign_in(client, outbox, mobile(41))
    r = client.get(f"/me/authorizations/{mine['id']}/receipt.json")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["cache-control"] == "no-store"
    assert r.content == from_link
    assert r.json()["receipt"]["authorization"]["id"] == mine["id"]
    zh = client.get(f"/me/authorizations/{mine['id']}", params={"lang": "zh-CN"}).text
    link = re.search(r'<a id="receipt-json" href="([^"]+)"[^>]*>([^<]+)</a>', zh)
    assert link, zh
    assert link.group(1) == f"/me/authorizations/{mine['id']}/receipt.json"
    assert link.group(2) == "同意回执 (JSON，平台签名)"
    en = client.get(f"/me/authorizations/{mine['id']}", params={"lang": "en"}).text
    assert re.search(r'<a id="receipt-json" [^>]*>Consent receipt \(JSON, signed by the '
                     r'platform\)</a>', en), en


def test_others_and_unsigned_answer_404_and_no_session_signs_in(client: TestClient,
                                                                 api: Api, outbox) -> None:
    api.template()
    theirs = api.request(seq=42)
    sign(client, outbox, theirs)
    unsigned_mine = api.request(seq=43)
    r = client.get(f"/me/authorizations/{theirs['id']}/receipt.json", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/me?next=")
    portal_sign_in(client, outbox, mobile(43))
    for auth in (theirs, unsigned_mine):
        r = client.get(f"/me/authorizations/{auth['id']}/receipt.json",
                       headers={"Accept": "application/json"})
        assert r.status_code == 404, r.text
    assert "receipt.json" not in client.get(f"/me/authorizations/{unsigned_mine['id']}").text
