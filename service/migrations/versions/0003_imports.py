"""Imports: the references of `observation` checked once per statement instead of once per row.

A declarative foreign key checks every inserted row on its own (one index probe and one row lock per row and
reference); for a million-row import that is four million probes and more than half of the import time.
These triggers keep the same guarantees with one set-based query per statement, using the rows the statement
changed (transition tables):

- observation -> area (area_id), indicator (indicator_code), import_batch (import_batch_id,
  superseded_by_batch): checked after every INSERT/UPDATE statement; the referenced rows are locked
  FOR KEY SHARE, as a foreign key does, so a concurrent transaction cannot delete them;
- area, indicator, import_batch: a DELETE (or an UPDATE changing a referenced key, or a TRUNCATE) that
  would leave observations without their row is refused (RESTRICT, as before);
- indicator.code renames still cascade to the observations (ON UPDATE CASCADE, as before).

Violations raise SQLSTATE 23503 (foreign_key_violation) with the constraint name of the foreign key they
replace, so callers see the same error class as before.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FOREIGN_KEYS = {  # constraint name -> (column, referenced table, referenced column, extra clause)
    "observation_area_id_fkey": ("area_id", "area", "id", ""),
    "observation_indicator_code_fkey": ("indicator_code", "indicator", "code", "ON UPDATE CASCADE"),
    "observation_import_batch_id_fkey": ("import_batch_id", "import_batch", "id", ""),
    "observation_superseded_by_batch_fkey": ("superseded_by_batch", "import_batch", "id", ""),
}


def upgrade() -> None:
    for name in FOREIGN_KEYS:
        op.execute(f"ALTER TABLE observation DROP CONSTRAINT IF EXISTS {name}")
    op.execute("CREATE INDEX IF NOT EXISTS observation_superseded_by_batch_idx ON observation (superseded_by_batch) "
               "WHERE superseded_by_batch IS NOT NULL")
    op.execute(r"""
        CREATE FUNCTION observation_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            areas bigint[];
            codes text[];
            batches bigint[];
            missing text;
        BEGIN
            -- one pass per reference over the changed rows; the distinct values are few (areas, codes, batches)
            SELECT array_agg(DISTINCT area_id) INTO areas FROM changed_rows;
            SELECT array_agg(DISTINCT indicator_code) INTO codes FROM changed_rows;
            SELECT array_agg(DISTINCT b) INTO batches
            FROM (SELECT DISTINCT import_batch_id, superseded_by_batch FROM changed_rows) c,
                 LATERAL (VALUES (c.import_batch_id), (c.superseded_by_batch)) v(b)
            WHERE b IS NOT NULL;
            IF areas IS NULL THEN
                RETURN NULL;  -- the statement changed no row
            END IF;
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
            RETURN NULL;
        END $$""")
    for event in ("INSERT", "UPDATE"):
        op.execute(f"""
            CREATE TRIGGER observation_references_{event.lower()} AFTER {event} ON observation
            REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION observation_references_exist()""")

    # the referenced side: RESTRICT on delete, key change and truncate
    checks = {
        "area": ("id", "SELECT 1 FROM observation o WHERE o.area_id = r.id", "observation_area_id_fkey"),
        "indicator": ("code", "SELECT 1 FROM observation o WHERE o.indicator_code = r.code",
                      "observation_indicator_code_fkey"),
        "import_batch": ("id", ("SELECT 1 FROM observation o WHERE o.import_batch_id = r.id "
                                "UNION ALL SELECT 1 FROM observation o WHERE o.superseded_by_batch = r.id"),
                         "observation_import_batch_id_fkey"),
    }
    for table, (key, referencing, constraint) in checks.items():
        message = (f'update or delete on table "{table}" violates foreign key constraint "{constraint}" '
                   'on table "observation"')
        op.execute(f"""
            CREATE FUNCTION {table}_still_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                missing text;
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    SELECT r.{key}::text INTO missing FROM gone_rows r
                    WHERE NOT EXISTS (SELECT 1 FROM kept_rows k WHERE k.{key} = r.{key})
                      AND EXISTS ({referencing}) LIMIT 1;
                ELSE
                    SELECT r.{key}::text INTO missing FROM gone_rows r WHERE EXISTS ({referencing}) LIMIT 1;
                END IF;
                IF FOUND THEN
                    RAISE EXCEPTION '{message}'
                        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{constraint}',
                              DETAIL = format('Key ({key})=(%s) is still referenced from table "observation".', missing);
                END IF;
                RETURN NULL;
            END $$""")
        op.execute(f"""
            CREATE TRIGGER {table}_restrict_delete AFTER DELETE ON {table}
            REFERENCING OLD TABLE AS gone_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_still_referenced()""")
        if table != "indicator":  # renamed indicator codes cascade (below)
            op.execute(f"""
                CREATE TRIGGER {table}_restrict_update AFTER UPDATE ON {table}
                REFERENCING OLD TABLE AS gone_rows NEW TABLE AS kept_rows
                FOR EACH STATEMENT EXECUTE FUNCTION {table}_still_referenced()""")
        op.execute(f"""
            CREATE FUNCTION {table}_truncate_restricted() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM observation) THEN
                    RAISE EXCEPTION 'cannot truncate a table referenced in a foreign key constraint'
                        USING ERRCODE = 'feature_not_supported',
                              DETAIL = 'Table "observation" references "{table}".';
                END IF;
                RETURN NULL;
            END $$""")
        op.execute(f"""
            CREATE TRIGGER {table}_restrict_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_truncate_restricted()""")
    op.execute("""
        CREATE FUNCTION indicator_code_cascades() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE observation SET indicator_code = NEW.code WHERE indicator_code = OLD.code;
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE TRIGGER indicator_code_cascades AFTER UPDATE OF code ON indicator
        FOR EACH ROW WHEN (OLD.code IS DISTINCT FROM NEW.code) EXECUTE FUNCTION indicator_code_cascades()""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS indicator_code_cascades ON indicator")
    op.execute("DROP FUNCTION IF EXISTS indicator_code_cascades()")
    for table in ("area", "indicator", "import_batch"):
        for trigger in ("restrict_delete", "restrict_update", "restrict_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{trigger} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_still_referenced()")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_truncate_restricted()")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS observation_references_{event} ON observation")
    op.execute("DROP FUNCTION IF EXISTS observation_references_exist()")
    # 0010's downgrade keeps the reference check it introduced (called by the trigger function dropped above)
    op.execute("DROP FUNCTION IF EXISTS observation_assert_references(bigint[], text[], bigint[])")
    op.execute("DROP INDEX IF EXISTS observation_superseded_by_batch_idx")
    for name, (column, table, key, extra) in FOREIGN_KEYS.items():
        op.execute(f"ALTER TABLE observation ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {table} ({key}) "
                   f"{extra}")
