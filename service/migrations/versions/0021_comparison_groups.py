"""Comparison groups: a named list of areas of one level (a comparison ring of municipalities, neighbouring
towns), or the areas of the level that share an attribute of the boundary file with the profiled area (its type:
VG5000's BEZ "Kreisfreie Stadt" or "Landkreis"), against which an area's values are ranked in its profile
(issue 14).

Revision ID: 0021
Revises: 0020
"""
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE comparison_group (
            id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,59}$'),
            level_code text NOT NULL REFERENCES area_level (code) ON UPDATE CASCADE,
            name_de text NOT NULL CHECK (length(name_de) BETWEEN 1 AND 200),
            name_en text,
            area_keys text[] CHECK (cardinality(area_keys) BETWEEN 2 AND 20000),
            same_attribute text CHECK (length(same_attribute) BETWEEN 1 AND 100),
            created_by text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK ((area_keys IS NULL) <> (same_attribute IS NULL))
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE comparison_group")
