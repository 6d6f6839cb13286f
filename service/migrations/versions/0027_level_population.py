"""A level names its population count (issue 14: defaults come from the data, not from one city's codes). The
count that weights a share without a weight of its own when it is rolled up, that harmonised estimates and polygon
estimates weight by, and that a catchment counts by default: declared per level (`population:` in the set-up
manifest, `PUT /api/levels`), else, as before, the weight most of the level's shares name in the catalogue.

Revision ID: 0027
Revises: 0026
"""
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE area_level ADD COLUMN population_indicator text")


def downgrade() -> None:
    op.execute("ALTER TABLE area_level DROP COLUMN population_indicator")
