"""The schema is built by Alembic alone and ends in one head; the partitioning of observations (0010) can be undone."""

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from service.db import alembic_config, is_up_to_date


def test_the_migrations_end_in_one_head_and_the_test_database_is_at_it(demo_engine):
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1
    with demo_engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == tuple(heads)
        assert is_up_to_date(conn)


def test_partitioning_observations_can_be_undone_and_redone_without_losing_a_row(pg_server, demo_template):
    """Migration 0010 moves every observation into per-indicator partitions; back to 0009 and up again, every
    row, disclosure and derivation is where it was."""
    from alembic import command

    from service.db import upgrade
    from tests.conftest import private_engine, table_contents

    with private_engine(pg_server, demo_template) as engine:
        def state():
            with engine.connect() as conn:
                partitioned = conn.execute(sa.text(
                    "SELECT relkind = 'p' FROM pg_class WHERE relname = 'observation'")).scalar_one()
                derivations = conn.execute(sa.text("SELECT count(*) FROM observation_derivation")).scalar_one()
                # the definitions without what later revisions added to them and their downgrades drop with
                # their columns (0020: series_breaks, which the Berlin demo has none of; 0031: the value type;
                # 0032: which group's part of which whole a count is, e.g. EW_AUSL of EW)
                fingerprint = table_contents(engine)
                fingerprint["indicator"] = conn.execute(sa.text(
                    "SELECT md5(string_agg((to_jsonb(t) - 'series_breaks' - 'value_type' - 'design_effect' "
                    "- 'group_of' - 'population_group')::text, '|' ORDER BY code)) FROM indicator t")).scalar_one()
            return partitioned, derivations, fingerprint

        partitioned, derivations, before = state()
        assert partitioned and derivations > 0
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0009")
        assert state() == (False, derivations, before)
        upgrade(engine, 25833)
        assert state() == (True, derivations, before)
