"""Helpers for the PKI integration tests: a real PKI, databases, a minimal app, openssl."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from anxin.config import Settings, load_settings
from anxin.keys import DataKeys
from anxin.pki.authority import Pki, ensure_pki, load_pki
from anxin.pki.serials import InMemorySerialSource, SerialSource
from anxin.pki.tsa import TimestampAuthority
from anxin.storage.database import Database
from anxin.web.pki_routes import build_router

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# Field-encryption keys for tests that record certificates outside a Context.
TEST_KEYS = DataKeys(b"\x07" * 32)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_pki(root: Path) -> tuple[Settings, Pki]:
    settings = load_settings(data_dir=root / "data")
    ensure_pki(settings)
    return settings, load_pki(settings)


def sqlite_db(root: Path) -> Database:
    db = Database.connect(f"sqlite:///{root / 'anxin.db'}")
    db.migrate()
    return db


def postgres_admin_url() -> str | None:
    url = os.environ.get("ANXIN_TEST_DATABASE_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return DEFAULT_PG
    except OSError:
        return None


@contextmanager
def throwaway_postgres() -> Iterator[Database]:
    """A fresh, migrated PostgreSQL database, dropped afterwards."""
    admin = postgres_admin_url()
    if admin is None:
        if os.environ.get("ANXIN_REQUIRE_ALL_TESTS") == "1":
            pytest.fail("PostgreSQL is required (ANXIN_REQUIRE_ALL_TESTS=1) but none answers")
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    name = f"anxin_pki_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database.connect(make_url(admin).set(database=name).render_as_string(
        hide_password=False), pool_size=20)
    try:
        db.migrate()
        yield db
    finally:
        db.dispose()
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@dataclass
class FakeCtx:
    """The part of the services context the PKI router reads."""

    settings: Settings
    db: Database
    pki: Pki
    tsa: TimestampAuthority
    clock: Callable[[], dt.datetime] = utcnow


def make_ctx(settings: Settings, pki: Pki, db: Database,
             serials: SerialSource | None = None) -> FakeCtx:
    tsa = TimestampAuthority(pki, serials or InMemorySerialSource())
    return FakeCtx(settings=settings, db=db, pki=pki, tsa=tsa)


def make_app(ctx: FakeCtx) -> FastAPI:
    app = FastAPI()
    app.state.ctx = ctx
    app.include_router(build_router())
    return app


def openssl(*args: str | Path, input_bytes: bytes | None = None) -> str:
    """Run openssl; return stdout+stderr as text, raising if it exits non-zero."""
    done = subprocess.run(["openssl", *map(str, args)], input=input_bytes,
                          capture_output=True, check=False, timeout=60)
    output = (done.stdout + done.stderr).decode(errors="replace")
    if done.returncode != 0:
        raise AssertionError(f"openssl {' '.join(map(str, args))} failed:\n{output}")
    return output
