"""The signature profile at the outside: ``GET /pki/profile`` and what each profile serves."""

from fastapi.testclient import TestClient


def test_pki_profile_of_a_default_deployment_is_intl(client: TestClient) -> None:
    answer = client.get("/pki/profile")
    assert answer.status_code == 200
    assert answer.json() == {"profile": "intl"}
