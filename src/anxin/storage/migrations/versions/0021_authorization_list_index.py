"""authorization list index: an institution's page of authorizations read from one index

``GET /v1/authorizations`` filters by institution and mode (live or test) and orders newest
first with the id as tie-break. The index on (institution_id, created_at) alone made
PostgreSQL read every one of the institution's rows to check ``test`` and sort by id:
the count and every page cost O(rows) heap reads (bench/cluster.py growth: the first page
took X ms at 1M authorizations). This index holds all four columns in the list's order, so
the count and the page's ids are index-only scans (read backwards, newest first; ties of
``created_at`` are rare, so the id's order costs an incremental sort of a few rows) and a
page reads only its own rows.
Building it on a large table takes time (about a minute per ten million rows on a small
machine) and locks writes to ``authorizations`` meanwhile: plan the upgrade.

Revision ID: 0021_authorization_list_index
Revises: 0020_subject_preferences
"""

from __future__ import annotations

from alembic import op

revision = '0021_authorization_list_index'
down_revision = '0020_subject_preferences'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_authorizations_list', 'authorizations',
                    ['institution_id', 'test', 'created_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_authorizations_list', table_name='authorizations')
