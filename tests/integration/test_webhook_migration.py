"""Migration 0016 with data, on SQLite and PostgreSQL: a deployment at 0015 whose
institution has no webhook secret and whose notification is still pending upgrades, and
its next worker pass fans the notification out, makes the institution a default secret
(with its ledger leaf) and delivers it signed; the downgrade drops what 0016 added."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, update

from anxin.bootstrap import build_services
from anxin.config import Settings, load_settings
from anxin.notify.worker import DeliveryWorker, RetryPolicy
from anxin.services.institutions import add_institution
from anxin.services.notifications import webhook_secret
from anxin.services.setup import initialise
from anxin.storage.database import Database, _alembic_config
from anxin.storage.models import Institution, LedgerQueued
from anxin.storage.portal_models import Notification
from anxin.web.app import create_app
from anxin.web.portal_plugin import install_portal
from tests.common.backends import require_postgres, throwaway_postgres
from tests.common.factories import Api, sign
from tests.common.listener import listener

FAST = RetryPolicy(base_seconds=0.05, max_seconds=0.2, lease_seconds=30)


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'own.db'}"
    else:
        with throwaway_postgres(require_postgres()) as url:
            yield url


# The newest migration: the upgrade brings the downgraded deployment back to it.
HEAD = sorted(p.stem for p in (Path(__file__).parents[2] / "src/anxin/storage/migrations/"
                                "versions").glob("0*.py"))[-1]

def _settings(tmp_path: Path, db_url: str) -> Settings:
    data = tmp_path / "data"
    initialise(load_settings(data_dir=data, database_url=db_url))
    return load_settings(data_dir=data, database_url=db_url, outbound_allow="127.0.0.1")


def test_upgrade_from_0015_delivers_a_pending_notification_signed(tmp_path: Path,
                                                                   fresh_db: str) -> None:
    settings = _settings(tmp_path, fresh_db)
    with listener() as rx:
        ctx = build_services(settings, background_workers=False)
        try:
            app = create_app(settings, dataclasses.replace(ctx, background_workers=False))
            install_portal(app, ctx)
            with TestClient(app) as c:
                inst = add_institution(ctx, "Old Bank")
                api = Api(c, inst.api_key, inst.id)
                api.template()
                a = api.request(seq=901, callback_url=rx.url())
                sign(c, settings.outbox_path, a)
            with ctx.db.transaction() as s:  # as made before default secrets existed
                s.execute(update(Institution).values(webhook_secret_enc=None))
        finally:
            ctx.close()

        db = Database.connect(fresh_db)
        try:
            with db.migration_connection() as conn:
                command.downgrade(_alembic_config(conn), "0015_otp_code_client")
            with db.engine.connect() as conn:
                tables = inspect(conn).get_table_names()
                columns = {c["name"] for c in inspect(conn).get_columns("notifications")}
            assert "webhook_endpoints" not in tables
            assert "webhook_deliveries" not in tables
            assert "dispatched_at" not in columns
            db.migrate()
            assert db.current_revision() == HEAD
        finally:
            db.dispose()

        ctx = build_services(settings, background_workers=False)
        worker = DeliveryWorker(ctx, policy=FAST)
        try:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not rx.requests:
                worker.deliver_due()
                time.sleep(0.05)
            with ctx.db.transaction() as s:
                n = s.scalars(select(Notification).where(
                    Notification.authorization_id == a["id"])).one()
                row = s.get(Institution, inst.id)
                assert row is not None
                secret = webhook_secret(ctx, inst.id, row.webhook_secret_enc)
                leaves = [json.loads(q.data) for q in s.scalars(select(LedgerQueued))]
            assert n.state == "delivered"
        finally:
            worker.stop()
            ctx.close()
    assert secret is not None
    (got,) = rx.requests
    assert json.loads(got["body"])["authorization_id"] == a["id"]
    header = dict(p.split("=", 1) for p in got["headers"]["Anxin-Signature"].split(","))
    assert header["v1"] == hmac.new(secret, header["t"].encode() + b"." + got["body"],
                                    hashlib.sha256).hexdigest()
    assert any(e.get("event") == "institution:webhook_secret:rotated" for e in leaves)
