"""Merge the feature branches of the schema (imports, indices, OGC, aggregation, trust) into one head.

Revision ID: 0009
Revises: 0003, 0004, 0005, 0006, 0008
"""

revision = "0009"
down_revision = ("0003", "0004", "0005", "0006", "0008")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
