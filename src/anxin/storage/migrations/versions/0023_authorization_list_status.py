"""authorization list by status: ``GET /v1/authorizations?status=`` read from one index

The list's keyset cursor (``after=``) and its capped total read O(page) entries of
``ix_authorizations_list`` (institution, mode, created_at, id), but only when every entry
matches: with ``status=`` the scan reads the rows to test their status, and a status that
few rows have (``pending`` among 10M ``active``) walks the whole institution to fill one
page. This index puts the status before the order, so a filtered page is also O(page).
Its cost is one more index entry per authorization (counted in bench/cluster.py growth's
bytes per authorization) and an index update when the status changes. Building it on a
large table takes time and locks writes to ``authorizations`` meanwhile: plan the upgrade.

Revision ID: 0023_authorization_list_status
Revises: 0022_authorization_list_index
"""

from __future__ import annotations

from alembic import op

revision = '0023_authorization_list_status'
down_revision = '0022_authorization_list_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_authorizations_list_status', 'authorizations',
                    ['institution_id', 'test', 'status', 'created_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_authorizations_list_status', table_name='authorizations')
