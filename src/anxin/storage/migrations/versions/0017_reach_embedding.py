"""reaching the person and embedding: notify_subject, return_url, the reminder claim and
the first view on authorizations; frame_ancestors and return_url_prefixes on institutions

Revision ID: 0017_reach_embedding
Revises: 0016_webhook_endpoints
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from anxin.storage.types import UTCDateTime

revision = '0017_reach_embedding'
down_revision = '0016_webhook_endpoints'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # All nullable: requests made before asked for no SMS, no return and were never
    # reminded; institutions made before allow no embedding (frame-ancestors 'none').
    with op.batch_alter_table('authorizations') as batch:
        batch.add_column(sa.Column('notify_subject', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('return_url', sa.String(length=2000), nullable=True))
        # The signing token, encrypted, kept only for requests that asked for SMS: the
        # reminder carries the link, and the token is otherwise stored only as a hash.
        batch.add_column(sa.Column('signing_token_enc', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('reminder_sent_at', UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('viewed_at', UTCDateTime(), nullable=True))
    with op.batch_alter_table('institutions') as batch:
        batch.add_column(sa.Column('frame_ancestors', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('return_url_prefixes', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('institutions') as batch:
        batch.drop_column('return_url_prefixes')
        batch.drop_column('frame_ancestors')
    with op.batch_alter_table('authorizations') as batch:
        for name in ('viewed_at', 'reminder_sent_at', 'signing_token_enc', 'return_url',
                     'notify_subject'):
            batch.drop_column(name)
