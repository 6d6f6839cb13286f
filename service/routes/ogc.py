"""OGC API - Features (Part 1 Core/GeoJSON/HTML, Part 2 CRS, Part 3 queryables, query parameters and CQL2
filters; `sortby`).

Collections are area levels; a feature is an area with every indicator value (and index class) of the
requested period (`datetime`) as a flat property. Items are written by PostgreSQL and streamed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from geo.cql2 import GEOMETRY, LANGUAGES, FilterError, SqlFilter, SqlOrder, compile_filter, compile_sortby
from geo.crs import CRS84, CRS84_URI, FORMS_TEXT, Crs, crs_uris, storage_crs_uri
from geo.features import FeatureQuery, count_features, feature_texts, matching_ids, stream_feature_collection
from geo.levels import Level
from service.auth import Principal
from service.collections import Catalog, Selection, bbox_param, crs_param, simplification_m
from service.disconnects import database_stream_response
from service.errors import ProblemError, bad_request, not_found
from service.http import GEOJSON, HTML, JSON, base_url, caller, json_response, link, wants_html
from web.templates import render

router = APIRouter(tags=["OGC API - Features"])
Caller = Annotated[Principal, Depends(caller)]
Format = Annotated[str | None, Query(pattern="^(json|html|geojson)$",
                                     description="Response format; default by Accept header.")]
MAX_LIMIT = 10_000
OPENAPI = "application/vnd.oai.openapi+json;version=3.1"  # FastAPI writes OpenAPI 3.1.0
LIMIT_CAPPED = "OGC-Limit-Capped"  # header naming the limit applied when the requested one was above MAX_LIMIT
SCHEMA = "application/schema+json"
TEMPORAL_TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
ITEM_PARAMETERS = {"limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "period", "properties", "f", "zoom",
                   "simplify", "filter", "filter-lang", "filter-crs", "sortby"}

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]


@router.get("/", summary="Landing page")
def landing(request: Request, f: Format = None):
    base = base_url(request)
    levels = list(Catalog(request).levels().values())
    body = {
        "title": "district-monitor",
        "description": "Kleinräumiges Sozial- und Integrationsmonitoring (small-area social and integration "
                       "monitoring): indicators per area level as OGC API - Features, vector tiles, downloads, "
                       "maps and profiles.",
        "links": [
            link(f"{base}/?f=json", "self", JSON, "Diese Seite / this document"),
            link(f"{base}/?f=html", "alternate", HTML, "Diese Seite als HTML / as HTML"),
            link(f"{base}/api/openapi.json", "service-desc", OPENAPI, "API-Beschreibung (OpenAPI)"),
            link(f"{base}/api/docs", "service-doc", HTML, "API-Dokumentation"),
            link(f"{base}/conformance", "conformance", JSON, "Konformitätsklassen / conformance"),
            link(f"{base}/conformance", "http://www.opengis.net/def/rel/ogc/1.0/conformance", JSON,
                 "Konformitätsklassen / conformance"),
            link(f"{base}/collections", "data", JSON, "Raumebenen / collections"),
            link(f"{base}/collections", "http://www.opengis.net/def/rel/ogc/1.0/data", JSON,
                 "Raumebenen / collections"),
            link(f"{base}/tileMatrixSets", "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", JSON,
                 "Kachelschemata / tile matrix sets"),
            link(f"{base}/api/indicators", "http://www.opengis.net/def/rel/ogc/1.0/data-meta", JSON,
                 "Indikatorenkatalog / indicator catalogue"),
            link(f"{base}/explorer", "related", HTML, "Kartenexplorer / map explorer"),
            link(f"{base}/areas", "related", HTML, "Quartiersprofile / area profiles"),
            link(f"{base}/reports", "related", HTML, "Integrationsberichte / integration reports"),
            link(f"{base}/api/coverage?f=html", "related", HTML, "Datenabdeckung / coverage"),
        ],
    }
    if wants_html(request, f):
        return render("landing.html", request, page_title="district-monitor", landing=body, levels=levels)
    return json_response(body)


@router.get("/conformance", summary="Conformance classes")
def conformance(request: Request, f: Format = None):
    body = {"conformsTo": CONFORMANCE}
    if wants_html(request, f):
        return render("conformance.html", request, page_title="Konformität", conformance=body)
    return json_response(body)


def _collection(catalog: Catalog, level: Level, base: str, unsuppressed: bool) -> dict:
    versions = catalog.boundary_versions(level.code)
    periods = catalog.periods(level.code, unsuppressed)
    extent = catalog.extent(level.code, versions[0]) if versions else None
    url = f"{base}/collections/{level.code}"
    return {
        "id": level.code,
        "title": level.plural_de,
        "description": f"{level.plural_de} ({level.plural_en}) mit allen Indikatorwerten und Indexklassen eines "
                       f"Zeitpunkts als Attribute (Parameter datetime, Standard: neuester Zeitpunkt).",
        "itemType": "feature",
        "crs": crs_uris(),
        "storageCrs": storage_crs_uri(catalog.storage_srid()),
        "extent": {
            "spatial": {"bbox": [extent] if extent else [], "crs": CRS84_URI},
            "temporal": {"interval": [[periods[-1].isoformat(), periods[0].isoformat()]] if periods else [],
                         "trs": TEMPORAL_TRS, "values": [p.isoformat() for p in periods]},
        },
        "periods": [p.isoformat() for p in periods],
        "boundaryVersions": [v.isoformat() for v in versions],
        "parentLevel": level.parent_code,
        "links": [
            link(url, "self", JSON, level.plural_de),
            link(f"{url}?f=html", "alternate", HTML, f"{level.plural_de} (HTML)"),
            link(f"{url}/items", "items", GEOJSON, f"{level.plural_de} (GeoJSON)"),
            link(f"{url}/items?f=html", "items", HTML, f"{level.plural_de} (Tabelle / HTML)"),
            link(f"{url}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", SCHEMA,
                 "Filterbare Attribute / queryables"),
            link(f"{url}/sortables", "http://www.opengis.net/def/rel/ogc/1.0/sortables", SCHEMA,
                 "Sortierbare Attribute / sortables"),
            link(f"{url}/tiles", "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", JSON,
                 "Vektorkacheln / vector tiles"),
        ] + [link(f"{url}/download?format={fmt}", "enclosure", media, f"Download {label}")
             for fmt, media, label in (("geojson", GEOJSON, "GeoJSON"),
                                       ("gpkg", "application/geopackage+sqlite3", "GeoPackage"),
                                       ("fgb", "application/flatgeobuf", "FlatGeobuf"),
                                       ("csv", "text/csv", "CSV"))],
    }


@router.get("/collections", summary="Area levels as feature collections")
def collections(request: Request, who: Caller, f: Format = None):
    base = base_url(request)
    catalog = Catalog(request)
    body = {
        "links": [link(f"{base}/collections", "self", JSON), link(f"{base}/collections?f=html", "alternate", HTML)],
        "collections": [_collection(catalog, level, base, who.sees_unsuppressed)
                        for level in catalog.levels().values()],
    }
    if wants_html(request, f):
        return render("collections.html", request, page_title="Raumebenen", body=body)
    return json_response(body)


@router.get("/collections/{collection_id}", summary="One area level")
def collection(request: Request, who: Caller, collection_id: str, f: Format = None):
    catalog = Catalog(request)
    level = catalog.level(collection_id)
    body = _collection(catalog, level, base_url(request), who.sees_unsuppressed)
    if wants_html(request, f):
        return render("collection.html", request, page_title=level.plural_de, collection=body)
    return json_response(body)


SchemaPeriod = Annotated[str | None, Query(description="Accepted for compatibility: the schema is the same for "
                                                       "every period.")]


@router.get("/collections/{collection_id}/queryables", summary="Properties usable in filters and sortby (JSON Schema)")
def queryables(request: Request, who: Caller, collection_id: str, datetime: SchemaPeriod = None, f: Format = None):
    return _property_schema(
        request, who, collection_id, datetime, f, "queryables", with_geometry=True,
        title="filterbare Attribute / queryables",
        description="The same for every period. Each property may be used as a query parameter of /items for an "
                    "equality filter (?parent_key=011001), in a CQL2 filter (?filter=S1 > 5 AND "
                    "S_INTERSECTS(geometry, BBOX(13.3,52.5,13.4,52.6))) and in sortby (?sortby=-S1).")


@router.get("/collections/{collection_id}/sortables", summary="Properties usable in sortby (JSON Schema)")
def sortables(request: Request, who: Caller, collection_id: str, datetime: SchemaPeriod = None, f: Format = None):
    """The sort keys of `sortby` (OGC API - Features Part 5 draft, the relation web-GIS clients such as
    ogc-client look for): the queryables other than the geometry."""
    return _property_schema(
        request, who, collection_id, datetime, f, "sortables", with_geometry=False,
        title="sortierbare Attribute / sortables",
        description="The same for every period. Each property may be used in sortby of /items, - for descending, "
                    "nulls last, the key breaks ties (?sortby=-S1,name).")


def _property_schema(request: Request, who, collection_id: str, datetime: str | None, f: str | None, kind: str, *,
                     with_geometry: bool, title: str, description: str) -> Response:
    """The JSON Schema of the properties a collection offers for filters or sorting."""
    catalog = Catalog(request)
    selection = catalog.select(collection_id, datetime, who.sees_unsuppressed)
    url = f"{base_url(request)}/collections/{collection_id}/{kind}"
    properties = {q["name"]: {"type": q["type"], **({"title": q["title"]} if q["title"] else {})}
                  for q in _queryable_rows(catalog, selection)}
    if with_geometry:
        properties[GEOMETRY] = {"title": "Geometrie / geometry", "format": "geometry-polygon-or-multipolygon",
                                "x-ogc-role": "primary-geometry"}
    body = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url,
        "type": "object",
        "title": f"{selection.level.plural_de}: {title}",
        "description": description,
        "properties": properties,
        "additionalProperties": False,
    }
    if wants_html(request, f):
        return render("queryables.html", request, page_title=kind.capitalize(), level=selection.level, schema=body,
                      kind=kind)
    return json_response(body, media_type=SCHEMA)


def _queryable_rows(catalog: Catalog, selection: Selection) -> list[dict]:
    """The queryables a query of this selection can use: without values only the area's own columns."""
    rows = catalog.queryables(selection)
    if selection.properties_sql is None:
        return [q for q in rows if q["name"] in ("key", "name", "parent_key")]
    return rows


