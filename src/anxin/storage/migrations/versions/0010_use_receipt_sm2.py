"""use receipt_sm2: the dual profile's SM2SM3 receipt, stored with the use

Revision ID: 0010_use_receipt_sm2
Revises: 0009_ledger_origin
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_use_receipt_sm2'
down_revision = '0009_ledger_origin'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: existing uses (intl, or made before) keep one receipt.
    with op.batch_alter_table('uses') as batch:
        batch.add_column(sa.Column('receipt_sm2', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('uses') as batch:
        batch.drop_column('receipt_sm2')
