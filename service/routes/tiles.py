"""OGC API - Tiles: vector tiles (MVT) of every area level in WebMercatorQuad, plus TileJSON for MapLibre.

Tile attributes are the same flat properties as the features of the period (`datetime`, default latest).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from geo.tiles import MAX_ZOOM, TileQuery, tile_bytes, web_mercator_quad
from service.auth import Principal
from service.collections import Catalog
from service.errors import bad_request, not_found
from service.http import JSON, base_url, caller, json_response, link

router = APIRouter(tags=["OGC API - Tiles"])
Caller = Annotated[Principal, Depends(caller)]
MVT = "application/vnd.mapbox-vector-tile"
TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
MIN_ZOOM_SERVED, MAX_ZOOM_SERVED = 0, 18
Datetime = Annotated[str | None, Query(description="Period of the attribute values; default latest.")]


@router.get("/tileMatrixSets", summary="Tile matrix sets offered")
def tile_matrix_sets(request: Request):
    base = base_url(request)
    return json_response({"tileMatrixSets": [{
        "id": TMS_ID, "title": "Google Maps Compatible for the World", "uri": TMS_URI,
        "links": [link(f"{base}/tileMatrixSets/{TMS_ID}", "self", JSON, TMS_ID)]}]})


@router.get("/tileMatrixSets/{tms_id}", summary="Definition of a tile matrix set")
def tile_matrix_set(tms_id: str):
    if tms_id != TMS_ID:
        raise not_found(f"tile matrix set {tms_id!r} is not offered; use {TMS_ID}")
    return json_response(web_mercator_quad())


def _tileset(request: Request, collection_id: str, datetime: str | None) -> dict:
    base = base_url(request)
    suffix = f"?{urlencode({'datetime': datetime})}" if datetime else ""
    url = f"{base}/collections/{collection_id}/tiles/{TMS_ID}"
    return {
        "title": f"{collection_id} ({TMS_ID})",
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": TMS_URI,
        "links": [
            link(url, "self", JSON, "Kachelsatz / tileset"),
            link(f"{base}/tileMatrixSets/{TMS_ID}", "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", JSON,
                 TMS_ID),
            {**link(f"{url}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}{suffix}", "item", MVT, "Kacheln / tiles"),
             "templated": True},
            link(f"{url}/tilejson.json{suffix}", "describedby", JSON, "TileJSON"),
        ],
        "tileMatrixSetLimits": [{"tileMatrix": str(z), "minTileRow": 0, "maxTileRow": 2 ** z - 1, "minTileCol": 0,
                                 "maxTileCol": 2 ** z - 1} for z in range(MIN_ZOOM_SERVED, MAX_ZOOM_SERVED + 1)],
        "layers": [{"id": collection_id, "dataType": "vector", "geometryType": "polygons"}],
    }


@router.get("/collections/{collection_id}/tiles", summary="Tilesets of a collection")
def tilesets(request: Request, collection_id: str, datetime: Datetime = None):
    Catalog(request).level(collection_id)
    tileset = _tileset(request, collection_id, datetime)
    return json_response({"tilesets": [{key: tileset[key] for key in ("title", "dataType", "crs", "tileMatrixSetURI",
                                                                       "links")}],
                          "links": [link(f"{base_url(request)}/collections/{collection_id}", "collection", JSON)]})


@router.get("/collections/{collection_id}/tiles/{tms_id}", summary="Vector tileset metadata")
def tileset(request: Request, collection_id: str, tms_id: str, datetime: Datetime = None):
    Catalog(request).level(collection_id)
    _check_tms(tms_id)
    return json_response(_tileset(request, collection_id, datetime))


@router.get("/collections/{collection_id}/tiles/{tms_id}/tilejson.json", summary="TileJSON 3.0 for MapLibre")
def tilejson(request: Request, who: Caller, collection_id: str, tms_id: str, datetime: Datetime = None):
    _check_tms(tms_id)
    catalog = Catalog(request)
    selection = catalog.select(collection_id, datetime, who.sees_unsuppressed)
    base = base_url(request)
    suffix = f"?{urlencode({'datetime': datetime})}" if datetime else ""
    extent = catalog.extent(selection.level.code, selection.at) or [-180, -85.05, 180, 85.05]
    fields = {q["name"]: q["title"] or q["type"] for q in catalog.queryables(selection)}
    return json_response({
        "tilejson": "3.0.0",
        "name": selection.level.plural_de,
        "description": f"{selection.level.plural_de}, Werte {selection.period or '–'}",
        "scheme": "xyz",
        "tiles": [f"{base}/collections/{collection_id}/tiles/{TMS_ID}/{{z}}/{{y}}/{{x}}{suffix}"],
        "minzoom": MIN_ZOOM_SERVED, "maxzoom": MAX_ZOOM_SERVED,
        "bounds": extent,
        "center": [round((extent[0] + extent[2]) / 2, 5), round((extent[1] + extent[3]) / 2, 5), 10],
        "vector_layers": [{"id": collection_id, "fields": fields, "minzoom": MIN_ZOOM_SERVED,
                           "maxzoom": MAX_ZOOM_SERVED}],
    })


def _check_tms(tms_id: str) -> None:
    if tms_id != TMS_ID:
        raise not_found(f"tile matrix set {tms_id!r} is not offered; use {TMS_ID}")


@router.get("/collections/{collection_id}/tiles/{tms_id}/{z}/{y}/{x}", summary="One vector tile (MVT)",
            response_class=Response, responses={200: {"content": {MVT: {}}}, 204: {"description": "empty tile"}})
def tile(request: Request, who: Caller, collection_id: str, tms_id: str,
         z: Annotated[int, Path(ge=0, le=MAX_ZOOM)], y: Annotated[int, Path(ge=0)], x: Annotated[int, Path(ge=0)],
         datetime: Datetime = None):
    _check_tms(tms_id)
    catalog = Catalog(request)
    selection = catalog.select(collection_id, datetime, who.sees_unsuppressed)
    query = TileQuery(selection.level.code, selection.at, z, x, y, selection.storage_srid)
    if not query.valid():
        raise bad_request(f"tile {z}/{y}/{x} is outside the tile matrix (row and column 0..{2 ** z - 1})",
                          parameter="tileRow/tileCol")
    data = catalog.run(lambda conn: tile_bytes(conn, query, selection.properties_sql, selection.params))
    if not data:
        return Response(status_code=204)
    return Response(data, media_type=MVT)
