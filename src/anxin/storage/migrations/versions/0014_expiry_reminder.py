"""expiry reminder: when the reminder before ``valid_until`` was sent (claimed once)

Revision ID: 0014_expiry_reminder
Revises: 0013_renewal
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anxin.storage.types

revision = '0014_expiry_reminder'
down_revision = '0013_renewal'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('authorizations') as batch:
        batch.add_column(sa.Column('expiry_reminded_at',
                                   anxin.storage.types.UTCDateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('authorizations') as batch:
        batch.drop_column('expiry_reminded_at')
