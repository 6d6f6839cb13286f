"""Supply indicators from point layers and population: e.g. Kita-Plätze je 100 Kinder unter 6 Jahren
(Kita places per 100 children under 6), per area of any level, and per facility catchment.

Capacity is summed over the facilities inside each area (point in polygon); the population is the observation
of a count indicator (e.g. EW_U6 at 2022-06-30) read through `observation_source(unsuppressed)`, so readers
never see a ratio computed from a suppressed count. Supply = per * capacity / population.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.aggregation import AggregationInputError, check_radius, current_version
from geo.levels import finest_level
from geo.points import catchment_overlaps, check_point_layer, points_outside, points_per_area
from geo.versions import valid_at
from indicators.catalogue import population_indicator
from indicators.observation_source import observation_source
from indicators.values import boundary_date_for


@dataclass(frozen=True)
class SupplyRequest:
    layer: str | None = None  # default: the first point layer (by code) that declares a capacity
    capacity_field: str | None = None  # default: the layer's declared capacity attribute
    population_indicator: str | None = None  # default: the count the layer serves, else the level's population
    period: date | None = None  # default: latest period of the population indicator on the level
    level: str | None = None  # default: the finest loaded level
    per: float = 100.0
    unsuppressed: bool = False


def resolve_supply(conn: Connection, request: SupplyRequest) -> SupplyRequest:
    """The request with its defaults taken from the data: the layer that declares what it supplies (`capacity_field`
    and `serves` of its import), the finest level, the level's population."""
    layer = request.layer or conn.execute(sa.text(
        "SELECT code FROM point_layer WHERE capacity_field IS NOT NULL ORDER BY code LIMIT 1")).scalar()
    if layer is None:
        raise AggregationInputError("no point layer declares a capacity; name the layer and its capacity attribute "
                                    "(layer=..., capacity=...)", "layer")
    declared = conn.execute(sa.text("SELECT capacity_field, serves FROM point_layer WHERE code = :layer"),
                            {"layer": layer}).one_or_none()
    capacity_field, serves = declared if declared is not None else (None, None)
    capacity_field = request.capacity_field or capacity_field
    if capacity_field is None:
        raise AggregationInputError(f"point layer {layer!r} declares no capacity attribute; name it (capacity=...)",
                                    "capacity")
    level = request.level or finest_level(conn)
    population = request.population_indicator or serves or population_indicator(conn, level)
    if population is None:
        raise AggregationInputError(f"neither layer {layer!r} nor level {level!r} names the population served; name "
                                    "its count (population=...)", "population")
    return replace(request, layer=layer, capacity_field=capacity_field, population_indicator=population, level=level)


def _population_period(conn: Connection, request: SupplyRequest) -> date:
    periods = [r[0] for r in conn.execute(sa.text(f"""
        SELECT DISTINCT o.period FROM {observation_source(request.unsuppressed)} o
        JOIN area a ON a.id = o.area_id AND a.level_code = :level
        WHERE o.indicator_code = :code ORDER BY 1 DESC"""), {"level": request.level,
                                                             "code": request.population_indicator})]
    if not periods:
        raise AggregationInputError(f"no values of {request.population_indicator!r} on level {request.level!r}",
                                    "population", status=404)
    if request.period is None:
        return periods[0]
    if request.period not in periods:
        raise AggregationInputError(
            f"{request.population_indicator} has no values at {request.period}; available: "
            f"{', '.join(p.isoformat() for p in periods)}", "period", status=404)
    return request.period


def _check_population_indicator(conn: Connection, code: str) -> None:
    kind = conn.execute(sa.text("SELECT kind FROM indicator WHERE code = :c"), {"c": code}).scalar()
    if kind is None:
        raise AggregationInputError(f"unknown indicator {code!r}", "population", status=404)
    if kind != "count":
        raise AggregationInputError(f"{code} is a {kind}, not a count of people", "population")


def supply_per_area(conn: Connection, request: SupplyRequest) -> dict:
    """Capacity, population and supply ratio per area of the level, plus the total over all areas."""
    request = resolve_supply(conn, request)
    _check_population_indicator(conn, request.population_indicator)
    if conn.execute(sa.text("SELECT NOT EXISTS (SELECT 1 FROM area_level WHERE code = :l)"),
                    {"l": request.level}).scalar():
        raise AggregationInputError(f"unknown level {request.level!r}", "level", status=404)
    check_point_layer(conn, request.layer, [request.capacity_field])
    period = _population_period(conn, request)
    at = boundary_date_for(conn, request.level, period)
    facilities = pd.DataFrame(points_per_area(conn, request.layer, request.level, at, [request.capacity_field]))
    population = pd.DataFrame(conn.execute(sa.text(f"""
        SELECT a.key, o.value AS population, o.flag AS population_flag
        FROM area a JOIN {observation_source(request.unsuppressed)} o ON o.area_id = a.id
             AND o.indicator_code = :code AND o.period = :period
        WHERE a.level_code = :level AND {valid_at("a", ":at")}"""),
        {"code": request.population_indicator, "period": period, "level": request.level, "at": at}).all(),
        columns=["key", "population", "population_flag"])
    table = facilities.merge(population, on="key", how="left")
    capacity = table[f"{request.capacity_field}_sum"]
    usable = table["population"].notna() & (table["population"] > 0)
    table["supply"] = (request.per * capacity / table["population"]).where(usable)
    table["flag"] = None
    table.loc[table["population"].isna(), "flag"] = "population_missing"
    table.loc[table["population"].eq(0), "flag"] = "no_population"
    covered = table[usable]
    items = [
        {"key": r["key"], "name": r["name"], "facilities": int(r["count"]),
         "capacity": float(r[f"{request.capacity_field}_sum"]),
         "capacity_not_numeric": int(r[f"{request.capacity_field}_not_numeric"]),
         "population": None if pd.isna(r["population"]) else float(r["population"]),
         "population_flag": None if pd.isna(r["population_flag"]) else r["population_flag"],
         "supply": None if pd.isna(r["supply"]) else round(float(r["supply"]), 4),
         "flag": r["flag"]}
        for r in table.to_dict("records")]
    total_population = float(covered["population"].sum())
    return {
        "indicator": {
            "code": f"supply_{request.layer}_{request.capacity_field}_per_{request.population_indicator}",
            "name_de": f"{request.capacity_field} ({request.layer}) je {request.per:g} {request.population_indicator}",
            "unit": f"je {request.per:g} Personen",
            "formula": f"{request.per:g} * sum({request.capacity_field}) / {request.population_indicator}",
        },
        "layer": request.layer, "capacity_field": request.capacity_field,
        "population_indicator": request.population_indicator, "population_period": period.isoformat(),
        "level": request.level, "boundary_version": at.isoformat(), "per": request.per,
        "total": {"facilities": int(table["count"].sum()), "capacity": float(capacity.sum()),
                  "population": total_population,
                  "supply": round(request.per * float(capacity[usable].sum()) / total_population, 4)
                  if total_population else None},
        "facilities_outside_areas": points_outside(conn, request.layer, request.level, at),
        "items": items,
    }


