"""The person's erasure request (issue 17, PIPL art. 47): from /me, what no retention
duty covers is erased at once (never-signed requests' personal data and letter, the
person's passkeys and sessions); signed consents are retained and listed with the date
until which; the ledger stays verifiable and its leaves hold no personal data."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from anxin.services.context import Context
from anxin.services.ledger import audit_ledger
from anxin.services.portal import mobile_index
from anxin.storage.models import Authorization, LedgerLeaf, LedgerQueued
from tests.common.factories import Api, mobile, resident_id, sign
from tests.common.portal_fixtures import client, csrf_of, portal_sign_in
from tests.integration.test_ledger import settings  # a database of its own: one ledger key

__all__ = ["client", "settings"]


def _row(ctx: Context, auth_id: str) -> Authorization:
    with ctx.db.transaction() as s:
        a = s.get(Authorization, auth_id)
        assert a is not None
        s.expunge(a)
        return a


def test_erase_what_no_duty_keeps_and_list_the_rest(client: TestClient, api: Api, outbox,
                                                    ctx: Context) -> None:
    api.template()
    signed = api.request(seq=95)
    sign(client, outbox, signed)
    declined = api.request(seq=95, reference="LOAN-95-D")
    pending = api.request(seq=95, reference="LOAN-95-P")
    token = declined["signing_url"].rsplit("/", 1)[1]
    assert client.post(f"/s/{token}/decline").status_code in (200, 204, 303)
    portal_sign_in(client, outbox, mobile(95))
    assert 'href="/me/erase"' in client.get("/me").text
    confirm = client.get("/me/erase")
    assert confirm.status_code == 200
    assert 'id="erase-confirm"' in confirm.text
    assert client.post("/me/erase", data={"csrf": "forged"}).status_code == 403
    assert _row(ctx, pending["id"]).status == "pending"  # a refused request changes nothing
    r = client.post("/me/erase", data={"csrf": csrf_of(confirm.text)})
    assert r.status_code == 200
    assert 'id="erase-answer"' in r.text
    assert f'data-id="{signed["id"]}"' in r.text.split('id="retained"')[1]
    erased_part = r.text.split('id="erased"')[1].split('id="retained"')[0]
    assert f'data-id="{declined["id"]}"' in erased_part
    assert f'data-id="{pending["id"]}"' in erased_part
    # signed out: the portal asks to sign in again
    assert 'id="mobile"' in client.get("/me").text
    k = ctx.keys
    for auth in (declined, pending):
        a = _row(ctx, auth["id"])
        assert a.status == "declined"
        assert k.decrypt_text(a.subject_id_enc, aad=f"{a.id}/id") == ""
        assert k.decrypt_text(a.subject_name_enc, aad=f"{a.id}/name") == ""
        assert k.decrypt_text(a.subject_mobile_enc, aad=f"{a.id}/mobile") == ""
        assert k.decrypt_text(a.letter_enc, aad=f"{a.id}/letter") == ""
        assert a.subject_mobile_index != mobile_index(ctx, mobile(95))
    kept = _row(ctx, signed["id"])
    assert k.decrypt_text(kept.subject_id_enc, aad=f"{kept.id}/id") == resident_id(95)
    assert api.get(f"/v1/authorizations/{signed['id']}/evidence.zip").status_code == 200
    # The ledger: verifiable, and no leaf holds the person's data.
    ctx.ledger.integrate_all()
    ctx.ledger.checkpoint(force=True)
    assert audit_ledger(ctx.db, ctx.ledger.signer.verifier_key).ok
    with ctx.db.transaction() as s:
        leaves = [bytes(d) for d in s.scalars(select(LedgerLeaf.data))]
        leaves += [bytes(d) for d in s.scalars(select(LedgerQueued.data))]
    answered = [json.loads(d) for d in leaves if b"subject:erasure:answered" in d]
    assert any(set(x["erased"]) == {declined["id"], pending["id"]} and
               x["retained"] == [signed["id"]] for x in answered)
    for d in leaves:
        assert resident_id(95).encode() not in d
        assert mobile(95).encode() not in d
