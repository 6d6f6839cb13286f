"""Indicator catalogue and per-area values (JSON, CSV, HTML)."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.engine import Connection
from starlette.responses import Response

from geo.areas import find_areas, get_parent, list_children
from geo.levels import get_level, list_levels
from indicators.catalogue import list_indicators
from indicators.values import area_values
from service.auth import Principal, current_principal
from service.errors import ProblemError, not_found
from service.http import base_url, connection, json_response, wants_html
from web.templates import render

router = APIRouter(prefix="/api", tags=["indicators"])
Conn = Annotated[Connection, Depends(connection)]
CATALOGUE_FIELDS = ["code", "name_de", "name_en", "topic_code", "topic_name_de", "role", "kind", "unit",
                    "direction", "aggregation", "change_of", "description_de", "description_en", "rationale_de",
                    "rationale_en", "numerator_de", "denominator_de", "weight_indicator", "source", "reference_date",
                    "min_numerator", "min_denominator", "target_value", "target_year", "target_note", "catalogue"]


@router.get("/indicators", summary="The indicator catalogue")
def indicators(request: Request, conn: Conn,
               f: Annotated[str | None, Query(pattern="^(json|csv|html)$")] = None):
    items = [{k: item[k] for k in CATALOGUE_FIELDS} for item in list_indicators(conn)]
    if f == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CATALOGUE_FIELDS)
        writer.writeheader()
        writer.writerows(items)
        return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="indikatoren.csv"'})
    if wants_html(request, f):
        topics: dict[str, list[dict]] = {}
        for item in items:
            topics.setdefault(item["topic_name_de"] or "Ohne Handlungsfeld", []).append(item)
        return render("indicators.html", request, page_title="Indikatorenkatalog", topics=topics)
    return json_response({"indicators": items, "count": len(items)})


@router.get("/areas/{key}", summary="One area (current boundary version) with all its values")
def area(request: Request, conn: Conn, caller: Annotated[Principal, Depends(current_principal)], key: str,
         level: Annotated[str | None, Query(description="Area level, needed only when a key exists on two levels.")] = None):
    if level is not None and get_level(conn, level) is None:
        raise not_found(f"unknown level {level!r}", available=[lv.code for lv in list_levels(conn)])
    found = find_areas(conn, key, level)
    if not found:
        raise not_found(f"no area with key {key!r}" + (f" on level {level!r}" if level else ""))
    if len(found) > 1:
        raise ProblemError(409, "Conflict", f"key {key!r} exists on several levels: give ?level=",
                           levels=[a["level_code"] for a in found])
    item = found[0]
    lvl = get_level(conn, item["level_code"])
    parent = get_parent(conn, item, lvl.parent_code)
    base = base_url(request)
    body = {
        "key": item["key"], "name": item["name"], "level": item["level_code"], "level_name_de": lvl.name_de,
        "valid_from": item["valid_from"], "valid_to": item["valid_to"], "area_m2": round(item["area_m2"], 1),
        "parent": {"key": parent["key"], "name": parent["name"], "level": parent["level_code"]} if parent else None,
        "children": list_children(conn, item),
        "values": area_values(conn, item["id"], caller.sees_unsuppressed),
        "links": [{"href": f"{base}/collections/{item['level_code']}/items/{item['key']}", "rel": "alternate",
                   "type": "application/geo+json"}],
    }
    return json_response(body)
