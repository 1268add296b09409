"""The person's portal ``/me`` on a phone and a desktop (issue 15, "The portal"): every
screen fits at 320/390/1280 px, shows no raw code, speaks one language, is axe-clean; the
sign-in tells the truth at each step; the list and the detail say what a person needs;
the person manages their passkeys (list, name, remove)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, add_authenticator, shoot
from tests.browser.screen_checks import (
    assert_axe_clean,
    assert_fits_at_every_width,
    assert_language,
    assert_no_raw_codes,
)
from tests.common.factories import mobile

pytestmark = pytest.mark.browser

# Sentences of the English chrome that must not appear on a zh-CN page.
ENGLISH_CHROME = ("Sign in", "My authorizations", "Institution", "Status", "Reference",
                  "Downloads", "Uses", "granted", "refused", "Passkeys", "Revoke")


def _signed(server: Server, seq: int, *, template: str = "credit", **over: object) -> dict:
    server.template(template, **over)
    auth = server.request(template, seq)
    token = auth["signing_url"].rsplit("/", 1)[1]
    assert server.api.post(f"/s/{token}/otp").status_code == 204
    r = server.api.post(f"/s/{token}/sign", json={"otp": server.last_code(seq),
                                                 "read_confirmed": True})
    assert r.status_code == 200, r.text
    return auth


def _use(server: Server, auth_id: str, **over: str) -> int:
    body = {"purpose": "loan_approval", "reference": "Q-1", "operator": "op-7",
            "data_item": "credit_report"} | over
    return server.api.post(f"/v1/authorizations/{auth_id}/uses", json=body).status_code


def _sign_in(page: Page, server: Server, seq: int, lang: str = "en") -> None:
    page.goto(server.base_url + f"/me?lang={lang}")
    page.fill("#mobile", mobile(seq))
    page.click("#send-code")
    page.wait_for_selector("#code")
    page.fill("#code", server.last_code(seq))
    page.click("#signin")
    page.wait_for_selector("#authorizations")


def _screen(page: Page, lang: str, name: str | None = None) -> None:
    """The shared checks of every screen."""
    assert_fits_at_every_width(page)
    assert_no_raw_codes(page)
    assert_language(page, lang, other_language=ENGLISH_CHROME if lang == "zh-CN" else ())
    assert_axe_clean(page)
    if name:
        shoot(page, name)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_detail_fits_a_phone_and_translates_every_outcome(server, page, lang):
    seq = 301 if lang == "en" else 302
    auth = _signed(server, seq, max_uses=1)
    assert _use(server, auth["id"]) == 201
    assert _use(server, auth["id"], reference="Q-2") == 409  # exhausted: a refusal
    _sign_in(page, server, seq, lang)
    _screen(page, lang, f"portal-list-{lang}")
    page.click(f'li[data-id="{auth["id"]}"] h2 a')
    page.wait_for_selector("#uses")
    _screen(page, lang, f"portal-detail-{lang}")
    outcomes = page.locator("#uses .outcome").all_inner_texts()
    assert len(outcomes) == 2
    assert "authorization_exhausted" not in " ".join(outcomes)
    # Each use is readable on a 320 px phone: no one-character columns.
    page.set_viewport_size({"width": 320, "height": 800})
    for box in [u.bounding_box() for u in page.locator("#uses .use").all()]:
        assert box is not None and box["width"] >= 250, box
    page.set_viewport_size({"width": 390, "height": 844})
