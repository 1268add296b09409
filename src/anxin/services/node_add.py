"""Use case: ``anxin node add``, a new node of an existing deployment.

Given the deployment's database URL and its master secret (the one secret a node needs),
it writes a data directory whose keys are the deployment's: ``anxin.toml`` naming the
database, ``keys/master.key`` and every shared key file from the database's
``key_material`` (:mod:`anxin.services.deployment_keys`), private keys wrapped with this
node's ``ANXIN_KEY_PASSPHRASE`` as ``anxin init`` would. It generates no key. A wrong
secret is refused by name (it opens none of the rows), as is a data directory that has
keys already.

Example::

    added = add_node(Path("/var/lib/anxin"), "postgresql+psycopg://anxin@db/anxin",
                     master=base64.b64decode(os.environ["ANXIN_MASTER_KEY"]),
                     passphrase=os.environ.get("ANXIN_KEY_PASSPHRASE"))
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path

from anxin.errors import ConfigurationError
from anxin.keys import DataKeys, write_master_key
from anxin.pki.key_material import (
    MASTER_FILE,
    DeploymentMismatch,
    Identity,
    identity,
    record_synced,
    write_key_files,
)
from anxin.private_files import create_private_file, private_dir
from anxin.services.deployment_keys import open_key_material
from anxin.services.ledger import read_stored_origin
from anxin.services.setup import DEFAULT_TOML
from anxin.storage.database import Database
from anxin.storage.key_material_store import has_key_tables, read_identity, read_sealed


@dataclass(frozen=True, slots=True)
class NodeAdded:
    data_dir: Path
    files: tuple[str, ...]  # under keys/, master.key included
    identity: Identity
    ledger_origin: str | None


def parse_master_secret(text: str, where: str) -> bytes:
    """The master secret from its base64 form (``anxin node secret``), or an error
    naming ``where`` it came from."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(f"{where} is not base64 (expected the output of "
                                 "`anxin node secret`)") from None
    if len(raw) != 32:
        raise ConfigurationError(f"{where} must be 32 bytes in base64, not {len(raw)}")
    return raw


def node_config(database_url: str) -> str:
    """The new node's ``anxin.toml``: the default one, naming the deployment's database."""
    return (DEFAULT_TOML.replace('# database_url = "postgresql+psycopg://user@host/anxin"\n',
                                 f"database_url = {json.dumps(database_url)}\n"))


def add_node(data_dir: Path, database_url: str, *, master: bytes,
             passphrase: str | None) -> NodeAdded:
    """Write a node's data directory from the deployment's database (see the module)."""
    keys_dir = data_dir / "keys"
    for existing in (data_dir / "anxin.toml", keys_dir):
        if existing.exists():
            raise ConfigurationError(
                f"{existing} exists: `anxin node add` makes a new node's data directory "
                "(a node of the deployment already has its keys; `anxin serve` refreshes them)")
    db = Database.connect(database_url)
    try:
        if not has_key_tables(db):
            raise ConfigurationError(
                "the database holds no key material (it is not migrated to 0021 or not "
                "an Anxin database): run `anxin serve` or `anxin init` once on an "
                "existing node of the deployment")
        with db.snapshot() as session:
            theirs = read_identity(session)
            sealed = read_sealed(session)
        origin = read_stored_origin(db)
    finally:
        db.dispose()
    if theirs is None or not sealed:
        raise ConfigurationError(
            "the database holds no key material yet: run `anxin init` (or `anxin serve`) "
            "on the deployment's first node, which stores it")
    files = open_key_material(DataKeys(master), sealed)
    differences = identity(files).differences(theirs)
    if differences:
        raise DeploymentMismatch("the database's key material does not match its own "
                                 "identity: " + "; ".join(differences))
    data_dir.mkdir(parents=True, exist_ok=True)
    private_dir(keys_dir)
    written = write_key_files(keys_dir, files, passphrase)
    record_synced(keys_dir, files)
    write_master_key(keys_dir / MASTER_FILE, master, passphrase)
    create_private_file(data_dir / "anxin.toml", node_config(database_url).encode())
    return NodeAdded(data_dir=data_dir, files=(MASTER_FILE, *written), identity=theirs,
                     ledger_origin=origin)
