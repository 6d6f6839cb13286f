"""Aggregation over HTTP: roll-up rules, any polygon, radius and catchments, points and grids to areas, supply
indicators and their map, programme evaluation. Thin: parse, call one domain function, shape the response.

Every bad input answers 4xx problem+json naming the field (`field`), never 500.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import orjson
import pandas as pd
from fastapi import APIRouter, Body, Depends, Query, Request
from sqlalchemy.engine import Connection
from starlette.responses import Response

from geo.aggregation import (CostLimits, cache_key, cached, check_cost, circle_target, current_version,
                             parse_target, stored_target)
from geo.crs import FORMS_TEXT
from geo.features import FeatureQuery, feature_texts, level_extent
from geo.grid import grid_to_areas, list_grid_layers
from geo.levels import finest_level, require_level
from geo.points import list_point_layers, points_feature_collection, points_outside, points_per_area
from indicators.classify import classify
from indicators.interpolation import InterpolationRequest, interpolate
from indicators.programmes import (
    EVALUATION_CSV_FIELDS,
    ProgrammeDefinition,
    create_programme,
    evaluate_programme,
    evaluation_rows,
    list_programmes,
)
from indicators.rollup import list_derivations
from indicators.supply import CatchmentRequest, SupplyRequest, catchments, supply_per_area
from indicators.values import boundary_date_for
from service.audit import record
from service.auth import Principal, current_principal, require_role
from service.errors import ProblemError
from service.formats import TABLE_FORMATS, Format, all_fields, offers, table_response
from service.http import HTML, connection, json_response
from service.params import DerivedLevel, Level, OptionalLevel
from web.aggregation_views import evaluation_chart, supply_map
from web.templates import render

router = APIRouter(tags=["aggregation"])
Conn = Annotated[Connection, Depends(connection)]
Caller = Annotated[Principal, Depends(current_principal)]
# Targets with fewer estimated inhabitants are refused (statistical confidentiality of small groups).
MIN_POPULATION = 100.0
SUPPLY_TITLES = {("kitas", "e_platz", "EW_U6", 100): "Kita-Plätze je 100 Kinder unter 6 Jahren"}


def _date(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ProblemError(400, "Bad Request", f"{field} {text!r} is not a date: write YYYY-MM-DD",
                           field=field) from None


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


def _cached(conn: Connection, kind: str, compute, **request: Any) -> tuple[Any, bool]:
    """Expensive results, cached per request and data_version; the cache row is committed at once."""
    result, hit = cached(conn, cache_key(kind, **request), compute)
    conn.commit()
    return result, hit


def _respond(result: Any, hit: bool) -> Response:
    return json_response(result, headers={"X-Cache": "hit" if hit else "miss"})


# -- roll-up rules ------------------------------------------------------------------------------
@router.get("/api/aggregate/derivations", summary="How the values of a level were derived (roll-up rules)")
def derivations(conn: Conn, caller: Caller, level: DerivedLevel, fmt: Format,
                indicator: str | None = None, period: str | None = None):
    rows = list_derivations(conn, level, indicator, _date(period, "period"), caller.sees_unsuppressed)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, rows, all_fields(rows) or ["key"], f"ableitungen_{level}")
    return json_response({"level": level, "count": len(rows), "items": rows,
                          "rules": {"sum": "counts added up", "ratio_of_sums": "scale * sum(numerators) / "
                                    "sum(denominators)", "weighted_mean": "population-weighted mean of the shares "
                                    "(weight_indicator at weight_period)", "difference": "difference of the rolled-up "
                                    "values at period and base_period"}})


# -- any polygon -------------------------------------------------------------------------------
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
    result, hit = _cached(conn, "polygon", lambda: interpolate(conn, request), wkb=target.wkb, level=level,
                          unsuppressed=caller.sees_unsuppressed, notes=target.notes, source=target.source)
    return _respond(result, hit)


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
    result, hit = _cached(conn, "radius", lambda: interpolate(conn, request), x=x, y=y, radius=radius, crs=crs,
                          level=level, unsuppressed=caller.sees_unsuppressed)
    return _respond(result, hit)


@router.get("/api/aggregate/catchments", summary="Population within a radius around each facility of a layer")
def aggregate_catchments(
    conn: Conn, caller: Caller, fmt: Format,
    layer: Annotated[str, Query(description="Point layer, e.g. kitas.")],
    radius: Annotated[float, Query(description="Radius in metres, above 0 and at most 50,000.")],
    indicator: Annotated[str, Query(description="Count indicator to estimate, e.g. EW or EW_U6.")] = "EW",
    period: str | None = None,
    capacity: Annotated[str | None, Query(description="Capacity attribute, e.g. e_platz.")] = None,
):
    request = CatchmentRequest(layer, radius, indicator, _date(period, "period"), capacity,
                               unsuppressed=caller.sees_unsuppressed, min_population=MIN_POPULATION)
    result, hit = _cached(conn, "catchments", lambda: catchments(conn, request), request=request.__dict__)
    if fmt in TABLE_FORMATS:
        fields = ["key", "name", "population", "flag", "coverage", "areas", "areas_missing", "capacity", "supply"]
        return table_response(fmt, result["items"], fields, f"einzugsbereiche_{layer}_{radius:g}m")
    return _respond(result, hit)


# -- points ------------------------------------------------------------------------------------
@router.get("/api/layers/points", summary="Point layers (facilities)")
def point_layers(conn: Conn):
    items = list_point_layers(conn)
    return json_response({"count": len(items), "items": items})


@router.get("/api/aggregate/points", summary="Number of points and sums of an attribute per area")
def aggregate_points(
    conn: Conn, level: Level, fmt: Format,
    layer: Annotated[str, Query(description="Point layer, e.g. kitas.")],
    sum_fields: Annotated[list[str] | None, Query(alias="sum", description="Numeric attribute(s) to sum, "
                                                                          "e.g. e_platz.")] = None,
):
    fields = sum_fields or []
    at = boundary_date_for(conn, level, None)

    def compute() -> dict:
        items = points_per_area(conn, layer, level, at, fields)
        return {"layer": layer, "level": level, "boundary_version": at.isoformat(), "sums": fields,
                "points_outside": points_outside(conn, layer, level, at), "count": len(items), "items": items}

    result, hit = _cached(conn, "points", compute, layer=layer, level=level, fields=fields)
    if fmt in TABLE_FORMATS:
        columns = ["key", "name", "count"] + [f"{n}_sum" for n in fields] + [f"{n}_not_numeric" for n in fields]
        return table_response(fmt, result["items"], columns, f"{layer}_{level}")
    return _respond(result, hit)


# -- supply ------------------------------------------------------------------------------------
def _supply_request(caller: Principal, layer: str, capacity: str, population: str, period: str | None, level: str,
                    per: float) -> SupplyRequest:
    if not (0 < per <= 100_000):
        raise ProblemError(400, "Bad Request", f"per {per} must be above 0 and at most 100,000", field="per")
    return SupplyRequest(layer, capacity, population, _date(period, "period"), level, per, caller.sees_unsuppressed)


SupplyLayer = Annotated[str, Query(description="Point layer.")]
SupplyCapacity = Annotated[str, Query(description="Capacity attribute.")]
SupplyPopulation = Annotated[str, Query(description="Count indicator of the population served.")]


@router.get("/api/aggregate/supply", summary="Supply ratio per area, e.g. Kita places per 100 children under 6")
def supply(conn: Conn, caller: Caller, level: Level, fmt: Format, layer: SupplyLayer = "kitas",
           capacity: SupplyCapacity = "e_platz", population: SupplyPopulation = "EW_U6", period: str | None = None,
           per: float = 100):
    request = _supply_request(caller, layer, capacity, population, period, level, per)
    result, hit = _cached(conn, "supply", lambda: supply_per_area(conn, request), request=request.__dict__)
    if fmt in TABLE_FORMATS:
        fields = ["key", "name", "facilities", "capacity", "population", "population_flag", "supply", "flag"]
        return table_response(fmt, result["items"], fields, f"versorgung_{layer}_{level}")
    return _respond(result, hit)


@router.get("/maps/supply", summary="Map of a supply ratio per area (HTML)", response_class=Response)
def supply_map_page(request: Request, conn: Conn, caller: Caller, level: Level, layer: SupplyLayer = "kitas",
                    capacity: SupplyCapacity = "e_platz", population: SupplyPopulation = "EW_U6",
                    period: str | None = None, per: float = 100):
    supply_request = _supply_request(caller, layer, capacity, population, period, level, per)
    result, _hit = _cached(conn, "supply", lambda: supply_per_area(conn, supply_request),
                           request=supply_request.__dict__)
    at = date.fromisoformat(result["boundary_version"])
    by_key = {item["key"]: item for item in result["items"]}
    texts = feature_texts(conn, FeatureQuery(level=level, at=at, limit=100_000, precision=5, simplify_m=5.0),
                          "SELECT NULL::bigint AS area_id, NULL::jsonb AS properties WHERE false")
    features = []
    for text in texts:
        feature = orjson.loads(text)
        item = by_key.get(feature["id"], {})
        value = item.get("supply")
        feature["properties"].update({
            "supply": value, "wert": "kein Wert" if value is None else f"{value:.1f}".replace(".", ","),
            "plaetze": f"{item.get('capacity', 0):.0f}", "kinder": "–" if item.get("population") is None
            else f"{item['population']:.0f}"})
        features.append(feature)
    values = pd.Series([i["supply"] for i in result["items"] if i["supply"] is not None], dtype=float)
    breaks = list(classify(values, "quantiles", k=5).bins[:-1]) if len(values) >= 5 else []
    points = points_feature_collection(conn, layer, capacity)
    reference = date.fromisoformat(result["population_period"]).strftime("%d.%m.%Y")
    title = SUPPLY_TITLES.get((layer, capacity, population, per), f"Plätze ({layer}) je {per:g} {population}")
    title = f"{title}, {reference}"
    html = supply_map({"type": "FeatureCollection", "features": features}, title=title, breaks=breaks,
                      points=points, tile_url=request.app.state.settings.map_tiles or None,
                      bounds=level_extent(conn, level, at))
    return Response(html, media_type=HTML)


# -- grid --------------------------------------------------------------------------------------
@router.get("/api/layers/grid", summary="Grid layers (Zensus-style)")
def grid_layers(conn: Conn):
    items = list_grid_layers(conn)
    return json_response({"count": len(items), "items": items})


@router.get("/api/aggregate/grid", summary="Sum of a grid variable per area (cell centre in area)")
def aggregate_grid(conn: Conn, level: Level, fmt: Format, layer: str, variable: str):
    at = boundary_date_for(conn, level, None)
    result, hit = _cached(conn, "grid", lambda: grid_to_areas(conn, layer, variable, level, at), layer=layer,
                          variable=variable, level=level)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, result["items"], ["key", "name", "cells", "value"], f"{layer}_{variable}_{level}")
    return _respond(result, hit)


# -- programmes --------------------------------------------------------------------------------
@router.get("/api/programmes", summary="Programmes (areas or polygon, start date)")
def programmes(conn: Conn):
    items = list_programmes(conn)
    return json_response({"count": len(items), "items": items})


@router.post("/api/programmes", summary="Define a programme by areas or a polygon and a start date", status_code=201)
def programme_create(
    request: Request,
    principal: Annotated[Principal, Depends(require_role("editor"))],
    body: Annotated[dict, Body(description='{"id", "name", "start_date", and "area_keys" (+ "level") or "geometry" '
                                           '(GeoJSON, + "crs") or "polygon_layer" + "polygon_key"}')],
):
    start = _date(str(body.get("start_date")) if body.get("start_date") is not None else None, "start_date")
    if start is None:
        raise ProblemError(400, "Bad Request", "start_date is required (YYYY-MM-DD)", field="start_date")
    keys = body.get("area_keys")
    if keys is not None and (not isinstance(keys, list) or not all(isinstance(k, str) for k in keys)):
        raise ProblemError(400, "Bad Request", "area_keys must be a list of key strings", field="area_keys")
    definition = ProgrammeDefinition(str(body.get("id", "")), str(body.get("name", "")), start,
                                     body.get("level"), tuple(keys) if keys else None, body.get("polygon_layer"),
                                     body.get("polygon_key"))
    with request.app.state.engine.begin() as conn:
        if definition.level is not None:
            require_level(conn, definition.level)
        wkb = srid = None
        if body.get("geometry") is not None:
            target = parse_target(conn, body["geometry"], body.get("crs"))
            wkb, srid = target.wkb, target.srid
        created = create_programme(conn, definition, principal.name, wkb, srid)
        record(conn, principal, "create", "programme", definition.id, after=created)
    return json_response(created, status=201)


@router.get("/api/programmes/{programme_id}/evaluation",
            summary="Difference in differences: programme vs. rest of the city and matched areas")
def programme_evaluation(request: Request, conn: Conn, caller: Caller, programme_id: str,
                         fmt: Annotated[str, offers("json", *TABLE_FORMATS, "html")]):
    result, hit = _cached(conn, "programme", lambda: evaluate_programme(conn, programme_id,
                                                                        caller.sees_unsuppressed),
                          programme=programme_id, unsuppressed=caller.sees_unsuppressed)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, evaluation_rows(result), EVALUATION_CSV_FIELDS, f"evaluation_{programme_id}")
    if fmt == "html":
        return render("programme_evaluation.html", request, page_title=f"Evaluation {result['programme']['name']}",
                      result=result)
    return _respond(result, hit)


@router.get("/api/programmes/{programme_id}/evaluation.svg", summary="Chart of the programme evaluation (SVG)",
            response_class=Response)
def programme_chart(conn: Conn, caller: Caller, programme_id: str):
    result, _hit = _cached(conn, "programme", lambda: evaluate_programme(conn, programme_id,
                                                                         caller.sees_unsuppressed),
                           programme=programme_id, unsuppressed=caller.sees_unsuppressed)
    return Response(evaluation_chart(result), media_type="image/svg+xml")
