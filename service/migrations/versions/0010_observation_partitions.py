"""Observations partitioned by indicator, so that importing an indicator without data yet is a bulk load.

Maintaining the indexes of `observation` row by row was most of the time of a big import. An indicator that
has no data yet now gets a table of its own that is filled by COPY with no index on it; its indexes are then
built once, from sorted input, when the table is attached as the indicator's partition. Attaching takes
SHARE UPDATE EXCLUSIVE on `observation`, so readers are never blocked, and the rows appear at commit.

- `observation` is PARTITION BY LIST (indicator_code): one partition per indicator, named by
  observation_partition_name(code). Writers call observation_ensure_partition(code) before inserting; the
  bulk path calls observation_new_partition(code) per new indicator, COPYs into that table, builds its
  indexes with observation_index_partition(code), and finally attaches all with
  observation_attach_partitions(codes).
  There is no default partition: a row of an indicator without a partition is refused by PostgreSQL.
- Keys of a partitioned table include the partition key: PRIMARY KEY (id, indicator_code), so `disclosure`
  and `observation_derivation` reference (observation_id, indicator_code), cascading deletes and renames.
- Indexes: the primary key, and one current value per (area, period, indicator), which also serves every
  lookup of current rows by area. Nothing else: each index of a partition costs one more pass when a new
  indicator is attached. Superseded rows (history) and the rows of one import batch are found by scanning,
  as rare reads; the RESTRICT checks of deleted areas and import batches (0003) scan once per statement.
- observation_assert_references(areas, codes, batches): the reference check of migration 0003 as a function,
  called by its statement triggers and by attach (a bulk-loaded table passes no trigger of `observation`).
- dm_bump_data_version(): the body of bump_data_version() as a function, called by attach.

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PARTITION_LOCK = (5_000_010, 0)  # advisory lock under which partitions are created (service code uses it too)

COLUMNS = ("id, indicator_code, area_id, period, value, numerator, denominator, flag, flag_reason, "
           "import_batch_id, superseded_by_batch, superseded_at")
OLD_INDEXES = ("observation_pkey", "observation_current_uq", "observation_area_idx", "observation_batch_idx",
               "observation_superseded_by_batch_idx")
DEPENDENT = {  # table -> name of its foreign key to observation before this migration
    "disclosure": "disclosure_observation_id_fkey",
    "observation_derivation": "observation_derivation_observation_id_fkey",
}

TABLE = """
    CREATE TABLE observation (
        id bigint NOT NULL DEFAULT nextval('observation_id_seq'),
        indicator_code text NOT NULL,
        area_id bigint NOT NULL,
        period date NOT NULL,
        value double precision,
        numerator double precision,
        denominator double precision,
        flag text,
        flag_reason text,
        import_batch_id bigint NOT NULL,
        superseded_by_batch bigint,
        superseded_at timestamptz,
        CONSTRAINT observation_value_or_flag CHECK (value IS NOT NULL OR flag IS NOT NULL),
        {key}
    ) {partitioned}"""
CURRENT_VIEW = "CREATE VIEW observation_current AS SELECT o.* FROM observation o WHERE o.superseded_at IS NULL"
PUBLIC_VIEW = """
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
    LEFT JOIN disclosure d ON d.observation_id = o.id{join}
    WHERE o.superseded_at IS NULL"""

ASSERT_REFERENCES = r"""
    CREATE OR REPLACE FUNCTION observation_assert_references(areas bigint[], codes text[], batches bigint[])
    RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
        missing text;
    BEGIN
        -- lock what is referenced FOR KEY SHARE, as a foreign key does, then name the first missing key
        PERFORM 1 FROM area a WHERE a.id = ANY (areas) FOR KEY SHARE OF a;
        SELECT x::text INTO missing FROM unnest(areas) x WHERE NOT EXISTS (SELECT 1 FROM area a WHERE a.id = x) LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'insert or update on table "observation" violates foreign key constraint "observation_area_id_fkey"'
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'observation_area_id_fkey',
                      DETAIL = format('Key (area_id)=(%s) is not present in table "area".', missing);
        END IF;
        PERFORM 1 FROM indicator i WHERE i.code = ANY (codes) FOR KEY SHARE OF i;
        SELECT x INTO missing FROM unnest(codes) x WHERE NOT EXISTS (SELECT 1 FROM indicator i WHERE i.code = x) LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'insert or update on table "observation" violates foreign key constraint "observation_indicator_code_fkey"'
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'observation_indicator_code_fkey',
                      DETAIL = format('Key (indicator_code)=(%s) is not present in table "indicator".', missing);
        END IF;
        PERFORM 1 FROM import_batch b WHERE b.id = ANY (batches) FOR KEY SHARE OF b;
        SELECT x::text INTO missing FROM unnest(batches) x
        WHERE NOT EXISTS (SELECT 1 FROM import_batch b WHERE b.id = x) LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'insert or update on table "observation" violates foreign key constraint "observation_import_batch_id_fkey"'
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'observation_import_batch_id_fkey',
                      DETAIL = format('Key (import_batch_id)=(%s) is not present in table "import_batch".', missing);
        END IF;
    END $$"""

# The statement trigger of 0003, now collecting the references of the changed rows and asserting them.
REFERENCES_TRIGGER = """
    CREATE OR REPLACE FUNCTION observation_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        areas bigint[];
        codes text[];
        batches bigint[];
    BEGIN
        -- hashed, not sorted: a statement may have changed a million rows
        SELECT array_agg(area_id) INTO areas FROM (SELECT DISTINCT area_id FROM changed_rows) d;
        SELECT array_agg(indicator_code) INTO codes FROM (SELECT DISTINCT indicator_code FROM changed_rows) d;
        IF areas IS NULL THEN
            RETURN NULL;  -- the statement changed no row
        END IF;
        SELECT array_agg(DISTINCT b) INTO batches
        FROM (SELECT DISTINCT import_batch_id, superseded_by_batch FROM changed_rows) c,
             LATERAL (VALUES (c.import_batch_id), (c.superseded_by_batch)) v(b)
        WHERE b IS NOT NULL;
        PERFORM observation_assert_references(areas, codes, batches);
        RETURN NULL;
    END $$"""

PARTITION_FUNCTIONS = [
    """
    CREATE FUNCTION observation_partition_name(code text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
        -- readable and unique, within PostgreSQL's 63 bytes
        SELECT 'observation_' || left(regexp_replace(lower(code), '[^a-z0-9]+', '_', 'g'), 32) || '_'
               || left(md5(code), 8)
    $$""",
    """
    CREATE FUNCTION observation_partition(code text) RETURNS regclass LANGUAGE sql STABLE STRICT AS $$
        -- the attached partition of one indicator, NULL if it has none
        SELECT i.inhrelid::regclass FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'observation'::regclass AND c.relname = observation_partition_name(code)
    $$""",
    f"""
    CREATE FUNCTION observation_lock_partitions() RETURNS void LANGUAGE sql AS $$
        SELECT pg_advisory_xact_lock({PARTITION_LOCK[0]}, {PARTITION_LOCK[1]})
    $$""",
    """
    CREATE FUNCTION observation_new_partition(code text, batch bigint DEFAULT NULL) RETURNS regclass
    LANGUAGE plpgsql AS $$
    DECLARE
        name text := observation_partition_name(code);
    BEGIN
        PERFORM observation_assert_references(NULL, ARRAY[code], NULL);  -- partitions of known indicators only
        -- detached and without indexes: filled by COPY, then attached (the CHECK spares the attach its scan).
        -- Its code and the loading batch are column defaults until then, so that COPY need not send them.
        EXECUTE format('CREATE TABLE %I (LIKE observation INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
                       'CONSTRAINT %I CHECK (indicator_code IS NOT NULL AND indicator_code = %L))',
                       name, name || '_bound', code);
        EXECUTE format('ALTER TABLE %I ALTER COLUMN indicator_code SET DEFAULT %L, '
                       'ALTER COLUMN import_batch_id SET DEFAULT %s', name, code, coalesce(batch::text, 'NULL'));
        RETURN name::regclass;
    END $$""",
    """
    CREATE FUNCTION observation_index_partition(code text) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
        name text := observation_partition_name(code);
        definition record;
    BEGIN
        -- the parent's primary key and indexes on the detached table, each built in one sorted pass, so that
        -- attaching only links them (the definitions are read from observation: they exist in one place)
        FOR definition IN
            SELECT pg_get_indexdef(i.indexrelid) AS index, pg_get_constraintdef(c.oid) AS constraint_
            FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
            WHERE i.indrelid = 'observation'::regclass
        LOOP
            IF definition.constraint_ IS NOT NULL THEN
                EXECUTE format('ALTER TABLE %I ADD %s', name, definition.constraint_);
            ELSE
                EXECUTE regexp_replace(definition.index, '^(CREATE (UNIQUE )?INDEX )\\S+ ON ONLY \\S+',
                                       '\\1ON ' || quote_ident(name));
            END IF;
        END LOOP;
    END $$""",
    """
    CREATE FUNCTION observation_attach_partitions(codes text[], areas bigint[] DEFAULT NULL,
                                                  batches bigint[] DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
        names text[] := ARRAY(SELECT observation_partition_name(c) FROM unnest(codes) c);
        name text;
    BEGIN
        -- their rows passed no statement trigger of observation: check the references as those triggers do.
        -- A bulk importer passes the areas and batches it wrote; otherwise they are read from the tables,
        -- in one pass over all of them (each holds its own indicator only: the CHECK constraint says so)
        IF areas IS NULL THEN
            EXECUTE format('SELECT array_agg(DISTINCT area_id), array_agg(DISTINCT b) FILTER (WHERE b IS NOT NULL) '
                           'FROM (SELECT DISTINCT area_id, import_batch_id, superseded_by_batch FROM (%s) r) d, '
                           'LATERAL (VALUES (d.import_batch_id), (d.superseded_by_batch)) v(b)',
                           (SELECT string_agg(format('SELECT area_id, import_batch_id, superseded_by_batch FROM %I', n),
                                              ' UNION ALL ') FROM unnest(names) n))
                INTO areas, batches;
        END IF;
        PERFORM observation_assert_references(areas, codes, batches);
        FOR i IN 1 .. coalesce(array_length(codes, 1), 0) LOOP
            name := names[i];
            -- links the indexes observation_index_partition built, or builds them
            EXECUTE format('ALTER TABLE observation ATTACH PARTITION %I FOR VALUES IN (%L)', name, codes[i]);
            EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I, ALTER COLUMN indicator_code DROP DEFAULT, '
                           'ALTER COLUMN import_batch_id DROP DEFAULT', name, name || '_bound');
        END LOOP;
        IF cardinality(areas) > 0 THEN
            PERFORM dm_bump_data_version();  -- no statement of observation saw these rows arrive
        END IF;
    END $$""",
    """
    CREATE FUNCTION observation_ensure_partition(code text) RETURNS regclass LANGUAGE plpgsql AS $$
    DECLARE
        found regclass := observation_partition(code);
    BEGIN
        IF found IS NULL THEN
            PERFORM observation_lock_partitions();
            found := observation_partition(code);  -- another transaction may have made it meanwhile
            IF found IS NULL THEN
                PERFORM observation_new_partition(code);
                PERFORM observation_attach_partitions(ARRAY[code]);
                found := observation_partition(code);
            END IF;
        END IF;
        RETURN found;
    END $$""",
]

BUMP = """
    CREATE FUNCTION dm_bump_data_version() RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        new_version text;
    BEGIN
        UPDATE dm_setting SET value = (value::bigint + 1)::text WHERE key = 'data_version'
        RETURNING value INTO new_version;
        PERFORM pg_notify('dm_data_version', new_version);  -- delivered at commit, dropped on rollback
        RETURN new_version::bigint;
    END $$"""
BUMP_TRIGGER = """
    CREATE OR REPLACE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM dm_bump_data_version();
        RETURN NULL;
    END $$"""

# RESTRICT on deleting an area or an import batch (0003): the keys that are really gone first (an UPDATE that
# keeps the ids, as every import's bookkeeping does, ends there), then one semi-join over the observations.
RESTRICT = {  # table -> (key, the observations' references to it, constraint)
    "area": ("id", "SELECT area_id FROM observation", "observation_area_id_fkey"),
    "import_batch": ("id", ("SELECT import_batch_id FROM observation UNION ALL "
                            "SELECT superseded_by_batch FROM observation WHERE superseded_by_batch IS NOT NULL"),
                     "observation_import_batch_id_fkey"),
}
RESTRICT_FUNCTION = """
    CREATE OR REPLACE FUNCTION {table}_still_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        gone {keytype}[];
        missing text;
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            gone := ARRAY(SELECT r.{key} FROM gone_rows r WHERE NOT EXISTS (SELECT 1 FROM kept_rows k WHERE k.{key} = r.{key}));
        ELSE
            gone := ARRAY(SELECT r.{key} FROM gone_rows r);
        END IF;
        IF cardinality(gone) = 0 THEN
            RETURN NULL;
        END IF;
        SELECT g::text INTO missing FROM unnest(gone) g WHERE g IN ({referencing}) LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'update or delete on table "{table}" violates foreign key constraint "{constraint}" on table "observation"'
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{constraint}',
                      DETAIL = format('Key ({key})=(%s) is still referenced from table "observation".', missing);
        END IF;
        RETURN NULL;
    END $$"""
RESTRICT_0003 = {
    "area": "SELECT 1 FROM observation o WHERE o.area_id = r.id",
    "import_batch": ("SELECT 1 FROM observation o WHERE o.import_batch_id = r.id "
                     "UNION ALL SELECT 1 FROM observation o WHERE o.superseded_by_batch = r.id"),
}
RESTRICT_FUNCTION_0003 = """
    CREATE OR REPLACE FUNCTION {table}_still_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        missing text;
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            SELECT r.id::text INTO missing FROM gone_rows r
            WHERE NOT EXISTS (SELECT 1 FROM kept_rows k WHERE k.id = r.id) AND EXISTS ({referencing}) LIMIT 1;
        ELSE
            SELECT r.id::text INTO missing FROM gone_rows r WHERE EXISTS ({referencing}) LIMIT 1;
        END IF;
        IF FOUND THEN
            RAISE EXCEPTION 'update or delete on table "{table}" violates foreign key constraint "{constraint}" on table "observation"'
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{constraint}',
                      DETAIL = format('Key (id)=(%s) is still referenced from table "observation".', missing);
        END IF;
        RETURN NULL;
    END $$"""

# Renamed indicator codes cascade to their observations, which move to the new code's partition.
RENAME_CASCADE = """
    CREATE OR REPLACE FUNCTION indicator_code_cascades() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM observation WHERE indicator_code = OLD.code) THEN
            PERFORM observation_ensure_partition(NEW.code);
            UPDATE observation SET indicator_code = NEW.code WHERE indicator_code = OLD.code;
        END IF;
        RETURN NULL;
    END $$"""
RENAME_CASCADE_0003 = """
    CREATE OR REPLACE FUNCTION indicator_code_cascades() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE observation SET indicator_code = NEW.code WHERE indicator_code = OLD.code;
        RETURN NULL;
    END $$"""


def _observation_triggers() -> None:
    for event in ("INSERT", "UPDATE"):
        op.execute(f"""
            CREATE TRIGGER observation_references_{event.lower()} AFTER {event} ON observation
            REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION observation_references_exist()""")
    op.execute("""
        CREATE TRIGGER observation_bumps_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON observation
        FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()""")


def _set_aside_observation() -> None:
    """Rename the current observation table (and its indexes) away, with nothing depending on it any more."""
    op.execute("DROP VIEW observation_public")
    op.execute("DROP VIEW observation_current")
    op.execute("ALTER TABLE observation RENAME TO observation_old")
    for index in OLD_INDEXES:
        op.execute(f"ALTER INDEX IF EXISTS {index} RENAME TO {index.replace('observation_', 'observation_old_', 1)}")
    op.execute("ALTER SEQUENCE observation_id_seq OWNED BY NONE")


def upgrade() -> None:
    op.execute(BUMP)
    op.execute(BUMP_TRIGGER)
    op.execute(ASSERT_REFERENCES)
    op.execute(REFERENCES_TRIGGER)
    for table, constraint in DEPENDENT.items():
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")
        op.execute(f"ALTER TABLE {table} ADD COLUMN indicator_code text")
        op.execute(f"""UPDATE {table} t SET indicator_code = o.indicator_code FROM observation o
                       WHERE o.id = t.observation_id""")
        op.execute(f"DELETE FROM {table} WHERE indicator_code IS NULL")  # cannot exist under the old key
        op.execute(f"ALTER TABLE {table} ALTER COLUMN indicator_code SET NOT NULL")
    _set_aside_observation()
    op.execute(TABLE.format(key="CONSTRAINT observation_pkey PRIMARY KEY (id, indicator_code)",
                            partitioned="PARTITION BY LIST (indicator_code)"))
    op.execute("ALTER SEQUENCE observation_id_seq OWNED BY observation.id")
    # each session takes ids 1,000 at a time: a bulk load draws a million ids without touching the sequence
    # a million times (ids stay unique, not gapless)
    op.execute("ALTER SEQUENCE observation_id_seq CACHE 1000")
    op.execute("""CREATE UNIQUE INDEX observation_current_uq ON observation (area_id, period, indicator_code)
                  WHERE superseded_at IS NULL""")
    for function in PARTITION_FUNCTIONS:
        op.execute(function)
    op.execute("SELECT observation_ensure_partition(code) FROM (SELECT DISTINCT indicator_code AS code FROM observation_old) c")
    op.execute(f"INSERT INTO observation ({COLUMNS}) SELECT {COLUMNS} FROM observation_old "
               "ORDER BY indicator_code, area_id, period")
    op.execute("DROP TABLE observation_old")
    for table in DEPENDENT:
        op.execute(f"""ALTER TABLE {table} ADD CONSTRAINT {table}_observation_fkey
                       FOREIGN KEY (observation_id, indicator_code) REFERENCES observation (id, indicator_code)
                       ON DELETE CASCADE ON UPDATE CASCADE""")
    _observation_triggers()
    for table, (key, referencing, constraint) in RESTRICT.items():
        op.execute(RESTRICT_FUNCTION.format(table=table, key=key, keytype="bigint", referencing=referencing,
                                            constraint=constraint))
    op.execute(RENAME_CASCADE)
    op.execute(CURRENT_VIEW)
    op.execute(PUBLIC_VIEW.format(join=" AND d.indicator_code = o.indicator_code"))


def downgrade() -> None:
    """Back to one table. observation_assert_references and the statement trigger calling it stay: they check
    what 0003's trigger checked."""
    op.execute(RENAME_CASCADE_0003)
    for table, (_, _, constraint) in RESTRICT.items():
        op.execute(RESTRICT_FUNCTION_0003.format(table=table, referencing=RESTRICT_0003[table], constraint=constraint))
    for table in DEPENDENT:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_observation_fkey")
    op.execute("DROP VIEW observation_public")
    op.execute("DROP VIEW observation_current")
    op.execute("ALTER TABLE observation RENAME TO observation_partitioned")
    for index in ("observation_pkey", "observation_current_uq"):
        op.execute(f"ALTER INDEX {index} RENAME TO {index.replace('observation_', 'observation_partitioned_', 1)}")
    op.execute("ALTER SEQUENCE observation_id_seq OWNED BY NONE")
    op.execute(TABLE.format(key="CONSTRAINT observation_pkey PRIMARY KEY (id)", partitioned=""))
    op.execute("ALTER SEQUENCE observation_id_seq OWNED BY observation.id")
    op.execute(f"INSERT INTO observation ({COLUMNS}) SELECT {COLUMNS} FROM observation_partitioned")
    op.execute("DROP TABLE observation_partitioned CASCADE")
    op.execute("""CREATE UNIQUE INDEX observation_current_uq ON observation (indicator_code, area_id, period)
                  WHERE superseded_at IS NULL""")
    op.execute("CREATE INDEX observation_area_idx ON observation (area_id, period)")
    op.execute("CREATE INDEX observation_batch_idx ON observation (import_batch_id)")
    op.execute("""CREATE INDEX observation_superseded_by_batch_idx ON observation (superseded_by_batch)
                  WHERE superseded_by_batch IS NOT NULL""")
    op.execute("ALTER SEQUENCE observation_id_seq CACHE 1")
    for function in ("observation_ensure_partition(text)", "observation_attach_partitions(text[], bigint[], bigint[])",
                     "observation_index_partition(text)", "observation_new_partition(text, bigint)",
                     "observation_lock_partitions()",
                     "observation_partition(text)", "observation_partition_name(text)"):
        op.execute(f"DROP FUNCTION {function}")
    for table, constraint in DEPENDENT.items():
        op.execute(f"ALTER TABLE {table} DROP COLUMN indicator_code")
        op.execute(f"""ALTER TABLE {table} ADD CONSTRAINT {constraint} FOREIGN KEY (observation_id)
                       REFERENCES observation (id) ON DELETE CASCADE""")
    _observation_triggers()
    op.execute(CURRENT_VIEW)
    op.execute(PUBLIC_VIEW.format(join=""))
    op.execute("""
        CREATE OR REPLACE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            new_version text;
        BEGIN
            UPDATE dm_setting SET value = (value::bigint + 1)::text WHERE key = 'data_version'
            RETURNING value INTO new_version;
            PERFORM pg_notify('dm_data_version', new_version);
            RETURN NULL;
        END $$""")
    op.execute("DROP FUNCTION dm_bump_data_version()")
