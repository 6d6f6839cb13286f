"""Tables of the indicator side: topics ("Handlungsfelder"), indicators, observations in long form.

Observations reference one boundary version (`area.id`), so data stays on the boundaries it was
published for. A corrected import supersedes earlier rows instead of deleting them (history).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger, CheckConstraint, Column, Date, DateTime, Double, ForeignKey, Integer, Table, Text, text,
)

from geo.schema import metadata

OBSERVATION_FLAGS = {
    "missing": ("Wert fehlt", "value missing"),
    "not_assessed": ("nicht bewertet", "not assessed"),
    "nil": ("nichts vorhanden (genau null)", "nil (exactly zero)"),
    "unknown_or_secret": ("Zahlenwert unbekannt oder geheim zu halten", "unknown or confidential"),
    "not_applicable": ("Aussage nicht sinnvoll", "not applicable"),
    "unreliable": ("Zahlenwert nicht sicher genug", "not reliable enough"),
    "later": ("Angabe fällt später an", "available later"),
}

topic = Table(
    "topic", metadata,
    Column("code", Text, primary_key=True),
    Column("name_de", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("sort", Integer, nullable=False, server_default=text("0")),
)

indicator = Table(
    "indicator", metadata,
    Column("code", Text, primary_key=True),  # publisher's code: S1, D1, KI_01, EW ...
    Column("name_de", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("topic_code", Text, ForeignKey("topic.code")),
    Column("role", Text, nullable=False),  # status | dynamics | context | population
    Column("kind", Text, nullable=False),  # share | change | count | rate
    Column("unit", Text, nullable=False),
    Column("change_of", Text),
    Column("description_de", Text),
    Column("description_en", Text),
    Column("rationale_de", Text),
    Column("rationale_en", Text),
    Column("numerator_de", Text),
    Column("denominator_de", Text),
    Column("direction", Text, nullable=False),  # higher_is_worse | higher_is_better | neutral
    Column("aggregation", Text, nullable=False),  # sum | ratio | weighted_mean | none
    Column("weight_indicator", Text),
    Column("source", Text),
    Column("reference_date", Date),
    Column("min_numerator", Integer),
    Column("min_denominator", Integer),
    Column("target_value", Double),
    Column("target_year", Integer),
    Column("target_note", Text),
    Column("catalogue", Text),
    Column("sort", Integer, nullable=False, server_default=text("0")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("updated_by", Text, nullable=False, server_default=text("'system'")),
    CheckConstraint("direction IN ('higher_is_worse', 'higher_is_better', 'neutral')", name="indicator_direction"),
    CheckConstraint("kind IN ('share', 'change', 'count', 'rate')", name="indicator_kind"),
    CheckConstraint("aggregation IN ('sum', 'ratio', 'weighted_mean', 'none')", name="indicator_aggregation"),
)

observation = Table(  # partitioned by indicator (one table per indicator: indicators/partitions.py)
    "observation", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("indicator_code", Text, ForeignKey("indicator.code", onupdate="CASCADE"), primary_key=True),
    Column("area_id", BigInteger, ForeignKey("area.id"), nullable=False),
    Column("period", Date, nullable=False),  # reference date, e.g. 2020-12-31
    Column("value", Double),
    Column("numerator", Double),
    Column("denominator", Double),
    Column("flag", Text),  # NULL = ordinary value; see OBSERVATION_FLAGS
    Column("flag_reason", Text),
    Column("import_batch_id", BigInteger, ForeignKey("import_batch.id"), nullable=False),
    Column("superseded_by_batch", BigInteger, ForeignKey("import_batch.id")),
    Column("superseded_at", DateTime(timezone=True)),
    CheckConstraint("value IS NOT NULL OR flag IS NOT NULL", name="observation_value_or_flag"),
    postgresql_partition_by="LIST (indicator_code)",
)


def observation_source(unsuppressed: bool) -> str:
    """The relation every read goes through: `observation_public` applies publishing and statistical
    confidentiality (suppressed values are NULL with flag 'suppressed'); `observation_current` is for
    authenticated editors and stewards. Both hold current (not superseded) rows only."""
    return "observation_current" if unsuppressed else "observation_public"
