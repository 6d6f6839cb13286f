"""Grid values as published (issue 14): the Zensus 2022 grid tables withhold some cells (`–`, Geheimhaltung) and
mark others as statistically uncertain (`KLAMMERN` in `werterlaeuternde_Zeichen`). Until now such a cell was
dropped on import, so a sum over an area silently missed it; now it is kept as a row that says so. A suppressed
cell has no number at all (value NULL, flag 'suppressed': nothing to publish, nothing to recover), an uncertain
one keeps its number with flag 'uncertain'. Sums over areas count both and call a sum that misses suppressed cells
a lower bound (docs/imports.md, "Grid tables").

Cached grid aggregations were computed without those counts; they are dropped (recomputed on demand).

The downgrade deletes the suppressed rows (the old schema has no way to hold a cell without a number) and drops
the flags of the uncertain ones, keeping their values.

Revision ID: 0025
Revises: 0024
"""
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE grid_value ALTER COLUMN value DROP NOT NULL")
    op.execute("ALTER TABLE grid_value ADD COLUMN flag text")
    op.execute("ALTER TABLE grid_value ADD CONSTRAINT grid_value_flag_known "
               "CHECK (flag IN ('suppressed', 'uncertain'))")
    op.execute("ALTER TABLE grid_value ADD CONSTRAINT grid_value_suppressed_without_value "
               "CHECK ((value IS NULL) = (flag IS NOT DISTINCT FROM 'suppressed'))")
    op.execute("COMMENT ON COLUMN grid_value.flag IS 'suppressed: withheld by the publisher (value is NULL); "
               "uncertain: published in parentheses (KLAMMERN), statistically uncertain; NULL: a plain value'")
    op.execute("DELETE FROM aggregation_cache WHERE cache_key LIKE 'grid:%'")


def downgrade() -> None:
    op.execute("DELETE FROM grid_value WHERE flag = 'suppressed'")
    op.execute("ALTER TABLE grid_value DROP CONSTRAINT grid_value_suppressed_without_value")
    op.execute("ALTER TABLE grid_value DROP CONSTRAINT grid_value_flag_known")
    op.execute("ALTER TABLE grid_value DROP COLUMN flag")
    op.execute("ALTER TABLE grid_value ALTER COLUMN value SET NOT NULL")
    op.execute("DELETE FROM aggregation_cache WHERE cache_key LIKE 'grid:%'")
