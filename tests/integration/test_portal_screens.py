"""The portal's non-visual rules behind issue 15's screens: a deep link leads to the
sign-in and back (never elsewhere), "session expired" only for a session that was; a
wrong code and a too-early resend are said on the code page; outcomes never show a code;
passkeys are the person's own to name and remove."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient

from anxin.services.context import Context
from anxin.services.portal import mobile_index
from anxin.storage.passkey_models import PasskeyCredential
from tests.common.factories import Api, last_code, mobile, sign
from tests.common.portal_fixtures import client, csrf_of, portal_sign_in

__all__ = ["client"]


def _signin_then(client: TestClient, outbox, number: str, next_page: str):
    r = client.get(f"/me?next={next_page}")
    r = client.post("/me/code", data={"mobile": number, "csrf": csrf_of(r.text),
                                      "next": next_page})
    assert r.status_code == 200, r.text
    return client.post("/me/login", data={
        "mobile": number, "code": last_code(outbox, to="+86" + number),
        "csrf": csrf_of(r.text), "next": next_page}, follow_redirects=False)


def test_a_deep_link_signs_in_first_then_opens_the_page(client: TestClient, api: Api,
                                                        outbox) -> None:
    api.template()
    auth = api.request(seq=41)
    sign(client, outbox, auth)
    path = f"/me/authorizations/{auth['id']}"
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/me?next={path}"  # no "session expired"
    page = client.get(r.headers["location"])
    assert 'id="info"' in page.text
    assert 'id="error"' not in page.text
    assert f'name="next" value="{path}"' in page.text
    r = _signin_then(client, outbox, mobile(41), path)
    assert r.status_code == 303
    assert r.headers["location"] == path


def test_session_expired_only_where_a_session_was(client: TestClient) -> None:
    client.cookies.set("anxin_me", "stale-or-forged", path="/me")
    r = client.get("/me/authorizations/x", follow_redirects=False)
    assert r.headers["location"] == "/me?err=session_expired&next=/me/authorizations/x"


def test_next_never_leads_off_the_portal(client: TestClient, api: Api, outbox,
                                         clock) -> None:
    for bad in ("//evil.example/me", "https://evil.example/me", "/me/../console",
                "/me/\\evil", "/mexico"):
        clock.advance(seconds=61)
        r = _signin_then(client, outbox, mobile(42), bad)
        assert r.status_code == 303, (bad, r.text)
        assert r.headers["location"] == "/me", bad
        client.cookies.clear()


def test_wrong_code_and_early_resend_stay_on_the_code_page(client: TestClient,
                                                           outbox) -> None:
    r = client.get("/me")
    r = client.post("/me/code", data={"mobile": mobile(43), "csrf": csrf_of(r.text)})
    csrf = csrf_of(r.text)
    code = last_code(outbox, to="+86" + mobile(43))
    wrong = "111111" if code != "111111" else "222222"
    r = client.post("/me/login", data={"mobile": mobile(43), "code": wrong, "csrf": csrf})
    assert r.status_code == 422
    masked = re.search(r'<strong id="masked">([^<]+)</strong>', r.text)
    assert masked, r.text
    assert re.fullmatch(r"\d{3}\*{4}\d{4}", masked.group(1))
    assert 'data-code="otp_invalid"' in r.text
    assert 'id="error-detail"' in r.text
    r = client.post("/me/code", data={"mobile": mobile(43), "csrf": csrf, "resend": "1"})
    assert r.status_code == 429
    assert float(r.headers["Retry-After"]) > 0
    assert 'id="code"' in r.text
    assert 'data-code="otp_rate_limited"' in r.text
    assert 'id="resend"' in r.text


def test_refused_uses_are_said_in_words(client: TestClient, api: Api, outbox) -> None:
    api.template(max_uses=1)
    auth = api.request(seq=44)
    sign(client, outbox, auth)
    assert api.use(auth["id"]).status_code == 201
    assert api.use(auth["id"]).status_code == 409
    portal_sign_in(client, outbox, mobile(44))
    r = client.get(f"/me/authorizations/{auth['id']}?lang=en")
    assert "authorization_exhausted" not in r.text
    assert "refused: all uses spent" in r.text
    r = client.get(f"/me/authorizations/{auth['id']}?lang=zh-CN")
    assert "拒绝：使用次数已用完" in r.text


def _passkey(ctx: Context, number: str, pk_id: str) -> None:
    with ctx.db.transaction() as s:
        s.add(PasskeyCredential(
            id=pk_id, subject_mobile_index=mobile_index(ctx, number),
            credential_id=pk_id.encode(), public_key_cose=b"\xa0", sign_count=0,
            user_handle=b"u", aaguid="00000000-0000-0000-0000-000000000000",
            transports=["internal"], backed_up=False, registered_authorization_id=None,
            created_at=dt.datetime(2025, 1, 2, tzinfo=dt.UTC), last_used_at=None))


def _name_of(ctx: Context, pk_id: str) -> str | None:
    with ctx.db.transaction() as s:
        row = s.get(PasskeyCredential, pk_id)
        return None if row is None else (row.name or "")


def test_passkeys_are_the_persons_own(client: TestClient, ctx: Context, outbox) -> None:
    mine, theirs = "a" * 64, "b" * 64
    _passkey(ctx, mobile(45), mine)
    _passkey(ctx, mobile(46), theirs)
    portal_sign_in(client, outbox, mobile(45))
    page = client.get("/me/passkeys")
    assert page.status_code == 200
    assert mine in page.text
    assert theirs not in page.text
    csrf = csrf_of(page.text)
    assert client.get(f"/me/passkeys/{theirs}/remove").status_code == 404
    r = client.post(f"/me/passkeys/{theirs}/name", data={"csrf": csrf, "name": "x"})
    assert r.status_code == 404
    r = client.post(f"/me/passkeys/{theirs}/remove", data={"csrf": csrf})
    assert r.status_code == 404
    assert _name_of(ctx, theirs) == ""  # still there, unnamed
    # Without the CSRF token nothing changes.
    assert client.post(f"/me/passkeys/{mine}/name", data={"name": "x"}).status_code == 403
    assert client.post(f"/me/passkeys/{mine}/remove", data={}).status_code == 403
    assert _name_of(ctx, mine) == ""
    # A name: trimmed, one space between words, 1..40 characters, no control character.
    for bad in ("", "   ", "x" * 41):
        r = client.post(f"/me/passkeys/{mine}/name", data={"csrf": csrf, "name": bad},
                        follow_redirects=False)
        assert r.status_code == 303
        assert "err=passkey_name_invalid" in r.headers["location"]
        assert _name_of(ctx, mine) == ""
    r = client.post(f"/me/passkeys/{mine}/name", data={"csrf": csrf, "name": "a\x07b"})
    assert r.status_code == 422  # the edge refuses control characters in any form field
    assert _name_of(ctx, mine) == ""
    r = client.post(f"/me/passkeys/{mine}/name", data={"csrf": csrf, "name": " 工作  手机 "},
                    follow_redirects=False)
    assert r.headers["location"] == "/me/passkeys?msg=passkey_renamed"
    assert _name_of(ctx, mine) == "工作 手机"
    r = client.post(f"/me/passkeys/{mine}/remove", data={"csrf": csrf},
                    follow_redirects=False)
    assert r.headers["location"] == "/me/passkeys?msg=passkey_removed"
    assert _name_of(ctx, mine) is None
    assert _name_of(ctx, theirs) == ""
