"""OGC API - Features: landing page, conformance, collections (one per area level), items, item."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import orjson

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.engine import Connection
from starlette.responses import Response

from geo.features import CRS84, FeatureQuery, boundary_versions, count_features, feature_texts, level_extent
from geo.levels import Level, get_level, list_levels
from indicators.catalogue import list_periods
from indicators.values import PeriodNotFound, boundary_date_for, period_properties_sql, resolve_period
from service.auth import Principal, current_principal
from service.errors import bad_request, not_found
from service.http import GEOJSON, HTML, JSON, base_url, connection, json_response, link, wants_html
from web.templates import render

router = APIRouter(tags=["OGC API - Features"])
Conn = Annotated[Connection, Depends(connection)]
Caller = Annotated[Principal, Depends(current_principal)]
Format = Annotated[str | None, Query(pattern="^(json|html)$", description="Response format; default by Accept header.")]
MAX_LIMIT = 10_000

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]


@router.get("/", summary="Landing page")
def landing(request: Request, conn: Conn, f: Format = None):
    base = base_url(request)
    levels = list_levels(conn)
    body = {
        "title": "district-monitor",
        "description": "Kleinräumiges Sozial- und Integrationsmonitoring (small-area social and integration "
                       "monitoring): indicators per area level as OGC API - Features, maps and profiles.",
        "links": [
            link(f"{base}/?f=json", "self", JSON, "Diese Seite / this document"),
            link(f"{base}/?f=html", "alternate", HTML, "Diese Seite als HTML / as HTML"),
            link(f"{base}/api/openapi.json", "service-desc", "application/vnd.oai.openapi+json;version=3.0",
                 "API-Beschreibung (OpenAPI)"),
            link(f"{base}/api/docs", "service-doc", HTML, "API-Dokumentation"),
            link(f"{base}/conformance", "conformance", JSON, "Konformitätsklassen / conformance"),
            link(f"{base}/collections", "data", JSON, "Raumebenen / collections"),
            link(f"{base}/api/indicators", "http://www.opengis.net/def/rel/ogc/1.0/data-meta", JSON,
                 "Indikatorenkatalog / indicator catalogue"),
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


def _collection(conn: Connection, level: Level, base: str) -> dict:
    versions = boundary_versions(conn, level.code)
    periods = list_periods(conn, level.code)
    extent = level_extent(conn, level.code, versions[0]) if versions else None
    return {
        "id": level.code,
        "title": level.plural_de,
        "description": f"{level.plural_de} ({level.plural_en}) mit allen Indikatorwerten eines Zeitpunkts "
                       f"(period/datetime) als Attribute.",
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": f"http://www.opengis.net/def/crs/EPSG/0/{_storage_srid(conn)}",
        "extent": {
            "spatial": {"bbox": [extent] if extent else [], "crs": CRS84},
            "temporal": {"interval": [[periods[-1].isoformat(), periods[0].isoformat()]] if periods else [],
                         "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
        },
        "periods": [p.isoformat() for p in periods],
        "boundaryVersions": [v.isoformat() for v in versions],
        "parentLevel": level.parent_code,
        "links": [
            link(f"{base}/collections/{level.code}", "self", JSON, level.plural_de),
            link(f"{base}/collections/{level.code}/items", "items", GEOJSON, f"{level.plural_de} (GeoJSON)"),
            link(f"{base}/collections/{level.code}/items?f=html", "items", HTML, f"{level.plural_de} (HTML)"),
        ],
    }


def _storage_srid(conn: Connection) -> int:
    from geo.schema import storage_srid

    return storage_srid(conn)


def _level_or_404(conn: Connection, level_code: str) -> Level:
    level = get_level(conn, level_code)
    if level is None:
        raise not_found(f"unknown collection {level_code!r}",
                        available=[lv.code for lv in list_levels(conn)])
    return level


@router.get("/collections", summary="Area levels as feature collections")
def collections(request: Request, conn: Conn, f: Format = None):
    base = base_url(request)
    body = {
        "links": [link(f"{base}/collections", "self", JSON), link(f"{base}/collections?f=html", "alternate", HTML)],
        "collections": [_collection(conn, level, base) for level in list_levels(conn)],
    }
    if wants_html(request, f):
        return render("collections.html", request, page_title="Raumebenen", body=body)
    return json_response(body)


@router.get("/collections/{collection_id}", summary="One area level")
def collection(request: Request, conn: Conn, collection_id: str, f: Format = None):
    level = _level_or_404(conn, collection_id)
    body = _collection(conn, level, base_url(request))
    if wants_html(request, f):
        return render("collection.html", request, page_title=level.plural_de, collection=body)
    return json_response(body)


def _parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise bad_request("bbox needs 4 numbers: minLon,minLat,maxLon,maxLat", parameter="bbox")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise bad_request(f"bbox {text!r} contains something that is not a number", parameter="bbox") from None
    if any(v != v or v in (float("inf"), float("-inf")) for v in values):
        raise bad_request("bbox contains NaN or infinity", parameter="bbox")
    minx, miny, maxx, maxy = values
    if minx > maxx or miny > maxy:
        raise bad_request("bbox corners are in the wrong order: minLon,minLat,maxLon,maxLat", parameter="bbox")
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise bad_request("bbox is outside lon/lat range (CRS84)", parameter="bbox")
    return values  # type: ignore[return-value]


def _period_or_404(conn: Connection, level: str, requested: str | None, unsuppressed: bool) -> date | None:
    try:
        return resolve_period(conn, level, requested, unsuppressed=unsuppressed)
    except PeriodNotFound as exc:
        if not exc.available and requested is None:
            return None
        raise not_found(f"no data for period {exc.requested!r} on level {level!r}",
                        available_periods=[p.isoformat() for p in exc.available]) from None


@router.get("/collections/{collection_id}/items", summary="Areas of a level with indicator values (GeoJSON)")
def items(
    request: Request,
    conn: Conn,
    caller: Caller,
    collection_id: str,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Features per page (1-10,000).")] = 10,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Features to skip.")] = 0,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat in CRS84.")] = None,
    period: Annotated[str | None, Query(description="Reference date (2020-12-31) or year; default: latest.")] = None,
    datetime: Annotated[str | None, Query(description="OGC alias of period.")] = None,
    f: Format = None,
):
    level = _level_or_404(conn, collection_id)
    bounds = _parse_bbox(bbox)
    chosen = _period_or_404(conn, level.code, period or datetime, caller.sees_unsuppressed)
    query = FeatureQuery(level=level.code, at=boundary_date_for(conn, level.code, chosen), limit=limit,
                         offset=offset, bbox=bounds)
    matched = count_features(conn, query)
    if offset > matched:
        raise bad_request(f"offset {offset} is beyond the {matched} matching features", parameter="offset")
    texts = list(feature_texts(conn, query, period_properties_sql(caller.sees_unsuppressed), {"period": chosen}))
    base = base_url(request)
    links = _paging_links(request, base, collection_id, offset, limit, len(texts), matched)
    if wants_html(request, f):
        return render("items.html", request, page_title=level.plural_de, level=level, period=chosen,
                      features=[orjson.loads(t) for t in texts], matched=matched, links=links)
    head = {"type": "FeatureCollection", "numberMatched": matched, "numberReturned": len(texts),
            "timeStamp": None, "period": chosen.isoformat() if chosen else None, "links": links}
    head_json = orjson.dumps({k: v for k, v in head.items() if v is not None}).decode()
    body = head_json[:-1] + ',"features":[' + ",".join(texts) + "]}"
    return Response(body, media_type=GEOJSON, headers={"Content-Crs": f"<{CRS84}>"})


def _paging_links(request: Request, base: str, collection_id: str, offset: int, limit: int, returned: int,
                  matched: int) -> list[dict]:
    params = dict(request.query_params)
    params.pop("f", None)

    def url(new_offset: int, fmt: str | None = None) -> str:
        query = {**params, "offset": str(new_offset), "limit": str(limit), **({"f": fmt} if fmt else {})}
        return f"{base}/collections/{collection_id}/items?" + "&".join(f"{k}={v}" for k, v in query.items())

    links = [link(url(offset), "self", GEOJSON), link(url(offset, "html"), "alternate", HTML),
             link(f"{base}/collections/{collection_id}", "collection", JSON)]
    if offset + returned < matched:
        links.append(link(url(offset + limit), "next", GEOJSON))
    if offset > 0:
        links.append(link(url(max(0, offset - limit)), "prev", GEOJSON))
    return links


@router.get("/collections/{collection_id}/items/{feature_id}", summary="One area with its indicator values")
def item(request: Request, conn: Conn, caller: Caller, collection_id: str, feature_id: str,
         period: Annotated[str | None, Query(description="Reference date or year; default: latest.")] = None,
         datetime: Annotated[str | None, Query(description="OGC alias of period.")] = None,
         f: Format = None):
    level = _level_or_404(conn, collection_id)
    chosen = _period_or_404(conn, level.code, period or datetime, caller.sees_unsuppressed)
    query = FeatureQuery(level=level.code, at=boundary_date_for(conn, level.code, chosen), limit=1)
    texts = list(feature_texts(conn, query, period_properties_sql(caller.sees_unsuppressed), {"period": chosen},
                               key=feature_id))
    if not texts:
        raise not_found(f"no area {feature_id!r} in collection {collection_id!r}")
    base = base_url(request)
    if wants_html(request, f):
        return render("item.html", request, page_title=feature_id, level=level, period=chosen,
                      feature=orjson.loads(texts[0]))
    feature = orjson.loads(texts[0])
    feature["links"] = [link(f"{base}/collections/{collection_id}/items/{feature_id}", "self", GEOJSON),
                        link(f"{base}/collections/{collection_id}", "collection", JSON)]
    return json_response(feature, media_type=GEOJSON, headers={"Content-Crs": f"<{CRS84}>"})
