"""The consent receipt at the signing page's end state (issue 17), in Chromium against a
real ``anxin serve``: the button next to the letter download saves consent-receipt.json,
which validates against the served schema and whose JWS PyJWT verifies with the served
JWKS; another browser gets the expired page; the end state still fits and is clean at
every width in zh-CN and en."""

from __future__ import annotations

import json

import httpx
import jsonschema
import jwt
import pytest
from playwright.sync_api import expect

from anxin.web.pages.i18n import STRINGS
from tests.browser.test_signing_finish import screen_ok

pytestmark = pytest.mark.browser


def test_the_end_state_offers_the_receipt_next_to_the_letter(server, browser, page):
    server.template("credit")
    auth = server.request("credit", seq=51)
    page.goto(auth["signing_url"])
    page.locator("#read").check()
    page.locator("#send-code").click()
    expect(page.locator("#form-msg")).to_have_attribute("class", "form-msg ok")
    page.locator("#otp").fill(server.last_code(51))
    page.locator("#sign").click()
    page.wait_for_url("**msg=signed**")
    link = page.locator("#download-receipt")
    expect(link).to_have_text(STRINGS["en"]["download_receipt"])
    with page.expect_download() as got:
        link.click()
    assert got.value.suggested_filename == "consent-receipt.json"
    path = got.value.path()
    assert path is not None
    with open(path, "rb") as f:
        doc = json.load(f)
    with httpx.Client(base_url=server.base_url) as http:
        schema = http.get("/schemas/consent-receipt.json").json()
        (jwk,) = http.get("/.well-known/jwks.json").json()["keys"]
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert jwt.decode(doc["jws"], jwt.PyJWK(jwk).key, algorithms=["ES256"]) == doc["receipt"]
    assert doc["receipt"]["authorization"]["id"] == auth["id"]
    screen_ok(page, "en")
    page.goto(auth["signing_url"] + "?lang=zh-CN")
    expect(page.locator("#download-receipt")).to_have_text(
        STRINGS["zh-CN"]["download_receipt"])
    screen_ok(page, "zh-CN")
    other = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        p2 = other.new_page()
        p2.goto(auth["signing_url"])
        expect(p2.locator("#download-receipt")).to_have_count(0)
        r = p2.goto(auth["signing_url"] + "/receipt.json")
        assert r is not None
        assert r.status == 401
        expect(p2.locator("main")).to_have_attribute("data-kind", "expired")
    finally:
        other.close()
