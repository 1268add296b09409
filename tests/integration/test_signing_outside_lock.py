"""Signing holds no database lock while the letter is signed (SQLite and PostgreSQL).

The real signer is wrapped so that the test decides when it may go on (a
``threading.Event``), or makes two signings meet inside it (a ``threading.Barrier``).
Nothing here measures time: a gate call that had to wait for the signing would still be
waiting when the assertions run (the signer is released only after them).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asn1crypto import ocsp
from sqlalchemy import func, select

from anxin.domain.events import Event
from anxin.errors import AnxinError
from anxin.pki.events import issue_event_certificate, make_id_commitment
from anxin.services import signing
from anxin.services.context import Context
from anxin.services.institutions import InstitutionRef
from anxin.services.letter_signing import EVENT_CERT_LIFETIME, SnapshotStatus
from anxin.services.ports import CertificateStatus, LetterToSign, SignatureOutcome
from anxin.services.uses import UseCall, consume_use
from anxin.storage.models import Authorization, Document, IssuedCertificate, OtpCode
from anxin.storage.portal_models import Notification
from tests.common.factories import last_code, sign, token_of
from tests.common.ledger_view import event_names
from tests.common.soft_authenticator import SoftAuthenticator

Signer = Callable[[LetterToSign, CertificateStatus], SignatureOutcome]


class HeldSigner:
    """The real signer, entered then held until the test releases it."""

    def __init__(self, real: Signer, *, meet: int = 0) -> None:
        self.real = real
        self.entered = threading.Event()
        self.release = threading.Event()
        self.meeting = threading.Barrier(meet) if meet else None
        self.calls = 0

    def __call__(self, letter: LetterToSign, status: CertificateStatus) -> SignatureOutcome:
        self.calls += 1
        self.entered.set()
        if self.meeting is not None:
            self.meeting.wait(timeout=120)  # both signings are past their first check
        assert self.release.wait(timeout=120), "the test never released the signer"
        return self.real(letter, status)


class SwitchableSigner:
    """The context's letter signer for this module: the real one, or the wrapper a test
    puts in (the context is frozen, so the part is swapped inside the port)."""

    def __init__(self, real: Signer) -> None:
        self.real = real
        self.current = real

    def __call__(self, letter: LetterToSign, status: CertificateStatus) -> SignatureOutcome:
        return self.current(letter, status)


@pytest.fixture
def ctx(ctx: Context) -> Context:
    """The shared context, with a signer the tests can swap (the app uses it too)."""
    return dataclasses.replace(ctx, letter_signer=SwitchableSigner(ctx.letter_signer))


def use_signer(ctx: Context, signer: Signer) -> None:
    switch = ctx.letter_signer
    assert isinstance(switch, SwitchableSigner)
    switch.current = signer


@pytest.fixture
def real_signer(ctx: Context) -> Iterator[Signer]:
    switch = ctx.letter_signer
    assert isinstance(switch, SwitchableSigner)
    yield switch.real
    switch.current = switch.real


def _sign_in_thread(ctx: Context, token: str, code: str) -> Callable[[], Any]:
    def run() -> Any:
        try:
            return signing.sign(ctx, token, otp=code, read_confirmed=True,
                                client_ip="203.0.113.9", user_agent="test")
        except AnxinError as exc:
            return exc
    return run


def _stored(ctx: Context, auth_id: str) -> dict[str, Any]:
    with ctx.db.transaction() as s:
        a = s.get(Authorization, auth_id)
        assert a is not None
        return {
            "status": a.status,
            "documents": s.scalar(select(func.count()).select_from(Document).where(
                Document.authorization_id == auth_id)),
            "certificates": s.scalar(select(func.count()).select_from(IssuedCertificate)
                                     .where(IssuedCertificate.authorization_id == auth_id)),
            "notifications": s.scalar(select(func.count()).select_from(Notification).where(
                Notification.authorization_id == auth_id)),
            "unconsumed_codes": s.scalar(select(func.count()).select_from(OtpCode).where(
                OtpCode.scope == "sign", OtpCode.key == auth_id,
                OtpCode.consumed_at.is_(None))),
            "signed_serial": (a.signing or {}).get("event_certificate_serial"),
        }


def test_a_gate_call_completes_while_a_signing_is_held(api, client, outbox, ctx, real_signer):
    api.template(max_uses=3)
    granted_auth = api.request(seq=1)
    sign(client, outbox, granted_auth)
    held_auth = api.request(seq=2)
    token = token_of(held_auth)
    assert client.post(f"/s/{token}/otp").status_code == 204
    code = last_code(outbox)

    held = HeldSigner(real_signer)
    use_signer(ctx, held)
    inst = InstitutionRef(api.institution_id, "Example Bank")
    with ThreadPoolExecutor(max_workers=1) as pool:
        signing_done = pool.submit(_sign_in_thread(ctx, token, code))
        try:
            assert held.entered.wait(timeout=120)
            # The signing is inside its signer now. A gate call on another authorization
            # (a write: the use is counted and logged) goes through, and so does a read
            # of the held request, which is still pending with nothing stored.
            grant = consume_use(ctx, inst, granted_auth["id"],
                                UseCall("loan_approval", "credit_report", "Q-1", "held"))
            assert grant["uses_remaining"] == 2
            assert not held.release.is_set()
            assert _stored(ctx, held_auth["id"]) == {
                "status": "pending", "documents": 0, "certificates": 0, "notifications": 0,
                "unconsumed_codes": 1, "signed_serial": None}
        finally:
            held.release.set()
        out = signing_done.result(timeout=120)
    assert not isinstance(out, AnxinError), out
    assert out["status"] == "active"
    after = _stored(ctx, held_auth["id"])
    assert (after["status"], after["documents"], after["certificates"],
            after["notifications"], after["unconsumed_codes"]) == ("active", 1, 1, 1, 0)


def test_two_concurrent_signings_of_one_request_store_one(api, client, outbox, ctx,
                                                          real_signer):
    api.template()
    auth = api.request(seq=3)
    token = token_of(auth)
    assert client.post(f"/s/{token}/otp").status_code == 204
    code = last_code(outbox)

    both = HeldSigner(real_signer, meet=2)
    both.release.set()  # they go on as soon as both are inside the signer
    use_signer(ctx, both)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_sign_in_thread(ctx, token, code)) for _ in range(2)]
        outcomes = [f.result(timeout=300) for f in futures]
    assert both.calls == 2  # both passed the first check and signed a letter

    wins = [o for o in outcomes if not isinstance(o, AnxinError)]
    losses = [o for o in outcomes if isinstance(o, AnxinError)]
    assert len(wins) == 1
    assert len(losses) == 1
    # The loser's answer is the one a late second signer gets.
    assert losses[0].code == "authorization_not_pending"
    late = client.post(f"/s/{token}/sign", json={"otp": code, "read_confirmed": True})
    assert late.status_code == 409
    assert late.json()["code"] == losses[0].code

    stored = _stored(ctx, auth["id"])
    assert (stored["status"], stored["documents"], stored["certificates"],
            stored["notifications"], stored["unconsumed_codes"]) == ("active", 1, 1, 1, 0)
    # The one recorded certificate is the winner's, the one its letter names.
    with ctx.db.transaction() as s:
        serials = s.scalars(select(IssuedCertificate.serial).where(
            IssuedCertificate.authorization_id == auth["id"])).all()
    assert serials == [stored["signed_serial"]]
    names = event_names(ctx, auth["id"])
    assert names.count(Event.SIGNED.value) == 1
    assert names.count(Event.OTP_VERIFIED.value) == 1
    pdf = api.get(f"/v1/authorizations/{auth['id']}/letter.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


class Boom(RuntimeError):
    pass


def test_a_failing_signer_leaves_the_request_pending_and_the_code_usable(
        api, client, outbox, ctx, real_signer):
    api.template()
    auth = api.request(seq=4)
    token = token_of(auth)
    assert client.post(f"/s/{token}/otp").status_code == 204
    code = last_code(outbox)
    before = event_names(ctx, auth["id"])

    def failing(letter: LetterToSign, status: CertificateStatus) -> SignatureOutcome:
        raise Boom("the TSA is down")

    use_signer(ctx, failing)
    with pytest.raises(Boom):
        signing.sign(ctx, token, otp=code, read_confirmed=True, client_ip=None,
                     user_agent=None)
    assert _stored(ctx, auth["id"]) == {
        "status": "pending", "documents": 0, "certificates": 0, "notifications": 0,
        "unconsumed_codes": 1, "signed_serial": None}
    assert event_names(ctx, auth["id"]) == before  # no leaf, no failure counted

    use_signer(ctx, real_signer)
    out = signing.sign(ctx, token, otp=code, read_confirmed=True, client_ip=None,
                       user_agent=None)
    assert out["status"] == "active"


# -- with a passkey: verified in the first check, taken for real in the final commit ------

ORIGIN = "http://localhost:8000"  # the settings' default ANXIN_BASE_URL in the suite


def _passkey_assertion(client, authn: SoftAuthenticator, token: str,
                       code: str) -> dict[str, Any]:
    r = client.post(f"/s/{token}/passkey/assertion/options", json={"otp": code})
    assert r.status_code == 200, r.text
    opts = r.json()
    return {"challenge_id": opts["challenge_id"], "credential": authn.get(opts["publicKey"])}


def _with_passkey(api, client, outbox, seq: int) -> tuple[str, str, SoftAuthenticator]:
    api.template(require_passkey=True)
    auth = api.request(seq=seq)
    token = token_of(auth)
    assert client.post(f"/s/{token}/otp").status_code == 204
    code = last_code(outbox)
    authn = SoftAuthenticator(ORIGIN, "localhost")
    r = client.post(f"/s/{token}/passkey/register/options", json={"otp": code})
    assert r.status_code == 200, r.text
    opts = r.json()
    r = client.post(f"/s/{token}/passkey/register/verify",
                    json={"challenge_id": opts["challenge_id"],
                          "credential": authn.create(opts["publicKey"])})
    assert r.status_code == 201, r.text
    return auth["id"], token, authn


def _sign_with(ctx: Context, token: str, code: str, passkey: dict[str, Any]) -> Any:
    try:
        return signing.sign(ctx, token, otp=code, read_confirmed=True, client_ip=None,
                            user_agent=None, passkey=passkey)
    except AnxinError as exc:
        return exc


def test_a_failing_signer_leaves_the_passkey_challenge_unused(api, client, outbox, ctx,
                                                              real_signer):
    auth_id, token, authn = _with_passkey(api, client, outbox, seq=5)
    code = last_code(outbox)
    passkey = _passkey_assertion(client, authn, token, code)

    def failing(letter: LetterToSign, status: CertificateStatus) -> SignatureOutcome:
        assert letter.method == "sms+passkey"
        assert letter.passkey_evidence is not None
        raise Boom("the TSA is down")

    use_signer(ctx, failing)
    with pytest.raises(Boom):
        signing.sign(ctx, token, otp=code, read_confirmed=True, client_ip=None,
                     user_agent=None, passkey=passkey)
    assert _stored(ctx, auth_id)["status"] == "pending"
    use_signer(ctx, real_signer)
    out = _sign_with(ctx, token, code, passkey)  # the same assertion: nothing was taken
    assert not isinstance(out, AnxinError), out
    assert out["status"] == "active"
    names = event_names(ctx, auth_id)
    assert names.count(Event.PASSKEY_VERIFIED.value) == 1
    # The challenge is now taken: the same assertion again is refused.
    again = _sign_with(ctx, token, code, passkey)
    assert isinstance(again, AnxinError)
    assert again.code == "authorization_not_pending"


def test_two_concurrent_passkey_signings_store_one(api, client, outbox, ctx, real_signer):
    auth_id, token, authn = _with_passkey(api, client, outbox, seq=6)
    code = last_code(outbox)
    passkey = _passkey_assertion(client, authn, token, code)
    both = HeldSigner(real_signer, meet=2)
    both.release.set()
    use_signer(ctx, both)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_sign_with, ctx, token, code, passkey) for _ in range(2)]
        outcomes = [f.result(timeout=300) for f in futures]
    assert both.calls == 2
    losses = [o for o in outcomes if isinstance(o, AnxinError)]
    assert [e.code for e in losses] == ["authorization_not_pending"]
    stored = _stored(ctx, auth_id)
    assert (stored["status"], stored["documents"], stored["certificates"],
            stored["notifications"]) == ("active", 1, 1, 1)
    assert event_names(ctx, auth_id).count(Event.PASSKEY_VERIFIED.value) == 1


# -- the signer's storage reads: a snapshot that neither waits nor writes ----------------

def _ocsp_status(der: bytes, serial: int) -> str | None:
    basic = ocsp.OCSPResponse.load(der)["response_bytes"]["response"].parsed
    for single in basic["tbs_response_data"]["responses"]:
        if single["cert_id"]["serial_number"].native == serial:
            return str(single["cert_status"].name)
    return None


def test_the_status_snapshot_answers_for_the_new_certificate_without_writing(ctx):
    _, commitment = make_id_commitment("110101199003077777")
    now = ctx.clock()
    _, cert = issue_event_certificate(
        ctx.pki, name="Zhang San", id_commitment_hex=commitment,
        authorization_id="00000000-0000-4000-8000-000000000001",
        letter_sha256_hex="ab" * 32, now=now, lifetime=EVENT_CERT_LIFETIME)
    status = SnapshotStatus(ctx.db, ctx.pki)
    with ctx.db.transaction() as writer:
        writer.connection()  # a writer holds the database (on SQLite: BEGIN IMMEDIATE)
        data = status([cert, ctx.pki.tsa_cert, ctx.pki.issuing_cert], issued=cert, now=now)
    assert _ocsp_status(data.ocsps[0], cert.serial_number) == "good"
    assert _ocsp_status(data.ocsps[1], ctx.pki.tsa_cert.serial_number) == "good"
    with ctx.db.transaction() as s:
        assert s.get(IssuedCertificate, format(cert.serial_number, "x")) is None


def test_the_signed_notification_is_dated_by_its_commit(api, client, outbox, ctx, clock,
                                                        real_signer):
    """A catch-up read trusts a row's time to be within its settle window of its commit:
    a signing that took long must not commit a notification dated when it began."""
    api.template()
    auth = api.request(seq=7)
    token = token_of(auth)
    assert client.post(f"/s/{token}/otp").status_code == 204
    code = last_code(outbox)
    held = HeldSigner(real_signer)
    use_signer(ctx, held)
    with ThreadPoolExecutor(max_workers=1) as pool:
        done = pool.submit(_sign_in_thread(ctx, token, code))
        try:
            assert held.entered.wait(timeout=120)
            clock.advance(seconds=60)  # a slow external TSA
        finally:
            held.release.set()
        out = done.result(timeout=120)
    assert not isinstance(out, AnxinError), out
    assert api.get("/v1/events").json()["events"] == []  # committed just now: not settled
    clock.advance(seconds=5)
    assert [e["authorization_id"] for e in api.get("/v1/events").json()["events"]] == [
        auth["id"]]
