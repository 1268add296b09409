"""The person's journey (docs/signing-page.md, docs/portal.md): open the signing link,
read, get the SMS code, sign; then sign in to ``/me`` with an SMS code, see the
authorization and its uses, download the signed letter and the evidence package, and
revoke it in one step — plain HTTP through the real forms (cookies, CSRF tokens)."""

from __future__ import annotations

import io
import zipfile

import httpx

from tests.common.factories import mobile
from tests.journeys.conftest import Forms, Served, sign_with_the_form


def portal_sign_in(served: Served, browser: httpx.Client, seq: int) -> httpx.Response:
    """``GET /me`` → mobile → SMS code → ``/me`` (the list), as docs/portal.md says."""
    page = browser.get("/me", params={"lang": "en"})
    assert page.status_code == 200, page.text
    action, fields = Forms(page.text).form("code-form")
    assert "csrf" in fields
    coded = browser.post(action, data={**fields, "mobile": mobile(seq)})
    assert coded.status_code == 200, coded.text
    action, fields = Forms(coded.text).form("login-form")
    home = browser.post(action, data={**fields, "code": served.sms_code(mobile(seq))})
    assert home.status_code == 200, home.text
    assert home.url.path == "/me", home.url
    assert "anxin_me" in browser.cookies, "no portal session cookie after sign-in"
    return home


def test_sign_then_see_it_in_the_portal_then_revoke(served: Served,
                                                    browser: httpx.Client) -> None:
    seq = 7001
    auth = served.new_authorization(seq)
    sign_with_the_form(served, browser, auth, seq)
    record = served.api.get(f"/v1/authorizations/{auth['id']}").json()
    assert record["status"] == "active", record
    use = served.api.post(f"/v1/authorizations/{auth['id']}/uses", json={
        "purpose": "loan_approval", "data_item": "credit_report", "reference": "Q-7001",
        "operator": "officer-1"})
    assert use.status_code == 201, use.text

    home = portal_sign_in(served, browser, seq)
    links = Forms(home.text).links
    detail_href = f"/me/authorizations/{auth['id']}"
    assert detail_href in links.values(), "the portal does not list the signed authorization"

    detail = browser.get(detail_href)
    assert detail.status_code == 200
    assert record["letter_sha256"] in detail.text, "the letter's SHA-256 is not shown"
    assert "Q-7001" in detail.text, "the use of the gate is not shown"
    page_links = Forms(detail.text).links
    assert "letter-pdf" in page_links, "no signed-letter download on the portal page"
    letter = browser.get(page_links["letter-pdf"])
    assert letter.status_code == 200
    assert letter.content.startswith(b"%PDF")

    confirm = browser.get(page_links["revoke-link"])
    assert confirm.status_code == 200
    action, fields = Forms(confirm.text).form("revoke-form")
    done = browser.post(action, data=fields)
    assert done.status_code == 200
    assert "msg=revoked_ok" in str(done.url), done.url

    assert served.api.get(f"/v1/authorizations/{auth['id']}").json()["status"] == "revoked"
    refused = served.api.post(f"/v1/authorizations/{auth['id']}/uses", json={
        "purpose": "loan_approval", "data_item": "credit_report", "reference": "Q-7002",
        "operator": "officer-1"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "authorization_revoked"


def test_a_revoke_form_without_its_csrf_token_changes_nothing(served: Served,
                                                              browser: httpx.Client) -> None:
    seq = 7003
    auth = served.new_authorization(seq)
    sign_with_the_form(served, browser, auth, seq)
    portal_sign_in(served, browser, seq)
    refused = browser.post(f"/me/authorizations/{auth['id']}/revoke", data={"csrf": "x"})
    assert refused.status_code == 403
    assert served.api.get(f"/v1/authorizations/{auth['id']}").json()["status"] == "active"


def test_the_portal_offers_the_evidence_package(served: Served, browser: httpx.Client) -> None:
    """docs/portal.md: the authorization's page downloads the evidence package
    (``evidence.zip``); the person can have it verified offline (``anxin verify``)."""
    seq = 7002
    auth = served.new_authorization(seq)
    sign_with_the_form(served, browser, auth, seq)
    portal_sign_in(served, browser, seq)
    detail = browser.get(f"/me/authorizations/{auth['id']}")
    assert detail.status_code == 200
    links = Forms(detail.text).links
    assert "evidence-zip" in links, \
        "the portal's authorization page offers no evidence package (docs/portal.md)"
    package = browser.get(links["evidence-zip"])
    assert package.status_code == 200, package.text
    assert package.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(package.content)) as z:
        assert "letter.pdf" in z.namelist()
        assert "manifest.json" in z.namelist()
    held = served.workdir / f"portal-{seq}-evidence.zip"
    held.write_bytes(package.content)
    root = served.workdir / "portal-root.crt"
    root.write_bytes(httpx.get(served.base_url + "/pki/root.crt").content)
    out = served.anxin("verify", str(held), "--trust", str(root))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "TOTAL_PASSED" in out.stdout


def test_the_person_declines_and_the_link_is_spent(served: Served,
                                                  browser: httpx.Client) -> None:
    """docs/signing-page.md: declining is one form post; the request is then declined,
    the link signs nothing, and the institution's gate refuses it."""
    seq = 7004
    auth = served.new_authorization(seq)
    page = browser.get(auth["signing_url"], params={"lang": "en"})
    action, fields = Forms(page.text).form("decline-form")
    done = browser.post(action, data=fields)
    assert done.status_code == 200
    assert "msg=declined" in str(done.url), done.url
    assert served.api.get(f"/v1/authorizations/{auth['id']}").json()["status"] == "declined"
    token = auth["signing_url"].rsplit("/", 1)[1]
    late = browser.post(f"/s/{token}/sign", json={"otp": "123456", "read_confirmed": True})
    assert late.status_code == 409
    assert late.json()["code"] == "authorization_not_pending"
    gate = served.api.post(f"/v1/authorizations/{auth['id']}/uses", json={
        "purpose": "loan_approval", "data_item": "credit_report", "reference": "Q-7004",
        "operator": "officer-1"})
    assert gate.status_code == 409
    assert gate.json()["code"] == "authorization_not_active"
