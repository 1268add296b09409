"""pause: who paused an authorization (``subject`` or ``operator``), None when not paused

Revision ID: 0012_pause
Revises: 0011_passkey_names
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012_pause'
down_revision = '0011_passkey_names'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('authorizations') as batch:
        batch.add_column(sa.Column('paused_by', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('authorizations') as batch:
        batch.drop_column('paused_by')
