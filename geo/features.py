"""The one builder of area GeoJSON: features assembled inside PostGIS and streamed, with paging, bbox, CRS,
simplification and filters; every GeoJSON geometry of the service is written by `geometry_json_sql`.

Attribute values come from the caller as a SQL fragment returning (area_id, properties jsonb) with the
complete properties object of each area, so this module stays ignorant of indicators; areas the fragment
does not return get key, name, level and parent_key. PostgreSQL writes each Feature as text by concatenation
(no JSON re-parsing of the geometry) and sends the rows through COPY, which streams them as they are
produced; Python only puts commas between them and forwards them in large chunks. A page therefore never
has to exist as a whole in Python memory.

Simplified geometry (`simplify_m`) is the boundary version simplified as a coverage (`geo.simplify`, the one
simplification: shared edges are simplified once, so neighbours keep no gaps). The simplified geometries
(storage CRS, EWKB) join the query as an array parameter and are transformed and written by PostgreSQL like
the stored ones. Without simplification the stored coordinates are written as they are (same values as
ever: GIS clients compare them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date

import orjson
from sqlalchemy.engine import Connection

from geo.cql2 import SqlFilter, SqlOrder
from geo.crs import CRS84, Crs
from geo.simplify import simplified_coverage
from geo.versions import LEVEL_VALID_AT_DRIVER

CHUNK_BYTES = 256 * 1024  # bytes per streamed chunk: large enough that per-chunk overhead does not matter
ALL = 100_000_000  # a limit that means "every area"


@dataclass(frozen=True)
class FeatureQuery:
    level: str
    at: date  # the boundary version valid at this date
    storage_srid: int | None = None  # needed for bbox in a projected CRS
    limit: int = 10
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None  # x/y order in bbox_crs
    bbox_crs: Crs = CRS84
    crs: Crs = CRS84  # output CRS
    simplify_m: float | None = None  # coverage simplification tolerance in storage-CRS metres (geo.simplify)
    select: tuple[str, ...] | None = None  # property names to keep; None = all
    keys: tuple[str, ...] | None = None  # the properties written, in this order, null where an area has none
    keys_written: bool = False  # the properties source carries `properties_text` written with exactly `keys`
    where: SqlFilter | None = None  # a compiled CQL2 filter (geo.cql2)
    order: SqlOrder | None = None  # sort keys (geo.cql2); the area key breaks ties and is the default
    filters: dict = field(default_factory=dict)  # property -> value, equality (jsonb containment)
    key: str | None = None  # one feature only
    precision: int | None = None  # decimals written; None = the output CRS's default
    only_with_properties: bool = False  # only the areas the properties fragment returns (inner join)
    page_ids: tuple[int, ...] | None = None  # the page's areas, in order, already selected (`matching_ids`)

    @property
    def decimals(self) -> int:
        return self.crs.precision if self.precision is None else self.precision


VERSION_FILTER = LEVEL_VALID_AT_DRIVER
BASE_PROPERTIES = ("jsonb_build_object('key', a.key, 'name', a.name, 'level', a.level_code, "
                   "'parent_key', a.parent_key)")


def _params(query: FeatureQuery, extra: dict | None, conn: Connection | None = None) -> dict:
    """The query's bind parameters; with `conn` and `simplify_m`, the simplified coverage too."""
    params = {"level": query.level, "at": query.at, "limit": query.limit, "offset": query.offset,
              "precision": query.decimals, "srid": query.crs.srid,
              "storage_srid": query.storage_srid, "key": query.key, "keep": list(query.select or ()),
              "filter": orjson.dumps(query.filters).decode(), "keys": list(query.keys or ()),
              "page_ids": list(query.page_ids or ())}
    for compiled in (query.where, query.order):
        if compiled is not None:
            params.update(compiled.params)
    if query.bbox:
        params.update(dict(zip(("minx", "miny", "maxx", "maxy"), query.bbox)))
        params["bbox_srid"] = query.bbox_crs.srid
    if query.simplify_m and conn is not None:
        coverage = simplified_coverage(conn, query.level, query.at, query.simplify_m)
        params["simplified_ids"], params["simplified_ewkb"] = coverage.ids, coverage.ewkb
    return {**params, **(extra or {})}


