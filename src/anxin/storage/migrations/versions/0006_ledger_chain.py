"""ledger chain: each authorization's chain head (last leaf hash, next sequence number,
the head before the last advance) and the salt of its commitment key

Revision ID: 0006_ledger_chain
Revises: 0005_portal
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_ledger_chain'
down_revision = '0005_portal'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing authorizations start their chain at seq 0 with their next leaf (their
    # older leaves predate the chain); a NULL salt derives the commitment key unsalted.
    with op.batch_alter_table('authorizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ledger_seq', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('ledger_head', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('ledger_prev', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('commitment_salt', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('authorizations', schema=None) as batch_op:
        batch_op.drop_column('commitment_salt')
        batch_op.drop_column('ledger_prev')
        batch_op.drop_column('ledger_head')
        batch_op.drop_column('ledger_seq')
