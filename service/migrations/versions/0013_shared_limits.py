"""Shared limits: the rate limit's token buckets in the database, so that they hold across worker processes.

`rate_bucket` has one row per client, kind of caller and budget (`service.ratelimit`): the tokens left and when
they were counted, and what the last request took (its cost plus the lease of its worker). UNLOGGED: no WAL,
so taking a token costs almost nothing and is not replicated; after a crash the table is empty, which only
gives every client a full bucket. No trigger bumps data_version here: rate limiting is not data.

Revision ID: 0013
Revises: 0012
"""
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE UNLOGGED TABLE rate_bucket (
            client text PRIMARY KEY,
            tokens double precision NOT NULL,
            updated timestamptz NOT NULL,
            taken double precision NOT NULL
        )""")
    op.execute("CREATE INDEX rate_bucket_updated_idx ON rate_bucket (updated)")


def downgrade() -> None:
    op.execute("DROP TABLE rate_bucket")
