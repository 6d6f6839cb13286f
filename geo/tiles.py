"""Mapbox Vector Tiles of an area level in the WebMercatorQuad tile matrix set, made by ST_AsMVT.

Geometries come from the generated column area.geom_3857 (transformed once, when stored). Attributes come
from the caller as a SQL fragment returning (area_id, properties jsonb), whose keys
ST_AsMVT turns into tile attributes; the feature id is the area's row id. ST_AsMVTGeom clips to the tile
(with a 64-unit buffer so strokes do not end at tile edges) and snaps to the 4096 grid: neighbours' shared
vertices snap to the same grid points, so tiles stay seamless. That quantisation is the MVT encoding itself,
not a simplification; the stored geometry goes in unsimplified. (Douglas-Peucker per polygon before it,
as this module once did, moves a shared edge differently on either side, and the grid can then round the
two copies to different units: the gap-opening kind of simplification `geo.simplify` exists to avoid.
A coverage simplification per zoom would need the whole level per tile request.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Connection

from geo.versions import valid_at

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
WEB_MERCATOR_HALF = 20037508.342789244  # metres from the origin to the edge of the WebMercatorQuad square


@dataclass(frozen=True)
class TileQuery:
    level: str
    at: date
    z: int
    x: int
    y: int
    storage_srid: int

    def valid(self) -> bool:
        side = 2 ** self.z
        return 0 <= self.z <= MAX_ZOOM and 0 <= self.x < side and 0 <= self.y < side


def tile_bytes(conn: Connection, tile: TileQuery, properties_sql: str | None, extra_params: dict | None = None,
               layer: str | None = None) -> bytes:
    """The MVT of one tile (empty bytes when no area touches it); the layer is named after the level."""
    join = f"LEFT JOIN ({properties_sql}) p ON p.area_id = a.id" if properties_sql else ""
    properties = ("coalesce(p.properties, jsonb_build_object('key', a.key, 'name', a.name))" if properties_sql
                  else "jsonb_build_object('key', a.key, 'name', a.name, 'level', a.level_code)")
    sql = f"""
        WITH bounds AS (
            SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS tile,
                   ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s) AS search)
        SELECT ST_AsMVT(t, %(layer)s, {EXTENT}, 'geom', 'fid') FROM (
            SELECT a.id AS fid, {properties} AS properties,
                   ST_AsMVTGeom(a.geom_3857, b.tile, {EXTENT}, {BUFFER}, true) AS geom
            FROM bounds b, area a {join}
            WHERE a.level_code = %(level)s AND {valid_at("a", "%(at)s")}
              AND a.geom_3857 && b.search
        ) t WHERE t.geom IS NOT NULL"""
    params = {"z": tile.z, "x": tile.x, "y": tile.y,
              "storage_srid": tile.storage_srid, "margin": BUFFER / EXTENT, "layer": layer or tile.level,
              "level": tile.level, "at": tile.at, **(extra_params or {})}
    value = conn.exec_driver_sql(sql, params).scalar_one()
    return bytes(value) if value else b""


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """(x, y) of the WebMercatorQuad tile that holds a point."""
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def web_mercator_quad(max_zoom: int = MAX_ZOOM) -> dict:
    """The WebMercatorQuad tile matrix set (OGC 17-083r4 / TMS 2.0 JSON encoding)."""
    matrices = []
    for z in range(max_zoom + 1):
        cell = 2 * WEB_MERCATOR_HALF / (256 * 2 ** z)
        matrices.append({
            "id": str(z), "scaleDenominator": cell / 0.00028, "cellSize": cell,
            "cornerOfOrigin": "topLeft", "pointOfOrigin": [-WEB_MERCATOR_HALF, WEB_MERCATOR_HALF],
            "tileWidth": 256, "tileHeight": 256, "matrixWidth": 2 ** z, "matrixHeight": 2 ** z,
        })
    return {
        "id": "WebMercatorQuad",
        "title": "Google Maps Compatible for the World",
        "uri": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    }
