"""Survey values as a value type (issue 16): an indicator is a register count or share (`register`, every person
counted) or a share estimated from a sample (`survey`, e.g. a municipal citizens' survey). A survey value is stored
with its sample size as the denominator (and the estimated number of respondents with the attribute as the
numerator), so its 95 % interval comes from the sample; `design_effect` widens it for weighted or clustered samples
(effective sample size = n / design effect).

Revision ID: 0031
Revises: 0030
"""
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        ALTER TABLE indicator
            ADD COLUMN value_type text NOT NULL DEFAULT 'register' CHECK (value_type IN ('register', 'survey')),
            ADD COLUMN design_effect double precision CHECK (design_effect >= 1)""")


def downgrade() -> None:
    op.execute("ALTER TABLE indicator DROP COLUMN value_type, DROP COLUMN design_effect")