@dataclass(frozen=True)
class CatchmentRequest:
    layer: str
    radius_m: float
    indicator: str | None = None  # default: the level's population (indicators.catalogue.population_indicator)
    period: date | None = None
    capacity_field: str | None = None
    per: float = 100.0
    unsuppressed: bool = False
    min_population: float = 100.0
    level: str | None = None  # default: the finest loaded level


def catchments(conn: Connection, request: CatchmentRequest) -> dict:
    """Per facility: the population (a count indicator) estimated within `radius_m` metres by areal weighting,
    the coverage of the circle by areas, and, with a capacity field, capacity per `per` people."""
    check_radius(request.radius_m)
    level = request.level or finest_level(conn)
    indicator = request.indicator or population_indicator(conn, level)
    if indicator is None:
        raise AggregationInputError(f"level {level!r} declares no population count; name the count to estimate "
                                    "(indicator=...)", "indicator")
    request = replace(request, level=level, indicator=indicator)
    _check_population_indicator(conn, request.indicator)
    check_point_layer(conn, request.layer, [request.capacity_field] if request.capacity_field else [])
    period = _population_period(conn, SupplyRequest(population_indicator=request.indicator, period=request.period,
                                                    level=request.level, unsuppressed=request.unsuppressed))
    at = current_version(conn, request.level)
    overlaps = catchment_overlaps(conn, request.layer, request.radius_m, request.level, at)
    values = pd.DataFrame(conn.execute(sa.text(f"""
        SELECT o.area_id, o.value FROM {observation_source(request.unsuppressed)} o
        WHERE o.indicator_code = :code AND o.period = :period"""),
        {"code": request.indicator, "period": period}).all(), columns=["area_id", "value"])
    joined = overlaps.merge(values, on="area_id", how="left")
    joined["part"] = joined["value"] * joined["share"]
    grouped = joined.groupby(["key", "name"], dropna=False).agg(
        estimate=("part", lambda s: s.sum(min_count=1)), circle_m2=("circle_m2", "first"),
        covered_m2=("overlap_m2", "sum"), areas=("area_id", "count"),
        missing=("value", lambda s: int(s.isna().sum()))).reset_index()
    capacities = _capacities(conn, request) if request.capacity_field else {}
    items = []
    for r in grouped.itertuples():
        estimate = None if pd.isna(r.estimate) else float(r.estimate)
        withheld = estimate is not None and estimate < request.min_population
        item = {"key": r.key, "name": None if pd.isna(r.name) else r.name,
                "population": None if withheld else (None if estimate is None else round(estimate, 1)),
                "flag": "below_minimum" if withheld else ("incomplete" if r.missing else None),
                "coverage": round(min(1.0, r.covered_m2 / r.circle_m2), 4), "areas": int(r.areas),
                "areas_missing": int(r.missing)}
        if request.capacity_field:
            item["capacity"] = capacities.get(r.key)
            item["supply"] = (round(request.per * item["capacity"] / item["population"], 4)
                              if item["capacity"] is not None and item["population"] else None)
        items.append(item)
    return {"layer": request.layer, "radius_m": request.radius_m, "indicator": request.indicator,
            "period": period.isoformat(), "level": request.level, "boundary_version": at.isoformat(),
            "min_population": request.min_population,
            "method": "areal weighting of the indicator's counts per area by the share of each area inside the "
                      "circle (radius in metres in the storage CRS); estimates below min_population are withheld",
            "count": len(items), "items": items}


def _capacities(conn: Connection, request: CatchmentRequest) -> dict[str, float | None]:
    rows = conn.execute(sa.text("""
        SELECT key, CASE WHEN (attributes ->> :f) ~ '^\\s*-?[0-9]+([.,][0-9]+)?\\s*$'
                         THEN replace(trim(attributes ->> :f), ',', '.')::float8 END
        FROM point_feature WHERE layer_code = :layer"""), {"f": request.capacity_field, "layer": request.layer})
    return dict(rows.all())
