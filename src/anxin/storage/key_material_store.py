"""The deployment's key material in the database: ``key_material`` and ``deployment``.

``key_material`` holds one row per shared key file (:mod:`anxin.pki.key_material`),
its content sealed with AES-GCM under the key-encryption key derived from the master
secret (:meth:`anxin.keys.DataKeys.seal_key_file`); ``deployment`` holds one row, the
identity of those keys in clear (root certificate SHA-256, ledger key id, profile, SM2
root SHA-256), so that a node with other keys is named and refused before anything opens.
Created by the migration ``0021_key_material``. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, LargeBinary, String, delete, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.pki.key_material import Identity
from anxin.storage.database import Database
from anxin.storage.models import Base


class KeyMaterialRow(Base):
    """One shared key file, sealed; ``name`` is its path under ``keys/``."""

    __tablename__ = "key_material"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime]


class DeploymentRow(Base):
    """The one row naming the deployment's keys (``id`` is always 1)."""

    __tablename__ = "deployment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root_sha256: Mapped[str] = mapped_column(String(64))
    ledger_key_id: Mapped[str] = mapped_column(String(64))
    profile: Mapped[str] = mapped_column(String(8))
    sm2_root_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


def has_key_tables(db: Database) -> bool:
    """True once the migration ``0021_key_material`` has run on ``db``."""
    with db.engine.connect() as conn:
        return inspect(conn).has_table("deployment")


def read_identity(session: Session) -> Identity | None:
    row = session.get(DeploymentRow, 1)
    if row is None:
        return None
    return Identity(root_sha256=row.root_sha256, ledger_key_id=row.ledger_key_id,
                    profile=row.profile, sm2_root_sha256=row.sm2_root_sha256)


def read_sealed(session: Session) -> dict[str, bytes]:
    return {r.name: r.sealed for r in session.scalars(select(KeyMaterialRow))}


def write_key_material(session: Session, ident: Identity, sealed: dict[str, bytes],
                       now: dt.datetime) -> None:
    """Replace the whole key set and its identity (rows of files no longer present go)."""
    row = session.get(DeploymentRow, 1)
    if row is None:
        session.add(DeploymentRow(id=1, root_sha256=ident.root_sha256,
                                  ledger_key_id=ident.ledger_key_id, profile=ident.profile,
                                  sm2_root_sha256=ident.sm2_root_sha256, created_at=now,
                                  updated_at=now))
    else:
        row.root_sha256, row.ledger_key_id = ident.root_sha256, ident.ledger_key_id
        row.profile, row.sm2_root_sha256 = ident.profile, ident.sm2_root_sha256
        row.updated_at = now
    existing = {r.name: r for r in session.scalars(select(KeyMaterialRow))}
    gone = set(existing) - set(sealed)
    if gone:
        session.execute(delete(KeyMaterialRow).where(KeyMaterialRow.name.in_(gone)))
    for name, blob in sealed.items():
        if name in existing:
            existing[name].sealed, existing[name].updated_at = blob, now
        else:
            session.add(KeyMaterialRow(name=name, sealed=blob, updated_at=now))
