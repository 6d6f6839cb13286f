"""Breaks in an indicator's series (a census that reset the population figures, a changed definition): kept with
the indicator's definition, shown in charts and change maps instead of being smoothed over (docs/history.md).

Revision ID: 0020
Revises: 0019
"""
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE indicator ADD COLUMN series_breaks jsonb NOT NULL DEFAULT '[]'::jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE indicator DROP COLUMN series_breaks")
