"""Trust: complementary counts for secondary suppression, and the indexes disclosure control walks.

`indicator_partition` names sets of count indicators whose parts sum to a total in every area and period
(age groups summing to the population): a published total with all but one visible part would reveal the
hidden part, so disclosure control treats each such set like a parent with its children.

Revision ID: 0008
Revises: 0002
"""
from alembic import op

revision = "0008"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE indicator_partition (
            name text NOT NULL,
            total_code text NOT NULL REFERENCES indicator (code) ON UPDATE CASCADE ON DELETE CASCADE,
            part_code text NOT NULL REFERENCES indicator (code) ON UPDATE CASCADE ON DELETE CASCADE,
            PRIMARY KEY (name, part_code),
            CHECK (total_code <> part_code)
        )""")
    op.execute("CREATE INDEX indicator_partition_total_idx ON indicator_partition (total_code)")
    op.execute("CREATE INDEX indicator_partition_part_idx ON indicator_partition (part_code)")
    op.execute("CREATE INDEX area_level_key_idx ON area (level_code, key)")
    op.execute("CREATE INDEX audit_log_at_idx ON audit_log (at DESC)")
    op.execute("""
        CREATE TRIGGER indicator_partition_bumps_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
        ON indicator_partition FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()""")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS audit_log_at_idx")
    op.execute("DROP INDEX IF EXISTS area_level_key_idx")
    op.execute("DROP TABLE IF EXISTS indicator_partition")