def _where(query: FeatureQuery) -> str:
    clauses = [VERSION_FILTER]
    if query.bbox:
        if query.bbox_crs.srid == 4326:
            clauses.append("ST_Intersects(a.geom_4326, ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4326))")
        else:  # densified, so that the box keeps its shape when transformed between projections
            clauses.append("ST_Intersects(a.geom, ST_Transform(ST_Segmentize(ST_MakeEnvelope(%(minx)s, %(miny)s, "
                           "%(maxx)s, %(maxy)s, %(bbox_srid)s), 100), %(storage_srid)s::integer))")
    if query.filters:
        clauses.append("p.properties @> CAST(%(filter)s AS jsonb)")
    if query.where is not None:
        clauses.append(query.where.sql)
    if query.key is not None:
        clauses.append("a.key = %(key)s")
    if query.only_with_properties:
        clauses.append("p.area_id IS NOT NULL")
    return " AND ".join(clauses)


def _joins_properties(query: FeatureQuery) -> bool:
    """Whether the page's WHERE or ORDER BY refers to the properties `p` (filters, sort keys, or only areas
    that have properties)."""
    return (bool(query.filters) or query.only_with_properties
            or any(c is not None and c.uses_properties for c in (query.where, query.order)))


def geometry_json_sql(geom: str, precision: str, lat_first: bool = False) -> str:
    """SQL writing the GeoJSON text of the geometry expression `geom` (already in the output CRS) with
    `precision` decimals (an integer or a bind parameter), northing/latitude first when the CRS says so,
    and no 'crs' member (options 0; GeoJSON states its CRS in the response, not in each geometry).
    Polygon rings are written as RFC 7946 asks: exterior counter-clockwise, holes clockwise (in x/y of the CRS,
    before a flip to northing first)."""
    geom = f"ST_ForcePolygonCCW({geom})"
    if lat_first:
        geom = f"ST_FlipCoordinates({geom})"
    return f"ST_AsGeoJSON({geom}, {precision}, 0)"


def _geometry_sql(query: FeatureQuery, wkb: bool = False) -> str:
    """GeoJSON text of the area in the output CRS and axis order, or WKB in x/y order (files state their
    CRS, GIS software reads them easting/longitude first)."""
    if query.simplify_m:  # the simplified coverage `s` (geo.simplify), joined by _page_sql
        geom = "ST_Transform(ST_GeomFromEWKB(s.ewkb), %(srid)s::integer)"
    elif query.crs.srid == 4326:
        geom = "a.geom_4326"
    elif query.crs.srid == query.storage_srid:
        geom = "a.geom"
    else:
        geom = "ST_Transform(a.geom, %(srid)s::integer)"
    if wkb:
        return f"ST_AsBinary({geom})"
    return geometry_json_sql(geom, "%(precision)s", query.crs.lat_first)


def _properties_sql(query: FeatureQuery, has_properties: bool) -> str:
    """The properties text of a feature (area `a`, properties `p`)."""
    source = f"coalesce(p.properties, {BASE_PROPERTIES})" if has_properties else BASE_PROPERTIES
    if query.keys is not None:  # json (not jsonb) keeps the order; a key the area lacks is written as null
        ordered = (f"coalesce((SELECT json_object_agg(k.name, {source} -> k.name ORDER BY k.ord) "
                   "FROM unnest(CAST(%(keys)s AS text[])) WITH ORDINALITY AS k(name, ord)), '{}'::json)::text")
        if query.keys_written and has_properties:  # written once per data version (ensure_properties_text)
            return f"coalesce(p.properties_text, {ordered})"
        return ordered
    if query.select is not None:
        return (f"coalesce((SELECT jsonb_object_agg(e.k, e.v) FROM jsonb_each({source}) e(k, v) "
                "WHERE e.k = ANY(%(keep)s)), '{}'::jsonb)::text")
    return f"{source}::text"


