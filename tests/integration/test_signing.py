"""The signing page and its code rules (CONTRACT §3)."""

import json

from tests.common.factories import form_token_of, last_code, mobile, sign, token_of
from tests.common.ledger_view import event_names


def test_page_shows_the_whole_letter_and_terms(api, client):
    api.template()
    auth = api.request()
    page = client.get(f"/s/{token_of(auth)}")
    assert page.status_code == 200
    assert "Example Bank" in page.text
    assert "loan approval" in page.text
    assert "credit report" in page.text
    assert auth["letter_sha256"] in page.text
    assert 'lang="en"' in page.text
    assert page.headers["cache-control"] == "no-store"


def test_unknown_token_is_404(client):
    assert client.get("/s/not-a-token").status_code == 404
    r = client.post("/s/not-a-token/otp")
    assert (r.status_code, r.json()["code"]) == (404, "signing_link_invalid")


def test_code_goes_to_the_subjects_mobile(api, client, outbox):
    api.template()
    auth = api.request(seq=5)
    assert client.post(f"/s/{token_of(auth)}/otp").status_code == 204
    msg = json.loads(outbox.read_text().splitlines()[-1])
    assert msg["to"] == "+86" + mobile(5)
    assert set(msg) == {"to", "text", "at"}


def test_one_code_a_minute_and_five_per_request(api, client, clock):
    api.template()
    tok = token_of(api.request())
    assert client.post(f"/s/{tok}/otp").status_code == 204
    r = client.post(f"/s/{tok}/otp")
    assert (r.status_code, r.json()["code"]) == (429, "otp_rate_limited")
    assert int(r.headers["retry-after"]) > 0
    for _ in range(4):
        clock.advance(seconds=61)
        assert client.post(f"/s/{tok}/otp").status_code == 204
    clock.advance(seconds=61)
    r = client.post(f"/s/{tok}/otp")
    assert (r.status_code, r.json()["code"]) == (429, "otp_send_limit")


def test_code_expires_after_five_minutes(api, client, outbox, clock):
    api.template()
    tok = token_of(api.request())
    client.post(f"/s/{tok}/otp")
    clock.advance(seconds=301)
    r = client.post(f"/s/{tok}/sign", json={"otp": last_code(outbox), "read_confirmed": True})
    assert (r.status_code, r.json()["code"]) == (422, "otp_invalid")


def test_wrong_code_then_right_code(api, client, outbox, ctx):
    api.template()
    auth = api.request()
    tok = token_of(auth)
    client.post(f"/s/{tok}/otp")
    good = last_code(outbox)
    bad = f"{(int(good) + 1) % 10**6:06d}"
    for left in (4, 3, 2):
        r = client.post(f"/s/{tok}/sign", json={"otp": bad, "read_confirmed": True})
        assert (r.status_code, r.json()["code"]) == (422, "otp_invalid")
        assert r.json()["tries_left"] == left
    r = client.post(f"/s/{tok}/sign", json={"otp": good, "read_confirmed": True})
    assert (r.status_code, r.json()["status"]) == (200, "active")
    assert event_names(ctx, auth["id"]).count("authorization:otp:failed") == 3


def test_five_wrong_codes_lock_the_request(api, client, outbox):
    api.template()
    tok = token_of(api.request())
    client.post(f"/s/{tok}/otp")
    good = last_code(outbox)
    bad = f"{(int(good) + 1) % 10**6:06d}"
    codes = [client.post(f"/s/{tok}/sign", json={"otp": bad, "read_confirmed": True})
             .json()["code"] for _ in range(5)]
    assert codes == ["otp_invalid"] * 4 + ["otp_locked"]
    r = client.post(f"/s/{tok}/sign", json={"otp": good, "read_confirmed": True})
    assert (r.status_code, r.json()["code"]) == (409, "otp_locked")
    assert client.post(f"/s/{tok}/otp").json()["code"] == "otp_locked"
    assert 'data-state="locked"' in client.get(f"/s/{tok}").text


def test_read_confirmation_is_required(api, client, outbox):
    api.template()
    tok = token_of(api.request())
    client.post(f"/s/{tok}/otp")
    r = client.post(f"/s/{tok}/sign", json={"otp": last_code(outbox), "read_confirmed": False})
    assert (r.status_code, r.json()["code"]) == (422, "read_not_confirmed")
    r = client.post(f"/s/{tok}/sign", json={"otp": last_code(outbox), "read_confirmed": True})
    assert r.status_code == 200


