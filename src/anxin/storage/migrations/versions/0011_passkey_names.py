"""passkey names: the label a person gives each of their passkeys in /me/passkeys

Revision ID: 0011_passkey_names
Revises: 0010_use_receipt_sm2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011_passkey_names'
down_revision = '0010_use_receipt_sm2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: passkeys registered before have no name until the person gives one.
    with op.batch_alter_table('passkey_credentials') as batch:
        batch.add_column(sa.Column('name', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('passkey_credentials') as batch:
        batch.drop_column('name')
