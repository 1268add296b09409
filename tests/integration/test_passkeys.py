"""Passkeys on the signing page and for portal sign-in, with a software authenticator."""

from __future__ import annotations

from typing import Any

import pytest

from anxin.errors import ValidationFailed
from anxin.services.passkeys import (
    passkey_login_options,
    purge_challenges,
    verify_assertion_evidence,
    verify_passkey_login,
)
from anxin.storage.models import Authorization
from tests.common.factories import last_code, token_of
from tests.common.ledger_view import event_names
from tests.common.soft_authenticator import SoftAuthenticator

ORIGIN = "http://localhost:8000"  # the settings' default ANXIN_BASE_URL in the suite


@pytest.fixture
def authn() -> SoftAuthenticator:
    return SoftAuthenticator(ORIGIN, "localhost")


def code_for(client, outbox, tok: str) -> str:
    assert client.post(f"/s/{tok}/otp").status_code == 204
    return last_code(outbox)


def register(client, authn: SoftAuthenticator, tok: str, code: str) -> dict[str, Any]:
    r = client.post(f"/s/{tok}/passkey/register/options", json={"otp": code})
    assert r.status_code == 200, r.text
    opts = r.json()
    assert opts["publicKey"]["authenticatorSelection"]["userVerification"] == "required"
    r = client.post(f"/s/{tok}/passkey/register/verify",
                    json={"challenge_id": opts["challenge_id"],
                          "credential": authn.create(opts["publicKey"])})
    assert r.status_code == 201, r.text
    return dict(r.json())


def assertion(client, authn: SoftAuthenticator, tok: str, code: str) -> dict[str, Any]:
    r = client.post(f"/s/{tok}/passkey/assertion/options", json={"otp": code})
    assert r.status_code == 200, r.text
    opts = r.json()
    assert opts["registered"] >= 1
    return {"challenge_id": opts["challenge_id"], "credential": authn.get(opts["publicKey"])}


def sign(client, tok: str, code: str, passkey: dict[str, Any] | None = None) -> Any:
    body: dict[str, Any] = {"otp": code, "read_confirmed": True}
    if passkey is not None:
        body["passkey"] = passkey
    return client.post(f"/s/{tok}/sign", json=body)


def signing_of(ctx, auth_id: str) -> dict[str, Any]:
    with ctx.db.transaction() as s:
        a = s.get(Authorization, auth_id)
        assert a is not None
        return dict(a.signing or {})