def _types(catalog: Catalog, selection: Selection) -> dict[str, str]:
    return {**{q["name"]: q["type"] for q in _queryable_rows(catalog, selection)}, GEOMETRY: GEOMETRY}


def _single(request: Request, name: str) -> str | None:
    """The one value of a query parameter; a repeated parameter is a 400 (its values would otherwise be
    silently dropped, or combined in a way the caller did not say)."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise bad_request(f"parameter {name!r} is given {len(values)} times; give it once (combine conditions "
                          "with a CQL2 filter, e.g. filter=parent_key IN ('011001','011002'))", parameter=name)
    return values[0] if values else None


def _filters(request: Request, catalog: Catalog, selection: Selection) -> dict:
    schema = {q["name"]: q["type"] for q in _queryable_rows(catalog, selection)}
    filters = {}
    for name in dict.fromkeys(request.query_params.keys()):
        value = _single(request, name)
        if name in ITEM_PARAMETERS:
            continue
        if name not in schema:
            raise bad_request(f"{name!r} is neither a parameter nor a queryable property; see the queryables",
                              parameter=name, queryables=list(schema))
        if schema[name] in ("number", "integer"):
            try:
                filters[name] = float(value)
            except ValueError:
                raise bad_request(f"filter {name}={value!r} needs a number", parameter=name) from None
        else:
            filters[name] = value
    return filters


def _cql2(text: str | None, language: str | None, filter_crs: str | None, catalog: Catalog,
          selection: Selection) -> SqlFilter | None:
    if text is None:
        if language is not None:
            raise bad_request("filter-lang without filter", parameter="filter-lang")
        return None
    crs = CRS84 if filter_crs is None else crs_param(filter_crs, "filter-crs")
    try:
        return compile_filter(text, language, _types(catalog, selection), crs=crs)
    except FilterError as exc:
        raise _filter_problem(exc, "filter") from None


def _sortby(text: str | None, catalog: Catalog, selection: Selection) -> SqlOrder | None:
    if text is None:
        return None
    try:
        return compile_sortby(text, _types(catalog, selection))
    except FilterError as exc:
        raise _filter_problem(exc, "sortby") from None


def _filter_problem(exc: FilterError, parameter: str) -> ProblemError:
    position = {key: value for key, value in (("position", exc.position), ("line", exc.line),
                                              ("column", exc.column)) if value is not None}
    return bad_request(str(exc), parameter=parameter, **position)


def _selected_properties(text: str | None, catalog: Catalog, selection: Selection) -> tuple[str, ...] | None:
    if text is None:
        return None
    wanted = tuple(name.strip() for name in text.split(",") if name.strip())
    known = set(catalog.property_names(selection)) | {"level", "period"}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise bad_request(f"unknown properties: {', '.join(unknown)}", parameter="properties",
                          available=sorted(known))
    return wanted


Limit = Annotated[int, Query(ge=1, description="Features per page; above 10,000 the page has "
                                                                  "10,000 (header OGC-Limit-Capped).")]
Offset = Annotated[int, Query(ge=0, le=100_000_000, description="Features to skip.")]
Datetime = Annotated[str | None, Query(description="The period of the values: 2020-12-31, 2020, an interval "
                                                   "(latest period inside) or 'latest' (default).")]
Period = Annotated[str | None, Query(description="Alias of datetime.", include_in_schema=True)]
CrsParam = Annotated[str | None, Query(description=f"Output CRS, written as {FORMS_TEXT}; default CRS84.")]
Zoom = Annotated[float | None, Query(ge=0, le=22, description="Simplify for a web map at this zoom level.")]
Simplify = Annotated[float | None, Query(gt=0, le=10_000, description="Simplify: tolerance in metres (rounded down "
                                                                      "to steps a factor sqrt(2) apart).")]


@router.get("/collections/{collection_id}/items", summary="Areas of a level with indicator values (GeoJSON)",
            response_class=Response, responses={200: {"content": {GEOJSON: {}, HTML: {}}}})
def items(
    request: Request,
    who: Caller,
    collection_id: str,
    limit: Limit = 10,
    offset: Offset = 0,
    bbox: Annotated[str | None, Query(description="Lower and upper corner in bbox-crs (default CRS84 lon/lat).")] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs", description="CRS of bbox (URI).")] = None,
    crs: CrsParam = None,
    datetime: Datetime = None,
    period: Period = None,
    properties: Annotated[str | None, Query(description="Comma-separated property names to return.")] = None,
    zoom: Zoom = None,
    simplify: Simplify = None,
    filter: Annotated[str | None, Query(description="CQL2 filter (OGC API - Features Part 3), e.g. "
                                                    "S1 > 5 AND parent_key IN ('011001','011002').")] = None,
    filter_lang: Annotated[str | None, Query(alias="filter-lang", description="Language of filter.",
                                             json_schema_extra={"enum": list(LANGUAGES)})] = None,
    filter_crs: Annotated[str | None, Query(alias="filter-crs", description="CRS of the filter's geometries, "
                                                                            "in its axis order (default CRS84).")] = None,
    sortby: Annotated[str | None, Query(description="Sort keys: queryables, comma-separated, - for descending "
                                                    "(e.g. -S1,name); nulls last.")] = None,
    f: Format = None,
):
    catalog = Catalog(request)
    output_crs = crs_param(crs, "crs")
    bounds = bbox_param(bbox, crs_param(bbox_crs, "bbox-crs"))
    selection = catalog.select(collection_id, datetime or period, who.sees_unsuppressed)
    applied = min(limit, MAX_LIMIT)
    where = _cql2(filter, filter_lang, filter_crs, catalog, selection)
    query = FeatureQuery(level=selection.level.code, at=selection.at, storage_srid=selection.storage_srid,
                         limit=applied, offset=offset, bbox=bounds, bbox_crs=crs_param(bbox_crs, "bbox-crs"),
                         crs=output_crs, simplify_m=simplification_m(zoom, simplify),
                         select=(selected := _selected_properties(properties, catalog, selection)),
                         keys=(keys := _keys(selected, catalog, selection)),
                         keys_written=selected is None and catalog.write_properties_text(selection, keys),
                         filters=_filters(request, catalog, selection), where=where,
                         order=_sortby(sortby, catalog, selection))

    def count(conn) -> int:
        return count_features(conn, query, selection.properties_sql, selection.params)

    if bounds or query.filters or where is not None:
        # everything that decides which areas match and in which order
        condition = (bounds, crs_param(bbox_crs, "bbox-crs").srid, tuple(sorted(query.filters.items())),
                     filter, filter_lang, filter_crs, sortby)
        matched, ids = catalog.filtered_matches(
            selection, condition,
            lambda conn, at_most: matching_ids(conn, query, selection.properties_sql, selection.params, at_most),
            count)
        if ids is not None:
            query = replace(query, page_ids=tuple(ids[offset:offset + applied]))
    else:
        matched = catalog.cached_count(selection, count)
    headers = {LIMIT_CAPPED: str(applied)} if applied < limit else {}
    limit = applied
    base = base_url(request)
    links = _paging_links(request, base, collection_id, offset, limit, matched)
    if wants_html(request, f):
        texts = catalog.run(lambda conn: feature_texts(conn, query, selection.properties_sql, selection.params))
        return render("items.html", request, page_title=selection.level.plural_de, level=selection.level,
                      period=selection.period, features=[orjson.loads(t) for t in texts], matched=matched,
                      links=links)
    head = {"type": "FeatureCollection", "numberMatched": matched, "links": links}
    if selection.period:
        head["period"] = selection.period.isoformat()
    if headers:
        head["limitCapped"] = {"requested": int(request.query_params["limit"]), "applied": applied,
                               "note": f"limit is at most {MAX_LIMIT:,}; follow the next link for more"}
    # connects and runs the query before the 200 goes out (an outage becomes a 503 here); released on disconnect
    return database_stream_response(
        request, catalog.engine,
        lambda conn: stream_feature_collection(conn, query, selection.properties_sql, head, selection.params),
        media_type=GEOJSON, headers={**_crs_header(output_crs), **headers})


def _keys(selected: tuple[str, ...] | None, catalog: Catalog, selection: Selection) -> tuple[str, ...] | None:
    """The properties written, in the collection's order (every period alike, null where missing)."""
    if selection.properties_sql is None:
        return None
    names = catalog.property_names(selection)
    if selected is None:
        return tuple(names)
    wanted = set(selected)
    return tuple(name for name in names if name in wanted)


