"""The storage side of ``anxin.pki.ports``: the SQL repositories read and write in the
caller's transaction and never commit (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from anxin.pki.ports import CertificateStore, SerialStore, StoredCertificate
from anxin.pki.serials import SerialUnavailable
from anxin.services.pki_services import DatabaseSerialStore
from anxin.storage.certificate_store import SqlCertificateStore
from anxin.storage.database import Database
from anxin.storage.models import Counter, IssuedCertificate
from anxin.storage.serial_store import SqlSerialStore
from tests.integration.pki_support import sqlite_db, throwaway_postgres

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class _Rollback(Exception):
    pass


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = sqlite_db(tmp_path)
        yield database
        database.dispose()
    else:
        with throwaway_postgres() as database:
            yield database


def _stored(serial: str, issuer: str = "aa") -> StoredCertificate:
    return StoredCertificate(serial=serial, kind="event", issuer_key_id=issuer,
                             authorization_id="auth-r", not_before=T0,
                             not_after=T0 + dt.timedelta(minutes=30), der_enc=b"\x01enc")


def test_certificates_round_trip_and_revoke_once(db: Database) -> None:
    with db.transaction() as session:
        store: CertificateStore = SqlCertificateStore(session)
        store.add(_stored("a1"))
        store.add(_stored("b2"))
        store.add(_stored("c3", issuer="bb"))
    with db.transaction() as session:
        store = SqlCertificateStore(session)
        got = store.get("a1")
        assert got is not None
        assert (got.kind, got.issuer_key_id, got.authorization_id, got.der_enc) == (
            "event", "aa", "auth-r", b"\x01enc")
        assert got.revoked_at is None
        assert store.get("ff") is None
        assert store.revoke("b2", "superseded", T0 + dt.timedelta(seconds=2))
        assert store.revoke("a1", "keyCompromise", T0 + dt.timedelta(seconds=1))
        assert store.revoke("c3", "keyCompromise", T0)
        assert not store.revoke("a1", "keyCompromise", T0 + dt.timedelta(seconds=3))
        assert not store.revoke("ff", "keyCompromise", T0)
    with db.transaction() as session:
        store = SqlCertificateStore(session)
        revoked = store.revoked("aa")
        assert [(r.serial, r.reason) for r in revoked] == [
            ("a1", "keyCompromise"), ("b2", "superseded")]
        assert revoked[0].revoked_at.replace(tzinfo=dt.UTC) == T0 + dt.timedelta(seconds=1)
        assert [r.serial for r in store.revoked("bb")] == ["c3"]


def _add_then_fail(db: Database) -> None:
    with db.transaction() as session:
        store = SqlCertificateStore(session)
        store.add(_stored("d4"))
        session.flush()
        assert store.get("d4") is not None
        raise _Rollback


def _reserve_then_fail(db: Database) -> None:
    with db.transaction() as session:
        assert SqlSerialStore(session).reserve("repo", 100) == 108
        raise _Rollback


def test_the_certificate_repository_never_commits(db: Database) -> None:
    with pytest.raises(_Rollback):
        _add_then_fail(db)
    with db.transaction() as session:
        assert session.get(IssuedCertificate, "d4") is None


def test_serial_counters_reserve_blocks_and_never_commit(db: Database) -> None:
    with db.transaction() as session:
        counters: SerialStore = SqlSerialStore(session)
        assert counters.reserve("repo", 5) == 5  # created at 0, then advanced
        assert counters.reserve("repo", 3) == 8
    with pytest.raises(_Rollback):
        _reserve_then_fail(db)
    with db.transaction() as session:
        value = session.scalar(select(Counter.value).where(Counter.name == "repo"))
    assert value == 8


def test_the_database_serial_store_commits_each_block_itself(db: Database) -> None:
    store = DatabaseSerialStore(db)
    assert store.reserve("own", 4) == 4
    assert store.reserve("own", 4) == 8
    with db.transaction() as session:
        assert session.scalar(select(Counter.value).where(Counter.name == "own")) == 8


def test_an_unreachable_database_is_serial_unavailable(tmp_path: Path) -> None:
    db = sqlite_db(tmp_path)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE counters")
    with pytest.raises(SerialUnavailable):
        DatabaseSerialStore(db).reserve("gone", 1)
    db.dispose()
