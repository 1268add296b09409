"""Issue 12 item 14: what holds keys, personal data or one-time codes is private to the
service's user, whatever the umask: the database (and its WAL and SHM), the SMS outbox and
``anxin.toml`` are created 0600, the keys folder 0700, every key 0600."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.storage.database import Database

ANXIN = [sys.executable, "-m", "anxin"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _init_with_umask(data: Path, umask: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    subprocess.run(["sh", "-c", f'umask {umask} && exec "$@"', "sh", *ANXIN, "init",
                    "--data-dir", str(data)], check=True, env=env, timeout=120,
                   capture_output=True, stdin=subprocess.DEVNULL)


def test_init_creates_config_database_and_keys_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _init_with_umask(data, "000")  # the most permissive umask: modes come from the code
    assert _mode(data / "anxin.toml") == 0o600
    assert _mode(data / "anxin.db") == 0o600
    assert _mode(data / "keys") == 0o700
    assert _mode(data / "offline") == 0o700
    keys = sorted(data.rglob("*.key"))
    assert {p.name for p in keys} >= {"master.key", "seal.key", "issuing.key", "tsa.key",
                                      "ledger.key", "root.key"}
    assert {p.name: _mode(p) for p in keys} == {p.name: 0o600 for p in keys}


def test_the_wal_and_shm_of_the_database_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _init_with_umask(data, "000")
    db = Database.connect(f"sqlite:///{data / 'anxin.db'}")
    try:
        with db.core_transaction() as conn:  # a write: SQLite keeps -wal and -shm open
            conn.execute(text("CREATE TABLE probe (x INTEGER)"))
            wal, shm = data / "anxin.db-wal", data / "anxin.db-shm"
            assert wal.exists()
            assert shm.exists()
            assert (_mode(wal), _mode(shm)) == (0o600, 0o600)
    finally:
        db.dispose()


def test_a_database_file_made_by_connect_is_private(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        db = Database.connect(f"sqlite:///{tmp_path / 'new.db'}")
        db.migrate()
        db.dispose()
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new.db") == 0o600


def test_the_sms_outbox_is_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _init_with_umask(data, "000")
    old = os.umask(0)
    try:
        ctx = build_services(load_settings(data_dir=data))
        try:
            ctx.sms.send("+8613800138000", "Your code is 123456")
        finally:
            ctx.close()
    finally:
        os.umask(old)
    outbox = load_settings(data_dir=data).outbox_path
    assert "123456" in outbox.read_text(encoding="utf-8")
    assert _mode(outbox) == 0o600
    assert _mode(outbox.parent) == 0o700


def test_init_narrows_files_left_open_by_an_earlier_version(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _init_with_umask(data, "022")
    for path in (data / "anxin.toml", data / "anxin.db", data / "keys"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    _init_with_umask(data, "022")
    assert _mode(data / "anxin.toml") == 0o600
    assert _mode(data / "anxin.db") == 0o600
    assert _mode(data / "keys") == 0o700
