"""A point layer says what it supplies (issue 14: defaults come from the data): the attribute holding each
facility's capacity (places) and the count of the population it serves (an indicator code). The supply ratio, its
map and the catchments take these as their defaults, instead of one city's layer, attribute and age group.

Revision ID: 0029
Revises: 0028
"""
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE point_layer ADD COLUMN capacity_field text, ADD COLUMN serves text")


def downgrade() -> None:
    op.execute("ALTER TABLE point_layer DROP COLUMN capacity_field, DROP COLUMN serves")
