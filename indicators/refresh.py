"""What must be recomputed inside every transaction that changes observations, confidentiality rules
(thresholds, complementary counts), publication or boundaries, so that readers never see a state in which a
rule is stated but not applied.

Order matters: roll-ups create observations on higher levels, then disclosure control decides, over all levels
together, what readers may see. Weighted means skip hidden weights, so when disclosure hides or frees a weight
the roll-ups and disclosure run once more (the weights' own suppression does not depend on the means, so the
second round is the last). Finally every stored index run that read a cell which is now hidden is computed
again from public cells (indices publish nothing derived from hidden cells).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo import boundaries
from geo.boundaries import BeforeCommit, BoundaryImportOptions
from geo.import_report import ImportReport
from geo.territorial import TerritorialChangeOptions, import_territorial_changes
from indicators.disclosure import hidden_weights, refresh_disclosure
from indicators.index_runs import recompute_runs_reading_hidden_cells
from indicators.rollup import refresh_rollups

MAX_ROUNDS = 3


def refresh_after_write(conn: Connection, indicators: Collection[str] | None = None) -> int:
    """Roll-ups, disclosure and the affected index runs, in the caller's transaction; returns the number of
    derived rows written or removed.

    `indicators`: the only indicators whose observations the caller changed (an observation import, its undo),
    so that only their roll-ups and those that depend on them are recomputed (`indicators.rollup`); None when
    anything else changed. Disclosure control always looks at every cell (its equations link indicators), and a
    second round, when it hid or freed a weight, recomputes every roll-up."""
    derived = 0
    scope = None if indicators is None else frozenset(indicators)
    for _ in range(MAX_ROUNDS):
        before = hidden_weights(conn)
        derived += refresh_rollups(conn, scope)
        refresh_disclosure(conn)
        if hidden_weights(conn) == before:
            break
        scope = None
    else:
        raise RuntimeError("the hidden weights of weighted means did not settle; see docs/trust.md")
    recompute_runs_reading_hidden_cells(conn)
    return derived


def batch_indicators(conn: Connection, batch_id: int) -> list[str]:
    """The indicators an import batch wrote or superseded observations of (the scope of its refresh)."""
    return list(conn.execute(sa.text("""
        SELECT indicator_code FROM observation WHERE import_batch_id = :batch
        UNION SELECT indicator_code FROM observation WHERE superseded_by_batch = :batch"""),
        {"batch": batch_id}).scalars())


def import_boundaries(conn: Connection, path: Path, options: BoundaryImportOptions, *,
                      before_commit: BeforeCommit | None = None, **kwargs) -> ImportReport:
    """`geo.boundaries.import_boundaries` with `refresh_after_write` in the import's transaction: a corrected
    outline or a key moved to another parent changes which children sum to which parent (roll-ups) and so what
    disclosure control must hide. `before_commit` (e.g. the audit record) runs after the refresh."""
    return boundaries.import_boundaries(conn, path, options, before_commit=_refreshing(before_commit), **kwargs)


def import_changes(conn: Connection, path: Path, options: TerritorialChangeOptions, *,
                   before_commit: BeforeCommit | None = None, **kwargs) -> ImportReport:
    """`geo.territorial.import_territorial_changes` with the same refresh as a boundary import: areas ended and
    begun change which children sum to which parent."""
    return import_territorial_changes(conn, path, options, before_commit=_refreshing(before_commit), **kwargs)


def _refreshing(before_commit: BeforeCommit | None) -> BeforeCommit:
    def refresh_then(conn: Connection, report: ImportReport) -> None:
        refresh_after_write(conn)
        if before_commit is not None:
            before_commit(conn, report)

    return refresh_then
