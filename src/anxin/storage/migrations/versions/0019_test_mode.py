"""test mode: a test API key per institution (its hash, like the live key's) and the
``test`` mark of the authorizations made with it

Revision ID: 0019_test_mode
Revises: 0018_terms_v2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019_test_mode'
down_revision = '0018_terms_v2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: institutions made before have no test key until one is issued
    # (`anxin institution test-key`, the console).
    with op.batch_alter_table('institutions') as batch:
        batch.add_column(sa.Column('test_api_key_hash', sa.String(length=64), nullable=True))
        batch.create_unique_constraint('uq_institutions_test_api_key_hash',
                                       ['test_api_key_hash'])
    # Every existing authorization is live.
    with op.batch_alter_table('authorizations') as batch:
        batch.add_column(sa.Column('test', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('authorizations') as batch:
        batch.drop_column('test')
    with op.batch_alter_table('institutions') as batch:
        batch.drop_constraint('uq_institutions_test_api_key_hash', type_='unique')
        batch.drop_column('test_api_key_hash')
