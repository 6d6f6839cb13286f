"""Composite indices (definitions, runs, results, explanations, attention areas), spatial clusters, and their maps.

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
from starlette.responses import HTMLResponse, Response

from geo.aggregation import cache_key, cached
from geo.features import level_extent
from indicators.catalogue import get_indicator, require_indicator
from indicators.clusters import ClusterInputError, ClusterRequest, analyse
from indicators.clusters import feature_texts as cluster_feature_texts
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
from indicators.values import resolve_period
from service.audit import record
from service.auth import Principal, current_principal, require_role
from service.errors import ProblemError, bad_request, not_found
from service.formats import TABLE_FORMATS, offers, table_response
from service.http import GEOJSON, base_url, connection, json_response
from service.params import Level, Period
from web.index_maps import LegendEntry, class_colours, hotspot_map, index_map

router = APIRouter(tags=["indices"])
Conn = Annotated[Connection, Depends(connection)]
DEFAULT_SEED = 12345
Caller = Annotated[Principal, Depends(current_principal)]
Steward = Annotated[Principal, Depends(require_role("data_steward"))]
ResultFormat = Annotated[str, offers("json", "geojson", *TABLE_FORMATS)]
RESULT_FIELDS = ["key", "name", "value", "class", "class_label_de", "class_label_en", "participating", "reason",
                 "attention"]
MAP_SIMPLIFY_M = 5.0
MAP_PRECISION = 5


def _definition_or_404(conn: Connection, caller: Principal, index_id: str) -> StoredDefinition:
    stored = get_definition(conn, index_id)
    if stored is None or (not stored.published and not caller.has("editor")):
        raise not_found(f"there is no index {index_id!r}; GET /api/indices lists them",
                        available=[d.id for d in list_definitions(conn) if d.published or caller.has("editor")])
    return stored


def _index_period(conn: Connection, index_id: str, level: str, requested: str | None) -> date:
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


def _feature_collection(texts, extra: dict[str, Any]) -> Response:
    head = orjson.dumps({"type": "FeatureCollection", **extra}).decode()[:-1]
    body = head + ',"features":[' + ",".join(texts) + "]}"
    return Response(body, media_type=GEOJSON)


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
    stored = _definition_or_404(conn, caller, index_id)
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
        stored = _definition_or_404(conn, caller, index_id)
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
    stored = _definition_or_404(conn, caller, index_id)
    chosen = _index_period(conn, index_id, level, period)
    run = latest_run(conn, index_id, level, chosen)
    summary = run.summary if caller.sees_unsuppressed else public_summary(conn, run.summary)
    head = {"index": index_id, "name_de": stored.name_de, "name_en": stored.name_en, "level": level,
            "period": chosen.isoformat(), "provenance": provenance(run), "summary": summary}
    if fmt == "geojson":
        return _feature_collection(result_feature_texts(conn, run), head)
    rows = results(conn, index_id, level, chosen)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, rows, RESULT_FIELDS, f"{index_id}_{level}_{chosen.isoformat()}")
    return json_response({**head, "areas": rows, "count": len(rows)})


@router.get("/api/indices/{index_id}/results/{area_key}", summary="How one area's class came about")
def index_explanation(conn: Conn, caller: Caller, index_id: str, area_key: str, level: Level,
                      period: Period = None):
    _definition_or_404(conn, caller, index_id)
    chosen = _index_period(conn, index_id, level, period)
    try:
        return json_response(explain(conn, index_id, area_key, level, chosen, caller.sees_unsuppressed))
    except LookupError:
        raise not_found(f"no area {area_key!r} on level {level!r} in the results of {index_id!r} for {chosen}") from None


@router.get("/api/indices/{index_id}/attention-areas",
            summary="Areas needing particular attention (Gebiete mit besonderem Aufmerksamkeitsbedarf)")
def index_attention_areas(conn: Conn, caller: Caller, index_id: str, level: Level, fmt: ResultFormat,
                          period: Period = None):
    stored = _definition_or_404(conn, caller, index_id)
    chosen = _index_period(conn, index_id, level, period)
    run = latest_run(conn, index_id, level, chosen)
    rule = stored.definition.attention_rule()
    head = {"index": index_id, "level": level, "period": chosen.isoformat(), "attention_rule": rule,
            "provenance": provenance(run)}
    if fmt == "geojson":
        return _feature_collection(result_feature_texts(conn, run, only_attention=True), head)
    rows = attention_areas(conn, index_id, level, chosen)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, rows, RESULT_FIELDS, f"{index_id}_aufmerksamkeit_{level}_{chosen.isoformat()}")
    return json_response({**head, "areas": rows, "count": len(rows)})


# --- spatial clusters --------------------------------------------------------------------------------------


def _public_limits(request: Request, caller: Principal, permutations: int, seed: int) -> None:
    """Without a token: at most `public_max_permutations`, and the default seed (a fresh seed per request would
    force a fresh computation each time; with it fixed, every public result is computed once and cached)."""
    if caller.role != "anonymous":
        return
    most = request.app.state.settings.public_max_permutations
    if permutations > most:
        raise bad_request(f"permutations={permutations}: at most {most} without a token", parameter="permutations",
                          limit="permutations", maximum=most)
    if seed != DEFAULT_SEED:
        raise bad_request(f"seed={seed}: without a token the seed is fixed at {DEFAULT_SEED} (same request, same "
                          "result)", parameter="seed", limit="seed", allowed=DEFAULT_SEED)


def _cluster_request(conn: Connection, caller: Principal, indicator: str | None, index: str | None, level: str,
                     period: str | None, permutations: int, alpha: float, seed: int) -> ClusterRequest:
    if (indicator is None) == (index is None):
        raise bad_request("give exactly one of indicator= or index=")
    if indicator is not None:
        require_indicator(conn, indicator, caller.sees_drafts)
        chosen = resolve_period(conn, level, period, indicator, caller.sees_unsuppressed)
    else:
        _definition_or_404(conn, caller, index)
        chosen = _index_period(conn, index, level, period)
    return ClusterRequest(level=level, period=chosen, indicator=indicator, index_id=index, permutations=permutations,
                          alpha=alpha, seed=seed, unsuppressed=caller.sees_unsuppressed)


def _analyse(conn: Connection, cluster: ClusterRequest) -> dict:
    """The analysis, computed once per request and data version (aggregation cache, committed at once)."""
    try:
        body, _hit = cached(conn, cache_key("hotspots", **cluster.__dict__), lambda: analyse(conn, cluster))
        conn.commit()
        return {**body, "period": date.fromisoformat(body["period"]),
                "boundaries_at": date.fromisoformat(body["boundaries_at"])}
    except (ClusterInputError, IndexDefinitionError):  # domain errors: the error table answers them
        raise
    except ValueError as error:  # what the statistics library refuses (e.g. too few neighbours)
        raise ProblemError(422, "Unprocessable Content", f"Moran's I cannot be computed: {error}") from None


@router.get("/api/hotspots", summary="Local Moran's I (LISA) of an indicator or index: hot and cold spots")
def hotspots(request: Request, conn: Conn, caller: Caller, level: Level,
             indicator: Annotated[str | None, Query(description="Indicator code, e.g. S1.")] = None,
             index: Annotated[str | None, Query(description="Index id with numeric values.")] = None,
             period: Period = None,
             permutations: Annotated[int, Query(ge=99, le=9999, description="Conditional permutations.")] = 999,
             alpha: Annotated[float, Query(gt=0, lt=1, description="Significance level.")] = 0.05,
             seed: Annotated[int, Query(ge=0, le=2**32 - 1, description="Random seed (same seed, same result); "
                                                                         "fixed without a token.")] = DEFAULT_SEED,
             fmt: Annotated[str, offers("json", "geojson")] = "json"):
    _public_limits(request, caller, permutations, seed)
    cluster = _cluster_request(conn, caller, indicator, index, level, period, permutations, alpha, seed)
    body = _analyse(conn, cluster)
    if fmt == "geojson":
        head = {key: value for key, value in body.items() if key != "areas"}
        at = body["boundaries_at"]
        return _feature_collection(cluster_feature_texts(conn, level, at, body["areas"]), orjson.loads(
            orjson.dumps(head, default=str)))
    return json_response(body)


# --- maps --------------------------------------------------------------------------------------------------


def _tiles(request: Request) -> str | None:
    return request.app.state.settings.map_tiles or None


@router.get("/maps/indices/{index_id}", summary="Map of an index: classes or Gesamtindex groups (HTML)",
            response_class=HTMLResponse)
def index_map_page(request: Request, conn: Conn, caller: Caller, index_id: str, level: Level,
                   period: Period = None):
    stored = _definition_or_404(conn, caller, index_id)
    chosen = _index_period(conn, index_id, level, period)
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
                     tile_url=_tiles(request))
    return HTMLResponse(html)


@router.get("/maps/hotspots", summary="Map of hot and cold spots (local Moran's I) (HTML)",
            response_class=HTMLResponse)
def hotspot_map_page(request: Request, conn: Conn, caller: Caller, level: Level,
                     indicator: Annotated[str | None, Query(description="Indicator code, e.g. S1.")] = None,
                     index: Annotated[str | None, Query(description="Index id with numeric values.")] = None,
                     period: Period = None,
                     permutations: Annotated[int, Query(ge=99, le=9999)] = 999,
                     alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
                     seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = DEFAULT_SEED):
    _public_limits(request, caller, permutations, seed)
    cluster = _cluster_request(conn, caller, indicator, index, level, period, permutations, alpha, seed)
    body = _analyse(conn, cluster)
    features = [orjson.loads(text) for text in cluster_feature_texts(
        conn, level, body["boundaries_at"], body["areas"], precision=MAP_PRECISION, simplify_m=MAP_SIMPLIFY_M)]
    if indicator:
        name = get_indicator(conn, indicator)["name_de"]
    else:
        name = get_definition(conn, index).name_de
    moran = f"{body['global']['I']:.3f}".replace(".", ",")
    title = (f"Räumliche Cluster (lokales Moran's I): {name}, {cluster.period.strftime('%d.%m.%Y')}; "
             f"globales I = {moran}, α = " + f"{alpha:g}".replace(".", ","))
    html = hotspot_map({"type": "FeatureCollection", "features": features}, title=title, counts=body["counts"],
                       excluded_count=len(body["excluded"]),
                       bounds=level_extent(conn, level, body["boundaries_at"]), tile_url=_tiles(request))
    return HTMLResponse(html)
