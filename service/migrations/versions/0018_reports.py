"""Reports as documents with a life cycle (issue 17, the "Dreiklang"): a report for a period and an area
selection, its sections (Markdown narrative, optimistic concurrency by revision), its states and their history,
and the frozen versions (rendered HTML, PDF bytes and figures at publication). Beside them the qualitative
findings per area and topic, targets per indicator and area, and the register fields of programmes (measures).

Revision ID: 0018
Revises: 0015
"""
from alembic import op

revision = "0018"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE report (
            id bigserial PRIMARY KEY,
            title text NOT NULL CHECK (title <> ''),
            period date NOT NULL,
            level_code text NOT NULL REFERENCES area_level (code) ON UPDATE CASCADE,
            area_keys text[] NOT NULL DEFAULT '{}',  -- the areas profiled; empty: chosen by the Gesamtindex rule
            sections text[] NOT NULL,                -- the template: section kinds in their order
            municipality text NOT NULL DEFAULT '',
            publisher text NOT NULL DEFAULT '',
            state text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'review', 'approved', 'published')),
            version integer NOT NULL DEFAULT 1,      -- the version being worked on (or the last published)
            revision integer NOT NULL DEFAULT 1,     -- bumped by every change of the report or a section
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("""
        CREATE TABLE report_section (
            report_id bigint NOT NULL REFERENCES report (id) ON DELETE CASCADE,
            kind text NOT NULL CHECK (kind IN ('summary', 'topics', 'attention', 'profiles', 'measures', 'appendix')),
            position integer NOT NULL,
            narrative text NOT NULL DEFAULT '',      -- Markdown as written; rendered without HTML and sanitised
            revision integer NOT NULL DEFAULT 1,
            updated_by text,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (report_id, kind)
        )""")
    op.execute("""
        CREATE TABLE report_version (
            report_id bigint NOT NULL REFERENCES report (id) ON DELETE CASCADE,
            version integer NOT NULL,
            published_at timestamptz NOT NULL DEFAULT now(),
            published_by text NOT NULL,
            approved_by text,
            figures jsonb NOT NULL,                  -- the data the report showed, as published
            sections jsonb NOT NULL,                 -- the narrative as published
            html text NOT NULL,
            pdf bytea NOT NULL,
            PRIMARY KEY (report_id, version)
        )""")
    op.execute("""
        CREATE TABLE report_transition (
            id bigserial PRIMARY KEY,
            report_id bigint NOT NULL REFERENCES report (id) ON DELETE CASCADE,
            version integer NOT NULL,
            from_state text,
            to_state text NOT NULL,
            actor text NOT NULL,
            role text NOT NULL,
            comment text NOT NULL DEFAULT '',
            at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("CREATE INDEX report_transition_report_idx ON report_transition (report_id, id)")
    op.execute("""
        CREATE TABLE finding (
            id bigserial PRIMARY KEY,
            level_code text NOT NULL REFERENCES area_level (code) ON UPDATE CASCADE,
            area_key text NOT NULL,
            topic text NOT NULL DEFAULT '',
            author text NOT NULL,
            observed_on date NOT NULL,
            source_type text NOT NULL CHECK (source_type IN ('expert_assessment', 'resident_survey', 'interview',
                                                             'participation')),
            sample_size integer CHECK (sample_size > 0),
            text text NOT NULL CHECK (text <> ''),
            stance text NOT NULL DEFAULT 'neutral' CHECK (stance IN ('confirms', 'questions', 'neutral')),
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            CHECK (source_type <> 'resident_survey' OR sample_size IS NOT NULL)
        )""")
    op.execute("CREATE INDEX finding_area_idx ON finding (level_code, area_key)")
    op.execute("""
        CREATE TABLE target (
            id bigserial PRIMARY KEY,
            indicator_code text NOT NULL REFERENCES indicator (code) ON UPDATE CASCADE,
            level_code text NOT NULL REFERENCES area_level (code) ON UPDATE CASCADE,
            area_key text NOT NULL,
            base_value double precision NOT NULL,
            base_year integer NOT NULL,
            target_value double precision NOT NULL,
            target_year integer NOT NULL CHECK (target_year > base_year),
            direction text NOT NULL CHECK (direction IN ('decrease', 'increase')),
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (indicator_code, level_code, area_key, target_year)
        )""")
    # what anonymous readers see is cached by data_version (service/caching.py): published versions, the state
    # and title of reports, findings and targets bump it; saving a draft's sections (autosave) does not
    for table in ("report_version", "finding", "target"):
        op.execute(f"""
            CREATE TRIGGER {table}_bumps_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()""")
    op.execute("""
        CREATE TRIGGER report_bumps_data_version AFTER INSERT OR DELETE OR UPDATE OF state, title ON report
        FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()""")
    op.execute("""
        ALTER TABLE programme
            ADD COLUMN responsible_office text,
            ADD COLUMN end_date date,
            ADD COLUMN budget_eur numeric(14, 2) CHECK (budget_eur >= 0),
            ADD COLUMN indicators text[] NOT NULL DEFAULT '{}',
            ADD CONSTRAINT programme_dates_ordered CHECK (end_date IS NULL OR end_date >= start_date)""")


def downgrade() -> None:
    op.execute("""
        ALTER TABLE programme DROP CONSTRAINT programme_dates_ordered, DROP COLUMN indicators,
            DROP COLUMN budget_eur, DROP COLUMN end_date, DROP COLUMN responsible_office""")
    op.execute("DROP TABLE target")
    op.execute("DROP TABLE finding")
    op.execute("DROP TABLE report_transition")
    op.execute("DROP TABLE report_version")
    op.execute("DROP TABLE report_section")
    op.execute("DROP TABLE report")
