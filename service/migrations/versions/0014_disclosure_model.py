"""One disclosure model over every published number: the statistics-office role, the weights behind weighted
means, and the rounding of derived values in the public view.

- api_token.role may be `statistics_office` (Statistikstelle): the shielded role that sees unsuppressed
  values (docs/trust.md, roles). Downgrading turns such tokens into `data_steward`, the role that saw
  unsuppressed values before.
- observation_derivation.weight_sum: the sum of the (public) weights a weighted mean was taken over. Disclosure
  control needs it to write the mean as an equation between cells (indicators/disclosure.py); it is not
  published (it would add the hidden weights back up).
- observation_public rounds derived values (roll-ups) to the published precision: counts to whole numbers,
  shares, rates and changes to two decimals (docs/trust.md, rounding policy). Delivered values are published
  as delivered.
- Every hidden cell gets the one reason text (primary and secondary look alike). The new relations (weighted
  means over public weights, differences, the audit) are applied by `service.db.upgrade`, which recomputes
  roll-ups and disclosure in the migration's transaction.

Revision ID: 0014
Revises: 0013
"""
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ROLES = "'reader', 'editor', 'data_steward', 'statistics_office', 'admin'"
ROLES_BEFORE = "'reader', 'editor', 'data_steward', 'admin'"
REASON = ("Geheimhaltung: Wert gesperrt, damit kein kleiner Wert erkennbar oder zurückrechenbar ist"
          " / confidential: withheld so that no small value can be seen or recomputed")  # indicators.disclosure

PUBLIC_VIEW = """
    CREATE VIEW observation_public AS
    SELECT o.id, o.indicator_code, o.area_id, o.period,
           {value} AS value,
           CASE WHEN d.observation_id IS NULL THEN o.numerator END AS numerator,
           CASE WHEN d.observation_id IS NULL THEN o.denominator END AS denominator,
           CASE WHEN d.observation_id IS NULL THEN o.flag ELSE 'suppressed' END AS flag,
           CASE WHEN d.observation_id IS NULL THEN o.flag_reason ELSE d.reason END AS flag_reason,
           o.import_batch_id, o.superseded_by_batch, o.superseded_at
    FROM observation o
    JOIN indicator i ON i.code = o.indicator_code AND i.published
    LEFT JOIN disclosure d ON d.observation_id = o.id AND d.indicator_code = o.indicator_code{join}
    WHERE o.superseded_at IS NULL"""
ROUNDED = """CASE WHEN d.observation_id IS NOT NULL THEN NULL
                WHEN dv.observation_id IS NULL THEN o.value
                ELSE round(o.value::numeric, CASE WHEN i.kind = 'count' THEN 0 ELSE 2 END)::double precision END"""
DERIVATION_JOIN = """
    LEFT JOIN observation_derivation dv ON dv.observation_id = o.id AND dv.indicator_code = o.indicator_code"""


def upgrade() -> None:
    op.execute("ALTER TABLE api_token DROP CONSTRAINT api_token_role_check")
    op.execute(f"ALTER TABLE api_token ADD CONSTRAINT api_token_role_check CHECK (role IN ({ROLES}))")
    op.execute("ALTER TABLE observation_derivation ADD COLUMN weight_sum double precision")
    op.execute("DROP VIEW observation_public")
    op.execute(PUBLIC_VIEW.format(value=ROUNDED, join=DERIVATION_JOIN))
    op.execute(f"UPDATE disclosure SET reason = '{REASON}'")


def downgrade() -> None:
    op.execute("DROP VIEW observation_public")
    op.execute(PUBLIC_VIEW.format(value="CASE WHEN d.observation_id IS NULL THEN o.value END", join=""))
    op.execute("ALTER TABLE observation_derivation DROP COLUMN weight_sum")
    op.execute("ALTER TABLE api_token DROP CONSTRAINT api_token_role_check")
    op.execute("UPDATE api_token SET role = 'data_steward' WHERE role = 'statistics_office'")
    op.execute(f"ALTER TABLE api_token ADD CONSTRAINT api_token_role_check CHECK (role IN ({ROLES_BEFORE}))")
