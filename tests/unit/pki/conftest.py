"""A real test PKI in a temporary data directory, made once per test module."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from anxin.config import Settings, load_settings
from anxin.pki.authority import Pki, ensure_pki, load_pki
from anxin.pki.sm2_authority import Sm2Pki, ensure_sm2_pki, load_sm2_pki


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


@pytest.fixture(scope="module")
def sm2_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An SM2 PKI on disk, its online keys encrypted with SM4-CBC."""
    settings = load_settings(data_dir=tmp_path_factory.mktemp("sm2pki") / "data",
                             base_url="https://anxin.example.test",
                             key_passphrase="online secret", root_key_passphrase="root secret")
    assert ensure_sm2_pki(settings, key_cipher="sm4")
    return settings


@pytest.fixture(scope="module")
def sm2_pki(sm2_settings: Settings) -> Sm2Pki:
    return load_sm2_pki(sm2_settings)
