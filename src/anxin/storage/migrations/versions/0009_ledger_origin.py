"""ledger origin: the log's C2SP origin line, fixed when the log is created

Revision ID: 0009_ledger_origin
Revises: 0008_certificates_encrypted
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

import anxin.storage.types

revision = '0009_ledger_origin'
down_revision = '0008_certificates_encrypted'
branch_labels = None
depends_on = None

UTC = anxin.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    table = op.create_table('ledger_origin',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    # An existing log keeps the origin its checkpoints were signed under: the latest
    # signed checkpoint's first line. A log without one gets its origin when it is next
    # opened (anxin.ledger.origin.fix_origin).
    conn = op.get_bind()
    note = conn.execute(sa.text(
        "SELECT note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1")).scalar()
    if note:
        origin = str(note).split("\n", 1)[0].strip()
        if origin:
            op.bulk_insert(table, [{"id": 1, "origin": origin,
                                    "created_at": dt.datetime.now(dt.UTC)}])


def downgrade() -> None:
    op.drop_table('ledger_origin')
