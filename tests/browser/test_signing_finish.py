"""The signing page finished (issue 15), in Chromium against a real ``anxin serve``:
the pending page, the signed and declined end states, a new phone's passkey, and the
error pages, each through the shared screen checks at 320, 390 and 1280 px in zh-CN and
en."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from anxin.services.demo import DEMO_BODY_ZH
from anxin.web.error_pages import ERROR_STRINGS
from anxin.web.pages.i18n import STRINGS
from tests.browser.conftest import Server, add_authenticator, shoot
from tests.browser.screen_checks import (
    assert_axe_clean,
    assert_fits_at_every_width,
    assert_language,
    assert_no_raw_codes,
)
from tests.common.factories import resident_id

pytestmark = pytest.mark.browser

EN_CHROME = [STRINGS["en"][k] for k in (
    "key_terms", "letter", "send_code", "decline", "masked_note", "to_portal", "active",
    "declined", "letter_hint", "letter_hint_signed")] + [
    ERROR_STRINGS["en"][k] for k in ("not_found_title", "signing_link_invalid_title",
                                     "to_portal")]


def screen_ok(page: Page, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_fits_at_every_width(page)
    assert_no_raw_codes(page, skip="#letter-sha256")
    assert_language(page, lang, other_language=EN_CHROME)
    assert_axe_clean(page)


def stored_signing(server: Server, auth_id: str) -> dict:
    (raw,) = server.sql("SELECT signing FROM authorizations WHERE id = ?", auth_id)[0]
    return dict(json.loads(raw))


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_pending_page_masks_follows_the_language_and_asks_for_reading_first(server, page,
                                                                            lang):
    server.template("credit")
    auth = server.request("credit", seq=31)
    page.goto(auth["signing_url"] + f"?lang={lang}")
    screen_ok(page, lang)
    full = resident_id(31)
    expect(page.locator("#letter")).not_to_contain_text(full)
    expect(page.locator("#letter")).to_contain_text(full[:6] + "********" + full[-4:])
    purpose = page.locator("#t-purpose").inner_text()
    assert (purpose == "loan approval") if lang == "en" else ("loan" not in purpose)
    # No code before "I have read".
    expect(page.locator("#send-code")).to_be_disabled()
    page.locator("#read").check()
    expect(page.locator("#send-code")).to_be_enabled()
    page.locator("#read").uncheck()
    expect(page.locator("#send-code")).to_be_disabled()
    # No empty box above the sign button: the message space is under it.
    gap = page.evaluate("""() => {
      const b = document.getElementById('sign'), prev = b.previousElementSibling;
      return b.getBoundingClientRect().top - prev.getBoundingClientRect().bottom; }""")
    assert gap <= 24, gap
    shoot(page, f"10-pending-{lang}")


def test_signed_one_banner_download_and_a_link_to_me(server, page):
    server.template("credit")
    auth = server.request("credit", seq=32)
    page.goto(auth["signing_url"])
    page.locator("#read").check()
    page.locator("#send-code").click()
    expect(page.locator("#form-msg")).to_have_attribute("class", "form-msg ok")
    page.locator("#otp").fill(server.last_code(32))
    page.locator("#sign").click()
    page.wait_for_url("**msg=signed**")
    expect(page.locator(".notice:visible")).to_have_count(1)
    expect(page.locator("#state")).to_have_text(STRINGS["en"]["active"])
    expect(page.locator("#letter-hint")).to_have_text(STRINGS["en"]["letter_hint_signed"])
    expect(page.locator("#to-portal")).to_have_attribute("href", "/me")
    with page.expect_download() as got:
        page.locator("#download").click()
    path = got.value.path()
    assert path is not None
    with open(path, "rb") as f:
        assert f.read(5) == b"%PDF-"
    screen_ok(page, "en")
    shoot(page, "11-signed-en")
    page.goto(auth["signing_url"] + "?lang=zh-CN")
    expect(page.locator("#state")).to_have_text("已签署，授权已生效。")
    expect(page.locator("#download")).to_be_visible()
    screen_ok(page, "zh-CN")
    shoot(page, "11-signed-zh")


def test_the_download_is_for_the_signing_browser_only(server, browser, page):
    server.template("credit")
    auth = server.request("credit", seq=33)
    page.goto(auth["signing_url"])
    page.locator("#read").check()
    page.locator("#send-code").click()
    expect(page.locator("#form-msg")).to_have_attribute("class", "form-msg ok")
    page.locator("#otp").fill(server.last_code(33))
    page.locator("#sign").click()
    page.wait_for_url("**msg=signed**")
    other = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        p2 = other.new_page()
        p2.goto(auth["signing_url"])
        expect(p2.locator("#state")).to_have_attribute("data-state", "active")
        expect(p2.locator("#download")).to_have_count(0)
        expect(p2.locator("#download-note")).to_have_text(STRINGS["en"]["download_later"])
        r = p2.goto(auth["signing_url"] + "/letter.pdf")
        assert r is not None
        assert r.status == 401
        expect(p2.locator("main")).to_have_attribute("data-kind", "expired")
        screen_ok(p2, "en")
    finally:
        other.close()


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_declined_one_banner(server, page, lang):
    server.template("credit")
    auth = server.request("credit", seq=34 if lang == "en" else 35)
    page.goto(auth["signing_url"] + f"?lang={lang}")
    page.once("dialog", lambda d: d.accept())
    page.locator("#decline").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "declined")
    expect(page.locator(".notice:visible")).to_have_count(1)
    expect(page.locator("#to-portal")).to_be_visible()
    screen_ok(page, lang)
    shoot(page, f"12-declined-{lang}")


def test_a_new_phone_enrols_its_passkey_after_the_sms_code(server, browser, context, page):
    server.template("strict", require_passkey=True)
    first = server.request("strict", seq=36)
    add_authenticator(context, page)
    page.goto(first["signing_url"])
    page.locator("#read").check()
    page.locator("#send-code").click()
    expect(page.locator("#form-msg")).to_have_attribute("class", "form-msg ok")
    page.locator("#otp").fill(server.last_code(36))
    page.locator("#sign").click()
    page.wait_for_url("**msg=signed**")
    assert stored_signing(server, first["id"])["passkey_enrolment"] == "first_passkey"
    # The same number on a new phone: its passkey is elsewhere.
    second = server.request("strict", seq=36)
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        p2 = phone.new_page()
        p2.set_default_timeout(20_000)
        add_authenticator(phone, p2)
        p2.goto(second["signing_url"])
        p2.locator("#read").check()
        p2.locator("#send-code").click()
        expect(p2.locator("#form-msg")).to_have_attribute("class", "form-msg ok")
        p2.locator("#otp").fill(server.last_code(36))
        p2.locator("#sign").click()
        if p2.locator("#sign").inner_text() == STRINGS["en"]["passkey_cancel"]:
            p2.locator("#sign").dispatch_event("click")  # the person gives up the prompt
        expect(p2.locator("#enrol-offer")).to_be_visible()
        expect(p2.locator("#form-msg")).to_contain_text("No passkey for this number")
        expect(p2.locator("#form-msg")).not_to_contain_text("not available")
        shoot(p2, "13-new-phone-offer")
        p2.locator("#enrol-device").click()
        p2.wait_for_url("**msg=signed**")
        expect(p2.locator("#state")).to_have_attribute("data-state", "active")
    finally:
        phone.close()
    assert stored_signing(server, second["id"])["passkey_enrolment"] == "new_device"


@pytest.mark.parametrize(("lang", "path", "title"), [
    ("en", "/no-such-page", "Page not found"),
    ("zh-CN", "/no-such-page", "页面不存在"),
    ("en", "/s/not-a-real-token", "This signing link is not valid"),
    ("zh-CN", "/s/not-a-real-token", "签署链接无效"),
])
def test_error_pages_are_styled_and_localised(server, page, lang, path, title):
    r = page.goto(server.base_url + path + f"?lang={lang}")
    assert r is not None
    assert r.status == 404
    expect(page.locator("h1")).to_have_text(title)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"
    screen_ok(page, lang)
    shoot(page, f"14-error-{'link' if path.startswith('/s/') else 'path'}-{lang}")


def test_a_chinese_letter_on_the_english_page_keeps_its_language_and_says_so(server, page):
    server.template("zh", locale="zh-CN", body=DEMO_BODY_ZH, title="个人征信查询授权书")
    auth = server.request("zh", seq=37)
    page.goto(auth["signing_url"] + "?lang=en")
    expect(page.locator("#t-purpose")).to_have_text("loan approval")
    expect(page.locator("#t-scope")).to_have_text("credit report, credit score")
    expect(page.locator("#letter")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#letter-hint")).to_contain_text(
        "shown in the language it is signed in (Chinese)")
    expect(page.locator("#letter")).to_contain_text("随时通过安心授权撤销")
    screen_ok(page, "en")
    shoot(page, "15-chinese-letter-english-page")
