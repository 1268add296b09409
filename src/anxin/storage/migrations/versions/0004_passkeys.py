"""passkeys: credentials per subject and server-side ceremony challenges

Revision ID: 0004_passkeys
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anxin.storage.types

revision = '0004_passkeys'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('passkey_credentials',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('subject_mobile_index', sa.String(length=64), nullable=False),
    sa.Column('credential_id', sa.LargeBinary(), nullable=False),
    sa.Column('public_key_cose', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.BigInteger(), nullable=False),
    sa.Column('user_handle', sa.LargeBinary(), nullable=False),
    sa.Column('aaguid', sa.String(length=36), nullable=False),
    sa.Column('transports', sa.JSON(), nullable=False),
    sa.Column('backed_up', sa.Boolean(), nullable=False),
    sa.Column('registered_authorization_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', anxin.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', anxin.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('passkey_credentials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passkey_credentials_subject_mobile_index'), ['subject_mobile_index'], unique=False)

    op.create_table('passkey_challenges',
    sa.Column('id', sa.String(length=43), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('secret', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', anxin.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', anxin.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('consumed_at', anxin.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('passkey_challenges', schema=None) as batch_op:
        batch_op.create_index('ix_passkey_challenges_purpose_key', ['purpose', 'key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('passkey_challenges', schema=None) as batch_op:
        batch_op.drop_index('ix_passkey_challenges_purpose_key')
    op.drop_table('passkey_challenges')
    with op.batch_alter_table('passkey_credentials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passkey_credentials_subject_mobile_index'))
    op.drop_table('passkey_credentials')
