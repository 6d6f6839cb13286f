"""Deliveries that can be taken back, coordinates that are finite, and an audit log that cannot be quietly changed.

- `import_batch.undone_at`, `undone_by`: a batch taken back by `district-monitor import undo` (its rows are
  gone, the values it superseded current again); an undone batch cannot be undone a second time.
- `area_change`: what a boundary import did to areas: created a version, closed an earlier one, or corrected
  an outline in place (with the previous name, parent, outline and attributes), so that undoing the batch
  restores them exactly.
- `area`, `point_feature`, `polygon_feature`: CHECK that every coordinate is finite (the import refuses such
  files first; the database refuses them from any writer).
- `audit_log` is append-only: triggers refuse UPDATE, DELETE and TRUNCATE. Every entry stores `prev_hash` (the
  hash of the entry before it) and `hash` (SHA-256 over its own content and `prev_hash`, computed by
  `audit_entry_hash`). A BEFORE INSERT trigger takes the id and the previous hash from the chain head
  `audit_chain` under a row lock held to commit, so two writers never fork the chain and ids follow the
  chain's order. `audit_chain` itself only changes inside that trigger. Existing entries are chained in id
  order when this migration runs.

Revision ID: 0012
Revises: 0010
"""
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

GENESIS = "0" * 64  # prev_hash of the first entry
FEATURE_TABLES = ("area", "point_feature", "polygon_feature")
FINITE = ("ST_XMin(geom) BETWEEN -1e12 AND 1e12 AND ST_XMax(geom) BETWEEN -1e12 AND 1e12 "
          "AND ST_YMin(geom) BETWEEN -1e12 AND 1e12 AND ST_YMax(geom) BETWEEN -1e12 AND 1e12")


def upgrade() -> None:
    op.execute("ALTER TABLE import_batch ADD COLUMN undone_at timestamptz, ADD COLUMN undone_by text")
    op.execute("""
        CREATE TABLE area_change (
            batch_id bigint NOT NULL REFERENCES import_batch (id),
            area_id bigint NOT NULL REFERENCES area (id) ON UPDATE CASCADE ON DELETE CASCADE,
            change text NOT NULL CHECK (change IN ('created', 'closed', 'corrected')),
            name text,
            parent_key text,
            geom geometry,
            area_m2 double precision,
            attributes jsonb,
            import_batch_id bigint REFERENCES import_batch (id),
            PRIMARY KEY (batch_id, area_id),
            CHECK (change <> 'corrected' OR (geom IS NOT NULL AND import_batch_id IS NOT NULL))
        )""")
    op.execute("CREATE INDEX area_change_area_idx ON area_change (area_id)")
    for table in FEATURE_TABLES:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_geom_finite CHECK ({FINITE})")
    _chain_audit_log()


def _chain_audit_log() -> None:
    op.execute("""
        CREATE FUNCTION audit_entry_hash(id bigint, at timestamptz, actor text, role text, action text,
                                         target_type text, target_id text, before jsonb, after jsonb,
                                         request_id text, prev_hash text)
        RETURNS text LANGUAGE sql STABLE AS $$
            SELECT encode(sha256(convert_to(jsonb_build_array(
                id, extract(epoch FROM at)::text, actor, role, action, target_type, target_id, before, after,
                request_id, prev_hash)::text, 'UTF8')), 'hex')
        $$""")
    op.execute("ALTER TABLE audit_log ADD COLUMN prev_hash text, ADD COLUMN hash text")
    op.execute(f"""
        DO $$
        DECLARE
            entry audit_log;
            previous text := '{GENESIS}';
        BEGIN
            FOR entry IN SELECT * FROM audit_log ORDER BY id LOOP
                UPDATE audit_log SET prev_hash = previous,
                       hash = audit_entry_hash(entry.id, entry.at, entry.actor, entry.role, entry.action,
                                               entry.target_type, entry.target_id, entry.before, entry.after,
                                               entry.request_id, previous)
                WHERE id = entry.id RETURNING hash INTO previous;
            END LOOP;
        END $$""")
    op.execute("ALTER TABLE audit_log ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL, "
               "ALTER COLUMN id DROP DEFAULT")  # the chain trigger draws the id, under the head's lock
    op.execute("""
        CREATE TABLE audit_chain (
            head boolean PRIMARY KEY DEFAULT true CHECK (head),
            last_id bigint,
            last_hash text NOT NULL,
            entries bigint NOT NULL
        )""")
    op.execute(f"""
        INSERT INTO audit_chain (last_id, last_hash, entries)
        SELECT max(id), coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), '{GENESIS}'), count(*)
        FROM audit_log""")
    op.execute("""
        CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            chain audit_chain;
        BEGIN
            -- one writer at a time, to commit: the next writer reads the head this one leaves
            SELECT * INTO chain FROM audit_chain FOR UPDATE;
            NEW.id := nextval(pg_get_serial_sequence('audit_log', 'id'));
            NEW.prev_hash := chain.last_hash;
            NEW.hash := audit_entry_hash(NEW.id, NEW.at, NEW.actor, NEW.role, NEW.action, NEW.target_type,
                                         NEW.target_id, NEW.before, NEW.after, NEW.request_id, NEW.prev_hash);
            UPDATE audit_chain SET last_id = NEW.id, last_hash = NEW.hash, entries = entries + 1;
            RETURN NEW;
        END $$""")
    op.execute("""
        CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_chain()""")
    op.execute("""
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_TABLE_NAME = 'audit_chain' AND TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 THEN
                RETURN NULL;  -- the head moves inside audit_log_chain, and only there
            END IF;
            RAISE EXCEPTION 'the audit log is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'entries are added by the service; district-monitor audit verify checks the chain';
        END $$""")
    for table in ("audit_log", "audit_chain"):
        op.execute(f"""
            CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""")


def downgrade() -> None:
    for table in ("audit_log", "audit_chain"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.execute("DROP TRIGGER IF EXISTS audit_log_chain ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_chain()")
    op.execute("DROP TABLE IF EXISTS audit_chain")
    op.execute("ALTER TABLE audit_log ALTER COLUMN id SET DEFAULT nextval('audit_log_id_seq'::regclass)")
    op.execute("ALTER TABLE audit_log DROP COLUMN IF EXISTS prev_hash, DROP COLUMN IF EXISTS hash")
    op.execute("DROP FUNCTION IF EXISTS audit_entry_hash(bigint, timestamptz, text, text, text, text, text, jsonb, "
               "jsonb, text, text)")
    for table in FEATURE_TABLES:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_geom_finite")
    op.execute("DROP TABLE IF EXISTS area_change")
    op.execute("ALTER TABLE import_batch DROP COLUMN IF EXISTS undone_at, DROP COLUMN IF EXISTS undone_by")
