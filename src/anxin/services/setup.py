"""``anxin init``: configuration, database, key material. Idempotent.

Each step reports whether it created something; a second run creates nothing and says so.
Steps contributed by other parts (PKI, ledger key) register in :data:`INIT_STEPS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from anxin.config import Settings
from anxin.keys import create_master_key
from anxin.ledger.checkpoint import ensure_ledger_key
from anxin.ledger.origin import fix_origin, read_stored_origin
from anxin.pki.authority import ensure_pki
from anxin.seal import create_seal_key
from anxin.storage.database import Database

DEFAULT_TOML = """\
# Anxin configuration. Environment variables (ANXIN_*) override these values.
# database_url = "postgresql+psycopg://user@host/anxin"
# base_url = "https://anxin.example.com"
sms = "outbox"
realname = "none"
# tsa_url = "https://tsa.example.com"

# Per-purpose policy ceilings (refused beyond them, naming the rule):
[purpose_ceilings.loan_approval]
max_validity_days = 90
max_uses = 3
"""


@dataclass(frozen=True, slots=True)
class InitStep:
    name: str
    created: bool


def _config(settings: Settings) -> bool:
    path = settings.data_dir / "anxin.toml"
    if path.exists():
        return False
    path.write_text(DEFAULT_TOML, encoding="utf-8")
    return True


def _master_key(settings: Settings) -> bool:
    path = settings.keys_dir / "master.key"
    if path.exists():
        return False
    create_master_key(path, settings.key_passphrase)
    return True


def _seal_key(settings: Settings) -> bool:
    path = settings.keys_dir / "seal.key"
    if path.exists():
        return False
    create_seal_key(path, settings.key_passphrase)
    return True


def _database(settings: Settings) -> bool:
    db = Database.connect(settings.effective_database_url)
    try:
        before = db.current_revision()
        db.migrate()
        return db.current_revision() != before
    finally:
        db.dispose()


def _ledger_origin(settings: Settings) -> bool:
    """Fix the log's origin when the log is created (never from the base URL again)."""
    db = Database.connect(settings.effective_database_url)
    try:
        if read_stored_origin(db) is not None:
            return False
        fix_origin(db, settings)
        return True
    finally:
        db.dispose()


INIT_STEPS: list[tuple[str, Callable[[Settings], bool]]] = [
    ("configuration", _config),
    ("master key", _master_key),
    ("seal key", _seal_key),
    ("PKI (root CA, issuing CA, TSA, seal certificate)", ensure_pki),
    ("ledger signing key", ensure_ledger_key),
    ("database", _database),
    ("ledger origin", _ledger_origin),
]


def initialise(settings: Settings) -> list[InitStep]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.keys_dir.mkdir(mode=0o700, exist_ok=True)
    return [InitStep(name, step(settings)) for name, step in INIT_STEPS]
