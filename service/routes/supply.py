"""Supply ratios per area (e.g. places per 100 children) as data and as a map."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from indicators.supply import SupplyRequest, supply_per_area
from service.auth import Principal
from service.errors import ProblemError
from service.formats import TABLE_FORMATS, Format, table_response
from service.http import HTML
from service.params import Level, parse_date
from service.routes.cached import Caller, Conn, cached_response, cached_result
from web.aggregation_views import supply_map_page as supply_map_html

router = APIRouter(tags=["aggregation"])


def _supply_request(caller: Principal, layer: str | None, capacity: str | None, population: str | None,
                    period: str | None, level: str | None, per: float) -> SupplyRequest:
    if not (0 < per <= 100_000):
        raise ProblemError(400, "Bad Request", f"per {per} must be above 0 and at most 100,000", field="per")
    return SupplyRequest(layer, capacity, population, parse_date(period, "period"), level, per,
                         caller.sees_unsuppressed)


SupplyLayer = Annotated[str | None, Query(description="Point layer (default: the first that declares a capacity).")]
SupplyCapacity = Annotated[str | None, Query(description="Capacity attribute (default: the layer's declared one).")]
SupplyPopulation = Annotated[str | None, Query(description="Count indicator of the population served (default: the "
                                                          "one the layer serves, else the level's population).")]


@router.get("/api/aggregate/supply", summary="Supply ratio per area, e.g. Kita places per 100 children under 6")
def supply(conn: Conn, caller: Caller, level: Level, fmt: Format, layer: SupplyLayer = None,
           capacity: SupplyCapacity = None, population: SupplyPopulation = None, period: str | None = None,
           per: float = 100):
    request = _supply_request(caller, layer, capacity, population, period, level, per)
    result, hit = cached_result(conn, "supply", lambda: supply_per_area(conn, request), request=request.__dict__)
    if fmt in TABLE_FORMATS:
        fields = ["key", "name", "facilities", "capacity", "population", "population_flag", "supply", "flag"]
        return table_response(fmt, result["items"], fields, f"versorgung_{result['layer']}_{result['level']}")
    return cached_response(result, hit)


@router.get("/maps/supply", summary="Map of a supply ratio per area (HTML)", response_class=Response)
def supply_map_page(request: Request, conn: Conn, caller: Caller, level: Level, layer: SupplyLayer = None,
                    capacity: SupplyCapacity = None, population: SupplyPopulation = None,
                    period: str | None = None, per: float = 100):
    supply_request = _supply_request(caller, layer, capacity, population, period, level, per)
    result, _hit = cached_result(conn, "supply", lambda: supply_per_area(conn, supply_request),
                                 request=supply_request.__dict__)
    html = supply_map_html(conn, result, tile_url=request.app.state.settings.map_tiles or None)
    return Response(html, media_type=HTML)
