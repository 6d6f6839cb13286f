"""Boundary versions: the one place that says which row of `area` is valid at a date.

An area row holds one version of a boundary, valid from `valid_from` (inclusive) to `valid_to` (exclusive;
NULL = still valid). Every query that picks "the boundary version valid at a date" builds its condition
here, so the rule (inclusive start, exclusive end, open end) is written once and cannot drift between
features, tiles, aggregation, imports and statistics.

The helpers return SQL text, not a database function: the condition stays visible to the planner (range
scans on the (level_code, key, valid_from) index) in every bind style the callers use (`:at` for
SQLAlchemy text, `%(at)s` for the driver, or a column such as `c.valid_from` for joins between versions).
`current_version_from` asks the one question every "default: today's boundaries" needs.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def valid_at(alias: str | None, at: str) -> str:
    """SQL condition: the `area` row `alias` (None: unqualified columns) is valid at `at`, a bind parameter
    or SQL expression, e.g. `valid_at("p", "c.valid_from")` for the parent version a child lies in."""
    column = f"{alias}." if alias else ""
    return f"{column}valid_from <= {at} AND ({column}valid_to IS NULL OR {column}valid_to > {at})"


def level_valid_at(alias: str | None, level: str = ":level", at: str = ":at") -> str:
    """SQL condition: the `area` row `alias` belongs to level `level` and is valid at `at` (bind parameters
    or SQL expressions; SQLAlchemy's `:level` / `:at` by default)."""
    column = f"{alias}." if alias else ""
    return f"{column}level_code = {level} AND {valid_at(alias, at)}"


# The same condition in the driver's bind style, for the queries that psycopg runs directly (COPY, MVT).
LEVEL_VALID_AT_DRIVER = level_valid_at("a", "%(level)s", "%(at)s")


def current_version_from(conn: Connection, level: str) -> date | None:
    """valid_from of the level's current boundary version (the latest start among its still valid rows); None
    when the level has no current areas."""
    return conn.execute(sa.text("SELECT max(valid_from) FROM area WHERE level_code = :level AND valid_to IS NULL"),
                        {"level": level}).scalar()
