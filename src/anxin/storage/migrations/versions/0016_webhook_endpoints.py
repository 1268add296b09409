"""webhook endpoints by API, the delivery log, the default secret's grace period

Revision ID: 0016_webhook_endpoints
Revises: 0015_otp_code_client
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anxin.storage.types

revision = '0016_webhook_endpoints'
down_revision = '0015_otp_code_client'
branch_labels = None
depends_on = None

UTC = anxin.storage.types.UTCDateTime(timezone=True)
BIGPK = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('webhook_endpoints',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('url_sha256', sa.String(length=64), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.Column('secret_enc', sa.LargeBinary(), nullable=False),
    sa.Column('previous_secret_enc', sa.LargeBinary(), nullable=True),
    sa.Column('previous_secret_expires_at', UTC, nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('secret_rotated_at', UTC, nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('institution_id', 'url_sha256')
    )
    with op.batch_alter_table('webhook_endpoints') as batch:
        batch.create_index('ix_webhook_endpoints_institution_id', ['institution_id'],
                           unique=False)
    op.create_table('webhook_deliveries',
    sa.Column('id', BIGPK, autoincrement=True, nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('notification_id', BIGPK, nullable=True),
    sa.Column('authorization_id', sa.String(length=36), nullable=True),
    sa.Column('endpoint_id', sa.String(length=40), nullable=True),
    sa.Column('to_callback', sa.Boolean(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('url_sha256', sa.String(length=64), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UTC, nullable=False),
    sa.Column('claimed_until', UTC, nullable=True),
    sa.Column('last_attempt_at', UTC, nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('delivered_at', UTC, nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('notification_id', 'url_sha256')
    )
    with op.batch_alter_table('webhook_deliveries') as batch:
        batch.create_index('ix_webhook_deliveries_due', ['state', 'next_attempt_at'],
                           unique=False)
        batch.create_index('ix_webhook_deliveries_endpoint', ['endpoint_id', 'id'],
                           unique=False)
        batch.create_index('ix_webhook_deliveries_auth', ['authorization_id', 'id'],
                           unique=False)
    with op.batch_alter_table('notifications') as batch:
        # NULL on every existing row: a pending one is fanned out by the next worker
        # pass (its earlier attempts stay on the row); decided ones are never touched.
        batch.add_column(sa.Column('dispatched_at', UTC, nullable=True))
    with op.batch_alter_table('institutions') as batch:
        # Institutions made before this revision may have no default secret at all: the
        # worker creates one at their first delivery (anxin.services.webhook_fanout), as
        # a migration cannot encrypt (the data keys are not in the database).
        batch.add_column(sa.Column('webhook_secret_previous_enc', sa.LargeBinary(),
                                   nullable=True))
        batch.add_column(sa.Column('webhook_secret_previous_expires_at', UTC,
                                   nullable=True))


def downgrade() -> None:
    # Not recreated on SQLite (its native DROP COLUMN, 3.35+): rebuilding ``institutions``
    # would drop a table that templates and authorizations reference.
    with op.batch_alter_table('institutions', recreate='never') as batch:
        batch.drop_column('webhook_secret_previous_expires_at')
        batch.drop_column('webhook_secret_previous_enc')
    with op.batch_alter_table('notifications') as batch:
        batch.drop_column('dispatched_at')
    with op.batch_alter_table('webhook_deliveries') as batch:
        batch.drop_index('ix_webhook_deliveries_auth')
        batch.drop_index('ix_webhook_deliveries_endpoint')
        batch.drop_index('ix_webhook_deliveries_due')
    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('webhook_endpoints') as batch:
        batch.drop_index('ix_webhook_endpoints_institution_id')
    op.drop_table('webhook_endpoints')
