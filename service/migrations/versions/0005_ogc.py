"""Serving support for OGC API - Features / Tiles: change notification and a feature properties cache.

- bump_data_version() also sends NOTIFY dm_data_version with the new number, so a server keeps an in-process
  copy of data_version current without polling (HTTP ETags are derived from it; a 304 costs no query).
- more tables bump data_version (levels, index runs, layers, import batches, token role/revocation), so
  every cached representation notices every change it depends on.
- area.geom_3857: generated Web Mercator copy of the geometry for vector tiles (GiST-indexed).
- area_page_idx: a covering index that cuts pages (ORDER BY key LIMIT/OFFSET) without reading geometries.
- feature_properties: the flat properties object of every area for one (level, period, visibility), computed
  once per data_version instead of aggregating observations for every page. UNLOGGED: it is a cache, rebuilt on demand, never a source of truth.

Revision ID: 0005
Revises: 0002
"""
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

EXTRA_TABLES = ("area_level", "index_run", "index_definition_version", "point_layer", "polygon_layer",
                "grid_layer", "grid_cell", "import_batch", "topic")


def upgrade() -> None:
    op.execute("""
        CREATE OR REPLACE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            new_version text;
        BEGIN
            UPDATE dm_setting SET value = (value::bigint + 1)::text WHERE key = 'data_version'
            RETURNING value INTO new_version;
            PERFORM pg_notify('dm_data_version', new_version);  -- delivered at commit, dropped on rollback
            RETURN NULL;
        END $$""")
    for table in EXTRA_TABLES:
        op.execute(f"""
            CREATE TRIGGER {table}_bumps_data_version_ogc AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()""")
    # last_used_at changes on every authenticated request: only role, expiry and revocation count as changes
    op.execute("""
        CREATE TRIGGER api_token_bumps_data_version
        AFTER INSERT OR DELETE OR UPDATE OF role, expires_at, revoked_at ON api_token
        FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()""")
    # vector tiles are cut from Web Mercator geometries transformed once, not on every tile request
    op.execute("""
        ALTER TABLE area ADD COLUMN geom_3857 geometry(MultiPolygon, 3857)
        GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED""")
    op.execute("CREATE INDEX area_geom_3857_gix ON area USING gist (geom_3857)")
    # pages are cut on this index alone (index-only scan): deep OFFSETs never touch the wide area rows
    op.execute("CREATE INDEX area_page_idx ON area (level_code, key) INCLUDE (id, valid_from, valid_to)")
    op.execute("""
        CREATE UNLOGGED TABLE feature_properties (
            level_code text NOT NULL,
            period date NOT NULL,
            unsuppressed boolean NOT NULL,
            area_id bigint NOT NULL,
            properties jsonb NOT NULL,
            PRIMARY KEY (level_code, period, unsuppressed, area_id)
        )""")
    op.execute("""
        CREATE UNLOGGED TABLE feature_properties_state (
            level_code text NOT NULL,
            period date NOT NULL,
            unsuppressed boolean NOT NULL,
            data_version bigint NOT NULL,
            filled_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (level_code, period, unsuppressed)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS feature_properties_state")
    op.execute("DROP TABLE IF EXISTS feature_properties")
    op.execute("DROP INDEX IF EXISTS area_page_idx")
    op.execute("ALTER TABLE area DROP COLUMN IF EXISTS geom_3857")
    op.execute("DROP TRIGGER IF EXISTS api_token_bumps_data_version ON api_token")
    for table in EXTRA_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_data_version_ogc ON {table}")
    op.execute("""
        CREATE OR REPLACE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE dm_setting SET value = (value::bigint + 1)::text WHERE key = 'data_version';
            RETURN NULL;
        END $$""")
