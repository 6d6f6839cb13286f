"""What the index and hot-spot routes share: the index a request names (404 with the ones that exist), the
period with results, a GeoJSON FeatureCollection from feature texts, and the map settings."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from sqlalchemy.engine import Connection
from starlette.responses import Response

from indicators.index_definitions import StoredDefinition, get_definition, list_definitions
from indicators.index_results import list_index_periods
from service.auth import Principal, current_principal
from service.errors import not_found
from service.http import GEOJSON, connection

Conn = Annotated[Connection, Depends(connection)]
Caller = Annotated[Principal, Depends(current_principal)]
MAP_SIMPLIFY_M = 5.0
MAP_PRECISION = 5


def definition_or_404(conn: Connection, caller: Principal, index_id: str) -> StoredDefinition:
    stored = get_definition(conn, index_id)
    if stored is None or (not stored.published and not caller.has("editor")):
        raise not_found(f"there is no index {index_id!r}; GET /api/indices lists them",
                        available=[d.id for d in list_definitions(conn) if d.published or caller.has("editor")])
    return stored


def index_period(conn: Connection, index_id: str, level: str, requested: str | None) -> date:
    """The period meant by a date, a year or nothing (latest) among the periods with a run; else 404."""
    available = list_index_periods(conn, index_id, level)
    if requested is None or requested == "latest":
        if available:
            return available[0]
    else:
        text = requested.strip()
        for period in available:
            if text == period.isoformat() or text == str(period.year):
                return period
    raise not_found(f"index {index_id!r} has no results for level {level!r}"
                    + (f" and period {requested!r}" if requested else "") + "; the periods that exist are listed",
                    available=[p.isoformat() for p in available])


def feature_collection(texts, extra: dict[str, Any]) -> Response:
    head = orjson.dumps({"type": "FeatureCollection", **extra}).decode()[:-1]
    body = head + ',"features":[' + ",".join(texts) + "]}"
    return Response(body, media_type=GEOJSON)


def map_tiles(request: Request) -> str | None:
    return request.app.state.settings.map_tiles or None
