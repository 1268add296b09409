"""The signing page in a real Chromium against a real ``anxin serve`` (CONTRACT §3)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from anxin.identity.passkey_evidence import verify_assertion_evidence
from tests.browser.conftest import AXE, Server, add_authenticator, shoot
from tests.common.factories import mobile

pytestmark = pytest.mark.browser


def open_and_get_code(page: Page, server: Server, auth: dict, seq: int) -> str:
    page.goto(auth["signing_url"])
    page.locator("#read").check()
    page.locator("#send-code").click()
    expect(page.locator("#form-msg")).to_have_attribute("class", "form-msg ok")
    return server.last_code(seq)


def stored_signing(server: Server, auth_id: str) -> dict:
    (raw,) = server.sql("SELECT signing FROM authorizations WHERE id = ?", auth_id)[0]
    return dict(json.loads(raw))


def test_whole_signing_path_with_a_new_passkey(server, context, page):
    server.template("credit")
    auth = server.request("credit", seq=11)
    assert auth["signing_url"].startswith("http://localhost:")
    page.goto(auth["signing_url"])
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#t-institution")).to_have_text("Example Bank")
    expect(page.locator("#letter")).to_contain_text("Zhang San")
    shoot(page, "01-letter")
    page.locator("#read").check()
    page.locator("#send-code").click()
    expect(page.locator("#form-msg")).to_contain_text("Code sent")
    expect(page.locator("#countdown")).to_contain_text("New code in")
    expect(page.locator("#code-timer")).to_contain_text("Code valid for 4:")
    expect(page.locator("#send-code")).to_be_disabled()
    page.locator("#otp").fill(server.last_code(11))
    cdp, authenticator = add_authenticator(context, page)
    page.locator("#use-passkey").check()
    shoot(page, "02-code-and-passkey")
    page.locator("#sign").click()
    page.wait_for_url("**msg=signed**")
    expect(page.locator("#state")).to_have_attribute("data-state", "active")
    shoot(page, "03-signed")

    creds = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(creds["credentials"]) == 1
    assert server.status(auth["id"]) == "active"
    signing = stored_signing(server, auth["id"])
    assert signing["method"] == "sms+passkey"
    evidence = signing["passkey"]
    assert evidence["origin"] == server.base_url
    verify_assertion_evidence(evidence, auth["id"], auth["letter_sha256"])
    # The link now shows the signed state and offers no way to sign again.
    page.goto(auth["signing_url"])
    expect(page.locator("#state")).to_have_attribute("data-state", "active")
    expect(page.locator("#sign")).to_have_count(0)
    # The same passkey signs the person into their portal, with nothing typed.
    page.goto(server.base_url + "/me")
    page.locator("#passkey-signin").click()
    page.wait_for_url("**/me/passkey")
    page.locator("#go").click()
    page.wait_for_url(server.base_url + "/me")
    expect(page.locator("body")).to_contain_text("Example Bank")
    shoot(page, "04-portal-after-passkey-sign-in")


def test_returning_subject_signs_with_the_registered_passkey(server, context, page):
    server.template("credit")
    first, second = server.request("credit", seq=12), server.request("credit", seq=12)
    cdp, authenticator = add_authenticator(context, page)
    for auth in (first, second):
        code = open_and_get_code(page, server, auth, 12)
        page.locator("#otp").fill(code)
        page.locator("#use-passkey").check()
        page.locator("#sign").click()
        page.wait_for_url("**msg=signed**")
        assert server.status(auth["id"]) == "active"
    creds = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(creds["credentials"]) == 1  # registered once, used twice
    assert creds["credentials"][0]["signCount"] >= 2


def test_required_passkey_and_no_authenticator_is_refused(server, browser, page):
    server.template("strict", require_passkey=True)
    auth = server.request("strict", seq=13)
    code = open_and_get_code(page, server, auth, 13)
    expect(page.locator("#passkey-note")).to_contain_text("cannot be signed without")
    page.locator("#otp").fill(code)
    page.locator("#sign").click()  # no authenticator: the browser waits...
    expect(page.locator("#form-msg")).to_contain_text("passkey")
    expect(page.locator("#sign")).to_have_text("Cancel the passkey")
    expect(page.locator("#sign")).to_be_enabled()
    # ...and the person gives up. Chromium's own prompt (invisible when headless) holds the
    # mouse and keyboard while it is open, so the page's cancel is dispatched as a DOM click.
    page.locator("#sign").dispatch_event("click")
    expect(page.locator("#form-msg")).to_contain_text("was not confirmed")
    expect(page.locator("#form-msg")).to_contain_text("cannot be signed without")
    expect(page.locator("#sign")).to_have_text("Sign")
    shoot(page, "04-passkey-required-refused")
    # Without JavaScript the form posts SMS-only, and the server refuses it.
    nojs = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        p2 = nojs.new_page()
        p2.goto(auth["signing_url"])
        p2.locator("#read").check()
        p2.locator("#otp").fill(code)
        p2.locator("#sign").click()
        expect(p2.locator("#notice")).to_contain_text("must be confirmed with a passkey")
        assert "err=passkey_required" in p2.url
    finally:
        nojs.close()
    assert server.status(auth["id"]) == "pending"


def test_a_refused_fingerprint_does_not_sign(server, context, page):
    server.template("strict", require_passkey=True)
    auth = server.request("strict", seq=14)
    code = open_and_get_code(page, server, auth, 14)
    add_authenticator(context, page, user_verified=False)
    page.locator("#otp").fill(code)
    page.locator("#sign").click()
    expect(page.locator("#form-msg")).to_contain_text("was not confirmed")
    assert server.status(auth["id"]) == "pending"


def test_decline(server, page):
    server.template("credit")
    auth = server.request("credit", seq=15)
    page.goto(auth["signing_url"])
    page.once("dialog", lambda d: d.accept())
    page.locator("#decline").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "declined")
    expect(page.locator("#state")).to_have_text("You declined this authorization.")
    shoot(page, "05-declined")
    assert server.status(auth["id"]) == "declined"


def test_lapsed_link(server, page):
    server.template("credit")
    auth = server.request("credit", seq=16)
    server.sql("UPDATE authorizations SET request_expires_at = '2000-01-01 00:00:00.000000' "
               "WHERE id = ?", auth["id"])
    page.goto(auth["signing_url"])
    expect(page.locator("#state")).to_have_attribute("data-state", "lapsed")
    expect(page.locator("#state")).to_contain_text("expired and can no longer be signed")
    expect(page.locator("#send-code")).to_have_count(0)
    shoot(page, "06-lapsed")
    assert server.status(auth["id"]) == "lapsed"


def test_wrong_code_three_times_then_the_right_one(server, page):
    from anxin.services.demo import DEMO_BODY_ZH
    server.template("zh", locale="zh-CN", body=DEMO_BODY_ZH, title="个人信用信息查询授权书")
    auth = server.request("zh", seq=17)
    good = open_and_get_code(page, server, auth, 17)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    bad = f"{(int(good) + 1) % 10**6:06d}"
    for left in (4, 3, 2):
        page.locator("#otp").fill(bad)
        page.locator("#sign").click()
        expect(page.locator("#form-msg")).to_contain_text(f"还可尝试 {left} 次")
    shoot(page, "07-wrong-code")
    page.locator("#otp").fill(good)
    page.locator("#sign").click()
    page.wait_for_url("**msg=signed**")
    expect(page.locator("#state")).to_have_text("已签署，授权已生效。")
    assert server.status(auth["id"]) == "active"


def test_five_wrong_codes_lock_the_request(server, page):
    server.template("credit")
    auth = server.request("credit", seq=18)
    good = open_and_get_code(page, server, auth, 18)
    bad = f"{(int(good) + 1) % 10**6:06d}"
    for _ in range(5):
        page.locator("#otp").fill(bad)
        page.locator("#sign").click()
        page.wait_for_timeout(150)
        if "err=otp_locked" in page.url:
            break
    page.wait_for_url("**err=otp_locked**")
    expect(page.locator("#state")).to_have_attribute("data-state", "locked")
    shoot(page, "08-locked")


def test_sms_only_path_works_without_javascript(server, browser):
    server.template("credit")
    auth = server.request("credit", seq=19)
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        page = ctx.new_page()
        page.goto(auth["signing_url"])
        page.locator("#read").check()
        page.locator("#send-code").click()
        expect(page.locator("#notice")).to_contain_text("Code sent")
        page.locator("#read").check()
        page.locator("#otp").fill(server.last_code(19))
        page.locator("#sign").click()
        expect(page.locator("#state")).to_have_attribute("data-state", "active")
    finally:
        ctx.close()
    assert server.status(auth["id"]) == "active"
    assert stored_signing(server, auth["id"])["method"] == "sms"


def test_language_switch(server, page):
    server.template("credit")
    auth = server.request("credit", seq=20)
    page.goto(auth["signing_url"])
    page.locator("a.switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#terms-h")).to_have_text("授权要点")
    expect(page.locator("#letter")).to_have_attribute("lang", "en")  # the letter as signed
    shoot(page, "09-switched-to-chinese")


AXE_RUN = """async () => {
  const r = await axe.run(document, {runOnly: {type: "tag",
                                     values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
  return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                 help: v.help}));
}"""


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_accessibility_and_no_layout_shift(server, page, locale):
    assert AXE.is_file(), "run scripts/browser-deps.sh (npm ci in tests/browser/node)"
    server.template("credit")
    auth = server.request("credit", seq=21)
    page.add_init_script("""window.__cls = 0; new PerformanceObserver(l => { for (const e of
        l.getEntries()) if (!e.hadRecentInput) window.__cls += e.value; })
        .observe({type: "layout-shift", buffered: true});""")
    page.goto(auth["signing_url"] + f"?lang={locale}")
    for size in ({"width": 390, "height": 844}, {"width": 1280, "height": 800}):
        page.set_viewport_size(size)
        # Evaluated through the DevTools protocol: the page's Content-Security-Policy
        # (rightly) refuses an injected inline <script> (issue 12 item 1).
        page.evaluate(AXE.read_text(encoding="utf-8"))
        violations = page.evaluate(AXE_RUN)
        bad = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert bad == [], bad
    page.set_viewport_size({"width": 320, "height": 640})  # the narrowest phones
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 390, "height": 844})
    # Asking for a code shows a message and count-downs in reserved space: nothing moves.
    where = "document.getElementById('sign').getBoundingClientRect().top + window.scrollY"
    before = page.evaluate(where)
    page.locator("#read").check()
    page.locator("#send-code").click()
    expect(page.locator("#code-timer")).to_contain_text(":")
    assert page.evaluate(where) == before
    assert page.evaluate("window.__cls") < 0.01
    # Keyboard: the letter, the check box, both buttons and the code field are reachable.
    page.goto(auth["signing_url"])
    reached = set()
    for _ in range(14):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id"))
    assert {"letter", "read", "otp", "sign", "decline"} <= reached
    assert mobile(21)[-4:] in page.locator("#mobile-line").inner_text()
