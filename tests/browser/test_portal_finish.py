"""The last portal screens of issue 15, in a real browser on a phone: the detail page
shows the letter's trusted time (the TSA's genTime, in the deployment's zone, beside the
server's signing time), and the passkey sign-in ``/me/passkey`` is a portal page in one
language, its script's messages included."""

from __future__ import annotations

import base64
import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect

from tests.browser.conftest import add_authenticator
from tests.browser.test_portal_screens import _screen, _sign_in, _signed

pytestmark = pytest.mark.browser

ZONE = ZoneInfo("Asia/Shanghai")  # the browser server's ANXIN_TIME_ZONE (the default)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_detail_shows_the_tsa_time_beside_the_server_time(server, page, lang):
    seq = 341 if lang == "en" else 342
    auth = _signed(server, seq)
    stamped = dt.datetime.fromisoformat(server.api.get(
        f"/v1/authorizations/{auth['id']}").json()["timestamp"]).astimezone(ZONE)
    _sign_in(page, server, seq, lang)
    page.goto(server.base_url + f"/me/authorizations/{auth['id']}")
    expect(page.locator("#signed-at")).to_be_visible()
    trusted = page.locator("#tsa-time .trusted-time")
    expect(trusted).to_be_visible()
    clock = stamped.strftime("%H:%M:%S")
    if lang == "zh-CN":
        expect(trusted).to_have_text(
            f"{stamped.year}年{stamped.month}月{stamped.day}日 {clock}"
            "（Asia/Shanghai, UTC+08:00）")
        expect(page.locator("dt", has_text="可信时间戳")).to_be_visible()
    else:
        expect(trusted).to_have_text(stamped.strftime("%d %b %Y ") + clock
                                     + " (Asia/Shanghai, UTC+08:00)")
        expect(page.locator("dt", has_text="Trusted time-stamp")).to_be_visible()
    _screen(page, lang, f"portal-detail-tsa-time-{lang}")


def _unknown_passkey(cdp, authenticator: str) -> None:
    """A discoverable credential for localhost that the server never registered."""
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator, "credential": {
        "credentialId": base64.b64encode(os.urandom(32)).decode(), "isResidentCredential": True,
        "rpId": "localhost", "privateKey": base64.b64encode(key).decode(),
        "userHandle": base64.b64encode(os.urandom(16)).decode(), "signCount": 0}})


@pytest.mark.parametrize(("lang", "failed"), [
    ("zh-CN", "未能用通行密钥登录"), ("en", "The passkey did not sign you in")])
def test_passkey_signin_is_a_portal_page_in_one_language(server, context, page, lang,
                                                         failed):
    page.goto(server.base_url + f"/me/passkey?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("body.portal header.bar")).to_be_visible()  # the portal's style
    expect(page.locator("#go")).to_be_visible()
    _screen(page, lang, f"portal-passkey-signin-{lang}")
    # The choice sticks: the page opened again without ?lang= keeps the language.
    page.goto(server.base_url + "/me/passkey")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    # A passkey the server does not know: the refusal in the page's language, never the
    # server's English detail.
    cdp, authenticator = add_authenticator(context, page)
    _unknown_passkey(cdp, authenticator)
    page.locator("#go").click()
    notice = page.locator("#notice .err")
    expect(notice).to_contain_text(failed)
    _screen(page, lang)
    assert page.url.endswith("/me/passkey")
    # Back to the SMS sign-in, in the same language.
    page.click("#use-sms")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#mobile")).to_be_visible()
