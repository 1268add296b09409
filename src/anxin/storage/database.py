"""The database handle: engine, transactions, migrations.

Example::

    db = Database.connect("sqlite:///:memory:")
    db.migrate()
    with db.transaction() as session: ...

On SQLite every transaction but a read-only :meth:`Database.snapshot` starts with
``BEGIN IMMEDIATE`` so that concurrent writers queue on the database lock instead of
failing on a read-to-write upgrade. On PostgreSQL
transactions run at READ COMMITTED; the use cases rely on conditional UPDATEs and row
locks, not on isolation level, for their atomicity.

With a streaming replica (``replica_url``, PostgreSQL only), :meth:`Database.read_lagging`,
:meth:`Database.read_fresh` and :meth:`Database.replica_connection` read there (see
:mod:`anxin.storage.replica`); every other method, and so every write, lock and the gate,
stays on the primary. Without one they read from the primary.

A SQLite database file is created 0600 before SQLite opens it (its ``-wal`` and ``-shm``
files inherit that mode from it), since it holds personal data and key hashes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from anxin.private_files import touch_private
from anxin.storage.replica import Replica, ReplicaLag, ReplicaUnavailable, primary_position

if TYPE_CHECKING:
    from anxin.keys import DataKeys

log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's events drive BEGIN: pysqlite's own transaction handling is off.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for in-memory or non-SQLite URLs)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    name = parsed.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def _create_private_sqlite_file(url: str) -> None:
    path = sqlite_file(url)
    if path is not None and path.parent.is_dir() and not path.exists():
        touch_private(path)


def _sqlite_begin(conn: Any) -> None:
    # A snapshot (Database.snapshot) only reads: a deferred BEGIN, which in WAL mode
    # neither takes nor waits for the write lock.
    read_only = conn.get_execution_options().get(_SNAPSHOT_OPTION, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


_SNAPSHOT_OPTION = "anxin_snapshot"

T = TypeVar("T")


class Database:
    """An engine and a session factory; use cases open one transaction each."""

    def __init__(self, engine: Engine, *, replica: Replica | None = None,
                 autocommit: Engine | None = None) -> None:
        self.engine = engine
        self.replica = replica
        # PostgreSQL: a pool of its own whose connections stay in autocommit (see
        # connect()); otherwise the engine's connections, switched for the block.
        self._autocommit = (autocommit if autocommit is not None
                            else engine.execution_options(isolation_level="AUTOCOMMIT"))
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._snapshots = sessionmaker(engine.execution_options(**{_SNAPSHOT_OPTION: True}),
                                       expire_on_commit=False, autoflush=False)

    @classmethod
    def connect(cls, url: str, *, pool_size: int = 10, replica_url: str = "",
                replica_wait: float = 0.05,
                idle_in_transaction_seconds: float = 0.0) -> Database:
        """An engine for ``url``. On PostgreSQL, ``idle_in_transaction_seconds > 0`` makes
        the server end a session left idle inside a transaction that long: a node frozen
        (or cut off) while it holds the ledger sequencer's lock or a row lock would
        otherwise hold it until TCP notices, and no other node could take over."""
        if url.startswith("sqlite"):
            kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
            if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
                kwargs["poolclass"] = StaticPool
            else:
                _create_private_sqlite_file(url)
            engine = create_engine(url, **kwargs)
            autocommit = None
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            # No pre-ping (a round trip per checkout on the hot path); connections are
            # recycled instead, and a dead one fails its transaction, which is retried by
            # the caller like any other failure.
            connect_args: dict[str, Any] = {}
            if idle_in_transaction_seconds > 0:
                ms = max(1, round(idle_in_transaction_seconds * 1000))
                connect_args["options"] = f"-c idle_in_transaction_session_timeout={ms}"
            engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                                   pool_recycle=1800, connect_args=connect_args)
            # The single statements (the gate's grant, every autocommit read) take their
            # connections from a pool of their own, opened in autocommit and never
            # switched: switching an engine's connection there and back on every checkout
            # (SQLAlchemy's isolation-level handling) cost ~100 us of CPU a statement,
            # over a third of the ledger's enqueue (bench/ledger.py's producer, one
            # thread: 417-454 against 246-283 us a leaf). The pool's reset on return
            # stays: psycopg's rollback costs nothing on an idle connection, and one left
            # inside a transaction (an explicit BEGIN) is rolled back before the next
            # grant could run in it. Its size is the overflow the main pool gave up: still
            # at most 3 x pool_size connections a process, as docs/operations.md sizes
            # max_connections.
            autocommit = create_engine(url, pool_size=pool_size, max_overflow=0,
                                       pool_recycle=1800, connect_args=connect_args,
                                       isolation_level="AUTOCOMMIT")
        if replica_url:
            if not (url.startswith("postgresql") and replica_url.startswith("postgresql")):
                raise ValueError("a read replica needs PostgreSQL on both sides")
            # A short connect timeout: a dead standby must not hold a read for long
            # before it falls back to the primary.
            replica = Replica(create_engine(replica_url, pool_size=pool_size,
                                            max_overflow=pool_size * 2, pool_recycle=1800,
                                            connect_args={"connect_timeout": 2}),
                              max_wait=replica_wait)
            return cls(engine, replica=replica, autocommit=autocommit)
        return cls(engine, autocommit=autocommit)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: commits if the block ends normally, rolls back otherwise."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only transaction, always rolled back: for reads made while no lock may
        be held (a signing's validation data). On SQLite a deferred ``BEGIN``, so that
        it never waits on a writer nor makes one wait; on PostgreSQL an ordinary
        READ COMMITTED transaction. Whatever is added to the session is never written."""
        with self._snapshots() as session:
            try:
                yield session
            finally:
                session.rollback()

    def read_lagging(self, read: Callable[[Session], T]) -> T:
        """``read`` in a read-only session that may see the primary's state of a moment
        ago: on the replica when there is one and it answers, else (or when the replica
        fails the read) in :meth:`snapshot` on the primary. For lists; ``read`` changes
        nothing (the caller re-reads on the primary what must change)."""
        return self._replica_or_primary(read, None)

    def read_fresh(self, read: Callable[[Session], T]) -> T:
        """``read`` in a read-only session that sees every transaction the primary had
        committed when it was called (read-your-writes, whichever node wrote): on the
        replica once it has replayed the primary's WAL position (waiting up to the
        replica's ``max_wait``), else in :meth:`snapshot` on the primary."""
        if self.replica is None:
            return self._replica_or_primary(read, None)
        with self._autocommit.connect() as conn:
            position = primary_position(conn)
        return self._replica_or_primary(read, position)

    def _replica_or_primary(self, read: Callable[[Session], T], position: str | None) -> T:
        """``read`` on the replica (once caught up with ``position``, when given), or in
        :meth:`snapshot` on the primary when there is none, it lags or it fails."""
        if self.replica is not None:
            try:
                with self.replica.session(caught_up_with=position) as session:
                    if session is not None:
                        return read(session)
            except ReplicaUnavailable:
                pass
        with self.snapshot() as session:
            return read(session)

    def replica_lag(self) -> ReplicaLag | None:
        """The replica's replay lag behind the primary's current WAL position, for
        ``/metrics``; None without a replica, or when the primary does not answer (the
        scrape still answers, with the gauges as they were)."""
        if self.replica is None:
            return None
        try:
            with self._autocommit.connect() as conn:
                position = primary_position(conn)
        except (OperationalError, InterfaceError) as exc:
            log.warning("replica lag: the primary does not answer (%s)", type(exc).__name__)
            return None
        return self.replica.lag(position)

    @contextmanager
    def replica_connection(self) -> Iterator[Connection | None]:
        """A Core connection in a read-only transaction on the replica, or None (no
        replica, or it does not answer): the ledger's proofs and entries, which check
        what the replica has and ask the primary for the rest. A read the replica fails
        raises :class:`~anxin.storage.replica.ReplicaUnavailable` out of the block."""
        if self.replica is None:
            yield None
            return
        with self.replica.connection() as conn:
            yield conn

    @contextmanager
    def core_transaction(self) -> Iterator[Connection]:
        """A Core connection in one transaction, for hot paths that skip the ORM."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def single_statement(self) -> Iterator[Connection]:
        """A connection for work that is ONE statement, which is then atomic on its own.
        On PostgreSQL it runs in autocommit (one statement, data-modifying CTEs included,
        is one transaction), which saves the BEGIN and COMMIT round trips and holds any
        row lock for the statement only, on a connection of the autocommit pool (see
        :meth:`connect`). On SQLite it is an ordinary transaction."""
        if self.dialect != "postgresql":
            with self.engine.begin() as conn:
                yield conn
            return
        with self._autocommit.connect() as conn:
            yield conn

    def migrate(self, *, data_keys: DataKeys | None = None) -> None:
        """Bring the schema to the newest migration (creates it on an empty database).

        ``data_keys`` lets a migration encrypt existing rows (0007: stored certificates).
        On SQLite, a migration of a database that had rows ends with ``VACUUM``, so that
        clear values a migration replaced do not linger in free pages."""
        before = self.current_revision()
        with self.migration_connection() as conn:
            cfg = _alembic_config(conn)
            cfg.attributes["data_keys"] = data_keys
            command.upgrade(cfg, "head")
        if self.dialect == "sqlite" and before is not None and self.current_revision() != before:
            raw = self.engine.raw_connection()  # outside any BEGIN, which VACUUM refuses
            try:
                cursor = raw.cursor()
                cursor.execute("VACUUM")
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                cursor.close()
            finally:
                raw.close()

    @contextmanager
    def migration_connection(self) -> Iterator[Connection]:
        """A connection in one transaction for Alembic. On SQLite, foreign keys are off
        while it runs (set outside the transaction, where SQLite honours it), as SQLite's
        table rebuilds (Alembic's batch mode) drop a table that others reference; they
        are checked with ``PRAGMA foreign_key_check`` before the commit."""
        with self.engine.connect() as conn:
            raw = conn.connection.driver_connection if self.dialect == "sqlite" else None
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    yield conn
                    if raw is not None:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise RuntimeError(f"a migration broke foreign keys: {broken[:5]}")
            finally:
                if raw is not None:
                    raw.execute("PRAGMA foreign_keys=ON")

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            if not self.engine.dialect.has_table(conn, "alembic_version"):
                return None
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            return None if row is None else str(row[0])

    def dispose(self) -> None:
        self.engine.dispose()
        if self._autocommit.pool is not self.engine.pool:  # a pool of its own
            self._autocommit.dispose()
        if self.replica is not None:
            self.replica.dispose()


def _alembic_config(connection: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location",
                        str(resources.files("anxin.storage") / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg
