"""The signature profile at the outside: ``GET /pki/profile`` and what each profile serves."""

import pytest
from fastapi.testclient import TestClient

from anxin.evidence.checkpoint_sm2 import verify_sm2_line
from anxin.ledger.checkpoint import verify_checkpoint
from anxin.services.context import Context
from tests.common.factories import Api


def test_pki_profile_of_a_default_deployment_is_intl(client: TestClient) -> None:
    answer = client.get("/pki/profile")
    assert answer.status_code == 200
    assert answer.json() == {"profile": "intl"}


def test_an_intl_deployment_has_no_sm2_ledger_key(client: TestClient) -> None:
    answer = client.get("/ledger/key/sm2")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("signature_profile", ["dual"])
def test_a_dual_deployment_publishes_its_sm2_checkpoint_key(
        client: TestClient, ctx: Context, api: Api, signature_profile: str) -> None:
    assert client.get("/pki/profile").json() == {"profile": "dual"}
    vkey = client.get("/ledger/key/sm2").text.strip()
    assert vkey.startswith(ctx.ledger.signer.name + "+")
    api.template()
    api.request()
    cp = ctx.ledger.checkpoint(force=True)
    assert cp is not None
    assert verify_sm2_line(cp.note, vkey).size == cp.size
    # the Ed25519 line still verifies with the intl key, ignoring the SM2 line
    assert verify_checkpoint(cp.note, client.get("/ledger/key").text.strip()).size == cp.size
