"""The address register: every address of the municipality with the area it lies in, for the search box
("Ackerstraße 12" -> its Planungsraum). Addresses carry no coordinates (many registers deliver none); they are
joined to areas by key, per level. `import_batch_id` names the delivery (geo/addresses.py). Writes bump
data_version, because search answers are cached by it.

Revision ID: 0015
Revises: 0014
"""
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE address (
            id bigserial PRIMARY KEY,
            level_code text NOT NULL REFERENCES area_level (code) ON UPDATE CASCADE,
            area_key text NOT NULL,
            street text NOT NULL CHECK (street <> ''),
            house_number text NOT NULL DEFAULT '',  -- squares and parks are addresses without a number
            suffix text NOT NULL DEFAULT '',
            postcode text NOT NULL DEFAULT '',
            locality text NOT NULL DEFAULT '',
            import_batch_id bigint REFERENCES import_batch (id),
            UNIQUE (level_code, street, house_number, suffix, postcode)
        )""")
    op.execute("CREATE INDEX address_street_idx ON address (lower(street) text_pattern_ops, house_number)")
    op.execute("""
        CREATE TRIGGER address_bumps_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON address
        FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()""")


def downgrade() -> None:
    op.execute("DROP TABLE address")
