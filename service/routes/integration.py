"""Integration monitoring: residential segregation of population groups (whole municipality and per parent area,
every period) and its local measures per area (docs/integration.md)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query
from sqlalchemy.engine import Connection

from geo.aggregation import cache_key, cached
from indicators.clusters import feature_texts as area_feature_texts
from indicators.segregation import (SegregationInputError, SegregationRequest, default_total, local_measures,
                                    segregation)
from indicators.uncertainty import RateRequest, rate_table
from indicators.values import resolve_period
from service.auth import Principal, current_principal
from service.formats import TABLE_FORMATS, offers, table_response
from service.http import connection, json_response
from service.params import Level, OptionalIndicator, Period
from service.routes.index_lookup import feature_collection

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
def segregation_measures(conn: Conn, caller: Caller, groups: GroupsQuery, level: Level, total: TotalQuery = None,
                         period: Annotated[str | None, Query(max_length=40, description="Reference date or year; "
                                                             "'all' for every period with data; default the latest.")
                                           ] = None,
                         within: Annotated[str | None, Query(max_length=40, description="A level above `level`: "
                                                             "the measures for each of its areas too (e.g. bez).")
                                           ] = None,
                         spatial: Annotated[bool, Query(description="Also the spatial variants.")] = True,
                         fmt: Annotated[str, offers("json", *TABLE_FORMATS)] = "json"):
    request = _request(conn, caller, groups, total, level, period, within, spatial)
    body, _hit = cached(conn, cache_key("segregation", **request.__dict__), lambda: segregation(conn, request))
    if fmt in TABLE_FORMATS:
        return table_response(fmt, body["rows"], SEGREGATION_FIELDS, f"segregation_{'_'.join(request.groups)}")
    return json_response(body)


@router.get("/segregation/local", summary="Local segregation per area: counts, shares, location quotients, local "
                                          "entropy, contribution to the dissimilarity index (ranked)")
def segregation_local(conn: Conn, caller: Caller, groups: GroupsQuery, level: Level, total: TotalQuery = None,
                      period: Period = None,
                      fmt: Annotated[str, offers("json", *TABLE_FORMATS, "geojson")] = "json"):
    request = _request(conn, caller, groups, total, level, period)
    body, _hit = cached(conn, cache_key("segregation_local", **request.__dict__), lambda: local_measures(conn, request))
    if fmt in TABLE_FORMATS:
        fields = list(dict.fromkeys(k for area in body["areas"] for k in area))
        return table_response(fmt, body["areas"], fields, f"segregation_local_{'_'.join(request.groups)}")
    if fmt == "geojson":
        head = {key: value for key, value in body.items() if key != "areas"}
        return feature_collection(area_feature_texts(conn, level, body["boundaries_at"], body["areas"]),
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
