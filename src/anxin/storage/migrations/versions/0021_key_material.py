"""key material: the deployment's key files sealed under the master secret, and its identity

Revision ID: 0021_key_material
Revises: 0020_subject_preferences
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anxin.storage.types

revision = '0021_key_material'
down_revision = '0020_subject_preferences'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'key_material',
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('sealed', sa.LargeBinary(), nullable=False),
        sa.Column('updated_at', anxin.storage.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.PrimaryKeyConstraint('name'))
    op.create_table(
        'deployment',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('root_sha256', sa.String(length=64), nullable=False),
        sa.Column('ledger_key_id', sa.String(length=64), nullable=False),
        sa.Column('profile', sa.String(length=8), nullable=False),
        sa.Column('sm2_root_sha256', sa.String(length=64), nullable=True),
        sa.Column('created_at', anxin.storage.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column('updated_at', anxin.storage.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.PrimaryKeyConstraint('id'))


def downgrade() -> None:
    op.drop_table('deployment')
    op.drop_table('key_material')
