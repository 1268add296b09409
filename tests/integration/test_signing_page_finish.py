"""The signing page's server side of issue 15: masking, terms in the page language, the
code after "I have read", the end states, the signing browser's short download window,
a new device's passkey, and the HTML error pages of every HTML route."""

from __future__ import annotations

import hashlib
import re

from fastapi.testclient import TestClient

from anxin.web.edge_errors import error_page
from tests.common.factories import form_token_of, last_code, resident_id, sign, token_of
from tests.common.soft_authenticator import SoftAuthenticator
from tests.integration.test_passkeys import ORIGIN, assertion, code_for, register, signing_of

HTML = {"Accept": "text/html,application/xhtml+xml"}


def _letter(page: str) -> str:
    m = re.search(r'<div class="letter" id="letter"[^>]*>(.*?)</div>', page, re.S)
    assert m, page
    return m.group(1)


def test_the_page_masks_the_id_number_and_the_hash_covers_the_full_letter(api, client, ctx):
    api.template()
    auth = api.request(seq=3)
    page = client.get(f"/s/{token_of(auth)}").text
    full = resident_id(3)
    letter = _letter(page)
    assert full not in page
    assert full[:6] + "********" + full[-4:] in letter
    assert "Zhang San" in letter
    assert 'id="masked-note"' in page
    # The hash shown is the full letter's (the one signed), not the masked text's.
    from anxin.storage.models import Authorization
    with ctx.db.transaction() as s:
        a = s.get(Authorization, auth["id"])
        text = ctx.keys.decrypt_text(a.letter_enc, aad=f"{a.id}/letter")
    assert full in text
    assert hashlib.sha256(text.encode()).hexdigest() == auth["letter_sha256"]
    assert auth["letter_sha256"] in page


def test_a_mobile_in_the_letter_is_masked_too(api, client):
    api.template(body="I, {{ subject_name }}, reachable at 13900000007, authorize "
                      "{{ institution }}; at most {{ max_uses }} time(s).")
    page = client.get(f"/s/{token_of(api.request(seq=7))}").text
    assert "13900000007" not in _letter(page)
    assert "139****0007" in _letter(page)


def test_the_terms_values_follow_the_page_language(api, client):
    api.template()  # an English letter
    tok = token_of(api.request())
    en = client.get(f"/s/{tok}").text
    zh = client.get(f"/s/{tok}", params={"lang": "zh-CN"}).text
    assert re.search(r'id="t-purpose">loan approval<', en)
    purpose_zh = re.search(r'id="t-purpose">([^<]*)<', zh).group(1)
    scope_zh = re.search(r'id="t-scope">([^<]*)<', zh).group(1)
    assert re.search(r"[\u4e00-\u9fff]", purpose_zh), purpose_zh
    assert "credit" not in scope_zh
    assert "、" in scope_zh
    # The letter keeps its signed language, and the page says so.
    assert "Zhang San" in _letter(zh)
    assert "授权书以其签署语言（英文）显示" in zh
    assert "授权书以其签署语言" not in client.get(f"/s/{tok}", params={"lang": "en"}).text


def test_no_code_by_form_before_i_have_read(api, client, outbox):
    api.template()
    tok = token_of(api.request())
    ft = form_token_of(client, tok)
    r = client.post(f"/s/{tok}/otp", data={"ft": ft}, follow_redirects=False)
    assert r.status_code == 303
    assert "err=read_not_confirmed" in r.headers["location"]
    assert not outbox.exists() or outbox.read_text() == ""
    r = client.post(f"/s/{tok}/otp", data={"ft": ft, "read_confirmed": "on"},
                    follow_redirects=False)
    assert "msg=code_sent" in r.headers["location"]
    assert last_code(outbox)


def _notices(page: str) -> list[str]:
    return re.findall(r'<div class="notice [^"]*"[^>]*>([^<]*)<', page)


