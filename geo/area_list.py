"""All areas of one level (one boundary version), for pick lists and search on pages."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def list_areas(conn: Connection, level: str, at: date | None = None) -> list[dict]:
    """key, name, parent_key of the areas of `level` valid at `at` (default: today), ordered by key."""
    rows = conn.execute(sa.text("""
        SELECT a.key, a.name, a.parent_key FROM area a
        WHERE a.level_code = :level AND a.valid_from <= :at AND (a.valid_to IS NULL OR a.valid_to > :at)
        ORDER BY a.key"""), {"level": level, "at": at or date.today()})
    return [dict(r._mapping) for r in rows]
