"""Reads from a PostgreSQL streaming replica (``ANXIN_DATABASE_REPLICA_URL``).

A hot standby answers reads with the primary's state of a moment ago. Two kinds of read
use it (:class:`~anxin.storage.database.Database` offers both; docs/operations.md,
"Multi-node deployment", says which route uses which):

- a *lagging* read takes the replica as it is: for lists, and for the ledger, whose
  answers are checked against what the replica has (a proof for a tree size the replica
  has not replayed yet is made on the primary, never a wrong or failed proof);
- a *fresh* read sees every transaction the primary had committed when it began
  (read-your-writes, across nodes too): it reads the primary's WAL position
  (``pg_current_wal_lsn()``, no table touched), waits up to
  ``ANXIN_DATABASE_REPLICA_WAIT_MS`` for the replica to have replayed it, and is made
  on the primary when it has not.

A read the replica fails (it went away under a pooled connection, or cancelled the query
in a recovery conflict) raises :class:`ReplicaUnavailable` out of the block, and the
caller makes it again on the primary (``Database.read_lagging``, ``read_fresh``). A
replica that does not answer is then left alone for a few seconds (reads go to the
primary meanwhile), so that a dead standby costs one failed read, not one per request.

Example::

    replica = Replica(create_engine(url), max_wait=0.05)
    with replica.session(caught_up_with=lsn) as s: ...   # None: not caught up in time
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

# After a failed connection, the replica is not tried again for this long (seconds).
RETRY_AFTER = 5.0
# How often a fresh read asks the replica whether it has caught up (seconds).
POLL = 0.001

_REPLAYED = text("SELECT coalesce(pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn), false)")


# How far the replica's replay is behind a primary WAL position: bytes, and seconds since
# the last transaction it replayed (0 when it has replayed the position: an idle primary
# commits nothing, and the age of the last replayed commit would grow without any lag).
_LAG = text("SELECT greatest(pg_wal_lsn_diff(CAST(:lsn AS pg_lsn), pg_last_wal_replay_lsn()),"
            " 0), CASE WHEN pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn) THEN 0"
            " ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END")


@dataclass(frozen=True, slots=True)
class ReplicaLag:
    """What ``/metrics`` says of the replica: whether it answered, and its replay lag
    behind the primary's WAL position (None when it did not answer)."""

    up: bool
    lag_bytes: float | None = None
    lag_seconds: float | None = None


def primary_position(conn: Connection) -> str:
    """The primary's WAL write position: every transaction committed before the call is
    at or before it (a commit is acknowledged once its WAL is flushed, which is written)."""
    return str(conn.exec_driver_sql("SELECT pg_current_wal_lsn()::text").scalar_one())


class ReplicaUnavailable(Exception):
    """The replica failed a read: make it on the primary."""


class Replica:
    """The replica's engine, its read-only sessions, and whether it is answering."""

    def __init__(self, engine: Engine, *, max_wait: float) -> None:
        self.engine = engine
        self.max_wait = max_wait
        self._sessions = sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: DBAPIError) -> ReplicaUnavailable:
        """A read failed on the replica: a lost connection marks it down (a recovery
        conflict does not: the next read may well succeed)."""
        if exc.connection_invalidated:
            self._mark_down(exc)
        else:
            log.warning("a read on the replica failed (%s); made on the primary", exc.orig)
        return ReplicaUnavailable(str(exc.orig))

    def _mark_down(self, exc: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + RETRY_AFTER
        log.warning("the read replica does not answer (%s); reading from the primary for "
                    "%.0f s", type(exc).__name__, RETRY_AFTER)

    def lag(self, lsn: str) -> ReplicaLag:
        """The replay lag behind ``lsn`` (the primary's position, read just before).
        Never raises: a replica that does not answer is ``up=False`` (and left alone for
        a while, as after a failed read)."""
        if not self._available():
            return ReplicaLag(up=False)
        try:
            with self.engine.connect() as conn:
                lag_bytes, lag_seconds = conn.execute(_LAG, {"lsn": lsn}).one()
        except (OperationalError, InterfaceError) as exc:
            self._mark_down(exc)
            return ReplicaLag(up=False)
        except DBAPIError as exc:  # not a standby (replay functions answer NULL) or alike
            log.warning("the replica's lag could not be read (%s)", exc.orig)
            return ReplicaLag(up=False)
        return ReplicaLag(up=lag_bytes is not None,
                          lag_bytes=None if lag_bytes is None else float(lag_bytes),
                          lag_seconds=None if lag_seconds is None else float(lag_seconds))

    def _caught_up(self, session: Session, lsn: str) -> bool:
        deadline = time.monotonic() + self.max_wait
        while True:
            if session.execute(_REPLAYED, {"lsn": lsn}).scalar_one():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL)

    @contextmanager
    def session(self, *, caught_up_with: str | None = None) -> Iterator[Session | None]:
        """A read-only session on the replica, always rolled back; None when the replica
        is down or (with ``caught_up_with``, a primary WAL position) has not replayed that
        position within ``max_wait``: the caller then reads from the primary."""
        if not self._available():
            yield None
            return
        with self._sessions() as session:
            try:
                session.connection()  # connect now: a dead replica is found here
                ready = caught_up_with is None or self._caught_up(session, caught_up_with)
            except (OperationalError, InterfaceError) as exc:
                self._mark_down(exc)
                session.rollback()
                ready = False
            try:
                yield session if ready else None
            except (OperationalError, InterfaceError) as exc:
                if not ready:
                    raise
                raise self._failed(exc) from exc
            finally:
                session.rollback()

    @contextmanager
    def connection(self) -> Iterator[Connection | None]:
        """A Core connection on the replica in a read-only transaction (rolled back), or
        None when the replica is down."""
        if not self._available():
            yield None
            return
        try:
            conn = self.engine.connect()
        except (OperationalError, InterfaceError) as exc:
            self._mark_down(exc)
            yield None
            return
        with conn:
            try:
                conn.begin()
                yield conn
            except (OperationalError, InterfaceError) as exc:
                raise self._failed(exc) from exc
            finally:
                conn.rollback()

    def dispose(self) -> None:
        self.engine.dispose()


__all__ = ["Replica", "ReplicaUnavailable", "primary_position"]