def test_lapsed_request_cannot_be_signed(api, client, outbox, clock, ctx):
    api.template(request_ttl_minutes=30)
    auth = api.request()
    tok = token_of(auth)
    client.post(f"/s/{tok}/otp")
    clock.advance(minutes=31)
    r = client.post(f"/s/{tok}/sign", json={"otp": last_code(outbox), "read_confirmed": True})
    assert (r.status_code, r.json()["code"]) == (409, "authorization_not_pending")
    assert r.json()["status_now"] == "lapsed"
    assert api.get(f"/v1/authorizations/{auth['id']}").json()["status"] == "lapsed"
    assert 'data-state="lapsed"' in client.get(f"/s/{tok}").text
    assert event_names(ctx, auth["id"]).count("authorization:lapsed") == 1


def test_signed_link_cannot_sign_again(api, client, outbox):
    api.template()
    auth = api.request()
    sign(client, outbox, auth)
    tok = token_of(auth)
    r = client.post(f"/s/{tok}/otp")
    assert r.json()["code"] == "authorization_not_pending"
    assert 'data-state="active"' in client.get(f"/s/{tok}").text


def test_decline(api, client, ctx):
    api.template()
    auth = api.request()
    r = client.post(f"/s/{token_of(auth)}/decline")
    assert (r.status_code, r.json()["status"]) == (200, "declined")
    assert api.get(f"/v1/authorizations/{auth['id']}").json()["status"] == "declined"
    assert "authorization:declined" in event_names(ctx, auth["id"])


def test_forms_work_without_javascript(api, client, outbox):
    api.template()
    auth = api.request()
    tok = token_of(auth)
    ft = form_token_of(client, tok)
    r = client.post(f"/s/{tok}/otp", data={"read_confirmed": "on", "ft": ft},
                    follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"/s/{tok}?msg=code_sent")
    r = client.post(f"/s/{tok}/sign", data={"otp": last_code(outbox), "read_confirmed": "on",
                                            "ft": ft}, follow_redirects=False)
    assert r.headers["location"] == f"/s/{tok}?msg=signed"
    assert api.get(f"/v1/authorizations/{auth['id']}").json()["status"] == "active"


def test_without_javascript_the_page_keeps_its_language_and_counts_tries(api, client, outbox):
    api.template()  # an English letter, read in Chinese
    auth = api.request()
    tok = token_of(auth)
    page = client.get(f"/s/{tok}?lang=zh-CN").text
    assert f'action="/s/{tok}/sign?lang=zh-CN"' in page
    assert f'formaction="/s/{tok}/otp?lang=zh-CN"' in page
    ft = form_token_of(client, tok)
    r = client.post(f"/s/{tok}/otp?lang=zh-CN", data={"read_confirmed": "on", "ft": ft},
                    follow_redirects=False)
    assert r.headers["location"] == f"/s/{tok}?msg=code_sent&lang=zh-CN"
    wrong = "000000" if last_code(outbox) != "000000" else "111111"
    r = client.post(f"/s/{tok}/sign?lang=zh-CN",
                    data={"otp": wrong, "read_confirmed": "on", "ft": ft},
                    follow_redirects=False)
    assert r.headers["location"] == f"/s/{tok}?err=otp_invalid&tries=4&lang=zh-CN"
    page = client.get(r.headers["location"]).text
    assert 'lang="zh-CN"' in page
    assert "验证码错误或已过期，还可尝试 4 次。" in page
    r = client.post(f"/s/{tok}/decline?lang=en", data={"ft": ft}, follow_redirects=False)
    assert r.headers["location"] == f"/s/{tok}?msg=declined&lang=en"


def test_chinese_letter_renders_in_chinese(api, client):
    from anxin.services.demo import DEMO_BODY_ZH
    api.template(code="zh", locale="zh-CN", body=DEMO_BODY_ZH)
    auth = api.request(template="zh")
    page = client.get(f"/s/{token_of(auth)}").text
    assert 'lang="zh-CN"' in page
    assert "贷款审批" in page
    assert "个人信用报告" in page
    assert "授权要点" in page
