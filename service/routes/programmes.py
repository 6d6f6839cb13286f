"""Programmes (areas or a polygon, a start date) and their evaluation (difference in differences)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from starlette.responses import Response

from geo.aggregation import parse_target
from geo.levels import require_level
from indicators.programmes import (
    EVALUATION_CSV_FIELDS,
    ProgrammeDefinition,
    create_programme,
    evaluate_programme,
    evaluation_rows,
    list_programmes,
)
from service.audit import record
from service.auth import Principal, require_role
from service.errors import ProblemError
from service.formats import TABLE_FORMATS, offers, table_response
from service.http import json_response
from service.params import parse_date
from service.routes.cached import Caller, Conn, cached_response, cached_result
from web.aggregation_views import evaluation_chart
from web.templates import render

router = APIRouter(tags=["aggregation"])


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
    start = parse_date(str(body.get("start_date")) if body.get("start_date") is not None else None, "start_date")
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
    result, hit = cached_result(conn, "programme", lambda: evaluate_programme(conn, programme_id,
                                                                        caller.sees_unsuppressed),
                          programme=programme_id, unsuppressed=caller.sees_unsuppressed)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, evaluation_rows(result), EVALUATION_CSV_FIELDS, f"evaluation_{programme_id}")
    if fmt == "html":
        return render("programme_evaluation.html", request, page_title=f"Evaluation {result['programme']['name']}",
                      result=result)
    return cached_response(result, hit)


@router.get("/api/programmes/{programme_id}/evaluation.svg", summary="Chart of the programme evaluation (SVG)",
            response_class=Response)
def programme_chart(conn: Conn, caller: Caller, programme_id: str):
    result, _hit = cached_result(conn, "programme", lambda: evaluate_programme(conn, programme_id,
                                                                         caller.sees_unsuppressed),
                           programme=programme_id, unsuppressed=caller.sees_unsuppressed)
    return Response(evaluation_chart(result), media_type="image/svg+xml")