def _from(properties_sql: str | None) -> str:
    if properties_sql is None:
        return "area a"
    return f"area a LEFT JOIN ({properties_sql}) p ON p.area_id = a.id"


def count_features(conn: Connection, query: FeatureQuery, properties_sql: str | None = None,
                   extra_params: dict | None = None) -> int:
    """numberMatched: the areas that pass the version, bbox and property filters."""
    uses_properties = properties_sql if _joins_properties(query) else None
    sql = f"SELECT count(*) FROM {_from(uses_properties)} WHERE {_where(query)}"
    return conn.exec_driver_sql(sql, _params(query, extra_params)).scalar_one()


def matching_ids(conn: Connection, query: FeatureQuery, properties_sql: str | None, extra_params: dict | None,
                 at_most: int) -> list[int] | None:
    """The ids of every area the query's filters select, in the page order (sort keys, then key); None if there
    are more than `at_most`. A client paging through a filtered result repeats the filter for every page: with
    these ids, numberMatched is their number and a page is a slice (`FeatureQuery.page_ids`), so the filter is
    evaluated once, not once per page and once more for the count."""
    columns, order = _inner_order(query)
    uses_properties = properties_sql if _joins_properties(query) else None
    sql = (f"SELECT a.id{columns} FROM {_from(uses_properties)} WHERE {_where(query)} ORDER BY {order} "
           f"LIMIT {int(at_most) + 1}")
    ids = [row[0] for row in conn.exec_driver_sql(sql, _params(query, extra_params))]
    return None if len(ids) > at_most else ids


def feature_sql(query: FeatureQuery, properties_sql: str | None) -> str:
    """One row per Feature, as GeoJSON text, in key order (or the sort keys'), for the page the query asks for.

    The page is cut on narrow rows (ids) first, then joined to geometries and properties: PostgreSQL would
    otherwise carry (and detoast) the geometry of every row an OFFSET skips.
    """
    return f"""
        SELECT '{{"type":"Feature","id":' || to_json(a.key)::text
               || ',"geometry":' || coalesce({_geometry_sql(query)}, 'null')
               || ',"properties":' || {_properties_sql(query, properties_sql is not None)} || '}}'
        FROM {_page_sql(query, properties_sql)}
        ORDER BY {_outer_order(query)}"""


def _inner_order(query: FeatureQuery) -> tuple[str, str]:
    """(extra select list, ORDER BY) of the page: the sort keys (nulls last either way), then the area key."""
    if query.order is None:
        return "", "a.key"
    columns = "".join(f", {expr} AS s{i}" for i, (expr, _) in enumerate(query.order.keys))
    order = ", ".join(f"s{i} {'DESC' if desc else 'ASC'} NULLS LAST" for i, (_, desc) in enumerate(query.order.keys))
    return columns, f"{order}, a.key"


def _outer_order(query: FeatureQuery) -> str:
    if query.page_ids is not None:
        return "page.position"
    if query.order is None:
        return "a.key"
    order = ", ".join(f"page.s{i} {'DESC' if desc else 'ASC'} NULLS LAST"
                      for i, (_, desc) in enumerate(query.order.keys))
    return f"{order}, a.key"


def _page_sql(query: FeatureQuery, properties_sql: str | None) -> str:
    """FROM clause: the ids of the page (LIMIT/OFFSET, or the ids given), joined to area `a` and the properties."""
    columns, order = _inner_order(query)
    if query.page_ids is not None:
        page = "unnest(CAST(%(page_ids)s AS bigint[])) WITH ORDINALITY AS page(id, position)"
    else:
        page = f"""(
            SELECT a.id{columns} FROM {_from(properties_sql if _joins_properties(query) else None)}
            WHERE {_where(query)}
            ORDER BY {order}
            LIMIT %(limit)s OFFSET %(offset)s) page"""
    joined = f"{page} JOIN area a ON a.id = page.id"
    if properties_sql is not None:
        joined += f" LEFT JOIN ({properties_sql}) p ON p.area_id = a.id"
    if query.simplify_m:
        joined += (" LEFT JOIN unnest(CAST(%(simplified_ids)s AS bigint[]), CAST(%(simplified_ewkb)s AS bytea[]))"
                   " AS s(id, ewkb) ON s.id = a.id")
    return joined


