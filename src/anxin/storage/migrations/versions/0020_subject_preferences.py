"""subject preferences: a person's opt-in to SMS alerts of refused queries of their data

Revision ID: 0020_subject_preferences
Revises: 0019_test_mode
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anxin.storage.types

revision = '0020_subject_preferences'
down_revision = '0019_test_mode'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'subject_preferences',
        sa.Column('mobile_index', sa.String(length=64), nullable=False),
        sa.Column('refusal_alerts', sa.Boolean(), nullable=False),
        sa.Column('alerted_until', anxin.storage.types.UTCDateTime(timezone=True),
                  nullable=True),
        sa.Column('updated_at', anxin.storage.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.PrimaryKeyConstraint('mobile_index'))


def downgrade() -> None:
    op.drop_table('subject_preferences')
