"""All areas of one level (one boundary version), for pick lists and search on pages."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.versions import valid_at


def list_areas(conn: Connection, level: str, at: date | None = None) -> list[dict]:
    """key, name, parent_key of the areas of `level` valid at `at` (default: today), ordered by key."""
    rows = conn.execute(sa.text(f"""
        SELECT a.key, a.name, a.parent_key FROM area a
        WHERE a.level_code = :level AND {valid_at("a", ":at")}
        ORDER BY a.key"""), {"level": level, "at": at or date.today()})
    return [dict(r._mapping) for r in rows]
