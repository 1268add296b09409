"""renewal: an authorization may renew an earlier one (``renews``); the earlier one names
its latest renewal (``renewed_by``)

Revision ID: 0013_renewal
Revises: 0012_pause
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013_renewal'
down_revision = '0012_pause'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('authorizations') as batch:
        batch.add_column(sa.Column('renews', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('renewed_by', sa.String(length=36), nullable=True))
        batch.create_index('ix_authorizations_renews', ['renews'])


def downgrade() -> None:
    with op.batch_alter_table('authorizations') as batch:
        batch.drop_index('ix_authorizations_renews')
        batch.drop_column('renewed_by')
        batch.drop_column('renews')