def test_register_then_sign_keeps_reverifiable_evidence(api, client, outbox, ctx, authn):
    api.template()
    auth = api.request()
    tok = token_of(auth)
    code = code_for(client, outbox, tok)
    r = client.post(f"/s/{tok}/passkey/assertion/options", json={"otp": code})
    assert r.json() == {"registered": 0}
    assert register(client, authn, tok, code)["registered"] == 1
    r = sign(client, tok, code, assertion(client, authn, tok, code))
    assert (r.status_code, r.json()["status"]) == (200, "active"), r.text
    signing = signing_of(ctx, auth["id"])
    assert signing["method"] == "sms+passkey"
    ev = signing["passkey"]
    assert ev["rp_id"] == "localhost"
    assert ev["origin"] == ORIGIN
    assert ev["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    verify_assertion_evidence(ev, auth["id"], auth["letter_sha256"])
    names = event_names(ctx, auth["id"])
    assert "authorization:passkey:registered" in names
    assert "authorization:passkey:verified" in names


def test_registration_needs_the_current_code_and_counts_wrong_ones(api, client, outbox):
    api.template()
    tok = token_of(api.request())
    r = client.post(f"/s/{tok}/passkey/register/options", json={"otp": "123456"})
    # No code sent yet: refused, and (issue 12 item 4) not counted as a wrong try.
    assert (r.status_code, r.json()["code"]) == (422, "otp_invalid")
    assert "tries_left" not in r.json()
    good = code_for(client, outbox, tok)
    bad = f"{(int(good) + 1) % 10**6:06d}"
    r = client.post(f"/s/{tok}/passkey/register/options", json={"otp": bad})
    assert (r.json()["code"], r.json()["tries_left"]) == ("otp_invalid", 4)
    r = client.post(f"/s/{tok}/passkey/assertion/options", json={"otp": bad})
    assert (r.json()["code"], r.json()["tries_left"]) == ("otp_invalid", 3)
    for _ in range(3):
        client.post(f"/s/{tok}/passkey/register/options", json={"otp": bad})
    r = client.post(f"/s/{tok}/passkey/register/options", json={"otp": good})
    assert (r.status_code, r.json()["code"]) == (409, "otp_locked")


def test_required_passkey_refuses_sms_only_then_signs_with_one(api, client, outbox, authn):
    api.template(code="strict", require_passkey=True)
    auth = api.request(template="strict")
    tok = token_of(auth)
    code = code_for(client, outbox, tok)
    r = sign(client, tok, code)
    assert (r.status_code, r.json()["code"]) == (422, "passkey_required")
    register(client, authn, tok, code)
    r = sign(client, tok, code, assertion(client, authn, tok, code))
    assert r.json()["status"] == "active"


def test_assertion_for_another_letter_is_refused(api, client, outbox, authn):
    api.template()
    a1, a2 = api.request(seq=1), api.request(seq=1, reference="LOAN-2")
    t1, t2 = token_of(a1), token_of(a2)
    c1 = code_for(client, outbox, t1)
    register(client, authn, t1, c1)
    for_first = assertion(client, authn, t1, c1)
    c2 = code_for(client, outbox, t2)
    r = sign(client, t2, c2, for_first)
    assert (r.status_code, r.json()["code"]) == (422, "passkey_invalid")
    # A live challenge of the second letter, but a signature over the first's challenge:
    opts = client.post(f"/s/{t2}/passkey/assertion/options", json={"otp": c2}).json()
    forged = {"challenge_id": opts["challenge_id"], "credential": for_first["credential"]}
    r = sign(client, t2, c2, forged)
    assert (r.status_code, r.json()["code"]) == (422, "passkey_invalid")
    # Nothing was consumed by the refusals: the right assertion still signs.
    assert sign(client, t2, c2, assertion(client, authn, t2, c2)).status_code == 200


def test_another_subjects_passkey_is_refused(api, client, outbox, authn):
    api.template()
    t1, t2 = token_of(api.request(seq=1)), token_of(api.request(seq=2))
    register(client, authn, t1, code_for(client, outbox, t1))
    other = SoftAuthenticator(ORIGIN, "localhost")
    c2 = code_for(client, outbox, t2)
    register(client, other, t2, c2)
    opts = client.post(f"/s/{t2}/passkey/assertion/options", json={"otp": c2}).json()
    r = sign(client, t2, c2, {"challenge_id": opts["challenge_id"],
                              "credential": authn.get(opts["publicKey"])})
    assert (r.status_code, r.json()["code"]) == (422, "passkey_invalid")


def test_sign_counter_must_advance_and_challenges_are_single_use(api, client, outbox, authn):
    api.template()
    t1, t2 = token_of(api.request(seq=3)), token_of(api.request(seq=3, reference="L-2"))
    c1 = code_for(client, outbox, t1)
    register(client, authn, t1, c1)
    assert sign(client, t1, c1, assertion(client, authn, t1, c1)).status_code == 200
    c2 = code_for(client, outbox, t2)
    authn.sign_count = 0  # a cloned authenticator replays an old counter
    r = sign(client, t2, c2, assertion(client, authn, t2, c2))
    assert (r.status_code, r.json()["code"]) == (422, "passkey_invalid")
    authn.sign_count = 5
    pk = assertion(client, authn, t2, c2)
    assert sign(client, t2, c2, pk).status_code == 200
    assert sign(client, t2, c2, pk).json()["code"] == "authorization_not_pending"


def test_expired_challenge_is_refused(api, client, outbox, authn, clock):
    api.template()
    tok = token_of(api.request())
    code = code_for(client, outbox, tok)
    register(client, authn, tok, code)
    pk = assertion(client, authn, tok, code)
    clock.advance(minutes=6)
    fresh = code_for(client, outbox, tok)  # a new, live code; the challenge has lapsed
    r = sign(client, tok, fresh, pk)
    assert (r.status_code, r.json()["code"]) == (422, "passkey_invalid")


def test_several_passkeys_per_subject(api, client, outbox, authn):
    api.template()
    tok = token_of(api.request(seq=4))
    code = code_for(client, outbox, tok)
    register(client, authn, tok, code)
    second = SoftAuthenticator(ORIGIN, "localhost")
    assert register(client, second, tok, code)["registered"] == 2
    opts = client.post(f"/s/{tok}/passkey/register/options", json={"otp": code}).json()
    assert len(opts["publicKey"]["excludeCredentials"]) == 2
    r = client.post(f"/s/{tok}/passkey/register/verify", json={
        "challenge_id": opts["challenge_id"], "credential": second.create(opts["publicKey"])})
    assert (r.status_code, r.json()["code"]) == (409, "passkey_already_registered")
    assert sign(client, tok, code, assertion(client, second, tok, code)).status_code == 200


def test_portal_sign_in_with_a_passkey(api, client, outbox, ctx, authn):
    api.template()
    auth = api.request(seq=6)
    tok = token_of(auth)
    register(client, authn, tok, code_for(client, outbox, tok))
    with ctx.db.transaction() as s:
        a = s.get(Authorization, auth["id"])
        assert a is not None
        index = a.subject_mobile_index
    opts = passkey_login_options(ctx, index)
    assert len(opts["publicKey"]["allowCredentials"]) == 1
    login = verify_passkey_login(ctx, {"challenge_id": opts["challenge_id"],
                                       "credential": authn.get(opts["publicKey"])}, index)
    assert login.mobile_index == index
    # Discoverable: no number typed, the credential says whose it is.
    opts = passkey_login_options(ctx)
    login = verify_passkey_login(ctx, {"challenge_id": opts["challenge_id"],
                                       "credential": authn.get(opts["publicKey"])})
    assert login.mobile_index == index
    # A replayed challenge and someone else's number are both refused.
    with pytest.raises(ValidationFailed):
        verify_passkey_login(ctx, {"challenge_id": opts["challenge_id"],
                                   "credential": authn.get(opts["publicKey"])})
    opts = passkey_login_options(ctx, "0" * 64)
    with pytest.raises(ValidationFailed):
        verify_passkey_login(ctx, {"challenge_id": opts["challenge_id"],
                                   "credential": authn.get(opts["publicKey"])}, "0" * 64)


def test_used_and_lapsed_challenges_are_purged(api, client, outbox, ctx, authn, clock):
    from sqlalchemy import select

    from anxin.storage.passkey_models import PasskeyChallenge
    api.template()
    auth = api.request(seq=7)
    tok = token_of(auth)
    code = code_for(client, outbox, tok)
    register(client, authn, tok, code)               # one used challenge
    client.post(f"/s/{tok}/passkey/assertion/options", json={"otp": code})  # one live

    def mine() -> list[str]:
        with ctx.db.transaction() as s:
            return [c.purpose for c in s.scalars(select(PasskeyChallenge).where(
                PasskeyChallenge.key == auth["id"]))]

    assert sorted(mine()) == ["register", "sign"]
    with ctx.db.transaction() as s:
        assert purge_challenges(s, ctx.clock()) >= 1
    assert mine() == ["sign"]
    clock.advance(minutes=6)
    with ctx.db.transaction() as s:
        assert purge_challenges(s, ctx.clock()) >= 1
    assert mine() == []


def test_portal_sign_in_with_a_passkey_over_http(api, client, outbox, ctx, authn):
    api.template()
    auth = api.request(seq=8)
    tok = token_of(auth)
    register(client, authn, tok, code_for(client, outbox, tok))
    assert "/me/passkey" in client.get("/me").text
    opts = client.post("/me/passkey/options").json()
    r = client.post("/me/passkey/verify", json={"challenge_id": opts["challenge_id"],
                                               "credential": authn.get(opts["publicKey"])})
    assert (r.status_code, r.json()["signed_in"]) == (200, True)
    assert "anxin_me" in r.cookies or any(c.name == "anxin_me" for c in client.cookies.jar)
    listing = client.get("/me")
    assert listing.status_code == 200
    assert auth["id"] in listing.text
    r = client.post("/me/passkey/verify", json={"challenge_id": opts["challenge_id"],
                                               "credential": authn.get(opts["publicKey"])})
    assert r.status_code == 422
