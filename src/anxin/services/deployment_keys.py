"""Use cases: one deployment's key material in its database, shared by every node.

A deployment is its database. The first ``anxin init`` (or ``anxin serve``) of a data
directory on a database with no key material stores the data directory's key files there,
sealed under the master secret (:func:`sync_key_material`); every later start of any node
checks that its keys are the deployment's (root certificate, ledger key, profile, and that
its master secret opens the rows) and refuses otherwise, naming what differs
(:class:`~anxin.pki.key_material.DeploymentMismatch`), then takes any file the database
has newer (a rotation made on another node). ``anxin init`` with a data directory that has
no keys, on a database that belongs to a deployment, refuses to make new ones
(:func:`refuse_foreign_database`): a new node comes in with ``anxin node add``
(:mod:`anxin.services.node_add`). A rotation stores the new files
(:func:`publish_key_material`).

Example::

    sync_key_material(settings)                # an init step: store, or check and refresh
    publish_key_material(settings, db)         # after `anxin keys rotate`
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from anxin.config import Settings
from anxin.errors import ConfigurationError
from anxin.keys import DataKeys, load_master_key
from anxin.pki.key_material import (
    DeploymentMismatch,
    digest,
    identity,
    read_key_files,
    read_synced,
    record_synced,
    write_key_files,
)
from anxin.storage.database import Database
from anxin.storage.key_material_store import (
    has_key_tables,
    read_identity,
    read_sealed,
    write_key_material,
)

NODE_ADD_HINT = ("bring a new node into it with `anxin node add --data-dir DIR "
                 "--database-url URL` and the deployment's master secret (`anxin node "
                 "secret` on one of its nodes)")


def _lock(session: Session) -> None:
    """Serialise the writers of the key material across nodes (PostgreSQL: an advisory
    lock for the transaction; SQLite's write transactions are exclusive already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('anxin:key_material'))"))


def open_key_material(keys: DataKeys, sealed: dict[str, bytes]) -> dict[str, bytes]:
    """Every sealed row opened; a master secret that opens none is refused by name."""
    try:
        return {name: keys.open_key_file(name, blob) for name, blob in sealed.items()}
    except ConfigurationError as exc:  # open_key_file's, re-typed
        raise DeploymentMismatch(
            "the master secret is not this deployment's: it does not open the key "
            f"material in the database ({exc.detail}; another deployment's secret, or "
            "an altered row)") from None


def refuse_foreign_database(settings: Settings) -> bool:
    """An init step (first): a data directory with no keys on a database that already
    belongs to a deployment must not make a second PKI; nothing is created here."""
    if (settings.keys_dir / "root.crt").is_file() or (settings.keys_dir / "master.key").is_file():
        return False
    db = Database.connect(settings.effective_database_url)
    try:
        if not has_key_tables(db):
            return False
        with db.snapshot() as session:
            existing = read_identity(session)
    finally:
        db.dispose()
    if existing is not None:
        raise DeploymentMismatch(
            f"the database already belongs to a deployment (root certificate SHA-256 "
            f"{existing.root_sha256[:16]}…) and {settings.keys_dir} has none of its keys: "
            f"`anxin init` makes no new keys for it; {NODE_ADD_HINT}")
    return False


def sync_key_material(settings: Settings, *, now: dt.datetime | None = None) -> bool:
    """An init step (after the database): store the node's key set if the database has
    none; otherwise refuse a node whose keys or master secret differ, and reconcile the
    rest (see :func:`_reconcile`). True if something was stored or refreshed."""
    now = now or dt.datetime.now(dt.UTC)
    keys = load_master_key(settings.keys_dir / "master.key", settings.key_passphrase)
    local = read_key_files(settings.keys_dir, settings.key_passphrase)
    mine = identity(local)
    db = Database.connect(settings.effective_database_url)
    try:
        with db.transaction() as session:
            _lock(session)
            theirs = read_identity(session)
            if theirs is None:
                _store(session, keys, local, now)
                record_synced(settings.keys_dir, local)
                return True
            differences = mine.differences(theirs)
            if differences:
                raise DeploymentMismatch(
                    f"the keys of {settings.keys_dir} are not those of the deployment its "
                    f"database belongs to: {'; '.join(differences)}. This node must not "
                    f"start; {NODE_ADD_HINT}")
            shared = open_key_material(keys, read_sealed(session))
            if shared == local:
                if read_synced(settings.keys_dir) != digest(local):
                    record_synced(settings.keys_dir, local)
                return False
            pushed = _reconcile(settings, local, shared)
            if pushed:
                _store(session, keys, local, now)
    finally:
        db.dispose()
    return True


def _store(session: Session, keys: DataKeys, files: dict[str, bytes],
           now: dt.datetime) -> None:
    write_key_material(session, identity(files),
                       {n: keys.seal_key_file(n, c) for n, c in files.items()}, now)


def _reconcile(settings: Settings, local: dict[str, bytes], shared: dict[str, bytes]) -> bool:
    """Same deployment, different files: the side that did not change since this node
    last agreed with the database (``keys/deployment-synced``) takes the other's. The
    database changed (a rotation on another node): write its files here. This node
    changed (a rotation made here without the database): store its files (True). Both,
    or no record of the last agreement: refuse, naming the files, rather than lose a
    key."""
    synced = read_synced(settings.keys_dir)
    changed = sorted(n for n in set(local) | set(shared) if local.get(n) != shared.get(n))
    if synced == digest(shared):
        record_synced(settings.keys_dir, local)
        return True
    only_db_changed = synced is not None and synced == digest(local)
    if not only_db_changed:
        raise DeploymentMismatch(
            f"the key files of {settings.keys_dir} and the database's both changed since "
            f"this node last started ({', '.join(changed)}): a rotation on two nodes? "
            "Keep the node whose keys are current, and bring the other in again with "
            "`anxin node add` (in a new data directory)")
    newer = {n: c for n, c in shared.items() if local.get(n) != c}
    write_key_files(settings.keys_dir, newer, settings.key_passphrase, replace=True)
    record_synced(settings.keys_dir, {**local, **shared})
    return False


def publish_key_material(settings: Settings, db: Database, *,
                         now: dt.datetime | None = None) -> None:
    """Store the node's current key set as the deployment's (after a rotation or a new
    root CRL made on this node); other nodes take it at their next start. A keys
    directory that is no node's (a bare PKI, without ``master.key`` or ``ledger.key``)
    or a database not migrated to ``0021_key_material`` stores nothing."""
    now = now or dt.datetime.now(dt.UTC)
    if not all((settings.keys_dir / n).is_file() for n in ("master.key", "ledger.key")) \
            or not has_key_tables(db):
        return
    keys = load_master_key(settings.keys_dir / "master.key", settings.key_passphrase)
    local = read_key_files(settings.keys_dir, settings.key_passphrase)
    with db.transaction() as session:
        _lock(session)
        theirs = read_identity(session)
        if theirs is not None:
            open_key_material(keys, read_sealed(session))  # the same master secret
            differences = identity(local).differences(theirs)
            if differences:
                raise DeploymentMismatch("the rotated keys are not the deployment's: "
                                         + "; ".join(differences))
        _store(session, keys, local, now)
    record_synced(settings.keys_dir, local)
