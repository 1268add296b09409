"""Issue 12 item 10: a database outage answers 503 problem+json with ``Retry-After`` on
the API, the gate and the pages, and ``/healthz`` does not name the database.

Before the fix an outage gave 500 text/plain, and ``/healthz`` printed the driver's
message (host, port, database name). The outage is real: on PostgreSQL the database is
dropped under the running app (its connections terminated, reconnects refused); on
SQLite the database file is replaced by a directory, so reopening it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.services.context import Context
from anxin.services.institutions import add_institution
from anxin.services.setup import initialise
from anxin.web.app import create_app
from tests.common.backends import require_postgres, throwaway_postgres
from tests.common.factories import Api, token_of


@dataclass
class Outage:
    api: Api
    client: TestClient
    ctx: Context
    url: str
    secrets: list[str]  # what no answer may reveal
    cut: Any


@pytest.fixture(params=["sqlite", "postgres"])
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outage]:
    data = tmp_path / "data"
    if request.param == "sqlite":
        db_file = tmp_path / "db" / "anxin.db"
        db_file.parent.mkdir()
        url = f"sqlite:///{db_file}"
        yield from _run(data, url, [str(db_file), "anxin.db"],
                        lambda ctx: _cut_sqlite(ctx, db_file))
        return
    admin = require_postgres()
    with throwaway_postgres(admin) as url:
        u = make_url(url)
        secrets = [str(u.database), f":{u.port or 5432}", str(u.host or "127.0.0.1")]
        yield from _run(data, url, secrets, lambda ctx: _cut_postgres(admin, str(u.database)))


def _run(data: Path, url: str, secrets: list[str], cut: Any) -> Iterator[Outage]:
    initialise(load_settings(data_dir=data, database_url=url))
    settings = load_settings(data_dir=data, database_url=url)
    ctx = build_services(settings, background_workers=False, ledger_checkpoints=False)
    try:
        inst = add_institution(ctx, "Example Bank")
        with TestClient(create_app(settings, ctx), raise_server_exceptions=False) as c:
            yield Outage(Api(c, inst.api_key, inst.id), c, ctx, url, secrets, cut)
    finally:
        ctx.close()


def _cut_sqlite(ctx: Context, db_file: Path) -> None:
    db_file.rename(db_file.with_suffix(".gone"))
    db_file.mkdir()  # what was the database is now unopenable
    ctx.db.engine.dispose()


def _cut_postgres(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _is_503(r: Any, secrets: list[str]) -> None:
    assert r.status_code == 503, r.text
    assert int(r.headers["retry-after"]) > 0
    for s in secrets:
        assert s not in r.text, s


def test_an_outage_answers_503_with_retry_after(outage: Outage) -> None:
    api = outage.api
    api.template()
    auth = api.request()
    tok = token_of(auth)
    assert api.get("/v1/authorizations").status_code == 200
    outage.cut(outage.ctx)

    problems = [api.get("/v1/authorizations"), api.get(f"/v1/authorizations/{auth['id']}"),
                api.use(auth["id"]),
                api.post("/v1/templates", {"code": "x", "title": "T",
                                           "purpose": "loan_approval",
                                           "data_scope": ["credit_report"], "body": "b"}),
                outage.client.post(f"/s/{tok}/otp"),
                outage.client.get(f"/s/{tok}", headers={"Accept": "application/json"})]
    for r in problems:
        _is_503(r, outage.secrets)
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["code"] == "database_unavailable"
        assert body["retry_after"] == int(r.headers["retry-after"])

    page = outage.client.get(f"/s/{tok}", headers={"Accept": "text/html"})
    _is_503(page, outage.secrets)
    assert page.headers["content-type"].startswith("text/html")

    health = outage.client.get("/healthz")
    _is_503(health, outage.secrets)
    assert health.json()["code"] == "unhealthy"


def test_healthz_names_no_database_when_healthy_or_not(outage: Outage) -> None:
    r = outage.client.get("/healthz")
    assert r.json() == {"status": "ok"}
    outage.cut(outage.ctx)
    r = outage.client.get("/healthz")
    _is_503(r, outage.secrets)
