"""Integration monitoring: residential segregation of population groups (whole municipality and per parent area,
every period) and its local measures per area (docs/integration.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
import sqlalchemy as sa
from fastapi import APIRouter, Body, Depends, Query, Request
from sqlalchemy.engine import Connection

from geo.aggregation import cache_key, cached
from geo.areas import area_names
from geo.levels import list_levels
from indicators.catalogue import list_groups, list_indicators
from indicators.clusters import feature_texts as area_feature_texts
from indicators.gaps import GapInputError, GapRequest, breakdown_gaps, breakdown_pairs, gap_table
from indicators.segregation import (
    SegregationInputError,
    SegregationRequest,
    default_total,
    local_fields,
    local_measures,
    segregation,
)
from indicators.templates import (
    LOWEST_LEVELS,
    Mapping,
    TemplateError,
    coverage_table,
    get_template,
    list_templates,
    parse_mapping,
    read_mapping,
    shipped_mappings,
    template_coverage,
    validate_mapping,
)
from indicators.typology import (
    DEFAULT_SEED,
    TypologyRequest,
    default_period,
    kept_typology,
    similar_areas,
)
from indicators.uncertainty import RateRequest, rate_table
from indicators.values import boundary_date_for, resolve_period
from service.audit import record
from service.auth import Principal, current_principal, require_role
from service.formats import TABLE_FORMATS, Format, offers, table_response
from service.http import connection, json_response
from service.params import Level, OptionalIndicator, Period
from service.routes.index_lookup import MAP_PRECISION, MAP_SIMPLIFY_M, feature_collection, map_tiles
from web.i18n import localised_name, translator
from web.segregation_page import map_context as segregation_map_context
from web.segregation_page import page_context as segregation_page_context
from web.templates import render
from web.typology_page import page_context as typology_page_context
from web.values import decimals_for

router = APIRouter(prefix="/api", tags=["integration"])
Conn = Annotated[Connection, Depends(connection)]
Caller = Annotated[Principal, Depends(current_principal)]
GroupsQuery = Annotated[str, Query(max_length=400, pattern=r"^[A-Za-z][A-Za-z0-9_]*(,[A-Za-z][A-Za-z0-9_]*)*$",
                                   description="Comma-separated codes of count indicators, disjoint parts of the "
                                               "total (e.g. EW_AUSL). The rest of the total is a group of its own.")]
TotalQuery = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
                                         description="Count indicator of the whole population; default: the "
                                                     "partition's total of the groups, else the catalogue's "
                                                     "weight indicator (the population).")]
SEGREGATION_FIELDS = ["period", "scope_level", "scope_key", "scope_name", "areas", "population", "group", "measure",
                      "value", "spatial", "reason"]


def _request(conn: Connection, caller: Principal, groups: str, total: str | None, level: str, period: str | None,
             within: str | None = None, spatial: bool = True) -> SegregationRequest:
    codes = tuple(groups.split(","))
    total = total or default_total(conn, codes)
    if total is None:
        raise SegregationInputError("total", "name the total (a count indicator of the whole population)", 400)
    return SegregationRequest(groups=codes, total=total, level=level, period=period, within=within, spatial=spatial,
                              unsuppressed=caller.sees_unsuppressed)


@router.get("/segregation", summary="Residential segregation of population groups: dissimilarity, isolation, "
                                    "exposure, entropy/Theil, multigroup and spatial variants, per period and scope")
def segregation_measures(request: Request, conn: Conn, caller: Caller, groups: GroupsQuery, level: Level,
                         total: TotalQuery = None,
                         period: Annotated[str | None, Query(max_length=40, description="Reference date or year; "
                                                             "'all' for every period with data; default the latest.")
                                           ] = None,
                         within: Annotated[str | None, Query(max_length=40, description="A level above `level`: "
                                                             "the measures for each of its areas too (e.g. bez).")
                                           ] = None,
                         spatial: Annotated[bool, Query(description="Also the spatial variants.")] = True,
                         fmt: Annotated[str, offers("json", *TABLE_FORMATS, "html")] = "json"):
    wanted = _request(conn, caller, groups, total, level, period, within, spatial)
    body, _hit = cached(conn, cache_key("segregation", **wanted.__dict__), lambda: segregation(conn, wanted))
    conn.commit()  # the cache row stays (the connection rolls back what is not committed)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, body["rows"], SEGREGATION_FIELDS, f"segregation_{'_'.join(wanted.groups)}")
    if fmt == "html":
        return _segregation_page(request, conn, wanted, body)
    return json_response(body)


def _segregation_page(request: Request, conn: Connection, wanted: SegregationRequest, body: dict):
    lang = getattr(request.state, "lang", "de")  # the page's language (web.templates.render)
    levels = {lv.code: lv for lv in list_levels(conn)}
    names = {i["code"]: localised_name(i, lang) for i in list_indicators(conn)}
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("f", "format")]
    links = {fmt: "?" + urlencode([*query, ("f", fmt)]) for fmt in ("csv-de", "xlsx", "json")}
    local = [(k, v) for k, v in query if k in ("groups", "total", "level", "period")]
    top = levels[max(levels, key=lambda c: levels[c].rank)]
    context = segregation_page_context(body, levels[wanted.level].plural_in_sentence(lang),
                                       levels[wanted.within].plural_in_sentence(lang) if wanted.within else None,
                                       top.name(lang))
    return render("segregation.html", request, page_title="Segregation",
                  group_names=", ".join(names.get(g, g) for g in wanted.groups), indicator_names=names,
                  links={"csv_de": links["csv-de"], "xlsx": links["xlsx"], "json": links["json"],
                         "local": "/api/segregation/local?" + urlencode(local)},
                  map=_local_map(request, conn, wanted, body), whole_name=top.name(lang), **context)


def _local_map(request: Request, conn: Connection, wanted: SegregationRequest, body: dict) -> dict | None:
    """The page's map of the local measures in the latest period the page shows: the classes (computed here,
    web.segregation_page.map_context) and the URL of the GeoJSON twin the page's script draws them on."""
    latest = max(str(p)[:10] for p in body["periods"]) if body.get("periods") else None
    if latest is None:
        return None
    chosen = replace(wanted, period=latest, within=None, spatial=True)  # the request /segregation/local makes
    try:
        local, _hit = cached(conn, cache_key("segregation_local", **chosen.__dict__),
                             lambda: local_measures(conn, chosen))
        conn.commit()  # kept for the GeoJSON twin the page's map asks for next
    except SegregationInputError:  # e.g. a single group that is the whole total: no local measures, no map
        return None
    shapes = urlencode([("groups", ",".join(chosen.groups)), ("total", chosen.total), ("level", chosen.level),
                        ("period", latest), ("detail", "map"), ("f", "geojson")])
    return {**segregation_map_context(local), "geojson": "/api/segregation/local?" + shapes,
            "tiles": map_tiles(request)}


