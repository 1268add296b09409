"""authorization list index: an institution's page of authorizations read from one index

``GET /v1/authorizations`` filters by institution and mode (live or test) and orders newest
first with the id as tie-break. The index on (institution_id, created_at) alone made
PostgreSQL read every one of the institution's rows to check ``test`` and sort by id.
This index holds all four columns in the list's order: the count and the page's ids can
be index-only scans (read backwards, newest first; ties of ``created_at`` are rare, so the
id's order costs an incremental sort of a few rows) and the page fetches only its rows.
Measured (bench/cluster.py growth, 1M authorizations, loaded machine): first page 1.92 s
→ 1.32 s, a deep page 5.09 s → 3.71 s. The count and the OFFSET still grow with the rows
(O(n) index entries, and heap visits until VACUUM sets the visibility map): a keyset
cursor is the remaining fix (docs/operations.md, "Several nodes, and a growing database").
Building it on a large table takes time (not measured here; it grows with the table) and
locks writes to ``authorizations`` meanwhile: plan the upgrade.

Revision ID: 0022_authorization_list_index
Revises: 0020_subject_preferences
"""

from __future__ import annotations

from alembic import op

revision = '0022_authorization_list_index'
down_revision = '0021_key_material'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_authorizations_list', 'authorizations',
                    ['institution_id', 'test', 'created_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_authorizations_list', table_name='authorizations')
