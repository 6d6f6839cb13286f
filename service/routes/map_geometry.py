"""The drawn geometry of a level for the service's own map pages (GET /maps/geometry/{level}).

A map page carries its values and colours; the shapes come from here, the same for every indicator, period
and class scheme of a level, so a browser loads them once and revalidates them (ETag) after that. Public:
boundaries and names are published anyway (OGC API collections); no value is part of this answer.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.engine import Connection
from starlette.responses import Response

from geo.features import boundary_versions
from geo.levels import require_level
from service.errors import not_found
from service.http import GEOJSON, read_connection
from web.maps import GEOMETRY_DETAILS, drawn_geometry

router = APIRouter(tags=["pages"])
Conn = Annotated[Connection, Depends(read_connection)]


@router.get("/maps/geometry/{level}", summary="Drawn geometry of a level for the map pages (GeoJSON)",
            response_class=Response, responses={200: {"content": {GEOJSON: {}}}})
def map_geometry(request: Request, conn: Conn, level: str,
                 at: Annotated[date, Query(description="Boundary version (its valid_from date).")],
                 detail: Annotated[str, Query(pattern="^(" + "|".join(GEOMETRY_DETAILS) + ")$",
                                              description="map (simplified), outline (coarser) or full.")] = "map",
                 v: Annotated[int | None, Query(ge=0, description="data_version the page was made for "
                                                                  "(names the answer for caches only).")] = None):
    require_level(conn, level)  # unknown: 404 through the error table, naming the levels that exist
    if at not in boundary_versions(conn, level):
        raise not_found(f"level {level!r} has no boundary version valid from {at.isoformat()}", parameter="at")
    holder = getattr(request.app.state, "data_version", None)
    version = getattr(holder, "value", None)
    body = drawn_geometry(conn, level, at, request.app.state.settings.storage_srid, detail, version)
    return Response(body, media_type=GEOJSON)
