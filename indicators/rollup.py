"""Roll-up of observations along the area hierarchy (filled in by the aggregation issue)."""

from __future__ import annotations

from sqlalchemy.engine import Connection


def refresh_rollups(conn: Connection) -> int:
    """Recompute derived observations of higher levels; returns the number of rows written."""
    return 0
