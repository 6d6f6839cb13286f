"""Background jobs (issue 17): work that takes seconds (a report's PDF, the publication of a report) runs beside
the request that asked for it; the job row says which step it is at, and keeps the result or the problem. The
queue is this table: any worker process takes the oldest queued job (FOR UPDATE SKIP LOCKED), so a job asked of
one worker is done by whichever is free, and its progress can be read from every worker.

Revision ID: 0024
Revises: 0023
"""
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE job (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            kind text NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),
            params jsonb NOT NULL,
            same_as text,
            state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
            steps text[] NOT NULL,
            step text,
            log jsonb NOT NULL DEFAULT '[]',
            result bytea,
            result_type text,
            result_name text,
            result_json jsonb,
            error jsonb,
            drafts boolean NOT NULL DEFAULT false,
            created_by text NOT NULL,
            runner text,
            created_at timestamptz NOT NULL DEFAULT now(),
            started_at timestamptz,
            finished_at timestamptz,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK (state <> 'done' OR finished_at IS NOT NULL),
            CHECK (state <> 'failed' OR error IS NOT NULL)
        )""")
    op.execute("CREATE INDEX job_queue ON job (created_at) WHERE state = 'queued'")
    op.execute("CREATE INDEX job_same_as ON job (same_as, created_at) WHERE same_as IS NOT NULL")
    op.execute("COMMENT ON COLUMN job.same_as IS 'Jobs with the same value give the same result (kind, parameters, "
               "data_version): a second request is answered with the first job'")
    op.execute("COMMENT ON COLUMN job.drafts IS 'Only readers who see drafts (editors and above) may read the job'")


def downgrade() -> None:
    op.execute("DROP TABLE job")
