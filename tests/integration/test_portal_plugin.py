"""The plugin as ``anxin serve`` runs it: routers mounted, the delivery worker and the
sweep started with the app and stopped with it; purpose ceilings on requests; the
schema of the new tables matches the models."""

from __future__ import annotations

import time

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from anxin.bootstrap import build_services
from anxin.config import Settings, load_settings
from anxin.services import console
from anxin.services.context import Context
from anxin.services.institutions import add_institution
from anxin.storage import portal_models
from anxin.storage.models import Base
from anxin.web.app import create_app
from anxin.web.portal_plugin import install_portal
from tests.common.factories import Api, sign
from tests.common.portal_fixtures import Receiver, client, receiver
from tests.common.reconfigure import reconfigure

__all__ = ["client", "receiver"]


def test_serve_runs_delivery_and_sweep(settings: Settings, clock, outbox,
                                       receiver: Receiver) -> None:
    fast = load_settings(data_dir=settings.data_dir, database_url=settings.database_url,
                         sweep_interval_seconds=0.1,
                         outbound_allow="127.0.0.1")  # the receiver is on 127.0.0.1
    ctx = build_services(fast, clock=clock)
    app = create_app(fast, ctx)
    before = len(app.state.on_start)  # create_app installs it already (with the ledger)
    install_portal(app, ctx)
    install_portal(app, ctx)  # idempotent
    assert len(app.state.on_start) == before
    with TestClient(app) as c:
        assert app.state.notification_worker._thread.running
        assert app.state.expiry_sweeper.running
        inst = add_institution(ctx, "Served Bank")
        console.set_webhook(ctx, "op", inst.id, receiver.url, new_secret=True)
        api = Api(c, inst.api_key, inst.id)
        api.template(validity_days=1)
        a = api.request(seq=140)
        sign(c, outbox, a)
        clock.advance(days=2)  # nobody reads it: the sweep must expire it
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(receiver.received) < 2:
            time.sleep(0.05)
    assert not app.state.expiry_sweeper.running
    ctx.close()
    assert [m["json"]["event"] for m in receiver.received] == [
        "authorization:signed", "authorization:expired"]


def test_request_beyond_its_purpose_ceiling_names_the_rule(client: TestClient, api: Api,
                                                           ctx: Context) -> None:
    api.template(validity_days=30, max_uses=3)
    reconfigure(client.app, purpose_ceilings={
        "loan_approval": {"max_validity_days": 7, "max_uses": 3}})
    r = api.post("/v1/authorizations", {
        "template": "credit", "reference": "L-1",
        "subject": {"name": "Li Si", "id_type": "resident_id",
                    "id_number": "11010519491231002X", "mobile": "13900000141"}})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "policy_ceiling_exceeded"
    assert body["rule"] == "loan_approval.max_validity_days"
    assert "loan_approval" in body["detail"]


def test_new_tables_match_their_models(ctx: Context) -> None:
    assert portal_models.Notification.__table__.metadata is Base.metadata
    with ctx.db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = {"web_sessions", "portal_throttle", "notifications", "operators"}

    def touches(d: object) -> bool:
        text = repr(d)
        return any(name in text for name in mine)

    assert [d for d in diffs if touches(d)] == []
