"""A real test PKI in a temporary data directory, made once per test module."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from anxin.config import Settings, load_settings
from anxin.pki.authority import Pki, ensure_pki, load_pki


@pytest.fixture(scope="module")
def pki_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = load_settings(data_dir=tmp_path_factory.mktemp("pki") / "data",
                             base_url="https://anxin.example.test")
    assert ensure_pki(settings)
    return settings


@pytest.fixture(scope="module")
def pki(pki_settings: Settings) -> Pki:
    return load_pki(pki_settings)


@pytest.fixture
def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def fresh_settings(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings(data_dir=tmp_path / "data", **overrides)
