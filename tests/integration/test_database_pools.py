"""PostgreSQL: the single statements (the gate's grant, the ledger's enqueue in autocommit)
take their connections from a pool of their own, in autocommit and never switched. What
must hold: every statement there commits on its own; a connection
left inside a transaction is never handed to the next caller; those statements never
wait behind the ORM's transactions, and a process still opens at most 3 × pool_size
connections (docs/operations.md sizes max_connections by it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from anxin.storage.database import Database
from tests.common.backends import libpq_url, require_postgres, throwaway_postgres

pytestmark = pytest.mark.postgres


def _backends(url: str) -> int:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND pid <> pg_backend_pid()").fetchone()
        assert row is not None
        return int(row[0])


@contextmanager
def _database(pool_size: int) -> Iterator[tuple[Database, str]]:
    """A Database on a throwaway PostgreSQL database, and that database's URL."""
    with throwaway_postgres(require_postgres()) as url:
        db = Database.connect(url, pool_size=pool_size)
        try:
            yield db, url
        finally:
            db.dispose()


def test_a_single_statement_commits_on_its_own() -> None:
    with _database(2) as (db, url), db.single_statement() as conn:
        conn.execute(text("CREATE TABLE t (v int)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
        # Seen from another session before the block ends: committed already.
        with psycopg.connect(libpq_url(url)) as other:
            assert other.execute("SELECT v FROM t").fetchall() == [(1,)]


def test_a_connection_left_in_a_transaction_is_not_handed_on() -> None:
    with _database(1) as (db, url):
        with db.single_statement() as conn:
            conn.execute(text("CREATE TABLE t (v int)"))
        with db.single_statement() as conn:
            # On the driver's connection, as PgStatement runs the grant: SQLAlchemy's
            # Connection sees no transaction of its own here; the pool's reset on return
            # must roll this one back.
            leaked = conn.connection.driver_connection
            assert isinstance(leaked, psycopg.Connection)
            leaked.execute("BEGIN")
            leaked.execute("INSERT INTO t VALUES (1)")
        # The pool's one connection: the next statement must not run inside that
        # transaction (it would never be committed), and the INSERT is gone.
        with db.single_statement() as conn:
            raw = conn.connection.driver_connection
            assert isinstance(raw, psycopg.Connection)
            assert raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            conn.execute(text("INSERT INTO t VALUES (2)"))
        with psycopg.connect(libpq_url(url)) as other:
            assert other.execute("SELECT v FROM t").fetchall() == [(2,)]


def test_single_statements_do_not_wait_behind_transactions_and_the_budget_holds() -> None:
    with _database(2) as (db, url), ExitStack() as held:
        # Every connection the transactions may take (pool_size + overflow) ...
        for _ in range(4):
            held.enter_context(db.core_transaction()).execute(text("SELECT 1"))
        # ... and single statements still get theirs, from their own pool.
        for _ in range(2):
            conn = held.enter_context(db.single_statement())
            assert conn.execute(text("SELECT 1")).scalar() == 1
        assert _backends(url) == 6  # 3 × pool_size, all of them open


def test_sqlite_single_statements_are_transactions_as_before(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        with db.single_statement() as conn:
            conn.execute(text("CREATE TABLE t (v int)"))

        def insert_then_fail() -> None:
            with db.single_statement() as conn:
                conn.execute(text("INSERT INTO t VALUES (1)"))
                raise RuntimeError("rolls the block back")

        with pytest.raises(RuntimeError):
            insert_then_fail()
        with db.core_transaction() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    finally:
        db.dispose()
