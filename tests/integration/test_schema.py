"""The schema exists only through migrations, and the migrations agree with the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import anxin.storage.passkey_models
import anxin.storage.portal_models
import anxin.storage.rate_limit_models
import anxin.storage.webhook_models
from anxin.storage.models import Base


def test_migrated_database_matches_every_model(ctx):
    # Importing the model modules registers their tables on Base.
    assert anxin.storage.passkey_models.__name__
    assert anxin.storage.portal_models.__name__
    assert anxin.storage.rate_limit_models.__name__
    assert anxin.storage.webhook_models.__name__
    with ctx.db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []


def test_migrations_are_one_linear_chain(ctx):
    from alembic.script import ScriptDirectory

    from anxin.storage.database import _alembic_config
    with ctx.db.engine.connect() as conn:
        script = ScriptDirectory.from_config(_alembic_config(conn))
    assert len(script.get_heads()) == 1
    assert ctx.db.current_revision() == script.get_current_head()
