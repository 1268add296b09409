"""A hot PostgreSQL statement converted once, run on psycopg's raw cursor.

The use gate's grant is one long statement (data-modifying CTEs, ~40 parameters). Through
SQLAlchemy's ``text()`` every call compiled its parameters and psycopg re-parsed the
query (``%(name)s`` to ``$n``): the converted query is longer than psycopg's parse cache
takes (4,096 characters), so it was parsed again on every call, 15 % of the gate's
Python time under load (py-spy, bench/use_gate.py). :class:`PgStatement` turns the
``:name`` placeholders into ``$n`` once, at import, and runs the query on a
``psycopg.RawCursor`` (no client-side parsing; psycopg still prepares it server-side
after a few calls). Errors are raised as SQLAlchemy's (``IntegrityError``,
``OperationalError``, ...) with the connection invalidated on a disconnect, exactly as
``Connection.execute`` would, so callers and the edge's 503 handler are unchanged.

Example::

    stmt = PgStatement("SELECT status FROM authorizations WHERE id = :aid")
    with db.single_statement() as conn:
        row = stmt.first(conn, {"aid": auth_id})
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

import psycopg
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

# SQLAlchemy's own rule for text() binds: ``:name`` not preceded by ``:`` or a word
# character (so ``::bytea`` casts are left alone) and not followed by ``:``.
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


class PgStatement:
    """One statement with ``:name`` parameters, ready for psycopg's raw cursor."""

    __slots__ = ("names", "query", "sql")

    def __init__(self, sql: str) -> None:
        self.sql = sql
        names: list[str] = []

        def number(m: re.Match[str]) -> str:
            if m.group(1) not in names:
                names.append(m.group(1))
            return f"${names.index(m.group(1)) + 1}"

        self.query = _BIND.sub(number, sql)
        self.names = tuple(names)

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of the statement run on ``conn`` (its transaction, if any)."""
        raw = conn.connection.driver_connection
        assert isinstance(raw, psycopg.Connection)
        values = [params[n] for n in self.names]
        try:
            with psycopg.RawCursor(raw) as cur:
                cur.execute(self.query, values)
                return cur.fetchone()
        except psycopg.Error as exc:
            disconnect = conn.dialect.is_disconnect(cast(Any, exc), conn.connection, None)
            if disconnect:
                conn.invalidate(exc)
            raise DBAPIError.instance(self.sql, None, exc, psycopg.Error,
                                      connection_invalidated=disconnect,
                                      dialect=conn.dialect) from exc
