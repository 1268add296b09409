"""terms v2: frequency, data range and data life on templates and authorizations, the
gate's frequency counter, each use's data period and delete_by, deletion attestations

Revision ID: 0018_terms_v2
Revises: 0017_reach_embedding
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from anxin.storage.types import UTCDateTime

revision = '0018_terms_v2'
down_revision = '0017_reach_embedding'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # All nullable (or defaulted): templates and authorizations made before have no v2
    # terms, and their gate takes no notice of the new columns.
    with op.batch_alter_table('templates') as batch:
        batch.add_column(sa.Column('terms', sa.JSON(), nullable=True))
    with op.batch_alter_table('authorizations') as batch:
        batch.add_column(sa.Column('terms', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('freq_max', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('freq_per', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('freq_period', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('freq_uses', sa.Integer(), nullable=False,
                                   server_default='0'))
    with op.batch_alter_table('uses') as batch:
        batch.add_column(sa.Column('data_from', sa.Date(), nullable=True))
        batch.add_column(sa.Column('data_to', sa.Date(), nullable=True))
        batch.add_column(sa.Column('delete_by', UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('deletion_id', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('overdue_notified_at', UTCDateTime(), nullable=True))
        batch.create_index('ix_uses_delete_by', ['delete_by'])
    op.create_table(
        'deletions',
        sa.Column('id', sa.String(length=36), primary_key=True),
        sa.Column('authorization_id', sa.String(length=36), nullable=False),
        sa.Column('institution_id', sa.String(length=36), nullable=False),
        sa.Column('deleted_at', UTCDateTime(), nullable=False),
        sa.Column('use_ids', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
    )
    op.create_index('ix_deletions_authorization_id', 'deletions', ['authorization_id'])


def downgrade() -> None:
    op.drop_index('ix_deletions_authorization_id', table_name='deletions')
    op.drop_table('deletions')
    with op.batch_alter_table('uses') as batch:
        batch.drop_index('ix_uses_delete_by')
        for name in ('overdue_notified_at', 'deletion_id', 'delete_by', 'data_to',
                     'data_from'):
            batch.drop_column(name)
    with op.batch_alter_table('authorizations') as batch:
        for name in ('freq_uses', 'freq_period', 'freq_per', 'freq_max', 'terms'):
            batch.drop_column(name)
    with op.batch_alter_table('templates') as batch:
        batch.drop_column('terms')
