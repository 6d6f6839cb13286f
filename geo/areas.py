"""Looking up areas (one boundary version each) by key, level and date."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.features import geometry_json_sql
from geo.versions import valid_at

AREA_COLUMNS = f"""a.id, a.level_code, a.key, a.name, a.parent_key, a.valid_from, a.valid_to, a.area_m2,
                  a.attributes, {geometry_json_sql("ST_Envelope(a.geom_4326)", "6")}::json AS bbox_geojson"""


def find_areas(conn: Connection, key: str, level: str | None = None, at: date | None = None) -> list[dict]:
    """Versions of areas with this key valid at `at` (default: today), on one or all levels."""
    rows = conn.execute(sa.text(f"""
        SELECT {AREA_COLUMNS} FROM area a
        WHERE a.key = :key AND (CAST(:level AS text) IS NULL OR a.level_code = :level)
          AND {valid_at("a", ":at")}
        ORDER BY a.level_code"""), {"key": key, "level": level, "at": at or date.today()})
    return [dict(r._mapping) for r in rows]


def last_version(conn: Connection, key: str, level: str) -> dict | None:
    """The latest version of an area with this key on the level, also when it ended (a Kreis merged away)."""
    row = conn.execute(sa.text(f"""
        SELECT {AREA_COLUMNS} FROM area a WHERE a.key = :key AND a.level_code = :level
        ORDER BY a.valid_from DESC LIMIT 1"""), {"key": key, "level": level}).one_or_none()
    return None if row is None else dict(row._mapping)


def same_territory(conn: Connection, area: dict) -> list[dict]:
    """Areas of other hierarchies declared the same territory as `area` (either way round; table
    area_same_territory), in their version valid at the area's start, or today's."""
    rows = conn.execute(sa.text("""
        SELECT other_level, other_key FROM area_same_territory WHERE level_code = :level AND key = :key
        UNION
        SELECT level_code, key FROM area_same_territory WHERE other_level = :level AND other_key = :key
        ORDER BY 1, 2"""), {"level": area["level_code"], "key": area["key"]}).all()
    found = []
    for level, key in rows:
        versions = find_areas(conn, key, level, area["valid_from"]) or find_areas(conn, key, level)
        found.extend(versions[:1])
    return found


def get_parent(conn: Connection, area: dict, parent_level: str | None) -> dict | None:
    if parent_level is None or area["parent_key"] is None:
        return None
    found = find_areas(conn, area["parent_key"], parent_level, area["valid_from"])
    return found[0] if found else None


def list_children(conn: Connection, area: dict) -> list[dict]:
    rows = conn.execute(sa.text(f"""
        SELECT c.key, c.name, c.level_code FROM area c JOIN area_level l ON l.code = c.level_code
        WHERE l.parent_code = :level AND c.parent_key = :key
          AND {valid_at("c", ":at")}
        ORDER BY c.key"""), {"level": area["level_code"], "key": area["key"], "at": area["valid_from"]})
    return [dict(r._mapping) for r in rows]


def area_sizes(conn: Connection, level: str, at: date) -> dict[str, float]:
    """Area in km² of every area of a boundary version, by key (for densities: counts per km²)."""
    rows = conn.execute(sa.text(f"""
        SELECT a.key, a.area_m2 / 1e6 FROM area a WHERE a.level_code = :level AND {valid_at("a", ":at")}"""),
        {"level": level, "at": at})
    return {key: float(km2) for key, km2 in rows if km2}


def area_names(conn: Connection, level: str, at: date, keys: list[str]) -> dict[str, str]:
    """The names of the areas `keys` of the boundary version valid at `at`, by key."""
    if not keys:
        return {}
    return dict(conn.execute(sa.text(f"""
        SELECT a.key, a.name FROM area a WHERE a.level_code = :level AND {valid_at("a", ":at")} AND a.key = ANY(:keys)
        ORDER BY a.key"""), {"level": level, "at": at, "keys": keys}).all())
