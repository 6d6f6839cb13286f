"""Browser sign-in: a person signs in once with their API token and the browser then holds a session cookie
(HttpOnly, SameSite=Strict). Only the SHA-256 of the session id is stored, like the tokens themselves; a
session belongs to its token (revoking or expiring the token ends its sessions) and ends on sign-out or
after `expires_at` (service/sessions.py).

Revision ID: 0019
Revises: 0018
"""
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE web_session (
            id bigserial PRIMARY KEY,
            session_hash text NOT NULL UNIQUE,
            token_id bigint NOT NULL REFERENCES api_token (id) ON DELETE CASCADE,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            ended_at timestamptz
        )""")
    op.execute("CREATE INDEX web_session_token_idx ON web_session (token_id)")


def downgrade() -> None:
    op.execute("DROP TABLE web_session")
