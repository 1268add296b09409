"""certificates encrypted: the stored certificate (whose subject names the person) becomes
``der_enc`` (AES-GCM under the field key, ``certificates/<serial>`` as associated data);
the clear ``der`` and ``subject`` columns go (issue 12 item 15)

Existing rows are encrypted here, with the data keys that ``anxin init`` / ``anxin serve``
pass in (``Database.migrate(data_keys=...)``); a database with certificates and no keys is
refused rather than left half-migrated.

Revision ID: 0008_certificates_encrypted
Revises: 0007_rate_limits
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from anxin.errors import ConfigurationError

revision = '0008_certificates_encrypted'
down_revision = '0007_rate_limits'
branch_labels = None
depends_on = None

_certs = sa.table('certificates', sa.column('serial', sa.String()),
                  sa.column('der', sa.LargeBinary()), sa.column('der_enc', sa.LargeBinary()))


def upgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('der_enc', sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(_certs.c.serial, _certs.c.der)).all()
    config = op.get_context().config
    keys = None if config is None else config.attributes.get('data_keys')
    if rows and keys is None:
        raise ConfigurationError(
            'migration 0008 encrypts the stored certificates and needs the master key: '
            'run `anxin init`')
    for serial, der in rows:
        assert keys is not None
        conn.execute(_certs.update().where(_certs.c.serial == serial).values(
            der_enc=keys.encrypt(der, aad=f'certificates/{serial}')))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.alter_column('der_enc', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('der')
        batch_op.drop_column('subject')


def downgrade() -> None:
    # The clear columns come back empty: decrypting needs the keys, and a downgrade should
    # not put names back in clear.
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=400), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('der', sa.LargeBinary(), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.drop_column('der_enc')