def test_after_signing_one_banner_the_download_and_a_link_to_me(api, client, outbox):
    api.template()
    auth = api.request()
    sign(client, outbox, auth)
    page = client.get(f"/s/{token_of(auth)}?msg=signed").text
    assert _notices(page) == ["Signed: the authorization is in force."]
    assert "you are signing" not in re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert 'href="/me"' in page
    assert f'href="/s/{token_of(auth)}/letter.pdf"' in page
    zh = client.get(f"/s/{token_of(auth)}?msg=signed&lang=zh-CN").text
    assert _notices(zh) == ["已签署，授权已生效。"]
    assert "正在生效" not in zh
    assert "以下为您已签署的授权书全文" in zh
    assert "The whole letter you signed." in page


def test_after_declining_one_banner(api, client):
    api.template()
    tok = token_of(api.request())
    ft = form_token_of(client, tok)
    r = client.post(f"/s/{tok}/decline", data={"ft": ft})
    assert r.status_code == 200
    assert _notices(r.text) == ["You declined this authorization."]
    assert 'href="/me"' in r.text
    assert "letter.pdf" not in r.text


def test_the_signed_pdf_is_for_the_signing_browser_for_a_short_time(api, client, outbox,
                                                                     settings, ctx, clock):
    api.template()
    auth = api.request()
    tok = token_of(auth)
    sign(client, outbox, auth)
    r = client.get(f"/s/{tok}/letter.pdf")
    assert r.status_code == 200
    assert r.content.startswith(b"%PDF-")
    assert r.headers["content-disposition"].startswith("attachment")
    # Anyone else holding the link: refused, and told to go to /me.
    from anxin.web.app import create_app
    with TestClient(create_app(settings, ctx)) as other:
        r = other.get(f"/s/{tok}/letter.pdf", headers={"Accept": "application/json"})
        assert (r.status_code, r.json()["code"]) == (401, "signed_download_expired")
        page = other.get(f"/s/{tok}/letter.pdf", headers=HTML)
        assert page.status_code == 401
        assert 'data-kind="expired"' in page.text
        assert 'href="/me"' in page.text
        assert "letter.pdf" not in other.get(f"/s/{tok}").text
    # The signing browser, after the window: refused too, and the page no longer offers it.
    clock.advance(seconds=11 * 60)
    r = client.get(f"/s/{tok}/letter.pdf", headers={"Accept": "application/json"})
    assert (r.status_code, r.json()["code"]) == (401, "signed_download_expired")
    page = client.get(f"/s/{tok}").text
    assert "letter.pdf" not in page
    assert 'id="download-note"' in page
    assert 'href="/me"' in page


def test_a_download_window_is_bound_to_its_own_link(api, client, outbox, settings, ctx):
    api.template()
    first, second = api.request(seq=1), api.request(seq=2)
    sign(client, outbox, first)
    sign(client, outbox, second)
    (cookie,) = [c.value for c in client.cookies.jar if c.name == "anxin_signed"
                 and c.path == f"/s/{token_of(first)}"]
    from anxin.web.app import create_app
    with TestClient(create_app(settings, ctx)) as other:
        other.cookies.set("anxin_signed", cookie)
        assert other.get(f"/s/{token_of(first)}/letter.pdf").status_code == 200
        r = other.get(f"/s/{token_of(second)}/letter.pdf",
                      headers={"Accept": "application/json"})
        assert (r.status_code, r.json()["code"]) == (401, "signed_download_expired")


