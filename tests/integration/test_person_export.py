"""The person's copy of their data (issue 17, PIPL art. 45): ``GET /me/export.zip`` holds
every authorization of the signed-in person — letters, every use (refused ones too), every
ledger entry — in a JSON that validates against the published schema, and every signed
letter as its PDF; nobody else's."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import jsonschema
from fastapi.testclient import TestClient

from anxin.services.context import Context
from tests.common.factories import Api, mobile, resident_id, sign
from tests.common.ledger_view import event_names
from tests.common.portal_fixtures import client, portal_sign_in

__all__ = ["client"]
SCHEMA = Path(__file__).parents[2] / "src/anxin/web/static/person-export.schema.json"


def test_three_authorizations_all_in_the_export(client: TestClient, api: Api,
                                                other_api: Api, outbox,
                                                ctx: Context) -> None:
    api.template(max_uses=3)
    other_api.template()
    first = api.request(seq=81)
    sign(client, outbox, first)
    assert api.use(first["id"]).status_code == 201
    assert api.use(first["id"], purpose="account_opening").status_code == 403  # refused
    second = other_api.request(seq=81, reference="CARD-81")
    sign(client, outbox, second)
    pending = api.request(seq=81, reference="LOAN-81-B")
    someone_else = api.request(seq=82)
    sign(client, outbox, someone_else)
    assert client.get("/me/export.zip", follow_redirects=False).status_code in (302, 303)
    portal_sign_in(client, outbox, mobile(81))
    assert 'href="/me/export.zip"' in client.get("/me").text
    r = client.get("/me/export.zip")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["cache-control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        names = set(z.namelist())
        doc = json.loads(z.read("export.json"))
        pdfs = {n: z.read(n) for n in names if n.startswith("letters/")}
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(doc)
    ids = [a["id"] for a in doc["authorizations"]]
    assert sorted(ids) == sorted([first["id"], second["id"], pending["id"]])
    assert someone_else["id"] not in json.dumps(doc)
    assert set(pdfs) == {f"letters/{first['id']}.pdf", f"letters/{second['id']}.pdf"}
    assert all(p.startswith(b"%PDF") for p in pdfs.values())
    by_id = {a["id"]: a for a in doc["authorizations"]}
    uses = by_id[first["id"]]["uses_log"]
    assert [u["granted"] for u in uses] == [True, False]
    assert uses[1]["code"] == "purpose_mismatch"
    assert by_id[first["id"]]["subject"]["id_number"] == resident_id(81)  # in full
    assert by_id[pending["id"]]["letter_pdf"] is None
    assert by_id[second["id"]]["institution"]["name"] == "Other Lender"
    events = [e["entry"]["event"] for e in by_id[first["id"]]["ledger_entries"]]
    assert events == event_names(ctx, first["id"])  # every entry, sequenced or queued
    assert {"authorization:requested", "authorization:signed", "authorization:use:granted",
            "authorization:use:refused"} <= set(events)
    assert "README.txt" in names


def test_the_export_schema_is_served(client: TestClient) -> None:
    r = client.get("/static/person-export.schema.json")
    assert r.status_code == 200
    assert r.json()["$id"] == "https://anxin.dev/schemas/person-export/1"
