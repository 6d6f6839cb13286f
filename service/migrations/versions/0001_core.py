"""Core schema: levels, versioned areas, import batches, topics, indicators, observations.

Revision ID: 0001
Revises:
"""
from alembic import op

from service.migrations.options import storage_srid

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    srid = storage_srid()
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute("CREATE TABLE dm_setting (key text PRIMARY KEY, value text NOT NULL)")
    op.execute(f"INSERT INTO dm_setting VALUES ('storage_srid', '{srid}')")
    op.execute("""
        CREATE TABLE import_batch (
            id bigserial PRIMARY KEY,
            kind text NOT NULL,
            file_name text NOT NULL,
            sha256 text NOT NULL,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            options jsonb NOT NULL DEFAULT '{}'::jsonb,
            rows_read integer NOT NULL DEFAULT 0,
            rows_written integer NOT NULL DEFAULT 0,
            rows_unchanged integer NOT NULL DEFAULT 0,
            rows_superseded integer NOT NULL DEFAULT 0,
            report jsonb NOT NULL DEFAULT '{}'::jsonb
        )""")
    op.execute("CREATE INDEX import_batch_sha256_idx ON import_batch (sha256)")
    op.execute("""
        CREATE TABLE area_level (
            code text PRIMARY KEY,
            name_de text NOT NULL,
            name_en text NOT NULL,
            plural_de text NOT NULL,
            plural_en text NOT NULL,
            rank integer NOT NULL UNIQUE,
            parent_code text REFERENCES area_level (code),
            description text
        )""")
    op.execute(f"""
        CREATE TABLE area (
            id bigserial PRIMARY KEY,
            level_code text NOT NULL REFERENCES area_level (code),
            key text NOT NULL,
            name text NOT NULL,
            parent_key text,
            valid_from date NOT NULL,
            valid_to date,
            geom geometry(MultiPolygon, {srid}) NOT NULL,
            geom_4326 geometry(MultiPolygon, 4326) GENERATED ALWAYS AS (ST_Transform(geom, 4326)) STORED,
            area_m2 double precision NOT NULL,
            attributes jsonb NOT NULL DEFAULT '{{}}'::jsonb,
            import_batch_id bigint NOT NULL REFERENCES import_batch (id),
            UNIQUE (level_code, key, valid_from),
            CONSTRAINT area_valid_range CHECK (valid_to IS NULL OR valid_to > valid_from),
            CONSTRAINT area_versions_do_not_overlap
                EXCLUDE USING gist (level_code WITH =, key WITH =, daterange(valid_from, valid_to) WITH &&)
        )""")
    op.execute("CREATE INDEX area_geom_gix ON area USING gist (geom)")
    op.execute("CREATE INDEX area_geom_4326_gix ON area USING gist (geom_4326)")
    op.execute("CREATE INDEX area_level_parent_idx ON area (level_code, parent_key)")
    op.execute("""
        CREATE TABLE topic (
            code text PRIMARY KEY,
            name_de text NOT NULL,
            name_en text NOT NULL,
            sort integer NOT NULL DEFAULT 0
        )""")
    op.execute("""
        CREATE TABLE indicator (
            code text PRIMARY KEY,
            name_de text NOT NULL,
            name_en text NOT NULL,
            topic_code text REFERENCES topic (code),
            role text NOT NULL,
            kind text NOT NULL,
            unit text NOT NULL,
            change_of text,
            description_de text,
            description_en text,
            rationale_de text,
            rationale_en text,
            numerator_de text,
            denominator_de text,
            direction text NOT NULL,
            aggregation text NOT NULL,
            weight_indicator text,
            source text,
            reference_date date,
            min_numerator integer,
            min_denominator integer,
            target_value double precision,
            target_year integer,
            target_note text,
            catalogue text,
            sort integer NOT NULL DEFAULT 0,
            updated_at timestamptz NOT NULL DEFAULT now(),
            updated_by text NOT NULL DEFAULT 'system',
            CONSTRAINT indicator_direction CHECK (direction IN ('higher_is_worse', 'higher_is_better', 'neutral')),
            CONSTRAINT indicator_kind CHECK (kind IN ('share', 'change', 'count', 'rate')),
            CONSTRAINT indicator_aggregation CHECK (aggregation IN ('sum', 'ratio', 'weighted_mean', 'none'))
        )""")
    op.execute("""
        CREATE TABLE observation (
            id bigserial PRIMARY KEY,
            indicator_code text NOT NULL REFERENCES indicator (code) ON UPDATE CASCADE,
            area_id bigint NOT NULL REFERENCES area (id),
            period date NOT NULL,
            value double precision,
            numerator double precision,
            denominator double precision,
            flag text,
            flag_reason text,
            import_batch_id bigint NOT NULL REFERENCES import_batch (id),
            superseded_by_batch bigint REFERENCES import_batch (id),
            superseded_at timestamptz,
            CONSTRAINT observation_value_or_flag CHECK (value IS NOT NULL OR flag IS NOT NULL)
        )""")
    op.execute("""
        CREATE UNIQUE INDEX observation_current_uq ON observation (indicator_code, area_id, period)
        WHERE superseded_at IS NULL""")
    op.execute("CREATE INDEX observation_area_idx ON observation (area_id, period)")
    op.execute("CREATE INDEX observation_batch_idx ON observation (import_batch_id)")


def downgrade() -> None:
    for table in ("observation", "indicator", "topic", "area", "area_level", "import_batch", "dm_setting"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
