"""portal, notifications outbox, console operators

Revision ID: 0005_portal
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anxin.storage.types

revision = '0005_portal'
down_revision = '0004_passkeys'
branch_labels = None
depends_on = None

UTC = anxin.storage.types.UTCDateTime(timezone=True)
BIGPK = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('realm', sa.String(length=16), nullable=False),
    sa.Column('principal', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('last_seen_at', UTC, nullable=False),
    sa.Column('expires_at', UTC, nullable=False),
    sa.Column('absolute_expires_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_table('portal_throttle',
    sa.Column('mobile_index', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', UTC, nullable=True),
    sa.Column('last_sent_at', UTC, nullable=True),
    sa.PrimaryKeyConstraint('mobile_index')
    )
    op.create_table('notifications',
    sa.Column('id', BIGPK, autoincrement=True, nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('authorization_id', sa.String(length=36), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UTC, nullable=False),
    sa.Column('claimed_until', UTC, nullable=True),
    sa.Column('delivered_at', UTC, nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_notifications_inst', ['institution_id', 'id'], unique=False)
        batch_op.create_index('ix_notifications_auth', ['authorization_id', 'id'], unique=False)
    op.create_table('operators',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('totp_secret_enc', sa.LargeBinary(), nullable=False),
    sa.Column('totp_last_step', sa.BigInteger(), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', UTC, nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )


def downgrade() -> None:
    op.drop_table('operators')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_auth')
        batch_op.drop_index('ix_notifications_inst')
        batch_op.drop_index('ix_notifications_due')
    op.drop_table('notifications')
    op.drop_table('portal_throttle')
    op.drop_table('web_sessions')
