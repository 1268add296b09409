"""Database back-ends for the suite: SQLite always; PostgreSQL when one answers.

PostgreSQL is used when ``ANXIN_TEST_DATABASE_URL`` is set (an admin URL; the suite makes
and drops its own throwaway databases there) or a server answers on 127.0.0.1:5432. When
``ANXIN_REQUIRE_ALL_TESTS=1`` (CI), a missing server is a failure, never a skip.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str | None:
    url = os.environ.get("ANXIN_TEST_DATABASE_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return DEFAULT_PG
    except OSError:
        return None


def unavailable(message: str) -> NoReturn:
    """A part the test needs is missing: a failure under ``ANXIN_REQUIRE_ALL_TESTS=1``
    (CI: nothing is ever skipped there), a skip saying what to install otherwise."""
    if os.environ.get("ANXIN_REQUIRE_ALL_TESTS") == "1":
        pytest.fail(f"{message} (required: ANXIN_REQUIRE_ALL_TESTS=1)")
    pytest.skip(message)


def require_postgres() -> str:
    url = postgres_admin_url()
    if url is None:
        unavailable("no PostgreSQL answers: set ANXIN_TEST_DATABASE_URL or run one on "
                    "127.0.0.1:5432")
    return url


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as libpq and its tools take it (psycopg.connect, pgbench, pg_dump,
    psql): no ``+driver`` suffix."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def throwaway_postgres(admin_url: str, prefix: str = "anxin_test") -> Iterator[str]:
    """A fresh database on the server (``<prefix>_<random>``), dropped afterwards; yields
    its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def release_database(url: str) -> None:
    """Forget the deployment a shared test database belongs to (its ``key_material`` and
    ``deployment`` rows), so that the next test's new data directory may make its own
    keys there: the suite reuses one database per back-end for many deployments, which
    `anxin init` otherwise refuses (a data directory without keys on a database that
    belongs to a deployment must come in by `anxin node add`)."""
    engine = create_engine(url)
    try:
        with engine.begin() as c:
            if inspect(c).has_table("deployment"):
                c.execute(text("DELETE FROM key_material"))
                c.execute(text("DELETE FROM deployment"))
    finally:
        engine.dispose()
