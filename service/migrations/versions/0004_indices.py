"""Composite indices: when a run was last confirmed by an identical recomputation, and lookup indices.

A recomputation with unchanged inputs reuses the existing run (same definition version and inputs hash);
`confirmed_at` records that it was confirmed, so "the latest run" is the one that matches the data last
computed, while `computed_at` keeps the time the values were first computed.

Revision ID: 0004
Revises: 0002
"""
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE index_run ADD COLUMN confirmed_at timestamptz")
    op.execute("CREATE INDEX index_run_lookup_idx ON index_run (index_id, level_code, period)")
    op.execute("CREATE INDEX index_result_area_idx ON index_result (area_id)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS index_result_area_idx")
    op.execute("DROP INDEX IF EXISTS index_run_lookup_idx")
    op.execute("ALTER TABLE index_run DROP COLUMN IF EXISTS confirmed_at")
