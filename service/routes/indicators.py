"""Indicator catalogue (read and edit), coverage report, per-area values and their history (JSON, CSV, HTML)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from sqlalchemy.engine import Connection
from starlette.responses import Response

from geo.areas import find_areas, get_parent, list_children
from geo.levels import get_level, list_levels, require_level
from indicators.catalogue import (DefinitionError, Disclosure, IndicatorDefinition, definition_of, get_indicator,
                                  list_indicators, list_topics, require_indicator, save_indicator,
                                  validate_definition)
from indicators.coverage import CoverageQuery, coverage_gaps, coverage_summary
from indicators.observation_flags import OBSERVATION_FLAGS
from indicators.observations import observation_history
from indicators.refresh import refresh_after_write
from indicators.values import area_values
from service.audit import record
from service.auth import Principal, current_principal, require_role
from service.errors import ProblemError, not_found
from service.formats import TABLE_FORMATS, PageFormat, offers, table_response
from service.http import base_url, connection, json_response
from service.params import OptionalIndicator, OptionalLevel
from web.templates import render

router = APIRouter(prefix="/api", tags=["indicators"])
Conn = Annotated[Connection, Depends(connection)]
Caller = Annotated[Principal, Depends(current_principal)]
Steward = Annotated[Principal, Depends(require_role("data_steward"))]
CATALOGUE_FIELDS = ["code", "name_de", "name_en", "topic_code", "topic_name_de", "topic_name_en", "role", "kind",
                    "unit", "direction", "aggregation", "change_of", "description_de", "description_en",
                    "rationale_de", "rationale_en", "numerator_de", "denominator_de", "weight_indicator", "source",
                    "reference_date", "min_numerator", "min_denominator", "target_value", "target_year",
                    "target_note", "series_breaks", "catalogue", "published", "updated_at", "updated_by"]
RULE_FIELDS = ("kind", "aggregation", "weight_indicator", "change_of", "min_numerator", "min_denominator",
               "published")  # what roll-ups and disclosure depend on (a new indicator has no data yet)
DIRECTIONS_DE = {"higher_is_worse": "höher ist ungünstiger", "higher_is_better": "höher ist günstiger",
                 "neutral": "neutral (keine Wertung)"}


# -- catalogue ------------------------------------------------------------------------------------
@router.get("/indicators", summary="The indicator catalogue (JSON, CSV, HTML grouped by Handlungsfeld)")
def indicators(request: Request, conn: Conn, caller: Caller, fmt: PageFormat):
    items = [{k: item[k] for k in CATALOGUE_FIELDS}
             for item in list_indicators(conn, published_only=not caller.sees_drafts)]
    if fmt in TABLE_FORMATS:
        return table_response(fmt, items, CATALOGUE_FIELDS, "indikatoren")
    if fmt == "html":
        topics: dict[str, list[dict]] = {}
        for item in items:
            topics.setdefault(item["topic_name_de"] or "Ohne Handlungsfeld", []).append(item)
        return render("indicators.html", request, page_title="Indikatorenkatalog", topics=topics,
                      directions=DIRECTIONS_DE, caller=caller, all_topics=list_topics(conn), single=False)
    return json_response({"indicators": items, "count": len(items)})


@router.get("/indicators/{code}", summary="One indicator definition")
def indicator(request: Request, conn: Conn, caller: Caller, code: str, fmt: PageFormat):
    item = require_indicator(conn, code, caller.sees_drafts)
    body = {k: item[k] for k in CATALOGUE_FIELDS}
    if fmt in TABLE_FORMATS:
        return table_response(fmt, [body], CATALOGUE_FIELDS, f"indikator_{code}")
    if fmt == "html":
        topic = item["topic_name_de"] or "Ohne Handlungsfeld"
        return render("indicators.html", request, page_title=f"Indikator {code}", topics={topic: [body]},
                      directions=DIRECTIONS_DE, caller=caller, all_topics=list_topics(conn), single=True)
    return json_response(body)


def _write_indicator(request: Request, principal: Principal, payload: Any, *, create: bool,
                     code: str | None = None, merge: bool = False) -> Response:
    with request.app.state.engine.begin() as conn:
        before = get_indicator(conn, code) if code else None
        if code is not None and before is None:
            raise not_found(f"no indicator {code!r}; create it with POST /api/indicators")
        data = payload
        if merge:
            if not isinstance(payload, dict):
                raise DefinitionError([{"field": "(body)", "message": "expected a JSON object"}])
            data = _merge_patch(definition_of(before), payload)
        if code is not None and isinstance(data, dict) and data.get("code", code) != code:
            raise DefinitionError([{"field": "code", "message": f"must be {code!r} as in the URL; codes cannot be "
                                    "renamed"}])
        if code is not None and isinstance(data, dict):
            data = {**data, "code": code}
        definition = validate_definition(data)
        _check_disclosure_change(principal, before, definition)
        after = save_indicator(conn, definition, principal.name, create=create)
        if before is not None and any(before[f] != after[f] for f in RULE_FIELDS):
            refresh_after_write(conn)  # thresholds, publication, weights and changes apply before anyone reads
        action = "indicator.created" if create else "indicator.updated"
        if before is not None and before["published"] != after["published"]:
            action = "indicator.published" if after["published"] else "indicator.unpublished"
        record(conn, principal, action, "indicator", after["code"],
               before={k: before[k] for k in CATALOGUE_FIELDS} if before else None,
               after={k: after[k] for k in CATALOGUE_FIELDS})
    body = {k: after[k] for k in CATALOGUE_FIELDS}
    headers = {"Location": f"{base_url(request)}/api/indicators/{after['code']}"}
    return json_response(body, status=201 if create else 200, headers=headers)


def _check_disclosure_change(principal: Principal, before: dict | None, definition: IndicatorDefinition) -> None:
    """Confidentiality thresholds are the statistics office's rule: anyone else may only make them stricter
    (a new indicator's thresholds at least the catalogue's defaults)."""
    if principal.has("statistics_office"):
        return
    stored = definition_of(before)["disclosure"] if before else Disclosure().model_dump()
    given = definition.disclosure.model_dump() if definition.disclosure else {}
    weaker = [name for name, limit in (stored or {}).items()
              if limit is not None and (given.get(name) is None or given[name] < limit)]
    if weaker:
        raise ProblemError(403, "Forbidden", f"only the statistics office (role statistics_office) may lower or "
                           f"switch off the confidentiality thresholds ({', '.join(weaker)}); keep them at least "
                           f"{stored}", field="disclosure")


def _merge_patch(target: dict, patch: dict) -> dict:
    """JSON Merge Patch (RFC 7396): objects merge, null removes, anything else replaces."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged[key] = None
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged


