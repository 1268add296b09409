"""The ``counters`` table as an :class:`anxin.pki.ports.SerialStore`.

A repository on the caller's session: one conditional ``UPDATE … RETURNING`` (and, the
first time, an insert of the missing row) in the caller's transaction, never committed
here. A reservation should be a short transaction of its own, so that the counter's row
lock (PostgreSQL) or the write lock (SQLite) is not held by a longer use case:
:class:`anxin.services.pki_services.DbSerialSource` opens one per block.

Example::

    with db.transaction() as session:
        last = SqlSerialStore(session).reserve("tsa_serial", 64)   # last..last-63 are ours
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from anxin.storage.models import Counter


class SqlSerialStore:
    """Named counters in ``counters``, through one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def reserve(self, name: str, count: int) -> int:
        bump = (update(Counter).where(Counter.name == name)
                .values(value=Counter.value + count).returning(Counter.value))
        value = self._session.execute(bump).scalar_one_or_none()
        if value is None:
            self._session.execute(self._insert_if_missing(name))
            value = self._session.execute(bump).scalar_one()
        return int(value)

    def _insert_if_missing(self, name: str) -> sqlite.Insert | postgresql.Insert:
        # Two workers may both find the row missing: the loser's insert does nothing and
        # its UPDATE then waits for (PostgreSQL) or follows (SQLite) the winner's.
        if self._session.get_bind().dialect.name == "postgresql":
            return postgresql.insert(Counter).values(
                name=name, value=0).on_conflict_do_nothing(index_elements=["name"])
        return sqlite.insert(Counter).values(
            name=name, value=0).on_conflict_do_nothing(index_elements=["name"])
