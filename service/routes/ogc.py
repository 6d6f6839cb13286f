"""OGC API - Features (Part 1 Core/GeoJSON/HTML/OAS30, Part 2 CRS, Part 3 queryables as query parameters).

Collections are area levels; a feature is an area with every indicator value (and index class) of the
requested period (`datetime`) as a flat property. Items are written by PostgreSQL and streamed.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from geo.crs import CRS84_URI, FORMS_TEXT, Crs, crs_uris, storage_crs_uri
from geo.features import FeatureQuery, count_features, feature_texts, stream_feature_collection
from geo.levels import Level
from service.auth import Principal
from service.collections import Catalog, Selection, bbox_param, crs_param, simplification_m
from service.disconnects import database_stream_response
from service.errors import bad_request, not_found
from service.http import GEOJSON, HTML, JSON, base_url, caller, json_response, link, wants_html
from web.templates import render

router = APIRouter(tags=["OGC API - Features"])
Caller = Annotated[Principal, Depends(caller)]
Format = Annotated[str | None, Query(pattern="^(json|html|geojson)$",
                                     description="Response format; default by Accept header.")]
MAX_LIMIT = 10_000
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
TEMPORAL_TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
ITEM_PARAMETERS = {"limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "period", "properties", "f", "zoom",
                   "simplify"}

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
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
            link(f"{base}/maps/indices/mss_2021_gesamtindex", "related", HTML, "Gesamtindex-Karte / overall index map"),
        ] + [link(f"{base}/maps/indicators/{code}", "related", HTML, f"Karte {code}") for code in ("S1", "S3", "S4")],
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
            link(f"{url}/tiles", "http://www.opengis.net/def/rel/ogc/1.0/vectortiles", JSON,
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


@router.get("/collections/{collection_id}/queryables", summary="Properties usable as equality filters (JSON Schema)")
def queryables(request: Request, who: Caller, collection_id: str,
               datetime: Annotated[str | None, Query(description="Period whose properties are listed.")] = None,
               f: Format = None):
    catalog = Catalog(request)
    selection = catalog.select(collection_id, datetime, who.sees_unsuppressed)
    url = f"{base_url(request)}/collections/{collection_id}/queryables"
    body = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url,
        "type": "object",
        "title": f"{selection.level.plural_de}: filterbare Attribute / queryables",
        "description": "Each property may be used as a query parameter of /items for an equality filter, "
                       "e.g. ?parent_key=011001.",
        "properties": {q["name"]: {"type": q["type"], **({"title": q["title"]} if q["title"] else {})}
                       for q in catalog.queryables(selection)},
        "additionalProperties": False,
    }
    if wants_html(request, f):
        return render("queryables.html", request, page_title="Queryables", level=selection.level, schema=body)
    return json_response(body, media_type=SCHEMA)


def _filters(request: Request, catalog: Catalog, selection: Selection) -> dict:
    schema = {q["name"]: q["type"] for q in catalog.queryables(selection)}
    filters = {}
    for name, value in request.query_params.items():
        if name in ITEM_PARAMETERS:
            continue
        if name not in schema:
            raise bad_request(f"{name!r} is neither a parameter nor a queryable property; see the queryables",
                              parameter=name, queryables=list(schema))
        if schema[name] == "number":
            try:
                filters[name] = float(value)
            except ValueError:
                raise bad_request(f"filter {name}={value!r} needs a number", parameter=name) from None
        else:
            filters[name] = value
    return filters


def _selected_properties(text: str | None, catalog: Catalog, selection: Selection) -> tuple[str, ...] | None:
    if text is None:
        return None
    wanted = tuple(name.strip() for name in text.split(",") if name.strip())
    known = set(catalog.property_names(selection))
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise bad_request(f"unknown properties: {', '.join(unknown)}", parameter="properties",
                          available=sorted(known))
    return wanted


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Features per page (1-10,000).")]
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
    f: Format = None,
):
    catalog = Catalog(request)
    output_crs = crs_param(crs, "crs")
    bounds = bbox_param(bbox, crs_param(bbox_crs, "bbox-crs"))
    selection = catalog.select(collection_id, datetime or period, who.sees_unsuppressed)
    query = FeatureQuery(level=selection.level.code, at=selection.at, storage_srid=selection.storage_srid,
                         limit=limit, offset=offset, bbox=bounds, bbox_crs=crs_param(bbox_crs, "bbox-crs"),
                         crs=output_crs, simplify_m=simplification_m(zoom, simplify),
                         select=_selected_properties(properties, catalog, selection),
                         filters=_filters(request, catalog, selection))

    def count(conn) -> int:
        return count_features(conn, query, selection.properties_sql, selection.params)

    matched = catalog.run(count) if (bounds or query.filters) else catalog.cached_count(selection, count)
    if offset > 0 and offset >= matched:
        raise bad_request(f"offset {offset} is beyond the {matched} matching features", parameter="offset",
                          numberMatched=matched)
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
    # connects and runs the query before the 200 goes out (an outage becomes a 503 here); released on disconnect
    return database_stream_response(
        request, catalog.engine,
        lambda conn: stream_feature_collection(conn, query, selection.properties_sql, head, selection.params),
        media_type=GEOJSON, headers=_crs_header(output_crs))


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
    if offset > 0:
        links.append(link(page(max(0, offset - limit)), "prev", GEOJSON, "Vorige Seite / previous page"))
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
                         select=_selected_properties(properties, catalog, selection))
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

