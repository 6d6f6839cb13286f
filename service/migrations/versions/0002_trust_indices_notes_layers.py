"""Tables of the later features, designed together so that they fit without a rewrite.

- access control and audit: api_token, audit_log
- publishing and confidentiality: indicator.published, disclosure (suppressed observations), and the views
  observation_current (what stewards see) and observation_public (what readers see)
- composite indices: index_definition (+ versions), index_run (provenance), index_result
- qualitative knowledge: note
- other layers: point_layer/point_feature (facilities), polygon_layer/polygon_feature (programme areas,
  catchments), grid_layer/grid_cell/grid_value (Zensus-style grids), programme
- caching: dm_setting.data_version, bumped on every data write; aggregation_cache keyed by it

Revision ID: 0002
Revises: 0001
"""
from alembic import op

from service.migrations.options import storage_srid

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    srid = storage_srid()
    op.execute("""
        CREATE TABLE api_token (
            id bigserial PRIMARY KEY,
            name text NOT NULL,
            role text NOT NULL CHECK (role IN ('reader', 'editor', 'data_steward', 'admin')),
            token_hash text NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            created_by text NOT NULL,
            expires_at timestamptz,
            revoked_at timestamptz,
            last_used_at timestamptz
        )""")
    op.execute("""
        CREATE TABLE audit_log (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            actor text NOT NULL,
            role text NOT NULL,
            action text NOT NULL,
            target_type text NOT NULL,
            target_id text,
            before jsonb,
            after jsonb,
            request_id text
        )""")
    op.execute("CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id)")
    op.execute("ALTER TABLE indicator ADD COLUMN published boolean NOT NULL DEFAULT true")
    op.execute("INSERT INTO dm_setting VALUES ('data_version', '0')")
    op.execute("""
        CREATE TABLE disclosure (
            observation_id bigint PRIMARY KEY REFERENCES observation (id) ON DELETE CASCADE,
            rule text NOT NULL CHECK (rule IN ('primary', 'secondary')),
            reason text NOT NULL
        )""")
    op.execute("""
        CREATE VIEW observation_current AS
        SELECT o.* FROM observation o WHERE o.superseded_at IS NULL""")
    op.execute("""
        CREATE VIEW observation_public AS
        SELECT o.id, o.indicator_code, o.area_id, o.period,
               CASE WHEN d.observation_id IS NULL THEN o.value END AS value,
               CASE WHEN d.observation_id IS NULL THEN o.numerator END AS numerator,
               CASE WHEN d.observation_id IS NULL THEN o.denominator END AS denominator,
               CASE WHEN d.observation_id IS NULL THEN o.flag ELSE 'suppressed' END AS flag,
               CASE WHEN d.observation_id IS NULL THEN o.flag_reason ELSE d.reason END AS flag_reason,
               o.import_batch_id, o.superseded_by_batch, o.superseded_at
        FROM observation o
        JOIN indicator i ON i.code = o.indicator_code AND i.published
        LEFT JOIN disclosure d ON d.observation_id = o.id
        WHERE o.superseded_at IS NULL""")
    op.execute("""
        CREATE TABLE index_definition (
            id text PRIMARY KEY,
            version integer NOT NULL DEFAULT 1,
            name_de text NOT NULL,
            name_en text NOT NULL,
            method text NOT NULL CHECK (method IN ('mss', 'percentile_rank', 'weighted', 'combination')),
            definition jsonb NOT NULL,
            published boolean NOT NULL DEFAULT true,
            updated_at timestamptz NOT NULL DEFAULT now(),
            updated_by text NOT NULL DEFAULT 'system'
        )""")
    op.execute("""
        CREATE TABLE index_definition_version (
            index_id text NOT NULL REFERENCES index_definition (id) ON DELETE CASCADE,
            version integer NOT NULL,
            definition jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            created_by text NOT NULL,
            PRIMARY KEY (index_id, version)
        )""")
    op.execute("""
        CREATE TABLE index_run (
            id bigserial PRIMARY KEY,
            index_id text NOT NULL REFERENCES index_definition (id) ON DELETE CASCADE,
            definition_version integer NOT NULL,
            level_code text NOT NULL REFERENCES area_level (code),
            period date NOT NULL,
            inputs_hash text NOT NULL,
            computed_at timestamptz NOT NULL DEFAULT now(),
            computed_by text NOT NULL DEFAULT 'system',
            parameters jsonb NOT NULL DEFAULT '{}'::jsonb,
            summary jsonb NOT NULL DEFAULT '{}'::jsonb,
            UNIQUE (index_id, definition_version, level_code, period, inputs_hash)
        )""")
    op.execute("""
        CREATE TABLE index_result (
            run_id bigint NOT NULL REFERENCES index_run (id) ON DELETE CASCADE,
            area_id bigint NOT NULL REFERENCES area (id),
            value double precision,
            class text,
            participating boolean NOT NULL,
            reason text,
            attention boolean NOT NULL DEFAULT false,
            details jsonb NOT NULL DEFAULT '{}'::jsonb,
            PRIMARY KEY (run_id, area_id)
        )""")
    op.execute("""
        CREATE TABLE note (
            id bigserial PRIMARY KEY,
            level_code text NOT NULL REFERENCES area_level (code),
            area_key text NOT NULL,
            period date,
            kind text NOT NULL DEFAULT 'finding' CHECK (kind IN ('finding', 'event', 'programme')),
            title text NOT NULL,
            body text NOT NULL,
            author text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            deleted_at timestamptz
        )""")
    op.execute("CREATE INDEX note_area_idx ON note (level_code, area_key)")
    op.execute("""
        CREATE TABLE point_layer (
            code text PRIMARY KEY,
            name_de text NOT NULL,
            name_en text NOT NULL,
            description text,
            import_batch_id bigint REFERENCES import_batch (id)
        )""")
    op.execute(f"""
        CREATE TABLE point_feature (
            id bigserial PRIMARY KEY,
            layer_code text NOT NULL REFERENCES point_layer (code) ON DELETE CASCADE,
            key text NOT NULL,
            name text,
            geom geometry(Point, {srid}) NOT NULL,
            attributes jsonb NOT NULL DEFAULT '{{}}'::jsonb,
            UNIQUE (layer_code, key)
        )""")
    op.execute("CREATE INDEX point_feature_geom_gix ON point_feature USING gist (geom)")
    op.execute("""
        CREATE TABLE polygon_layer (
            code text PRIMARY KEY,
            name_de text NOT NULL,
            name_en text NOT NULL,
            description text,
            import_batch_id bigint REFERENCES import_batch (id)
        )""")
    op.execute(f"""
        CREATE TABLE polygon_feature (
            id bigserial PRIMARY KEY,
            layer_code text NOT NULL REFERENCES polygon_layer (code) ON DELETE CASCADE,
            key text NOT NULL,
            name text,
            geom geometry(MultiPolygon, {srid}) NOT NULL,
            attributes jsonb NOT NULL DEFAULT '{{}}'::jsonb,
            UNIQUE (layer_code, key)
        )""")
    op.execute("CREATE INDEX polygon_feature_geom_gix ON polygon_feature USING gist (geom)")
    op.execute("""
        CREATE TABLE grid_layer (
            code text PRIMARY KEY,
            name_de text NOT NULL,
            name_en text NOT NULL,
            resolution_m integer NOT NULL CHECK (resolution_m > 0),
            import_batch_id bigint REFERENCES import_batch (id)
        )""")
    op.execute(f"""
        CREATE TABLE grid_cell (
            layer_code text NOT NULL REFERENCES grid_layer (code) ON DELETE CASCADE,
            cell_id text NOT NULL,
            centre geometry(Point, {srid}) NOT NULL,
            PRIMARY KEY (layer_code, cell_id)
        )""")
    op.execute("CREATE INDEX grid_cell_centre_gix ON grid_cell USING gist (centre)")
    op.execute("""
        CREATE TABLE grid_value (
            layer_code text NOT NULL,
            cell_id text NOT NULL,
            variable text NOT NULL,
            value double precision NOT NULL,
            PRIMARY KEY (layer_code, variable, cell_id),
            FOREIGN KEY (layer_code, cell_id) REFERENCES grid_cell (layer_code, cell_id) ON DELETE CASCADE
        )""")
    op.execute("""
        CREATE TABLE programme (
            id text PRIMARY KEY,
            name text NOT NULL,
            start_date date NOT NULL,
            level_code text REFERENCES area_level (code),
            area_keys text[],
            polygon_layer text REFERENCES polygon_layer (code),
            polygon_key text,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            CHECK (area_keys IS NOT NULL OR polygon_key IS NOT NULL)
        )""")
    op.execute("""
        CREATE TABLE aggregation_cache (
            cache_key text PRIMARY KEY,
            data_version bigint NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            result jsonb NOT NULL
        )""")
    # Every change of data bumps data_version: caches (HTTP ETags, aggregations) key on it.
    op.execute("""
        CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE dm_setting SET value = (value::bigint + 1)::text WHERE key = 'data_version';
            RETURN NULL;
        END $$""")
    for table in ("observation", "area", "indicator", "disclosure", "index_result", "note", "point_feature",
                  "polygon_feature", "grid_value", "programme", "index_definition"):
        op.execute(f"""
            CREATE TRIGGER {table}_bumps_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()""")


def downgrade() -> None:
    for table in ("aggregation_cache", "programme", "grid_value", "grid_cell", "grid_layer", "polygon_feature",
                  "polygon_layer", "point_feature", "point_layer", "note", "index_result", "index_run",
                  "index_definition_version", "index_definition", "audit_log", "api_token"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP VIEW IF EXISTS observation_public")
    op.execute("DROP VIEW IF EXISTS observation_current")
    op.execute("DROP TABLE IF EXISTS disclosure")
    op.execute("DROP FUNCTION IF EXISTS bump_data_version() CASCADE")
    op.execute("ALTER TABLE indicator DROP COLUMN IF EXISTS published")
    op.execute("DELETE FROM dm_setting WHERE key = 'data_version'")
