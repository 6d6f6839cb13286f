"""Areas of two hierarchies that are the same territory (issue 14): Berlin's city (the LOR hierarchy, key 11) is
the Gemeinde 11000000 of the Germany demo, which is also a Kreis and a Land. The link is kept by level and key,
so that either set-up can be loaded first: it waits until the other side is loaded and is resolved at the date
asked for. It joins navigation (a profile's breadcrumbs go on above the city, the Gemeinde's profile lists the
Bezirke), never the roll-ups: two publications of one territory are not summed into each other.

Revision ID: 0028
Revises: 0027
"""
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE area_same_territory (
            level_code text NOT NULL REFERENCES area_level (code) ON DELETE CASCADE,
            key text NOT NULL CHECK (length(key) BETWEEN 1 AND 40),
            other_level text NOT NULL CHECK (other_level ~ '^[a-z][a-z0-9_]*$'),
            other_key text NOT NULL CHECK (length(other_key) BETWEEN 1 AND 40),
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (level_code, key, other_level, other_key),
            CHECK (level_code <> other_level)
        )""")
    op.execute("CREATE INDEX area_same_territory_other_idx ON area_same_territory (other_level, other_key)")


def downgrade() -> None:
    op.execute("DROP TABLE area_same_territory")
