"""GeoJSON features assembled inside PostGIS: one JSON text per area, paged, filtered by bbox.

Attribute values come from the caller as a SQL fragment returning (area_id, properties jsonb), so this
module stays ignorant of indicators. Python only concatenates the texts PostgreSQL produced.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


@dataclass(frozen=True)
class FeatureQuery:
    level: str
    at: date  # the boundary version valid at this date
    limit: int = 10
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None  # CRS84 lon/lat
    precision: int = 7  # decimals of degrees: 7 = 1 cm; 6 would make some rings self-intersect
    simplify_m: float | None = None  # tolerance in storage-CRS metres, topology kept per ring


VERSION_FILTER = "a.level_code = :level AND a.valid_from <= :at AND (a.valid_to IS NULL OR a.valid_to > :at)"
BBOX_FILTER = "AND ST_Intersects(a.geom_4326, ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326))"


def _params(query: FeatureQuery) -> dict:
    params = {"level": query.level, "at": query.at, "limit": query.limit, "offset": query.offset,
              "precision": query.precision, "tolerance": query.simplify_m}
    if query.bbox:
        params.update(dict(zip(("minx", "miny", "maxx", "maxy"), query.bbox)))
    return params


def count_features(conn: Connection, query: FeatureQuery) -> int:
    sql = f"SELECT count(*) FROM area a WHERE {VERSION_FILTER} {BBOX_FILTER if query.bbox else ''}"
    return conn.execute(sa.text(sql), _params(query)).scalar_one()


def _geometry_sql(query: FeatureQuery) -> str:
    if query.simplify_m:
        return "ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(a.geom, :tolerance), 4326), :precision)::json"
    return "ST_AsGeoJSON(a.geom_4326, :precision)::json"


def feature_texts(conn: Connection, query: FeatureQuery, properties_sql: str,
                  extra_params: dict | None = None, key: str | None = None) -> Iterator[str]:
    """GeoJSON Feature texts for one page (or for one `key`), ordered by key."""
    where = f"{VERSION_FILTER} {BBOX_FILTER if query.bbox else ''}" + (" AND a.key = :key" if key else "")
    sql = f"""
        SELECT json_build_object(
            'type', 'Feature',
            'id', a.key,
            'geometry', {_geometry_sql(query)},
            'properties', jsonb_build_object('key', a.key, 'name', a.name, 'level', a.level_code,
                                             'parent_key', a.parent_key)
                          || coalesce(p.properties, '{{}}'::jsonb)
        )::text
        FROM area a
        LEFT JOIN ({properties_sql}) p ON p.area_id = a.id
        WHERE {where}
        ORDER BY a.key
        LIMIT :limit OFFSET :offset"""
    params = {**_params(query), **(extra_params or {}), "key": key}
    for (text,) in conn.execute(sa.text(sql), params):
        yield text


def level_extent(conn: Connection, level: str, at: date) -> list[float] | None:
    """Bounding box of a level's areas in CRS84 (lon/lat)."""
    row = conn.execute(sa.text(f"""
        SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
        FROM (SELECT ST_Extent(a.geom_4326) AS e FROM area a WHERE {VERSION_FILTER}) s"""),
        {"level": level, "at": at}).one()
    return None if row[0] is None else [round(v, 6) for v in row]


def boundary_versions(conn: Connection, level: str) -> list[date]:
    """The valid_from dates of a level's boundary versions, newest first."""
    return [r[0] for r in conn.execute(sa.text(
        "SELECT DISTINCT valid_from FROM area WHERE level_code = :level ORDER BY 1 DESC"), {"level": level})]