def _crs_header(crs: Crs) -> dict:
    return {"Content-Crs": f"<{crs.uri}>"}


def _paging_links(request: Request, base: str, collection_id: str, offset: int, limit: int,
                  matched: int) -> list[dict]:
    params = {k: v for k, v in request.query_params.multi_items() if k not in ("f", "offset", "limit")}
    url = f"{base}/collections/{collection_id}/items"

    def page(new_offset: int, fmt: str | None = None) -> str:
        query = {**params, "offset": str(new_offset), "limit": str(limit), **({"f": fmt} if fmt else {})}
        return f"{url}?{urlencode(query)}"

    returned = max(0, min(limit, matched - offset))
    links = [link(page(offset), "self", GEOJSON, "Diese Seite / this page"),
             link(page(offset, "html"), "alternate", HTML, "Diese Seite als HTML / as HTML"),
             link(f"{base}/collections/{collection_id}", "collection", JSON, "Raumebene / collection")]
    if offset + returned < matched:
        links.append(link(page(offset + limit), "next", GEOJSON, "Nächste Seite / next page"))
    if offset > 0:  # past the end, prev is the last page
        previous = max(0, min(offset - limit, matched - limit))
        links.append(link(page(previous), "prev", GEOJSON, "Vorige Seite / previous page"))
    return links


