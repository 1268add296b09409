"""``GET /ledger/checkpoint`` only reads: an anonymous client cannot make the server sign
a checkpoint, ask the TSA for a token and write a row per request."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from anxin.config import Settings
from anxin.services.context import Context
from anxin.services.institutions import add_institution
from anxin.storage.models import LedgerCheckpoint
from anxin.web.app import create_app
from tests.common.factories import Api


def _stored(ctx: Context) -> int:
    with ctx.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(LedgerCheckpoint)) or 0)


def test_get_checkpoint_signs_and_writes_nothing(settings: Settings, ctx: Context) -> None:
    quiet = dataclasses.replace(ctx, ledger_checkpoints=False)  # no sequencer: only GETs
    with TestClient(create_app(settings, quiet)) as client:
        inst = add_institution(quiet, "Checkpoint Bank")
        inst_api = Api(client, inst.api_key, inst.id)
        inst_api.template()
        inst_api.request(seq=8801)
        first = quiet.ledger.checkpoint(force=True)
        assert first is not None
        inst_api.request(seq=8802)  # more leaves after the newest checkpoint
        quiet.ledger.integrate_all()
        before = _stored(quiet)
        for _ in range(5):
            r = client.get("/ledger/checkpoint")
            assert r.status_code == 200
            assert r.text == first.note  # the newest stored one, not a fresh signature
        assert _stored(quiet) == before
        assert quiet.ledger.size() > first.size
