"""The properties of a feature also as JSON text in the collection's order (issue 14: a page of 10,000 Gemeinden
within 1.3x of the SQL floor). A GIS client gets every property in one fixed order; building that object per
feature and request (json_object_agg over the names) was 60 of the page's 140 ms. It is written once per data
version and order, on the first page asked for (`indicators.values.ensure_properties_text`); `text_keys` says for
which order.

Revision ID: 0030
Revises: 0029
"""
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE feature_properties ADD COLUMN properties_text text")
    op.execute("ALTER TABLE feature_properties_state ADD COLUMN text_keys text[]")


def downgrade() -> None:
    op.execute("ALTER TABLE feature_properties_state DROP COLUMN text_keys")
    op.execute("ALTER TABLE feature_properties DROP COLUMN properties_text")
