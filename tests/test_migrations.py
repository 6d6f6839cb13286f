"""The schema is built by Alembic alone and ends in one head."""

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from service.db import alembic_config, is_up_to_date


def test_the_migrations_end_in_one_head_and_the_test_database_is_at_it(demo_engine):
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1
    with demo_engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == tuple(heads)
        assert is_up_to_date(conn)
