"""Shared fixtures: back-ends (SQLite and PostgreSQL), a controllable clock, the app."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from anxin.bootstrap import build_services
from anxin.config import Settings, load_settings
from anxin.services.context import Context
from anxin.services.institutions import add_institution
from anxin.services.setup import initialise
from anxin.web.app import create_app
from tests.common.backends import release_database, require_postgres, throwaway_postgres
from tests.common.factories import Api


class FakeClock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.frozen = False

    def __call__(self) -> dt.datetime:
        return self.now if self.frozen else self.now + (dt.datetime.now(dt.UTC) - self._t0)

    def start(self) -> FakeClock:
        self._t0 = dt.datetime.now(dt.UTC)
        return self

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[str]:
    """A migrated database URL, one per back-end for the whole session."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'anxin.db'}"
    else:
        admin = require_postgres()
        with throwaway_postgres(admin) as url:
            yield url


@pytest.fixture
def signature_profile() -> str:
    """The data directory's signature profile; a test parametrizes it to run on sm/dual."""
    return "intl"


@pytest.fixture
def settings(tmp_path: Path, backend: str, signature_profile: str) -> Settings:
    # Each test is a new deployment on the session's shared database.
    release_database(backend)
    initialise(load_settings(data_dir=tmp_path / "data", database_url=backend,
                             profile=signature_profile))
    # Reloaded: init wrote anxin.toml, whose values (policy ceilings) now apply.
    return load_settings(data_dir=tmp_path / "data", database_url=backend)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock().start()


@pytest.fixture
def ctx(settings: Settings, clock: FakeClock) -> Iterator[Context]:
    c = build_services(settings, clock=clock, background_workers=False)
    # The expiry sweep and the delivery worker act on the whole (shared) database; tests
    # that exercise them start them explicitly (tests/integration/test_sweep.py & co).
    yield c
    c.close()


@pytest.fixture
def client(settings: Settings, ctx: Context) -> Iterator[TestClient]:
    with TestClient(create_app(settings, ctx)) as c:
        yield c


@pytest.fixture
def api(client: TestClient, ctx: Context) -> Api:
    inst = add_institution(ctx, "Example Bank")
    return Api(client, inst.api_key, inst.id)


@pytest.fixture
def other_api(client: TestClient, ctx: Context) -> Api:
    inst = add_institution(ctx, "Other Lender")
    return Api(client, inst.api_key, inst.id)


@pytest.fixture
def outbox(settings: Settings) -> Path:
    return settings.outbox_path


def pytest_configure(config: pytest.Config) -> None:
    """The whole session shares one database per back-end and one client address
    (``testclient``), so the platform-wide SMS limits (per IP, global) are lifted for the
    suite; tests/security/test_sms_pumping.py sets them low explicitly."""
    os.environ.setdefault("ANXIN_SMS_LIMIT_PER_IP", str(10**9))
    os.environ.setdefault("ANXIN_SMS_LIMIT_GLOBAL", str(10**9))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in the main
    thread while its session lasts, which code under test must not find."""
    for item in items:  # every test under tests/browser is one, marked or not
        if "tests/browser/" in item.nodeid and item.get_closest_marker("browser") is None:
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
