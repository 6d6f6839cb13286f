"""Comparison groups: a named list of areas of one level (a comparison ring of municipalities, the Kreise of a
type, neighbouring towns) against which an area's values are ranked in its profile (issue 14).

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
            area_keys text[] NOT NULL CHECK (cardinality(area_keys) BETWEEN 2 AND 20000),
            created_by text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE comparison_group")
