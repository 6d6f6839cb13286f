"""Composite indices: definitions, runs, results, explanations, attention areas, and the index map.
Spatial clusters (hot spots) of an indicator or index are in service/routes/hotspots.py, included here.

Definitions are read by everyone and written by data stewards (audited; every change a new version). Results
are classes and index values, which are publishable. A period without a run answers 404 with the periods
that exist.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, Query, Request
from sqlalchemy.engine import Connection
from starlette.responses import HTMLResponse

from geo.features import level_extent
from indicators.composite import IndexDefinitionError
from indicators.index_definitions import (
    IndexDefinition,
    StoredDefinition,
    check_references,
    create_definition,
    dependent_indices,
    get_definition,
    list_definitions,
    list_versions,
    parse_definition,
    update_definition,
)
from indicators.index_methods import method_for
from indicators.index_results import (
    attention_areas,
    explain,
    latest_run,
    list_index_periods,
    provenance,
    public_summary,
    result_feature_texts,
    results,
)
from indicators.index_runs import check_against_data, computable_periods, compute_index, recompute_existing
from service.audit import record
from service.auth import Principal, require_role
from service.errors import not_found
from service.formats import TABLE_FORMATS, offers, table_response
from service.http import base_url, json_response
from service.params import Level, Period
from service.routes import hotspots
from service.routes.index_lookup import (MAP_PRECISION, MAP_SIMPLIFY_M, Caller, Conn, definition_or_404,
                                         feature_collection, index_period, map_tiles)
from web.index_maps import LegendEntry, class_colours, index_map

router = APIRouter(tags=["indices"])
Steward = Annotated[Principal, Depends(require_role("data_steward"))]
ResultFormat = Annotated[str, offers("json", "geojson", *TABLE_FORMATS)]
RESULT_FIELDS = ["key", "name", "value", "class", "class_label_de", "class_label_en", "participating", "reason",
                 "attention"]


def _summary(stored: StoredDefinition, runs_by_level: dict[str, list[date]], base: str) -> dict:
    return {
        "id": stored.id, "version": stored.version, "name_de": stored.name_de, "name_en": stored.name_en,
        "method": stored.method, "published": stored.published, "updated_at": stored.updated_at,
        "updated_by": stored.updated_by,
        "periods": {level: [p.isoformat() for p in periods] for level, periods in runs_by_level.items()},
        "links": [{"href": f"{base}/api/indices/{stored.id}", "rel": "self", "type": "application/json"},
                  {"href": f"{base}/api/indices/{stored.id}/results", "rel": "results", "type": "application/json"},
                  {"href": f"{base}/maps/indices/{stored.id}", "rel": "map", "type": "text/html"}],
    }


def _periods_by_level(conn: Connection, stored: StoredDefinition) -> dict[str, list[date]]:
    return {level: list_index_periods(conn, stored.id, level) for level in stored.definition.levels}


# --- definitions -------------------------------------------------------------------------------------------


@router.get("/api/indices", summary="Index definitions (Status-Index, Dynamik-Index, Gesamtindex, ...)")
def list_indices(request: Request, conn: Conn, caller: Caller):
    base = base_url(request)
    items = [_summary(d, _periods_by_level(conn, d), base) for d in list_definitions(conn)
             if d.published or caller.has("editor")]
    return json_response({"indices": items, "count": len(items)})


@router.get("/api/indices/{index_id}", summary="One index definition with its versions")
def get_index(request: Request, conn: Conn, caller: Caller, index_id: str,
              version: Annotated[int | None, Query(ge=1, description="An earlier version.")] = None):
    stored = definition_or_404(conn, caller, index_id)
    if version is not None:
        stored = get_definition(conn, index_id, version)
        if stored is None:
            raise not_found(f"index {index_id!r} has no version {version}",
                            available=[v["version"] for v in list_versions(conn, index_id)])
    body = _summary(stored, _periods_by_level(conn, stored), base_url(request))
    body["definition"] = stored.definition.as_json()
    body["versions"] = list_versions(conn, index_id)
    return json_response(body)


def _validated(conn: Connection, index_id: str, payload: Any) -> IndexDefinition:
    if isinstance(payload, dict) and "id" not in payload:
        payload = {**payload, "id": index_id}
    definition = parse_definition(payload)
    if definition.id != index_id:
        raise IndexDefinitionError("id", f"the body's id {definition.id!r} differs from the URL's {index_id!r}")
    check_references(conn, definition)
    check_against_data(conn, definition)
    return definition


@router.post("/api/indices/{index_id}", status_code=201, summary="Create an index definition (data stewards)")
def create_index(request: Request, caller: Steward, index_id: str, payload: Annotated[Any, Body()]):
    with request.app.state.engine.begin() as conn:
        definition = _validated(conn, index_id, payload)
        created = create_definition(conn, definition, caller.name)
        record(conn, caller, "create", "index_definition", index_id, None, created.as_record())
    return json_response(created.as_record(), status=201,
                         headers={"Location": f"{base_url(request)}/api/indices/{index_id}"})


@router.put("/api/indices/{index_id}", summary="Change an index definition: a new version (data stewards)")
def change_index(request: Request, caller: Steward, index_id: str, payload: Annotated[Any, Body()]):
    with request.app.state.engine.begin() as conn:
        if get_definition(conn, index_id) is None:
            raise not_found(f"there is no index {index_id!r}; create it with POST")
        definition = _validated(conn, index_id, payload)
        before, after = update_definition(conn, definition, caller.name)
        recomputed = []
        if after.version != before.version:
            record(conn, caller, "update", "index_definition", index_id, before.as_record(), after.as_record())
            for affected in [index_id, *dependent_indices(conn, index_id)]:
                recomputed += recompute_existing(conn, affected, caller.name)
    return json_response({**after.as_record(), "recomputed_runs": recomputed})


@router.post("/api/indices/{index_id}/runs", status_code=201, summary="Compute an index for a level and period")
def run_index(request: Request, caller: Steward, index_id: str, level: Level,
              period: Annotated[date | None, Query(description="Reference date; default: latest with data.")] = None):
    with request.app.state.engine.begin() as conn:
        stored = definition_or_404(conn, caller, index_id)
        possible = computable_periods(conn, stored.definition, level)
        chosen = period or (possible[0] if possible else None)
        if chosen is None or chosen not in possible:
            raise not_found(f"the inputs of {index_id!r} have no data on level {level!r}"
                            + (f" at {period}" if period else ""), available=[p.isoformat() for p in possible])
        run_id = compute_index(conn, index_id, level, chosen, caller.name)
        run = latest_run(conn, index_id, level, chosen)
        record(conn, caller, "compute", "index_run", str(run_id), None,
               {"index_id": index_id, "level": level, "period": chosen, "inputs_hash": run.inputs_hash})
        summary = run.summary if caller.sees_unsuppressed else public_summary(conn, run.summary)
    return json_response({"index": index_id, "level": level, "period": chosen, **provenance(run),
                          "summary": summary}, status=201)


# --- results -----------------------------------------------------------------------------------------------


@router.get("/api/indices/{index_id}/results", summary="Index value, class and attention flag per area")
def index_results(conn: Conn, caller: Caller, index_id: str, level: Level, fmt: ResultFormat,
                  period: Period = None):
    stored = definition_or_404(conn, caller, index_id)
    chosen = index_period(conn, index_id, level, period)
    run = latest_run(conn, index_id, level, chosen)
    summary = run.summary if caller.sees_unsuppressed else public_summary(conn, run.summary)
    head = {"index": index_id, "name_de": stored.name_de, "name_en": stored.name_en, "level": level,
            "period": chosen.isoformat(), "provenance": provenance(run), "summary": summary}
    if fmt == "geojson":
        return feature_collection(result_feature_texts(conn, run), head)
    rows = results(conn, index_id, level, chosen)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, rows, RESULT_FIELDS, f"{index_id}_{level}_{chosen.isoformat()}")
    return json_response({**head, "areas": rows, "count": len(rows)})


@router.get("/api/indices/{index_id}/results/{area_key}", summary="How one area's class came about")
def index_explanation(conn: Conn, caller: Caller, index_id: str, area_key: str, level: Level,
                      period: Period = None):
    definition_or_404(conn, caller, index_id)
    chosen = index_period(conn, index_id, level, period)
    try:
        return json_response(explain(conn, index_id, area_key, level, chosen, caller.sees_unsuppressed))
    except LookupError:
        raise not_found(f"no area {area_key!r} on level {level!r} in the results of {index_id!r} for {chosen}") from None


@router.get("/api/indices/{index_id}/attention-areas",
            summary="Areas needing particular attention (Gebiete mit besonderem Aufmerksamkeitsbedarf)")
def index_attention_areas(conn: Conn, caller: Caller, index_id: str, level: Level, fmt: ResultFormat,
                          period: Period = None):
    stored = definition_or_404(conn, caller, index_id)
    chosen = index_period(conn, index_id, level, period)
    run = latest_run(conn, index_id, level, chosen)
    rule = stored.definition.attention_rule()
    head = {"index": index_id, "level": level, "period": chosen.isoformat(), "attention_rule": rule,
            "provenance": provenance(run)}
    if fmt == "geojson":
        return feature_collection(result_feature_texts(conn, run, only_attention=True), head)
    rows = attention_areas(conn, index_id, level, chosen)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, rows, RESULT_FIELDS, f"{index_id}_aufmerksamkeit_{level}_{chosen.isoformat()}")
    return json_response({**head, "areas": rows, "count": len(rows)})


# --- maps --------------------------------------------------------------------------------------------------


@router.get("/maps/indices/{index_id}", summary="Map of an index: classes or Gesamtindex groups (HTML)",
            response_class=HTMLResponse)
def index_map_page(request: Request, conn: Conn, caller: Caller, index_id: str, level: Level,
                   period: Period = None):
    stored = definition_or_404(conn, caller, index_id)
    chosen = index_period(conn, index_id, level, period)
    run = latest_run(conn, index_id, level, chosen)
    features = [orjson.loads(text) for text in
                result_feature_texts(conn, run, precision=MAP_PRECISION, simplify_m=MAP_SIMPLIFY_M)]
    summary = run.summary
    method = method_for(stored.definition)
    labels = run.class_labels
    fill = class_colours(method.class_scheme(), list(labels))
    counts = summary.get("class_counts", {})
    entries = [LegendEntry(f"{code} {label['de']}" if method.codes_in_legend else label["de"],
                           fill.get(code, "#bdbdbd"), counts.get(code, 0)) for code, label in labels.items()]
    attention = stored.definition.attention
    title = f"{stored.name_de}, {chosen.strftime('%d.%m.%Y')}"
    html = index_map({"type": "FeatureCollection", "features": features}, title=title, fill=fill, entries=entries,
                     no_class_count=summary["n_areas"] - summary["n_participating"],
                     attention_count=summary.get("n_attention", 0),
                     attention_label=(attention and attention.description_de) or "besonderer Aufmerksamkeitsbedarf",
                     bounds=level_extent(conn, level, run.boundaries_at),
                     tile_url=map_tiles(request))
    return HTMLResponse(html)


router.include_router(hotspots.router)