@router.get("/segregation/local", summary="Local segregation per area: counts, shares, location quotients, local "
                                          "entropy, contribution to the dissimilarity index (ranked)")
def segregation_local(conn: Conn, caller: Caller, groups: GroupsQuery, level: Level, total: TotalQuery = None,
                      period: Period = None,
                      detail: Annotated[str, Query(pattern="^(full|map)$", description="GeoJSON geometry: full "
                                                   "(as stored, 6 decimals) or map (simplified for drawing, as "
                                                   "the service's maps draw it).")] = "full",
                      fmt: Annotated[str, offers("json", *TABLE_FORMATS, "geojson")] = "json"):
    request = _request(conn, caller, groups, total, level, period)
    body, _hit = cached(conn, cache_key("segregation_local", **request.__dict__), lambda: local_measures(conn, request))
    conn.commit()
    if fmt in TABLE_FORMATS:
        return table_response(fmt, body["areas"], local_fields(body["categories"], body["groups"]),
                              f"segregation_local_{'_'.join(request.groups)}")
    if fmt == "geojson":
        head = {key: value for key, value in body.items() if key != "areas"}
        at = body["boundaries_at"]
        # the areas left out are drawn too (grey on the page's map), with their reason and no measure
        dropped = [{"key": key, "name": name, "reason": body["dropped"][key]}
                   for key, name in area_names(conn, level, at, list(body["dropped"])).items()]
        shape = {"precision": MAP_PRECISION, "simplify_m": MAP_SIMPLIFY_M} if detail == "map" else {}
        return feature_collection(area_feature_texts(conn, level, at, [*body["areas"], *dropped], **shape),
                                  orjson.loads(orjson.dumps(head, default=str)))
    return json_response(body)


INTERVAL_FIELDS = ["key", "name", "numerator", "denominator", "value", "ci_low", "ci_high", "unreliable",
                   "reliability", "flag", "smoothed"]
CountQuery = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
                                         description="Count indicator (with `numerator`/`denominator`: a share "
                                                     "formed from two counts, e.g. EW_AUSL over EW).")]


@router.get("/intervals", summary="Confidence intervals (95 % Wilson) and the reliability mark ('statistisch "
                                  "unsicher') of a share or rate per area; optional Empirical Bayes smoothing")