@router.post("/indicators", status_code=201, summary="Add an indicator definition (data steward)")
def create_indicator(request: Request, principal: Steward, payload: Annotated[Any, Body()] = None):
    return _write_indicator(request, principal, payload, create=True)


@router.put("/indicators/{code}", summary="Replace an indicator definition (data steward)")
def replace_indicator(request: Request, principal: Steward, code: str, payload: Annotated[Any, Body()] = None):
    return _write_indicator(request, principal, payload, create=False, code=code)


@router.patch("/indicators/{code}", summary="Change fields of a definition, e.g. {\"published\": false} (data steward)")
def patch_indicator(request: Request, principal: Steward, code: str, payload: Annotated[Any, Body()] = None):
    return _write_indicator(request, principal, payload, create=False, code=code, merge=True)


# -- coverage -------------------------------------------------------------------------------------
COVERAGE_FIELDS = ["indicator", "name_de", "level", "period", "boundaries_valid_from", "areas", "with_value",
                   "missing", "suppressed", "no_row", "coverage_share", "missing_by_flag"]
GAP_FIELDS = ["key", "name", "status", "flag", "flag_label_de", "flag_reason"]


@router.get("/coverage", summary="How many areas have a value, are missing, suppressed or have no row at all")
def coverage(request: Request, conn: Conn, caller: Caller, fmt: PageFormat, indicator: OptionalIndicator,
             level: OptionalLevel,
             period: Annotated[date | None, Query(description="Reference date (YYYY-MM-DD); default: all.")] = None):
    query = CoverageQuery(indicator=indicator, level=level, period=period, unsuppressed=caller.sees_unsuppressed)
    rows = coverage_summary(conn, query)
    gaps = coverage_gaps(conn, query) if indicator and level and period else None
    if fmt in TABLE_FORMATS:
        if gaps is not None:
            return table_response(fmt, gaps, GAP_FIELDS, f"luecken_{indicator}_{level}_{period}")
        flat = [{**r, "missing_by_flag": "; ".join(f"{k}={v}" for k, v in r["missing_by_flag"].items())}
                for r in rows]
        return table_response(fmt, flat, COVERAGE_FIELDS, "abdeckung")
    if fmt == "html":
        return render("coverage.html", request, page_title="Datenabdeckung", rows=rows, gaps=gaps, query=query,
                      flags=OBSERVATION_FLAGS, levels=list_levels(conn),
                      indicators=list_indicators(conn, published_only=not caller.sees_drafts))
    body: dict[str, Any] = {"coverage": rows, "count": len(rows)}
    if gaps is not None:
        body["gaps"] = gaps
    return json_response(body)


