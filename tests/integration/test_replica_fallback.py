"""A read replica that does not answer costs no read: lagging and fresh reads are made
on the primary, and the ledger's replica connection is None (its proofs then come from
the primary). The replica is a closed port on 127.0.0.1; the primary a throwaway
database on the suite's PostgreSQL."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import make_url, text

from anxin.storage.database import Database
from tests.common.backends import require_postgres, throwaway_postgres

pytestmark = pytest.mark.postgres


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the socket is


def test_reads_go_to_the_primary_while_the_replica_does_not_answer() -> None:
    with throwaway_postgres(require_postgres()) as url:
        dead = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/replica_anxin"
        db = Database.connect(url, replica_url=dead, replica_wait=0.01)
        name = make_url(url).database
        try:
            for read in (db.read_lagging, db.read_fresh, db.read_lagging):
                assert read(lambda s: s.execute(text(
                    "SELECT current_database(), pg_is_in_recovery()")).one()) == (name, False)
            with db.replica_connection() as conn:
                assert conn is None
        finally:
            db.dispose()


def test_without_a_replica_every_read_is_the_primarys() -> None:
    db = Database.connect("sqlite://")
    try:
        assert db.read_lagging(lambda s: s.execute(text("SELECT 1")).scalar()) == 1
        assert db.read_fresh(lambda s: s.execute(text("SELECT 1")).scalar()) == 1
        with db.replica_connection() as conn:
            assert conn is None
    finally:
        db.dispose()


def test_a_replica_of_sqlite_is_refused() -> None:
    with pytest.raises(ValueError, match="PostgreSQL on both sides"):
        Database.connect("sqlite://", replica_url="postgresql+psycopg://x@127.0.0.1/y")
