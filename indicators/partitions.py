"""The partitions of `observation`: one table per indicator (migration 0010).

Writers call `ensure_partitions` for the indicator codes they are about to insert. An import of indicators
that have no partition yet takes the bulk path instead: `lock_partitions`, `codes_without_partition`,
`create_detached` (a table with no index), COPY into it, `build_indexes` (one pass each), `attach`
(references checked once for all, the rows visible at commit; readers are not blocked). The SQL lives in the
migration, so that triggers (renamed indicator codes) and this module create partitions the same way. Knows
nothing of files.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def ensure_partitions(conn: Connection, codes: Iterable[str]) -> None:
    """Make sure every indicator in `codes` has its (possibly empty) partition, so rows of it can be inserted."""
    conn.execute(sa.text("""
        SELECT observation_ensure_partition(code) FROM unnest(CAST(:codes AS text[])) code
        WHERE observation_partition(code) IS NULL"""), {"codes": sorted(set(codes))})


def lock_partitions(conn: Connection) -> None:
    """Serialise partition creation until the end of the transaction (another import may want the same one)."""
    conn.execute(sa.text("SELECT observation_lock_partitions()"))


def codes_without_partition(conn: Connection, codes: Iterable[str]) -> list[str]:
    """The indicator codes that have no partition yet (hold `lock_partitions` for an answer that stays true)."""
    return list(conn.execute(sa.text("""
        SELECT code FROM unnest(CAST(:codes AS text[])) code WHERE observation_partition(code) IS NULL
        ORDER BY code"""), {"codes": sorted(set(codes))}).scalars())


def create_detached(conn: Connection, codes: list[str], batch_id: int) -> list[str]:
    """Create the future partitions of `codes` as tables of their own, without indexes, for rows of the import
    batch `batch_id` (indicator_code and import_batch_id default to theirs until attached); returns their names."""
    return list(conn.execute(sa.text("""
        SELECT observation_new_partition(code, :batch)::text
        FROM unnest(CAST(:codes AS text[])) WITH ORDINALITY c(code, i) ORDER BY i"""),
        {"codes": codes, "batch": batch_id}).scalars())


def build_indexes(conn: Connection, code: str) -> None:
    """Build the indexes of `observation` on `code`'s detached table (after its rows are in: one pass each)."""
    conn.execute(sa.text("SELECT observation_index_partition(:code)"), {"code": code})


def attach(conn: Connection, codes: list[str], areas: list[int] | None = None, batches: list[int] | None = None) -> None:
    """Attach the detached tables of `codes`, building any index they still lack. The references of their rows
    are checked first (and locked, as a foreign key does): `areas` and `batches` are those the caller wrote
    into them (the importer knows them), else they are read from the tables (one pass over all)."""
    conn.execute(sa.text("SELECT observation_attach_partitions(CAST(:codes AS text[]), CAST(:areas AS bigint[]), "
                         "CAST(:batches AS bigint[]))"), {"codes": codes, "areas": areas, "batches": batches})


def analyse_new_partitions(conn: Connection) -> None:
    """Give partitions that were never analysed the least the planner needs within the transaction that made
    them: their row count, and that their rows are current (without statistics, `superseded_at IS NULL` is
    guessed to keep 0.5 % of the rows, and queries over freshly loaded partitions are planned as nested loops
    over "a few" rows). A sample of 300 rows is enough for that; full statistics follow after commit
    (`service.db.refresh_statistics`)."""
    tables = conn.execute(sa.text("""
        SELECT t.relid::text FROM pg_partition_tree('observation') t
        WHERE t.isleaf AND NOT EXISTS (SELECT 1 FROM pg_statistic s WHERE s.starelid = t.relid)""")).scalars().all()
    if not tables:
        return
    conn.execute(sa.text("SET LOCAL default_statistics_target = 1"))
    for table in tables:
        conn.execute(sa.text(f'ANALYZE "{table}" (superseded_at)'))  # names made by observation_partition_name
    conn.execute(sa.text("RESET default_statistics_target"))