def rate_intervals(conn: Conn, caller: Caller, level: Level, indicator: OptionalIndicator = None,
                   numerator: CountQuery = None, denominator: CountQuery = None, period: Period = None,
                   smooth: Annotated[str | None, Query(pattern="^(eb|spatial_eb)$", description="eb or spatial_eb: "
                                                       "smoothed values for maps (labelled as smoothed).")] = None,
                   fmt: Annotated[str, offers("json", *TABLE_FORMATS)] = "json"):
    code = indicator or numerator
    resolved = resolve_period(conn, level, period, code, caller.sees_unsuppressed) if code else None
    request = RateRequest(level=level, period=resolved, indicator=indicator, numerator=numerator,
                          denominator=denominator, smooth=smooth, unsuppressed=caller.sees_unsuppressed)
    body = rate_table(conn, request)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, body["areas"], INTERVAL_FIELDS if smooth else INTERVAL_FIELDS[:-1],
                              f"intervalle_{code or 'rate'}_{level}")
    return json_response(body)


# -- indicator sets as templates ------------------------------------------------------------------
TEMPLATE_FIELDS = ["code", "field", "kind", "name_de", "name_en", "definition_de", "numerator_de", "denominator_de",
                   "source_statistic", "lowest_level", "direction", "value_type", "by_group"]
TEMPLATE_COVERAGE_FIELDS = ["template_indicator", "name_de", "field_name_de", "kind", "lowest_level", "indicator",
                            "status", "note_de", "level", "periods", "areas", "with_value"]
MAPPING_SETTING = "template_mapping."
Steward = Annotated[Principal, Depends(require_role("data_steward"))]


@router.get("/groups", summary="Population groups declared in the catalogue, by dimension, with the counts that "
                               "are their parts of a whole (group breakdowns)")
def population_groups(conn: Conn, fmt: Annotated[str, offers("json", *TABLE_FORMATS)] = "json"):
    groups = list_groups(conn)
    if fmt in TABLE_FORMATS:
        rows = [{**g, "parts": "; ".join(f"{p['indicator']} of {p['group_of']}" for p in g["parts"])} for g in groups]
        return table_response(fmt, rows, ["dimension", "code", "name_de", "name_en", "parts"], "bevoelkerungsgruppen")
    return json_response({"groups": groups})


@router.get("/templates", summary="Indicator sets shipped as templates (KGSt, Länder integration monitoring)")
def templates(fmt: Format):
    items = [{"template": t.template, "title_de": t.title_de, "title_en": t.title_en, "publisher": t.publisher,
              "reference": t.reference, "indicators": len(t.indicators),
              "mappings": list(shipped_mappings(t.template))} for t in list_templates()]
    if fmt in TABLE_FORMATS:
        return table_response(fmt, [{**i, "mappings": "; ".join(i["mappings"])} for i in items], list(items[0]),
                              "vorlagen")
    return json_response({"templates": items})


@router.get("/templates/{name}", summary="One template: its fields and indicators")
def template(name: str, fmt: Format):
    found = get_template(name)
    rows = [{**i.model_dump(), "by_group": "; ".join(i.by_group)} for i in found.indicators]
    if fmt in TABLE_FORMATS:
        return table_response(fmt, rows, TEMPLATE_FIELDS, f"vorlage_{name}")
    return json_response(found.model_dump())


def _adopted(conn: Connection, name: str, mapping: str | None) -> tuple[str, Mapping]:
    """The mapping of a coverage request: the shipped one named, else the one adopted (stored), else the only
    shipped mapping of the template whose indicators all exist here."""
    if mapping is not None:
        return mapping, read_mapping(mapping, name)
    stored = conn.execute(sa.text("SELECT value FROM dm_setting WHERE key = :key"),
                          {"key": MAPPING_SETTING + name}).scalar()
    if stored is not None:
        return "adopted", parse_mapping(orjson.loads(stored))
    known = set(conn.execute(sa.text("SELECT code FROM indicator")).scalars())
    fitting = [stem for stem in shipped_mappings(name)
               if {e.indicator for e in read_mapping(stem, name).entries} <= known]
    if len(fitting) != 1:
        raise TemplateError([{"field": "mapping", "message": "name the mapping (?mapping=): "
                              + (f"shipped for this catalogue: {', '.join(fitting)}" if fitting else
                                 "no shipped mapping fits this catalogue; adopt one with PUT "
                                 f"/api/templates/{name}/mapping")}], 400)
    return fitting[0], read_mapping(fitting[0], name)


