"""``ANXIN_DATABASE_REPLICA_URL`` (docs/operations.md, "Multi-node deployment"): a
PostgreSQL streaming replica of a PostgreSQL primary, or nothing; any other combination
stops every command naming the setting, before anything connects."""

from __future__ import annotations

from pathlib import Path

import pytest

from anxin.config import load_settings
from anxin.errors import ConfigurationError

PRIMARY = "postgresql+psycopg://anxin@db-primary:5432/anxin"
REPLICA = "postgresql+psycopg://anxin@db-replica:5432/anxin"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANXIN_DATABASE_URL", "ANXIN_DATABASE_REPLICA_URL",
                 "ANXIN_DATABASE_REPLICA_WAIT_MS"):
        monkeypatch.delenv(name, raising=False)


def test_a_postgresql_replica_of_a_postgresql_primary_is_taken(tmp_path: Path) -> None:
    s = load_settings(data_dir=tmp_path, database_url=PRIMARY, database_replica_url=REPLICA)
    assert s.database_replica_url == REPLICA
    assert s.database_replica_wait_ms == 50


def test_no_replica_is_the_default(tmp_path: Path) -> None:
    assert load_settings(data_dir=tmp_path).database_replica_url == ""


def test_a_replica_of_the_default_sqlite_database_is_refused_naming_both(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANXIN_DATABASE_REPLICA_URL", REPLICA)
    with pytest.raises(ConfigurationError) as caught:
        load_settings(data_dir=tmp_path)
    assert "ANXIN_DATABASE_REPLICA_URL" in caught.value.detail
    assert "ANXIN_DATABASE_URL" in caught.value.detail


def test_a_replica_url_that_is_not_postgresql_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANXIN_DATABASE_URL", PRIMARY)
    monkeypatch.setenv("ANXIN_DATABASE_REPLICA_URL", "sqlite:///replica.db")
    with pytest.raises(ConfigurationError) as caught:
        load_settings(data_dir=tmp_path)
    assert caught.value.detail.startswith("ANXIN_DATABASE_REPLICA_URL:")
    assert "'sqlite'" in caught.value.detail


def test_a_negative_wait_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANXIN_DATABASE_REPLICA_WAIT_MS", "-1")
    with pytest.raises(ConfigurationError) as caught:
        load_settings(data_dir=tmp_path)
    assert "ANXIN_DATABASE_REPLICA_WAIT_MS" in caught.value.detail
