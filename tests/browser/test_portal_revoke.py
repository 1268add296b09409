"""A person, in a real browser: signs in to /me with an SMS code, sees authorizations
from two institutions, revokes one; the institution's next use is refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from anxin.services.institutions import add_institution
from tests.browser.portal_live_server import LiveServer, chromium, portal_server
from tests.common.factories import EN_BODY, last_code, mobile, resident_id

__all__ = ["chromium", "portal_server"]
pytestmark = pytest.mark.browser


def _signed_authorization(srv: LiveServer, name: str, seq: int) -> tuple[str, dict[str, str]]:
    inst = add_institution(srv.ctx, name)
    h = {"Authorization": f"Bearer {inst.api_key}"}
    with httpx.Client(base_url=srv.base, headers=h) as c:
        assert c.post("/v1/templates", json={
            "code": "credit", "title": "Credit check", "purpose": "loan_approval",
            "data_scope": ["credit_report"], "body": EN_BODY, "locale": "en",
            "validity_days": 30, "max_uses": 3}).status_code == 201
        auth = c.post("/v1/authorizations", json={
            "template": "credit", "reference": f"REF-{name}",
            "subject": {"name": "Wang Wu", "id_type": "resident_id",
                        "id_number": resident_id(seq), "mobile": mobile(seq)}}).json()
        token = auth["signing_url"].rsplit("/", 1)[1]
        assert c.post(f"/s/{token}/otp").status_code == 204
        signed = c.post(f"/s/{token}/sign", json={
            "otp": last_code(srv.settings.outbox_path), "read_confirmed": True})
        assert signed.status_code == 200, signed.text
    return auth["id"], h


def test_sign_in_list_and_revoke_in_chromium(portal_server: LiveServer, chromium: Any) -> None:
    srv = portal_server
    first, _ = _signed_authorization(srv, "Bank One", 150)
    second, second_h = _signed_authorization(srv, "Lender Two", 150)
    page = chromium.new_page(locale="en-US")
    page.goto(srv.base + "/me?lang=en")
    page.fill("#mobile", mobile(150))
    page.click("#send-code")
    page.wait_for_selector("#code")
    page.fill("#code", last_code(srv.settings.outbox_path, to="+86" + mobile(150)))
    page.click("#signin")
    page.wait_for_selector("#authorizations")
    ids = page.eval_on_selector_all("li.authorization", "els => els.map(e => e.dataset.id)")
    assert ids == [second, first]  # newest first, both institutions
    assert "Bank One" in page.content()
    page.click(f'li[data-id="{second}"] h2 a')
    page.wait_for_selector("#revoke-link")
    page.click("#revoke-link")
    page.click("#revoke-confirm")
    page.wait_for_selector("#message")
    assert page.get_attribute("#terms", "data-status") == "revoked"
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["anxin_me"]["httpOnly"] is True
    assert cookies["anxin_me"]["sameSite"] == "Strict"
    with httpx.Client(base_url=srv.base, headers=second_h) as c:
        r = c.post(f"/v1/authorizations/{second}/uses", json={
            "purpose": "loan_approval", "reference": "Q", "operator": "op",
            "data_item": "credit_report"})
    assert r.status_code == 409
    assert r.json()["code"] == "authorization_revoked"
    page.goto(srv.base + "/me")
    statuses = page.eval_on_selector_all("li.authorization",
                                         "els => els.map(e => e.dataset.status)")
    assert statuses == ["revoked", "active"]
    page.close()
