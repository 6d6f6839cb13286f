"""Group breakdowns declared in the catalogue (issue 16): a count indicator can be one population group's part of
another count (unemployed foreigners of the unemployed; foreign inhabitants of the inhabitants). The groups are
data (`population_group`: code, dimension such as nationality or migration background, names), so the gaps
between groups find their four counts from a rate's numerator, its denominator and a dimension, every group of
the dimension at once, and segregation finds the total its groups are parts of.

Revision ID: 0032
Revises: 0031
"""
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE population_group (
            code text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]+$'),
            dimension text NOT NULL CHECK (dimension ~ '^[a-z0-9_]+$'),
            name_de text NOT NULL,
            name_en text NOT NULL
        )""")
    op.execute("""
        ALTER TABLE indicator
            ADD COLUMN group_of text REFERENCES indicator (code) ON UPDATE CASCADE ON DELETE SET NULL,
            ADD COLUMN population_group text REFERENCES population_group (code) ON UPDATE CASCADE,
            ADD CONSTRAINT indicator_group_of_pair CHECK ((group_of IS NULL) = (population_group IS NULL)),
            ADD CONSTRAINT indicator_group_of_other CHECK (group_of <> code)""")
    op.execute("CREATE UNIQUE INDEX indicator_breakdown_idx ON indicator (group_of, population_group)")
    op.execute("""
        CREATE TRIGGER population_group_bumps_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
        ON population_group FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()""")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS indicator_breakdown_idx")
    op.execute("""ALTER TABLE indicator DROP CONSTRAINT indicator_group_of_pair,
                  DROP CONSTRAINT indicator_group_of_other, DROP COLUMN population_group, DROP COLUMN group_of""")
    op.execute("DROP TABLE population_group")
