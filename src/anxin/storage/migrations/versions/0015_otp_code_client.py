"""otp code client: the IP and user agent that asked for each code, for the dispute view

Revision ID: 0015_otp_code_client
Revises: 0014_expiry_reminder
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015_otp_code_client'
down_revision = '0014_expiry_reminder'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: codes sent before were not asked with their client recorded (shown as
    # "not recorded").
    with op.batch_alter_table('otp_codes') as batch:
        batch.add_column(sa.Column('client_ip', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('user_agent', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('otp_codes') as batch:
        batch.drop_column('user_agent')
        batch.drop_column('client_ip')
