"""Harmonised estimates kept (issue 15): the older periods of an indicator estimated for the areas of one
boundary version by areal interpolation (indicators.harmonise), with the part of each value that is estimated,
the method and the boundary version the published values lay on. Beside the observations, never among them: a
published value and an estimate of the same area and period are different statements, and every reader of
observations (maps, OGC items, roll-ups, indices, disclosure) stays with what was published.

Revision ID: 0023
Revises: 0022
"""
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE estimate (
            area_id integer NOT NULL REFERENCES area (id) ON UPDATE CASCADE ON DELETE CASCADE,
            indicator_code text NOT NULL REFERENCES indicator (code) ON UPDATE CASCADE ON DELETE CASCADE,
            period date NOT NULL,
            value double precision,
            share_estimated double precision NOT NULL CHECK (share_estimated BETWEEN 0 AND 1),
            method text NOT NULL CHECK (length(method) BETWEEN 1 AND 100),
            source_version date NOT NULL,
            computed_at timestamptz NOT NULL DEFAULT now(),
            computed_by text NOT NULL,
            PRIMARY KEY (area_id, indicator_code, period)
        )""")
    op.execute("CREATE INDEX estimate_indicator_idx ON estimate (indicator_code, period)")
    op.execute("""
        CREATE TRIGGER estimate_bumps_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON estimate
        FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()""")


def downgrade() -> None:
    op.execute("DROP TABLE estimate")