@router.get("/templates/{name}/coverage", summary="Which indicators of the set the municipality can report, on "
                                                   "which levels and periods, and which are missing")
def template_coverage_view(request: Request, conn: Conn, caller: Caller, name: str,
                           mapping: Annotated[str | None, Query(max_length=80, pattern=r"^[a-z0-9_]+$",
                                                                description="A shipped mapping; default: the "
                                                                            "adopted one.")] = None,
                           fmt: Annotated[str, offers("json", *TABLE_FORMATS, "html")] = "json"):
    found = get_template(name)
    mapping_name, chosen = _adopted(conn, name, mapping)
    body = template_coverage(conn, found, chosen, caller.sees_unsuppressed)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, coverage_table(body), TEMPLATE_COVERAGE_FIELDS, f"abdeckung_{name}")
    if fmt == "html":
        return render("integration_coverage.html", request, page_title=found.title_de, body=body,
                      mapping_name=mapping_name, lowest_levels=LOWEST_LEVELS)
    return json_response({**body, "mapping": mapping_name})


@router.put("/templates/{name}/mapping", summary="Adopt a template: store the mapping of this municipality's "
                                                 "indicators onto it (data steward)")
def adopt_template(request: Request, principal: Steward, name: str, payload: Annotated[Any, Body()] = None):
    found = get_template(name)
    chosen = parse_mapping(payload)
    with request.app.state.engine.begin() as conn:
        validate_mapping(conn, found, chosen, drafts=True)
        conn.execute(sa.text("""INSERT INTO dm_setting (key, value) VALUES (:key, :value)
                                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"""),
                     {"key": MAPPING_SETTING + name, "value": orjson.dumps(chosen.model_dump()).decode()})
        # the coverage answers change: a new data version (cached answers and ETags are per version)
        conn.execute(sa.text("UPDATE dm_setting SET value = (value::bigint + 1)::text WHERE key = 'data_version'"))
        record(conn, principal, "template.adopted", "template", name, before=None, after=chosen.model_dump())
    return json_response({"template": name, "entries": len(chosen.entries), "adopted": True})


# -- area types and similar areas -----------------------------------------------------------------
IndicatorsQuery = Annotated[str | None, Query(max_length=400,
                                              pattern=r"^[A-Za-z][A-Za-z0-9_]*(,[A-Za-z][A-Za-z0-9_]*)*$",
                                              description="Comma-separated shares or rates; default: those with "
                                                          "values for at least 90 % of the areas.")]


def _typology_request(conn: Connection, caller: Principal, level: str, period: str | None, indicators: str | None,
                      k: int = 5, seed: int = DEFAULT_SEED) -> TypologyRequest:
    codes = tuple(indicators.split(",")) if indicators else ()
    resolved = None if period or codes else default_period(conn, level, caller.sees_unsuppressed)
    if resolved is None:
        resolved = resolve_period(conn, level, period, codes[0] if codes else None, caller.sees_unsuppressed)
    return TypologyRequest(level=level, period=resolved, indicators=codes, k=k, seed=seed,
                           unsuppressed=caller.sees_unsuppressed)


@router.get("/typology", summary="Area types: k-means on standardised indicators (fixed seed)")
def area_typology(page: Request, conn: Conn, caller: Caller, level: Level, period: Period = None,
                  indicators: IndicatorsQuery = None,
                  k: Annotated[int, Query(ge=2, le=20, description="Number of types.")] = 5,
                  seed: Annotated[int, Query(ge=0, le=2**32 - 1, description="Random seed (same seed, same "
                                                                              "types).")] = DEFAULT_SEED,
                  fmt: Annotated[str, offers("json", *TABLE_FORMATS, "geojson", "html")] = "json"):
    request = _typology_request(conn, caller, level, period, indicators, k, seed)
    body = kept_typology(conn, request)
    conn.commit()  # the aggregation cache's row stays: the area profiles read it (web.profiles)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, body["areas"], ["key", "name", "type"], f"gebietstypen_{level}")
    if fmt == "geojson":
        at = boundary_date_for(conn, level, request.period)
        head = {key: value for key, value in body.items() if key != "areas"}
        return feature_collection(area_feature_texts(conn, level, at, body["areas"]),
                                  orjson.loads(orjson.dumps(head, default=str)))
    if fmt == "html":
        return _typology_page(page, conn, body)
    return json_response(body)