def test_a_new_device_enrols_after_the_sms_code_and_the_evidence_says_so(api, client,
                                                                         outbox, ctx):
    api.template(code="pk", require_passkey=True)
    old_phone = SoftAuthenticator(ORIGIN, "localhost")
    first = api.request(template="pk", seq=9)
    tok = token_of(first)
    code = code_for(client, outbox, tok)
    register(client, old_phone, tok, code)
    assert client.post(f"/s/{tok}/sign", json={
        "otp": code, "read_confirmed": True,
        "passkey": assertion(client, old_phone, tok, code)}).status_code == 200
    assert signing_of(ctx, first["id"])["passkey_enrolment"] == "first_passkey"
    # A new phone, the same number: after the SMS code it may enrol and sign.
    new_phone = SoftAuthenticator(ORIGIN, "localhost")
    second = api.request(template="pk", seq=9)
    tok = token_of(second)
    code = code_for(client, outbox, tok)
    opts = client.post(f"/s/{tok}/passkey/assertion/options", json={"otp": code}).json()
    assert opts["registered"] == 1  # the old phone's: this device cannot answer it
    assert register(client, new_phone, tok, code)["registered"] == 2
    assert client.post(f"/s/{tok}/sign", json={
        "otp": code, "read_confirmed": True,
        "passkey": assertion(client, new_phone, tok, code)}).status_code == 200
    assert signing_of(ctx, second["id"])["passkey_enrolment"] == "new_device"
    # The old phone again, on a third request: an existing passkey.
    third = api.request(template="pk", seq=9)
    tok = token_of(third)
    code = code_for(client, outbox, tok)
    assert client.post(f"/s/{tok}/sign", json={
        "otp": code, "read_confirmed": True,
        "passkey": assertion(client, old_phone, tok, code)}).status_code == 200
    assert signing_of(ctx, third["id"])["passkey_enrolment"] == "existing"


def test_unknown_paths_and_links_answer_styled_localised_pages(client):
    for lang, title in (("en", "Page not found"), ("zh-CN,zh;q=0.9", "页面不存在")):
        r = client.get("/no-such-page", headers={**HTML, "Accept-Language": lang})
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")
        assert title in r.text
        assert "/static/anxin.css" in r.text
        assert "/static/sign.css" in r.text
        assert "no such resource" not in r.text
        assert 'data-code="not_found"' in r.text
    r = client.get("/s/not-a-token", headers={**HTML, "Accept-Language": "en"})
    assert r.status_code == 404
    assert "This signing link is not valid" in r.text
    assert '<html lang="en">' in r.text
    r = client.get("/s/not-a-token", params={"lang": "zh-CN"}, headers=HTML)
    assert "签署链接无效" in r.text
    assert '<html lang="zh-CN">' in r.text
    # A script asking for JSON still gets problem+json.
    r = client.get("/s/not-a-token", headers={"Accept": "application/json"})
    assert (r.status_code, r.json()["code"]) == (404, "signing_link_invalid")


def test_a_429_to_a_browser_is_a_page_with_the_wait(api, client):
    api.template()
    tok = token_of(api.request())
    assert client.post(f"/s/{tok}/otp").status_code == 204
    r = client.post(f"/s/{tok}/otp", headers={**HTML, "Accept-Language": "zh-CN"})
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("text/html")
    assert int(r.headers["retry-after"]) > 0
    assert "请求过于频繁" in r.text
    assert re.search(r"请在 \d+ 秒后重试", r.text)
    # The script's fetch (no text/html) keeps its problem+json.
    r = client.post(f"/s/{tok}/otp")
    assert (r.status_code, r.json()["code"]) == (429, "otp_rate_limited")


def test_a_503_page_in_both_languages():
    zh = error_page(503, "database_unavailable", accept_language="zh-CN", retry_after=5)
    en = error_page(503, "database_unavailable", accept_language="en-GB", retry_after=5)
    assert (zh.status_code, en.status_code) == (503, 503)
    assert "服务暂时不可用" in zh.body.decode()
    assert "Service temporarily unavailable" in en.body.decode()
    assert "database" not in en.body.decode().replace('data-code="database_unavailable"', "")


def test_console_error_pages_lead_back_to_the_console(client):
    r = client.get("/console/no-such-page", headers={**HTML, "Accept-Language": "zh-CN"})
    assert r.status_code == 404
    assert 'href="/console"' in r.text
    assert "返回管理控制台" in r.text
