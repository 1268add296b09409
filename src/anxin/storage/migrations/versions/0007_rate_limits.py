"""rate limits in the database (counters per key and window), and per-code wrong tries
of one-time codes (``failures``, ``consumed_by``) so that a lock-out needs a sent code

Revision ID: 0007_rate_limits
Revises: 0006_ledger_chain
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anxin.storage.types

revision = '0007_rate_limits'
down_revision = '0006_ledger_chain'
branch_labels = None
depends_on = None

UTC = anxin.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('rate_limits',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('window_start', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('key', 'window_start')
    )
    op.create_index('ix_rate_limits_expires', 'rate_limits', ['expires_at'], unique=False)
    with op.batch_alter_table('otp_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failures', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('consumed_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('otp_codes', schema=None) as batch_op:
        batch_op.drop_column('consumed_by')
        batch_op.drop_column('failures')
    op.drop_index('ix_rate_limits_expires', table_name='rate_limits')
    op.drop_table('rate_limits')
