"""The schema history is honest: from the newest schema every migration downgrades, down to `base` (nothing of
the project left), and the migrations build the same schema again on the way back up."""

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from service.db import create_engine, current_revisions, upgrade
from tests.conftest import make_settings
from tests.test_cli import assert_one_clear_line, run_cli

# what the PostgreSQL extensions themselves own in `public` (created by 0001, deliberately left by its downgrade:
# other databases' objects may depend on PostGIS)
EXTENSION_TABLES = {"spatial_ref_sys"}


def project_objects(engine: sa.Engine) -> dict[str, list[str]]:
    """Tables, views, sequences and functions in `public` that no extension owns."""
    with engine.connect() as conn:
        relations = conn.execute(sa.text("""
            SELECT c.relkind::text, c.relname::text FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                              AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 2""")).all()
        functions = conn.execute(sa.text("""
            SELECT p.proname::text FROM pg_proc p
            WHERE p.pronamespace = 'public'::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                              AND d.objid = p.oid AND d.deptype = 'e')
            ORDER BY 1""")).scalars().all()
    objects = {"tables": [], "views": [], "sequences": [], "functions": list(functions)}
    for kind, name in relations:
        if name in EXTENSION_TABLES or name == "alembic_version":  # Alembic keeps its (then empty) bookkeeping table
            continue
        objects[{"r": "tables", "p": "tables", "v": "views", "m": "views", "S": "sequences"}[kind]].append(name)
    return objects


@pytest.fixture
def empty_database(pg_server) -> Iterator[tuple[sa.Engine, str]]:
    """An engine on a new, empty database of the test server, and its URL (for the command line)."""
    name = f"dm_test_history_{uuid.uuid4().hex[:8]}"
    url = pg_server.create(name)
    engine = create_engine(url, make_settings())
    try:
        yield engine, url
    finally:
        engine.dispose()
        pg_server.drop(name)


def test_every_migration_downgrades_to_base_and_upgrades_again(empty_database):
    engine, url = empty_database
    upgrade(engine, 25833)
    at_head = project_objects(engine)
    assert len(at_head["tables"]) > 20

    result = run_cli("db", "downgrade", "base", env={"DATABASE_URL": url}, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "schema is at base" in result.stderr
    with engine.connect() as conn:
        assert current_revisions(conn) == ()
    assert project_objects(engine) == {"tables": [], "views": [], "sequences": [], "functions": []}

    result = run_cli("db", "upgrade", env={"DATABASE_URL": url}, timeout=300)
    assert result.returncode == 0, result.stderr
    assert project_objects(engine) == at_head
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT value FROM dm_setting WHERE key = 'storage_srid'")).scalar_one() == "25833"


def test_downgrade_to_an_unknown_revision_says_so_and_changes_nothing(empty_database):
    engine, url = empty_database
    upgrade(engine, 25833)
    with engine.connect() as conn:
        before = current_revisions(conn)
    assert_one_clear_line(run_cli("db", "downgrade", "0099", env={"DATABASE_URL": url}), "0099")
    with engine.connect() as conn:
        assert current_revisions(conn) == before
