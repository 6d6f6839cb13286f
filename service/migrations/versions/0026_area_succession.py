"""Territorial changes (Gebietsänderungen, issue 14): which boundary versions became which. A merger (Eisenach
into the Wartburgkreis, 01.07.2021), a split, a key change or a transfer of territory links the versions that
ended on the day of the change to those that began on it. Data delivered on a later territorial status attach
to the successor; an import naming a key that ended is told its successor; profiles say where an area came from.

The relation is kept per pair of area rows (a merger of two areas into one is two rows), written by the import
kind `territorial_changes` (geo.territorial) inside its batch, so that undoing the batch removes it.

Revision ID: 0026
Revises: 0025
"""
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE area_succession (
            predecessor_id bigint NOT NULL REFERENCES area (id) ON DELETE CASCADE,
            successor_id bigint NOT NULL REFERENCES area (id) ON DELETE CASCADE,
            change text NOT NULL CHECK (change IN ('merger', 'split', 'key_change', 'transfer')),
            effective date NOT NULL,
            share double precision CHECK (share IS NULL OR (share > 0 AND share <= 1)),
            import_batch_id bigint NOT NULL REFERENCES import_batch (id),
            PRIMARY KEY (predecessor_id, successor_id),
            CHECK (predecessor_id <> successor_id)
        )""")
    op.execute("CREATE INDEX area_succession_successor_idx ON area_succession (successor_id)")
    op.execute("CREATE INDEX area_succession_batch_idx ON area_succession (import_batch_id)")


def downgrade() -> None:
    op.execute("DROP TABLE area_succession")