# -- areas ----------------------------------------------------------------------------------------
def _one_area(conn: Connection, key: str, level: str | None) -> dict:
    if level is not None:
        require_level(conn, level)
    found = find_areas(conn, key, level)
    if not found:
        raise not_found(f"no area with key {key!r}" + (f" on level {level!r}" if level else ""))
    if len(found) > 1:
        raise ProblemError(409, "Conflict", f"key {key!r} exists on several levels: give ?level=",
                           levels=[a["level_code"] for a in found])
    return found[0]


@router.get("/areas/{key}", summary="One area (current boundary version) with all its values")
def area(request: Request, conn: Conn, caller: Caller, key: str,
         level: Annotated[str | None, Query(description="Area level, needed only when a key exists on two levels.")] = None):
    item = _one_area(conn, key, level)
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
                   "type": "application/geo+json"},
                  {"href": f"{base}/api/areas/{item['key']}/history?level={item['level_code']}", "rel": "history",
                   "type": "application/json"}],
    }
    return json_response(body)


HISTORY_FIELDS = ["indicator", "period", "value", "numerator", "denominator", "flag", "flag_reason", "status",
                  "boundary_valid_from", "import_batch_id", "file_name", "imported_at", "imported_by",
                  "superseded_at", "superseded_by_batch", "superseded_by_file"]


@router.get("/areas/{key}/history", summary="Current and superseded values of one area, with their import batches")
def area_history(conn: Conn, caller: Caller, key: str, fmt: Annotated[str, offers("json", *TABLE_FORMATS)],
                 level: Annotated[str | None, Query(description="Area level, if the key exists on two levels.")] = None,
                 indicator: Annotated[str | None, Query(description="Only this indicator.")] = None,
                 period: Annotated[date | None, Query(description="Only this reference date.")] = None):
    item = _one_area(conn, key, level)
    if indicator is not None:
        require_indicator(conn, indicator, caller.sees_drafts)
    rows = observation_history(conn, item["level_code"], item["key"], indicator, period, caller.sees_unsuppressed)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, rows, HISTORY_FIELDS, f"verlauf_{key}")
    return json_response({"key": item["key"], "name": item["name"], "level": item["level_code"],
                          "history": rows, "count": len(rows)})
