"""The schema exists only through migrations, and the migrations agree with the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import anxin.storage.passkey_models
import anxin.storage.portal_models  # noqa: F401 - registers the tables on Base
from anxin.storage.models import Base


def test_migrated_database_matches_every_model(ctx):
    assert anxin.storage.passkey_models is not None
    with ctx.db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # Type renderings differ harmlessly between back-ends for our UTC type; anything that
    # adds, drops or changes a table, column, index or constraint is a real difference.
    real = [d for d in diffs if not (isinstance(d, list) and d and d[0][0] == "modify_type")]
    assert real == [], real


def test_migrations_are_one_linear_chain(ctx):
    from alembic.script import ScriptDirectory

    from anxin.storage.database import _alembic_config
    with ctx.db.engine.connect() as conn:
        script = ScriptDirectory.from_config(_alembic_config(conn))
    assert len(script.get_heads()) == 1
    assert ctx.db.current_revision() == script.get_current_head()