def _copy_rows(conn: Connection, sql: str, params: dict) -> Iterator[bytes]:
    """Rows of a one-column text query via COPY TO STDOUT, as they arrive (bypasses SQLAlchemy row handling).

    COPY's text format escapes only backslashes, tabs, newlines and carriage returns; JSON text made by
    PostgreSQL never contains raw tabs or line breaks, so undoing the doubled backslashes restores it exactly.
    """
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT", params) as copy:
        for row in copy:
            yield bytes(row[:-1]).replace(b"\\\\", b"\\")


def stream_feature_collection(conn: Connection, query: FeatureQuery, properties_sql: str | None, head: dict,
                              extra_params: dict | None = None) -> Iterator[bytes]:
    """A FeatureCollection: `head` members, then the features as PostgreSQL writes them, then numberReturned."""
    opening = orjson.dumps(head)[:-1] + (b',"features":[' if head else b'{"features":[')
    buffer, size, returned = [opening], len(opening), 0
    for feature in _copy_rows(conn, feature_sql(query, properties_sql), _params(query, extra_params, conn)):
        if returned:
            buffer.append(b",")
        buffer.append(feature)
        size += len(feature) + 1
        returned += 1
        if size >= CHUNK_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    buffer.append(b'],"numberReturned":%d}' % returned)
    yield b"".join(buffer)


def feature_texts(conn: Connection, query: FeatureQuery, properties_sql: str | None,
                  extra_params: dict | None = None) -> list[bytes]:
    """The Feature texts of one page (small pages, HTML and single items)."""
    return list(_copy_rows(conn, feature_sql(query, properties_sql), _params(query, extra_params, conn)))


def feature_records(conn: Connection, query: FeatureQuery, properties_sql: str | None,
                    extra_params: dict | None = None) -> Iterator[tuple[str, dict, bytes | None]]:
    """(key, properties, WKB geometry in the output CRS, x/y order) per feature, for file exports."""
    sql = f"""
        SELECT a.key, {_properties_sql(query, properties_sql is not None)}, {_geometry_sql(query, wkb=True)}
        FROM {_page_sql(query, properties_sql)}
        ORDER BY {_outer_order(query)}"""
    for key, properties, wkb in conn.exec_driver_sql(sql, _params(query, extra_params, conn)):
        yield key, orjson.loads(properties), wkb


def area_features(conn: Connection, level: str, at: date, storage_srid: int, simplify_m: float | None,
                  precision: int) -> list[dict]:
    """GeoJSON features (key, name, level, parent_key) of one boundary version for drawing, in CRS84 with
    `precision` decimals of degrees; with `simplify_m`, simplified as a coverage (`geo.simplify`)."""
    query = FeatureQuery(level=level, at=at, storage_srid=storage_srid, limit=ALL, simplify_m=simplify_m,
                         crs=replace(CRS84, precision=precision))
    return [orjson.loads(text) for text in feature_texts(conn, query, None)]


def level_extent(conn: Connection, level: str, at: date) -> list[float] | None:
    """Bounding box of a level's areas in CRS84 (lon/lat)."""
    row = conn.exec_driver_sql(f"""
        SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
        FROM (SELECT ST_Extent(a.geom_4326) AS e FROM area a WHERE {VERSION_FILTER}) s""",
        {"level": level, "at": at}).one()
    return None if row[0] is None else [round(v, 6) for v in row]


def boundary_versions(conn: Connection, level: str) -> list[date]:
    """The valid_from dates of a level's boundary versions, newest first."""
    return [r[0] for r in conn.exec_driver_sql(
        "SELECT DISTINCT valid_from FROM area WHERE level_code = %(level)s ORDER BY 1 DESC", {"level": level})]
