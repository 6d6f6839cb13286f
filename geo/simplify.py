"""The one simplification of area geometry: a boundary version simplified as a coverage.

Neighbouring areas share their borders. Simplifying each polygon on its own (Douglas-Peucker, ST_Simplify,
or ST_SimplifyPreserveTopology, which preserves only each polygon's own topology) moves a shared border
differently on either side and opens gaps and slivers between neighbours. Coverage simplification
simplifies every shared edge once and gives the result to both neighbours, so the simplified areas still
tile the city without gaps or overlaps.

Why shapely and not SQL: PostGIS's ST_CoverageSimplify needs PostGIS 3.4 with GEOS 3.12; the supported
database here is PostGIS 3.3 (GEOS 3.11), which has none. shapely >= 2.1 ships GEOS >= 3.12 in its wheels,
and `shapely.coverage_simplify` is the same GEOS CoverageSimplifier (Visvalingam-Whyatt on the shared
edges). When the database offers ST_CoverageSimplify, `_simplify` is the one place to move it into SQL.

A level's boundary version is simplified whole (a coverage needs all its members) in the storage CRS, in
metres, and kept in memory: a boundary version changes rarely, and simplifying 542 areas takes about a
second. The cache key holds a fingerprint of the rows (ids and row versions), so any change to the areas,
in any database, is a miss, without anyone having to invalidate anything.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

import shapely
from sqlalchemy.engine import Connection

from geo.versions import LEVEL_VALID_AT_DRIVER

CACHE_SIZE = 32  # simplified boundary versions kept (level x date x tolerance)


@dataclass(frozen=True)
class SimplifiedCoverage:
    """The areas of one boundary version, simplified: area ids and EWKB geometries (storage CRS), same order."""

    ids: list[int]
    ewkb: list[bytes]


_CACHE: OrderedDict[tuple, SimplifiedCoverage] = OrderedDict()
_LOCK = threading.Lock()


def ladder_tolerance(tolerance_m: float) -> float:
    """A tolerance a client asked for, rounded down to a ladder of steps a factor of sqrt(2) apart (..., 2, 2.83,
    4, 5.66, 8, ... m): never coarser than asked, and a client cannot make the service simplify (and cache) a
    new version per request by varying the tolerance in small steps."""
    return 2 ** (math.floor(2 * math.log2(tolerance_m) + 1e-9) / 2)


def _simplify(geometries, tolerance_m: float):
    """THE simplification: GEOS coverage simplification (see the module docstring for why this one)."""
    return shapely.coverage_simplify(geometries, tolerance=tolerance_m)


def simplified_coverage(conn: Connection, level: str, at: date, tolerance_m: float) -> SimplifiedCoverage:
    """The areas of `level` valid at `at`, simplified together with `tolerance_m` metres (storage CRS)."""
    params = {"level": level, "at": at}
    fingerprint = conn.exec_driver_sql(f"""
        SELECT md5(coalesce(string_agg(a.id::text || ':' || a.xmin::text, ',' ORDER BY a.id), ''))
        FROM area a WHERE {LEVEL_VALID_AT_DRIVER}""", params).scalar_one()
    info = conn.connection.driver_connection.info
    key = (info.host, info.port, info.dbname, level, at, float(tolerance_m), fingerprint)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    rows = conn.exec_driver_sql(f"""
        SELECT a.id, ST_AsEWKB(a.geom) FROM area a WHERE {LEVEL_VALID_AT_DRIVER} ORDER BY a.id""", params).all()
    ids = [row[0] for row in rows]
    geometries = shapely.from_wkb([bytes(row[1]) for row in rows])
    srid = int(shapely.get_srid(geometries[0])) if len(rows) else 0
    simplified = shapely.set_srid(_simplify(geometries, tolerance_m), srid) if len(rows) else geometries
    result = SimplifiedCoverage(ids, list(shapely.to_wkb(simplified, include_srid=True)))
    with _LOCK:
        _CACHE[key] = result
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result
