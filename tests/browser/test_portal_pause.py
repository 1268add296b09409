"""A person on a phone (390x844, Chromium) pauses an authorization at /me, sees the
institution's use refused in words, and resumes it; the page fits a 320 px screen in both
states, says no machine code and passes axe."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.portal_live_server import LiveServer, chromium, portal_server
from tests.browser.screen_checks import (
    assert_axe_clean,
    assert_fits_at_every_width,
    assert_no_raw_codes,
)
from tests.browser.test_portal_revoke import _signed_authorization
from tests.common.factories import last_code, mobile

__all__ = ["chromium", "portal_server"]
pytestmark = pytest.mark.browser

USE = {"purpose": "loan_approval", "reference": "Q", "operator": "op",
       "data_item": "credit_report"}


def test_pause_and_resume_on_a_phone(portal_server: LiveServer, chromium: Any) -> None:
    srv = portal_server
    auth_id, h = _signed_authorization(srv, "Pause Bank", 151)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                   is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(srv.base + "/me")
    page.fill("#mobile", mobile(151))
    page.click("#send-code")
    page.wait_for_selector("#code")
    page.fill("#code", last_code(srv.settings.outbox_path, to="+86" + mobile(151)))
    page.click("#signin")
    page.wait_for_selector("#authorizations")
    page.click(f'li[data-id="{auth_id}"] h2 a')
    page.wait_for_selector("#pause")
    page.click("#pause")
    page.wait_for_selector("#message")
    assert page.get_attribute("#terms", "data-status") == "paused"
    assert page.inner_text("#status") == "已暂停"
    with httpx.Client(base_url=srv.base, headers=h) as c:
        refused = c.post(f"/v1/authorizations/{auth_id}/uses", json=USE)
    assert refused.status_code == 409
    assert refused.json()["code"] == "authorization_paused"
    page.reload()
    page.wait_for_selector("#resume")
    assert "授权已暂停" in page.inner_text("#uses")  # the refused use, in words
    assert_fits_at_every_width(page)
    assert_no_raw_codes(page)
    assert_axe_clean(page)
    page.click("#resume")
    page.wait_for_selector("#message")
    assert page.get_attribute("#terms", "data-status") == "active"
    assert page.is_visible("#pause")
    with httpx.Client(base_url=srv.base, headers=h) as c:
        assert c.post(f"/v1/authorizations/{auth_id}/uses", json=USE).status_code == 201
    context.close()