def _typology_page(page: Request, conn: Connection, body: dict):
    """The German page of the types (English with ?lang=en): web.typology_page arranges the JSON twin's numbers."""
    lang = getattr(page.state, "lang", "de")
    levels = list_levels(conn)
    top = max(levels, key=lambda lv: lv.rank)  # the whole territory: one area, no types
    indicators = {i["code"]: {"name": localised_name(i, lang), "unit": i["unit"]} for i in list_indicators(conn)}
    query = [(k, v) for k, v in page.query_params.multi_items() if k not in ("f", "format")]
    links = {fmt: "?" + urlencode([*query, ("f", fmt)]) for fmt in ("csv-de", "xlsx", "json", "geojson")}
    level = next(lv for lv in levels if lv.code == body["level"])
    return render("typology.html", page, page_title=translator(lang)("Gebietstypen"), links=links,
                  kept=[(k, v) for k, v in query if k in ("period", "indicators", "seed")],  # the form sets the rest
                  levels=[(lv.code, lv.plural(lang)) for lv in levels if lv is not top or lv.code == body["level"]],
                  decimals_for=decimals_for, **typology_page_context(body, indicators, level.plural(lang)))


@router.get("/typology/{key}/similar", summary="Areas like this one: the nearest areas in standardised indicator "
                                               "space, with the indicators that make them similar")
def areas_like(conn: Conn, caller: Caller, key: str, level: Level, period: Period = None,
               indicators: IndicatorsQuery = None,
               n: Annotated[int, Query(ge=1, le=50, description="How many areas.")] = 5,
               fmt: Annotated[str, offers("json", *TABLE_FORMATS)] = "json"):
    request = _typology_request(conn, caller, level, period, indicators)
    body = similar_areas(conn, request, key, n)
    if fmt in TABLE_FORMATS:
        rows = [{"key": s["key"], "name": s["name"], "distance": s["distance"],
                 "similar_in": "; ".join(f"{w['indicator']} ({w['value']:g} / {w['this_value']:g})"
                                         for w in s["similar_in"])} for s in body["similar"]]
        return table_response(fmt, rows, ["key", "name", "distance", "similar_in"], f"aehnliche_gebiete_{key}")
    return json_response(body)


# -- gaps between groups --------------------------------------------------------------------------
GAP_FIELDS = ["key", "name", "numerator", "denominator", "group_numerator", "group_denominator", "rate_all",
              "rate_group", "group_ci_low", "group_ci_high", "group_reliability", "rate_rest", "rest_ci_low",
              "rest_ci_high", "rest_reliability", "difference", "ratio", "reason"]
CountCode = Annotated[str, Query(max_length=40, pattern=r"^[A-Za-z][A-Za-z0-9_]*$", description="A count indicator.")]
OptionalCountCode = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
                                                description="A count indicator: the group's part.")]


@router.get("/gaps", summary="Gap between a group and the rest: the group's and the rest's rate per area, with "
                             "intervals, their difference (percentage points) and ratio")
def group_gaps(conn: Conn, caller: Caller, level: Level, numerator: CountCode, denominator: CountCode,
               group_numerator: OptionalCountCode = None, group_denominator: OptionalCountCode = None,
               by: Annotated[str | None, Query(max_length=40, pattern=r"^[a-z0-9_]+$",
                                               description="A dimension of population groups declared in the "
                                                           "catalogue (e.g. nationality): every group "
                                                           "of it at once, instead of group_numerator and "
                                                           "group_denominator.")] = None,
               period: Period = None, fmt: Annotated[str, offers("json", *TABLE_FORMATS)] = "json"):
    if by is not None:
        pairs = breakdown_pairs(conn, numerator, denominator, by)
        resolved = resolve_period(conn, level, period, pairs[0]["group_numerator"], caller.sees_unsuppressed)
        body = breakdown_gaps(conn, numerator, denominator, by, level, resolved, caller.sees_unsuppressed)
        if fmt in TABLE_FORMATS:
            return table_response(fmt, body["areas"], ["group", *GAP_FIELDS], f"luecken_{by}_{level}")
        return json_response(body)
    if group_numerator is None or group_denominator is None:
        raise GapInputError("group_numerator", "name the group's parts (group_numerator and group_denominator) or "
                            "a dimension of groups declared in the catalogue (by)", 400)
    resolved = resolve_period(conn, level, period, group_numerator, caller.sees_unsuppressed)
    body = gap_table(conn, GapRequest(numerator=numerator, denominator=denominator, group_numerator=group_numerator,
                                      group_denominator=group_denominator, level=level, period=resolved,
                                      unsuppressed=caller.sees_unsuppressed))
    if fmt in TABLE_FORMATS:
        return table_response(fmt, body["areas"], GAP_FIELDS, f"luecken_{group_numerator}_{level}")
    return json_response(body)
