"""The evidence package and the verification report, offered where the docs say: the
person's portal (docs/portal.md) and the operator's dispute view (docs/console.md).

Before the composition root, nothing ever installed the builders these pages looked up
by name, so the links never appeared and the routes answered 404.
"""

from __future__ import annotations

import io
import json
import zipfile

from fastapi.testclient import TestClient

from anxin.services.context import Context
from tests.common.factories import Api, mobile, sign
from tests.common.portal_fixtures import client, portal_sign_in
from tests.integration.test_console import _console_leaves, operator

__all__ = ["client", "operator"]


def _is_package(data: bytes, auth_id: str) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = set(z.namelist())
        assert {"letter.pdf", "report.pdf", "manifest.json", "authorization.json"} <= names
        assert json.loads(z.read("authorization.json"))["id"] == auth_id


def test_the_person_downloads_evidence_and_report(client: TestClient, api: Api,
                                                  outbox) -> None:
    api.template()
    a = api.request(seq=7301)
    pending = api.request(seq=7301, reference="NOT-SIGNED")
    sign(client, outbox, a)
    portal_sign_in(client, outbox, mobile(7301))
    page = client.get(f"/me/authorizations/{a['id']}").text
    assert 'id="evidence-zip"' in page
    assert 'id="report-pdf"' in page
    r = client.get(f"/me/authorizations/{a['id']}/evidence.zip")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["cache-control"] == "no-store"
    _is_package(r.content, a["id"])
    r = client.get(f"/me/authorizations/{a['id']}/report.pdf")
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"%PDF-")
    # Not signed: nothing to prove yet, and no link.
    assert 'id="evidence-zip"' not in client.get(f"/me/authorizations/{pending['id']}").text
    r = client.get(f"/me/authorizations/{pending['id']}/report.pdf",
                   headers={"Accept": "application/json"})
    assert r.status_code == 404
    assert r.json()["code"] == "document_not_found"


def test_the_operator_downloads_evidence_and_report(client: TestClient, api: Api, outbox,
                                                    operator: str, ctx: Context) -> None:
    api.template()
    a = api.request(seq=7302)
    sign(client, outbox, a)
    view = client.get(f"/console/authorizations/{a['id']}").text
    assert 'id="evidence"' in view
    assert 'id="report"' in view
    r = client.get(f"/console/authorizations/{a['id']}/evidence.zip")
    assert r.status_code == 200, r.text
    _is_package(r.content, a["id"])
    r = client.get(f"/console/authorizations/{a['id']}/report.pdf")
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"%PDF-")
    actions = {e["action"] for e in _console_leaves(ctx)}
    assert {"authorization.download.evidence.zip",
            "authorization.download.report.pdf"} <= actions
    pending = api.request(seq=7303)
    view = client.get(f"/console/authorizations/{pending['id']}").text
    assert 'id="evidence"' not in view
    assert client.get(f"/console/authorizations/{pending['id']}/evidence.zip"
                      ).status_code == 404
