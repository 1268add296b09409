"""``anxin init``: configuration, database, key material. Idempotent.

Each step reports whether it created something; a second run creates nothing and says so.
Steps contributed by other parts (PKI, ledger key) register in :data:`INIT_STEPS`.

Everything made here is private to the service's user (issue 12 item 14): ``anxin.toml``,
the SQLite database (and its WAL/SHM) and the SMS outbox are 0600, the keys folder 0700;
files left by earlier versions are narrowed to those modes. The root CA key never goes to
``keys/`` (:mod:`anxin.pki.rootkey`); :func:`storage_warnings` says, loudly, what is left
unencrypted on this machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from anxin.config import Settings
from anxin.evidence.checkpoint_sm2 import ensure_sm2_ledger_key
from anxin.keys import create_master_key, load_master_key
from anxin.ledger.checkpoint import ensure_ledger_key
from anxin.pki.authority import ensure_pki
from anxin.pki.rootkey import root_key_warnings
from anxin.pki.signature_profile import Profile, fix_profile, read_profile
from anxin.pki.sm2_authority import ensure_sm2_pki, sm2_root_key_warnings
from anxin.pki.test_ca import ensure_test_pki
from anxin.private_files import create_private_file, narrow, private_dir
from anxin.seal import create_seal_key
from anxin.services.deployment_keys import refuse_foreign_database, sync_key_material
from anxin.services.ledger import fix_origin, read_stored_origin
from anxin.storage.database import Database, sqlite_file

DEFAULT_TOML = """\
# Anxin configuration. Environment variables (ANXIN_*) override these values.
# database_url = "postgresql+psycopg://user@host/anxin"
# A streaming replica of it for the reads that may lag (docs/operations.md, multi-node):
# database_replica_url = "postgresql+psycopg://user@replica-host/anxin"
# base_url = "https://anxin.example.com"
sms = "outbox"
realname = "none"
# tsa_url = "https://tsa.example.com"
# Outgoing calls never reach loopback, private or metadata addresses unless listed here
# (host names, IPs, CIDRs), e.g. an SMS gateway on the local network:
# outbound_allow = "10.1.0.0/16,sms-gw.internal"

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
    create_private_file(path, DEFAULT_TOML.encode())
    return True


def _profile(settings: Settings) -> bool:
    """Fix the signature profile (first init), or refuse another one naming both."""
    return fix_profile(private_dir(settings.keys_dir),
                       Profile(settings.profile) if settings.profile else None)


def _sm2_ledger_key(settings: Settings) -> bool:
    """The SM2 checkpoint key (``keys/sm2/ledger.key``) in the ``sm`` and ``dual`` profiles."""
    if not read_profile(settings.keys_dir).has_sm:
        return False
    return ensure_sm2_ledger_key(settings.keys_dir, settings.key_passphrase)


def _sm2_pki(settings: Settings) -> bool:
    """The SM2 PKI (``keys/sm2``) in the ``sm`` and ``dual`` profiles; in ``sm`` its online
    keys are wrapped with SM4-CBC (PBES2), in ``dual`` with AES-256-CBC like the others."""
    profile = read_profile(settings.keys_dir)
    if not profile.has_sm:
        return False
    return ensure_sm2_pki(settings, key_cipher="sm4" if profile is Profile.SM else "aes")


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
        db.migrate(data_keys=load_master_key(settings.keys_dir / "master.key",
                                             settings.key_passphrase))
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
    # First: a database of another deployment, or a profile mismatch, changes nothing.
    ("deployment check", refuse_foreign_database),
    ("signature profile", _profile),
    ("configuration", _config),
    ("master key", _master_key),
    ("seal key", _seal_key),
    ("PKI (root CA, issuing CA, TSA, seal certificate)", ensure_pki),
    ("SM2 PKI (root CA, issuing CA, TSA, seal certificate)", _sm2_pki),
    ("test CA (test mode: its own root, issuing CA, TSA, seal)", ensure_test_pki),
    ("ledger signing key", ensure_ledger_key),
    ("SM2 ledger signing key", _sm2_ledger_key),
    ("database", _database),
    ("ledger origin", _ledger_origin),
    # Last: store the key set in the database, or check it is the deployment's.
    ("deployment key material in the database", sync_key_material),
]


def _private_paths(settings: Settings) -> list[Path]:
    paths = [settings.data_dir / "anxin.toml", settings.outbox_path]
    db_file = sqlite_file(settings.effective_database_url)
    if db_file is not None:
        paths += [db_file, db_file.with_name(db_file.name + "-wal"),
                  db_file.with_name(db_file.name + "-shm")]
    return paths


def initialise(settings: Settings, *, root_key_path: Path | None = None) -> list[InitStep]:
    """Run every step; ``root_key_path`` is the root CA key file, needed only to finish a
    PKI whose issuing CA or root CRL is missing (a new root key goes to ``offline/``)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    private_dir(settings.keys_dir)
    steps = [InitStep(name, (partial(ensure_pki, root_key_path=root_key_path)
                             if step is ensure_pki else step)(settings))
             for name, step in INIT_STEPS]
    for path in _private_paths(settings):
        narrow(path)
    return steps


def storage_warnings(settings: Settings) -> list[str]:
    """What is stored unprotected on this machine, for ``anxin init`` and ``anxin serve``
    to print (on every run, not only the first)."""
    out = root_key_warnings(settings)
    if read_profile(settings.keys_dir).has_sm:
        out += sm2_root_key_warnings(settings)
    if not settings.key_passphrase:
        out.append(f"WARNING: the private keys in {settings.keys_dir} are stored WITHOUT a "
                   "passphrase: set ANXIN_KEY_PASSPHRASE before `anxin init` to encrypt them "
                   "at rest (and keep it set for `anxin serve`).")
    return out
