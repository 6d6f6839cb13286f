"""The OpenAPI document as GIS clients read it: FastAPI's document (OpenAPI 3.1.0) plus one path per collection
(`/collections/{level}/items`) that lists the collection's queryables as query parameters, so GDAL's and QGIS's
OAPIF drivers see which properties the server filters on and send `-where` conditions as parameters instead of
downloading everything. Served as `application/vnd.oai.openapi+json;version=3.1` to clients that accept it,
else as `application/json` (GDAL asks for the 3.0 media type or JSON and refuses any other).
"""

from __future__ import annotations

import copy

from fastapi import FastAPI, Request
from starlette.responses import Response

from service.collections import Catalog
from service.http import JSON, caller, json_response, preferred

OPENAPI_31 = "application/vnd.oai.openapi+json;version=3.1"
ITEMS = "/collections/{collection_id}/items"


def collection_paths(document: dict, catalog: Catalog, unsuppressed: bool) -> dict:
    """One items path per collection: the generic operation with the collection fixed and its queryables added."""
    generic = document.get("paths", {}).get(ITEMS, {}).get("get")
    if generic is None:
        return {}
    paths = {}
    for code, level in catalog.levels().items():
        operation = copy.deepcopy(generic)
        operation["operationId"] = f"items_{code}"
        operation["summary"] = f"{level.plural_de}: Gebiete mit Indikatorwerten (GeoJSON)"
        parameters = [p for p in operation.get("parameters", []) if p.get("name") != "collection_id"]
        named = {p.get("name") for p in parameters}
        selection = catalog.select(code, None, unsuppressed)
        rows = catalog.queryables(selection)
        if selection.properties_sql is None:
            rows = [q for q in rows if q["name"] in ("key", "name", "parent_key")]
        for queryable in rows:
            if queryable["name"] in named:
                continue
            parameters.append({
                "name": queryable["name"], "in": "query", "required": False, "style": "form", "explode": False,
                "description": f"Gleichheitsfilter / equality filter: {queryable['title'] or queryable['name']}",
                "schema": {"type": queryable["type"]},
            })
        operation["parameters"] = parameters
        paths[f"/collections/{code}/items"] = {"get": operation}
    return paths


def install_openapi(app: FastAPI) -> None:
    """Replace FastAPI's document route by one that adds the collections' paths and negotiates the media type."""
    url = app.openapi_url
    app.router.routes = [route for route in app.router.routes if getattr(route, "path", None) != url]

    async def openapi_document(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        who = await caller(request)
        document = dict(app.openapi())

        def build() -> dict:
            return collection_paths(document, Catalog(request), who.sees_unsuppressed)

        document["paths"] = {**document.get("paths", {}), **await run_in_threadpool(build)}
        media = preferred(request.headers.get("accept"), (OPENAPI_31, JSON)) or JSON
        return json_response(document, media_type=media)

    app.add_api_route(url, openapi_document, methods=["GET"], include_in_schema=False)
