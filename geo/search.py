"""Finding areas by name or key across every level (the search box of the pages, GET /api/search).

Ranks what a person typing expects first: the exact key, the exact name, names that begin with the text, names
with a word that begins with it, then names containing it; at equal rank the coarser level first ("Neukölln"
finds the Bezirk before the Ortsteil and the Planungsräume named after it). Only boundary versions valid at the
given date; the text is matched literally (LIKE wildcards in it are escaped).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.versions import valid_at

MAX_HITS = 50


def _literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_areas(conn: Connection, text: str, limit: int = 20, at: date | None = None) -> list[dict]:
    """Areas whose key starts with or whose name contains `text` (case-insensitive), best first: level code and
    name, key, name, parent's name, bounding box (CRS84: min lon, min lat, max lon, max lat)."""
    wanted = " ".join(text.split())
    if not wanted:
        return []
    literal = _literal(wanted)
    rows = conn.execute(sa.text(f"""
        SELECT a.level_code AS level, l.name_de AS level_name_de, l.name_en AS level_name_en, a.key, a.name,
               p.name AS parent_name,
               ARRAY[ST_XMin(a.geom_4326), ST_YMin(a.geom_4326), ST_XMax(a.geom_4326), ST_YMax(a.geom_4326)] AS bbox,
               CASE WHEN a.key = :text THEN 0
                    WHEN lower(a.name) = lower(:text) THEN 1
                    WHEN a.name ILIKE :prefix ESCAPE '\\' THEN 2
                    WHEN a.name ILIKE :word ESCAPE '\\' OR a.name ILIKE :after_dash ESCAPE '\\' THEN 3
                    ELSE 4 END AS score
        FROM area a JOIN area_level l ON l.code = a.level_code
        LEFT JOIN area p ON p.level_code = l.parent_code AND p.key = a.parent_key AND {valid_at("p", ":at")}
        WHERE {valid_at("a", ":at")}
          AND (a.key LIKE :key_prefix ESCAPE '\\' OR a.name ILIKE :contains ESCAPE '\\')
        ORDER BY score, l.rank DESC, a.name, a.key
        LIMIT :limit"""),
        {"text": wanted, "prefix": literal + "%", "word": "% " + literal + "%", "after_dash": "%-" + literal + "%",
         "key_prefix": literal + "%", "contains": "%" + literal + "%", "at": at or date.today(),
         "limit": min(max(limit, 1), MAX_HITS)})
    return [{**dict(r._mapping), "bbox": [round(float(v), 6) for v in r.bbox] if r.bbox[0] is not None else None,
             "exact": r.score <= 1} for r in rows]
