"""Estimates for any area (areal interpolation): a polygon, a radius around a point, the catchments of the
facilities of a point layer. Public queries are held to cost limits; small targets are refused
(statistical confidentiality of small groups)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy.engine import Connection

from geo.aggregation import CostLimits, check_cost, circle_target, current_version, parse_target, stored_target
from geo.crs import FORMS_TEXT
from geo.levels import finest_level
from indicators.interpolation import InterpolationRequest, interpolate
from indicators.supply import CatchmentRequest, catchments
from service.auth import Principal
from service.errors import ProblemError
from service.formats import TABLE_FORMATS, Format, table_response
from service.params import OptionalLevel, parse_date
from service.routes.cached import Caller, Conn, cached_response, cached_result

router = APIRouter(tags=["aggregation"])
# Targets with fewer estimated inhabitants are refused (statistical confidentiality of small groups).
MIN_POPULATION = 100.0


def _cost_limits(request: Request, caller: Principal) -> CostLimits:
    """Public queries are held to the configured limits; a token buys ten times the complexity."""
    settings = request.app.state.settings
    if caller.role == "anonymous":
        return CostLimits(settings.public_max_vertices, settings.public_max_area_km2,
                          settings.public_max_intersections)
    return CostLimits(max_intersections=settings.public_max_intersections * 10)


def _check_cost(conn: Connection, target, level: str | None, limits: CostLimits) -> None:
    source = level or finest_level(conn)
    check_cost(conn, target, source, current_version(conn, source), limits)


@router.post("/api/aggregate/polygon", summary="Estimates of all indicators for any polygon (areal interpolation)")
def aggregate_polygon(
    http: Request, conn: Conn, caller: Caller,
    body: Annotated[dict | None, Body(description="GeoJSON Polygon/MultiPolygon geometry or Feature (CRS84 unless "
                                                  "a crs member or the crs parameter says otherwise), or "
                                                  '{"layer": "...", "key": "..."} for a stored polygon.')] = None,
    crs: Annotated[str | None, Query(description="CRS of the coordinates: CRS84 (default), EPSG:4326, EPSG:25832, "
                                                 f"EPSG:25833 or EPSG:3035, written as {FORMS_TEXT}.")] = None,
    level: OptionalLevel = None,
):
    if body is None:
        raise ProblemError(400, "Bad Request", "send a GeoJSON polygon as the JSON body", field="geometry")
    limits = _cost_limits(http, caller)
    if "layer" in body and "type" not in body:
        target = stored_target(conn, str(body.get("layer")), str(body.get("key")))
    else:
        target = parse_target(conn, body, crs, limits)
    _check_cost(conn, target, level, limits)
    request = InterpolationRequest(target, level, caller.sees_unsuppressed, MIN_POPULATION)
    result, hit = cached_result(conn, "polygon", lambda: interpolate(conn, request), wkb=target.wkb, level=level,
                          unsuppressed=caller.sees_unsuppressed, notes=target.notes, source=target.source)
    return cached_response(result, hit)


@router.get("/api/aggregate/radius", summary="Estimates within a radius (metres) around a point")
def aggregate_radius(
    http: Request, conn: Conn, caller: Caller,
    x: Annotated[float, Query(description="Longitude (CRS84) or easting.")],
    y: Annotated[float, Query(description="Latitude (CRS84) or northing.")],
    radius: Annotated[float, Query(description="Radius in metres (storage CRS), above 0 and at most 50,000.")],
    crs: Annotated[str | None, Query(description="CRS of x/y (default CRS84).")] = None,
    level: OptionalLevel = None,
):
    target = circle_target(conn, x, y, radius, crs)
    _check_cost(conn, target, level, _cost_limits(http, caller))
    request = InterpolationRequest(target, level, caller.sees_unsuppressed, MIN_POPULATION)
    result, hit = cached_result(conn, "radius", lambda: interpolate(conn, request), x=x, y=y, radius=radius, crs=crs,
                          level=level, unsuppressed=caller.sees_unsuppressed)
    return cached_response(result, hit)


@router.get("/api/aggregate/catchments", summary="Population within a radius around each facility of a layer")
def aggregate_catchments(
    conn: Conn, caller: Caller, fmt: Format,
    layer: Annotated[str, Query(description="Point layer, e.g. kitas.")],
    radius: Annotated[float, Query(description="Radius in metres, above 0 and at most 50,000.")],
    indicator: Annotated[str | None, Query(description="Count indicator to estimate (default: the level's "
                                           "population count).")] = None,
    period: str | None = None,
    capacity: Annotated[str | None, Query(description="Capacity attribute, e.g. e_platz.")] = None,
):
    request = CatchmentRequest(layer, radius, indicator, parse_date(period, "period"), capacity,
                               unsuppressed=caller.sees_unsuppressed, min_population=MIN_POPULATION)
    result, hit = cached_result(conn, "catchments", lambda: catchments(conn, request), request=request.__dict__)
    if fmt in TABLE_FORMATS:
        fields = ["key", "name", "population", "flag", "coverage", "areas", "areas_missing", "capacity", "supply"]
        return table_response(fmt, result["items"], fields, f"einzugsbereiche_{layer}_{radius:g}m")
    return cached_response(result, hit)
