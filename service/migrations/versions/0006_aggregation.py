"""Aggregation: how each derived (rolled-up) observation was computed.

Roll-ups are stored as ordinary observations of an import_batch of kind 'rollup', so every output serves
them like published values. `observation_derivation` says, per derived row, which rule produced it
(sum, ratio of sums, population-weighted mean, difference of roll-ups), with which weight and how many
child areas contributed. A side table keeps the observation views of 0002 untouched.

Revision ID: 0006
Revises: 0002
"""
from alembic import op

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE observation_derivation (
            observation_id bigint PRIMARY KEY REFERENCES observation (id) ON DELETE CASCADE,
            rule text NOT NULL CHECK (rule IN ('sum', 'ratio_of_sums', 'weighted_mean', 'difference')),
            source_level text NOT NULL REFERENCES area_level (code),
            weight_indicator text,
            weight_period date,
            base_period date,
            children_total integer NOT NULL,
            children_used integer NOT NULL,
            complete boolean NOT NULL
        )""")
    op.execute("CREATE INDEX point_feature_layer_idx ON point_feature (layer_code)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS point_feature_layer_idx")
    op.execute("DROP TABLE IF EXISTS observation_derivation")
