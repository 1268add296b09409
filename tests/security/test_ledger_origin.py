"""Issue 12 item 12: the ledger's origin is fixed when the log is created and stored with
it. ``anxin ledger verify`` without the serving base URL must not raise a false tamper
alarm, and moving the service to a new domain must not break older checkpoints; an
existing log adopts the origin of its latest signed checkpoint on upgrade. SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import insert, select

from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.services.institutions import add_institution
from anxin.services.ledger import audit_ledger
from anxin.services.setup import initialise
from anxin.storage.database import Database, _alembic_config
from anxin.storage.models import LedgerCheckpoint
from tests.common.backends import require_postgres, throwaway_postgres


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own (the suite's shared ``backend`` has its origin fixed)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'own.db'}"
    else:
        with throwaway_postgres(require_postgres()) as url:
            yield url


def _ledger_verify(data_dir: Path, db_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    return subprocess.run([sys.executable, "-m", "anxin", "ledger", "verify", "--data-dir",
                           str(data_dir)], capture_output=True, text=True, check=False,
                          timeout=120, env={**clean, "ANXIN_DATABASE_URL": db_url, **env})


def _checkpointed_log(tmp_path: Path, db_url: str, base_url: str) -> Path:
    data = tmp_path / "data"
    initialise(load_settings(data_dir=data, database_url=db_url, base_url=base_url))
    ctx = build_services(load_settings(data_dir=data, database_url=db_url, base_url=base_url))
    try:
        add_institution(ctx, "Example Bank")
        ctx.ledger.integrate_all()
        ctx.ledger.checkpoint(force=True)
    finally:
        ctx.close()
    return data


def test_ledger_verify_without_the_base_url_passes_and_prints_the_origin(tmp_path, fresh_db):
    data = _checkpointed_log(tmp_path, fresh_db, "https://anxin.example.com")
    r = _ledger_verify(data, fresh_db)  # no ANXIN_BASE_URL: a verifier's own shell
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ledger origin: anxin.example.com/anxin" in r.stdout
    assert "ledger OK" in r.stdout


def test_a_new_base_url_never_changes_the_origin(tmp_path, fresh_db):
    data = _checkpointed_log(tmp_path, fresh_db, "https://anxin.example.com")
    moved = load_settings(data_dir=data, database_url=fresh_db,
                          base_url="https://consent.new-domain.example")
    initialise(moved)  # a second init on the new domain changes nothing
    ctx = build_services(moved)
    try:
        assert ctx.ledger.signer.name == "anxin.example.com/anxin"
        add_institution(ctx, "Other Lender")
        ctx.ledger.integrate_all()
        note = ctx.ledger.checkpoint(force=True).note
        assert note.startswith("anxin.example.com/anxin\n")
        report = audit_ledger(ctx.db, ctx.ledger.signer.verifier_key,
                              origin="anxin.example.com/anxin")
        assert report.ok, report.problems
        assert report.checkpoints == 2
    finally:
        ctx.close()
    r = _ledger_verify(data, fresh_db, ANXIN_BASE_URL="https://consent.new-domain.example")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ledger origin: anxin.example.com/anxin" in r.stdout


def test_an_existing_log_adopts_its_latest_checkpoints_origin_on_upgrade(tmp_path):
    """A deployment made before the origin was stored: its database is at 0006 with a
    checkpoint signed under the origin of the base URL it served then."""
    from anxin.services.ledger import read_origin
    from anxin.storage.models import LedgerOrigin
    with throwaway_postgres(require_postgres()) as url:
        for db_url in (f"sqlite:///{tmp_path / 'old.db'}", url):
            db = Database.connect(db_url)
            try:
                with db.engine.begin() as conn:
                    command.upgrade(_alembic_config(conn), "0006_ledger_chain")
                    conn.execute(insert(LedgerCheckpoint).values(
                        size=0, root_hash=b"\x00" * 32, tsa_token=None,
                        created_at=dt.datetime.now(dt.UTC),
                        note="old.example.org/anxin\n0\nAAAA\n\n\u2014 x y\n"))
                db.migrate()
                assert read_origin(db) == "old.example.org/anxin"
                with db.core_transaction() as conn:
                    assert conn.scalar(select(LedgerOrigin.origin)) == "old.example.org/anxin"
            finally:
                db.dispose()
