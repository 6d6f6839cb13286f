"""Indexes for the commonest reads of a map: the areas of a level valid at a date, and one period's observations.

`area` rows carry three geometries, so reading a level's keys and names scanned the whole wide table (3,870
pages for the demos' 13,400 areas); the covering index answers it from the index (an index-only scan once
the table is vacuumed). An indicator's partition held no index that begins with the period, so one period of
one indicator was a scan of every period. On the 10,997 Gemeinden the values of one indicator and period
(`indicators.values.indicator_values`, every new state of the map explorer) went from 40 ms to 22 ms
(EXPLAIN ANALYZE, on the bench database with both demos).

Revision ID: 0022
Revises: 0021
"""
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX area_level_valid_cover_idx ON area (level_code, valid_from) "
               "INCLUDE (valid_to, key, name, id)")
    # on the partitioned table: every partition of an indicator, also those made by later imports, gets it
    op.execute("CREATE INDEX observation_current_period_idx ON observation (period) WHERE superseded_at IS NULL")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS observation_current_period_idx")
    op.execute("DROP INDEX IF EXISTS area_level_valid_cover_idx")
