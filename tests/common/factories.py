"""Factories: institutions, templates, authorizations, signed authorizations."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from anxin.domain.subject import resident_id_check_char

EN_BODY = ("I, {{ subject_name }} ({{ subject_id_type }} {{ subject_id_number }}), authorize "
           "{{ institution }} to query my {{ scope }} for {{ purpose }} only, from "
           "{{ valid_from }} until {{ valid_until }}, at most {{ max_uses }} time(s). "
           "Reference {{ reference }}.")


def resident_id(seq: int = 1) -> str:
    first17 = f"11010519900101{seq % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def mobile(seq: int = 1) -> str:
    return f"139{seq % 100000000:08d}"


@dataclass
class Api:
    """An institution's client."""

    client: TestClient
    api_key: str
    institution_id: str

    @property
    def h(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        headers = {**self.h, **kw.pop("headers", {})}
        return self.client.post(path, json=body, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self.h, **kw)

    def template(self, code: str = "credit", **over: Any) -> dict[str, Any]:
        body = {"code": code, "title": "Credit check", "purpose": "loan_approval",
                "data_scope": ["credit_report", "credit_score"], "body": EN_BODY,
                "locale": "en", "validity_days": 30, "max_uses": 1} | over
        r = self.post("/v1/templates", body)
        assert r.status_code in (200, 201), r.text
        return dict(r.json())

    def request(self, template: str = "credit", seq: int = 1, **over: Any) -> dict[str, Any]:
        body = {"template": template,
                "subject": {"name": "Zhang San", "id_type": "resident_id",
                            "id_number": resident_id(seq), "mobile": mobile(seq)},
                "reference": f"LOAN-{seq}"} | over
        r = self.post("/v1/authorizations", body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def use(self, auth_id: str, **over: Any) -> Any:
        body = {"purpose": "loan_approval", "reference": "Q-1", "operator": "officer-7",
                "data_item": "credit_report"} | over
        return self.post(f"/v1/authorizations/{auth_id}/uses", body)


def form_token_of(client: TestClient, token: str) -> str:
    """The hidden form token of the signing page's no-JavaScript forms (issue 12 item 2)."""
    m = re.search(r'name="ft" value="([0-9a-f]+)"', client.get(f"/s/{token}").text)
    assert m, "the signing page has no form token"
    return m.group(1)


def token_of(auth: dict[str, Any]) -> str:
    return str(auth["signing_url"]).rsplit("/", 1)[1]


def last_code(outbox: Path, to: str | None = None) -> str:
    lines = [json.loads(x) for x in outbox.read_text(encoding="utf-8").splitlines()]
    if to is not None:
        lines = [x for x in lines if x["to"] == to]
    m = re.search(r"\b(\d{6})\b", lines[-1]["text"])
    assert m, lines[-1]
    return m.group(1)


def sign(client: TestClient, outbox: Path, auth: dict[str, Any]) -> dict[str, Any]:
    tok = token_of(auth)
    r = client.post(f"/s/{tok}/otp")
    assert r.status_code == 204, r.text
    r = client.post(f"/s/{tok}/sign", json={"otp": last_code(outbox), "read_confirmed": True})
    assert r.status_code == 200, r.text
    return dict(r.json())