@router.get("/collections/{collection_id}/items/{feature_id}", summary="One area with its indicator values",
            response_class=Response, responses={200: {"content": {GEOJSON: {}, HTML: {}}}})
def item(request: Request, who: Caller, collection_id: str, feature_id: str, datetime: Datetime = None,
         period: Period = None, crs: CrsParam = None, zoom: Zoom = None, simplify: Simplify = None,
         properties: Annotated[str | None, Query(description="Comma-separated property names to return.")] = None,
         f: Format = None):
    catalog = Catalog(request)
    output_crs = crs_param(crs, "crs")
    selection = catalog.select(collection_id, datetime or period, who.sees_unsuppressed)
    query = FeatureQuery(level=selection.level.code, at=selection.at, storage_srid=selection.storage_srid, limit=1,
                         crs=output_crs, simplify_m=simplification_m(zoom, simplify), key=feature_id,
                         select=(selected := _selected_properties(properties, catalog, selection)),
                         keys=_keys(selected, catalog, selection))
    texts = catalog.run(lambda conn: feature_texts(conn, query, selection.properties_sql, selection.params))
    if not texts:
        raise not_found(f"no area {feature_id!r} in collection {collection_id!r}")
    feature = orjson.loads(texts[0])
    if wants_html(request, f):
        return render("item.html", request, page_title=feature_id, level=selection.level, period=selection.period,
                      feature=feature)
    base = base_url(request)
    feature["links"] = [link(f"{base}/collections/{collection_id}/items/{feature_id}", "self", GEOJSON),
                        link(f"{base}/collections/{collection_id}/items/{feature_id}?f=html", "alternate", HTML),
                        link(f"{base}/collections/{collection_id}", "collection", JSON)]
    return json_response(feature, media_type=GEOJSON, headers=_crs_header(output_crs))

