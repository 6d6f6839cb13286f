"""Point layers (facilities) and grid layers (Zensus-style), and their counts and sums per area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from geo.grid import grid_to_areas, list_grid_layers
from geo.points import list_point_layers, points_outside, points_per_area
from indicators.values import boundary_date_for
from service.formats import TABLE_FORMATS, Format, table_response
from service.http import json_response
from service.params import Level
from service.routes.cached import Conn, cached_response, cached_result

router = APIRouter(tags=["aggregation"])


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

    result, hit = cached_result(conn, "points", compute, layer=layer, level=level, fields=fields)
    if fmt in TABLE_FORMATS:
        columns = ["key", "name", "count"] + [f"{n}_sum" for n in fields] + [f"{n}_not_numeric" for n in fields]
        return table_response(fmt, result["items"], columns, f"{layer}_{level}")
    return cached_response(result, hit)


@router.get("/api/layers/grid", summary="Grid layers (Zensus-style)")
def grid_layers(conn: Conn):
    items = list_grid_layers(conn)
    return json_response({"count": len(items), "items": items})


GRID_COLUMNS = ["key", "name", "cells", "value", "suppressed_cells", "uncertain_cells", "value_is_lower_bound"]


@router.get("/api/aggregate/grid", summary="Sum of a grid variable per area (cell centre in area)",
            description="Cells kept secret by the publisher are counted (suppressed_cells), never summed; a sum that "
                        "misses one is marked value_is_lower_bound. Cells published in parentheses (KLAMMERN) are "
                        "summed and counted (uncertain_cells).")
def aggregate_grid(conn: Conn, level: Level, fmt: Format, layer: str, variable: str):
    at = boundary_date_for(conn, level, None)
    result, hit = cached_result(conn, "grid", lambda: grid_to_areas(conn, layer, variable, level, at), layer=layer,
                          variable=variable, level=level)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, result["items"], GRID_COLUMNS, f"{layer}_{variable}_{level}")
    return cached_response(result, hit)
