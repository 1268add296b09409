"""The console sets an institution's embedding lists (issue 16), as PATCH /v1/institution
does: validated the same way, recorded, and seen by the API and the signing page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from anxin.services.context import Context
from tests.common.factories import Api, token_of
from tests.common.ledger_view import ledger_count
from tests.common.portal_fixtures import client, csrf_of
from tests.integration.test_console import operator

__all__ = ["client", "operator"]


def test_the_console_sets_the_embedding_lists(client: TestClient, api: Api, operator: str,
                                             ctx: Context) -> None:
    csrf = csrf_of(client.get("/console/institutions").text)
    r = client.post(f"/console/institutions/{api.institution_id}/embedding", data={
        "csrf": csrf, "frame_ancestors": "https://app.bank.example\r\n\r\nhttps://m.bank.example",
        "return_url_prefixes": "https://app.bank.example/anxin/"})
    assert r.status_code == 200, r.text
    assert "https://m.bank.example" in r.text
    got = api.get("/v1/institution").json()
    assert got["frame_ancestors"] == ["https://app.bank.example", "https://m.bank.example"]
    assert got["return_url_prefixes"] == ["https://app.bank.example/anxin/"]
    api.template()
    page = client.get(f"/s/{token_of(api.request(seq=501))}")
    assert "frame-ancestors https://app.bank.example https://m.bank.example" in \
        page.headers["content-security-policy"]

    before = ledger_count(ctx)
    r = client.post(f"/console/institutions/{api.institution_id}/embedding", data={
        "csrf": csrf, "frame_ancestors": "http://app.bank.example", "return_url_prefixes": ""})
    assert 'data-code="validation_failed"' in r.text
    assert "frame_ancestors[0]" in r.text
    assert api.get("/v1/institution").json() == got
    assert ledger_count(ctx) == before
