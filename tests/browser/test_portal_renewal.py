"""A person on a phone (390x844, Chromium) sees a renewal at /me: the renewal's detail
page shows the chain (the original and the renewal, each with its status and end date),
the link opens the original, and both pages fit a 320 px screen with no machine code."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.portal_live_server import LiveServer, chromium, portal_server
from tests.browser.screen_checks import assert_fits_at_every_width, assert_no_raw_codes
from tests.browser.test_portal_revoke import _signed_authorization
from tests.common.factories import last_code, mobile, resident_id

__all__ = ["chromium", "portal_server"]
pytestmark = pytest.mark.browser


def test_the_renewal_chain_on_a_phone(portal_server: LiveServer, chromium: Any) -> None:
    srv = portal_server
    original, h = _signed_authorization(srv, "Renewal Bank", 152)
    with httpx.Client(base_url=srv.base, headers=h) as c:
        renewal = c.post("/v1/authorizations", json={
            "template": "credit", "reference": "REF-Renewal Bank-2", "renews": original,
            "subject": {"name": "Wang Wu", "id_type": "resident_id",
                        "id_number": resident_id(152), "mobile": mobile(152)}})
        assert renewal.status_code == 201, renewal.text
        token = renewal.json()["signing_url"].rsplit("/", 1)[1]
        assert c.post(f"/s/{token}/otp").status_code == 204
        signed = c.post(f"/s/{token}/sign", json={
            "otp": last_code(srv.settings.outbox_path), "read_confirmed": True})
        assert signed.status_code == 200, signed.text
    renewal_id = renewal.json()["id"]
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                   is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(srv.base + f"/me/authorizations/{renewal_id}")
    page.fill("#mobile", mobile(152))
    page.click("#send-code")
    page.wait_for_selector("#code")
    page.fill("#code", last_code(srv.settings.outbox_path, to="+86" + mobile(152)))
    page.click("#signin")
    page.wait_for_selector("#renewals")
    ids = page.eval_on_selector_all("#renewals li", "els => els.map(e => e.dataset.id)")
    assert ids == [original, renewal_id]  # oldest first
    assert page.get_attribute(f'#renewals li[data-id="{renewal_id}"]', "aria-current") == "true"
    assert_fits_at_every_width(page)
    assert_no_raw_codes(page)
    page.click(f'#renewals li[data-id="{original}"] a')
    page.wait_for_selector("#renewals")
    assert page.url.endswith(f"/me/authorizations/{original}")
    assert page.get_attribute("#terms", "data-status") == "active"  # still in force
    assert_fits_at_every_width(page)
    context.close()
