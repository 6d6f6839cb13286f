"""Areal interpolation of every indicator from the areas of a level to an arbitrary target polygon
(METHODS.md section 5).

- Extensive variables (counts, aggregation `sum`): each source area contributes value * share, where share is
  the part of its area inside the target ("areal weighting": people are assumed evenly spread in an area).
- Intensive variables (shares, rates, changes): the mean of the source values weighted by the estimated
  population of each overlap (weight indicator, default EW, of the same period, else of the nearest period);
  where no population exists, weighted by the overlap area. Each estimate names its method.

Inputs are read through `observation_source(unsuppressed)`: readers get public values only, so suppressed
values count as missing and make an estimate incomplete. No I/O beyond the connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.aggregation import AggregationInputError, Target, current_version, finest_level, overlap
from indicators.schema import observation_source

POPULATION = "EW"


@dataclass(frozen=True)
class InterpolationRequest:
    target: Target
    level: str | None = None  # source level; default the finest
    unsuppressed: bool = False
    min_population: float = 100.0


def interpolate(conn: Connection, request: InterpolationRequest) -> dict:
    """Estimates of all indicators and periods for the target, with coverage and contributing areas."""
    level = request.level or finest_level(conn)
    at = current_version(conn, level)
    found = overlap(conn, request.target, level, at)
    if not found.areas:
        raise AggregationInputError(
            f"the polygon lies outside the covered territory: no area of level {level!r} intersects it "
            "(coverage 0); check the coordinates and their CRS", "geometry", status=422, coverage=0.0)
    values = _values(conn, [a["area_id"] for a in found.areas], request.unsuppressed)
    meta = _indicators(conn)
    areas = pd.DataFrame(found.areas).set_index("area_id")
    estimates = [_estimate(code, period, group, areas, found.target_area_m2, values, meta[code])
                 for (code, period), group in values.groupby(["indicator_code", "period"], sort=True)
                 if code in meta]
    population = _population(estimates)
    if population is not None and population["value"] is not None and population["value"] < request.min_population:
        raise AggregationInputError(
            f"the target holds about {population['value']:,.0f} inhabitants, fewer than the minimum of "
            f"{request.min_population:,.0f}: estimates for so few people are not published", "geometry",
            status=422, estimated_population=round(population["value"]), minimum=request.min_population)
    return {
        "target": {"source": request.target.source, "crs": request.target.crs_in,
                   "area_m2": round(request.target.area_m2, 1), "notes": list(request.target.notes)},
        "source_level": level,
        "boundary_version": at.isoformat(),
        "coverage": round(found.coverage, 6),
        "population": population,
        "estimates": estimates,
        "contributing_areas": [
            {"key": a["key"], "name": a["name"], "area_m2": round(a["area_m2"], 1),
             "overlap_m2": round(a["overlap_m2"], 1), "weight": a["share"],
             "share_of_target": a["overlap_m2"] / found.target_area_m2}
            for a in found.areas],
        "method": {
            "extensive": "areal weighting: value * (overlap area / area of the source area), summed",
            "intensive": "mean weighted by the estimated population of each overlap (weight indicator of the same "
                         "or nearest period), else by overlap area; the method is named per estimate",
            "assumption": "inhabitants are evenly spread within each source area",
        },
    }


def _values(conn: Connection, area_ids: list[int], unsuppressed: bool) -> pd.DataFrame:
    rows = conn.execute(sa.text(f"""
        SELECT o.indicator_code, o.period, o.area_id, o.value
        FROM {observation_source(unsuppressed)} o WHERE o.area_id = ANY(:ids)"""), {"ids": area_ids}).all()
    return pd.DataFrame(rows, columns=["indicator_code", "period", "area_id", "value"]).astype({"value": float})


def _indicators(conn: Connection) -> dict[str, dict]:
    rows = conn.execute(sa.text("""
        SELECT code, name_de, name_en, unit, kind, aggregation, weight_indicator FROM indicator""")).mappings()
    return {r["code"]: dict(r) for r in rows}


def is_extensive(meta: dict) -> bool:
    return meta["aggregation"] == "sum" or meta["kind"] == "count"


def _estimate(code: str, period: date, group: pd.DataFrame, areas: pd.DataFrame, target_m2: float,
              values: pd.DataFrame, meta: dict) -> dict:
    value = group.set_index("area_id")["value"].reindex(areas.index)
    has = value.notna()
    covered = float(areas.loc[has, "overlap_m2"].sum())
    base = {"indicator": code, "name_de": meta["name_de"], "name_en": meta["name_en"], "unit": meta["unit"],
            "period": period.isoformat(), "areas_used": int(has.sum()), "areas_missing": int((~has).sum()),
            "coverage": round(min(1.0, covered / target_m2), 6), "complete": bool(has.all())}
    if not has.any():
        return base | {"value": None, "method": None}
    if is_extensive(meta):
        estimate = float((value[has] * areas.loc[has, "share"]).sum())
        return base | {"value": estimate, "method": "areal_weighting"}
    weight_code = meta["weight_indicator"] or POPULATION
    weights = values[values["indicator_code"] == weight_code]
    if not weights.empty:
        weight_period = min(weights["period"].unique(), key=lambda p: (abs((p - period).days), -p.toordinal()))
        population = weights[weights["period"] == weight_period].set_index("area_id")["value"].reindex(areas.index)
        usable = has & population.notna()
        people = population[usable] * areas.loc[usable, "share"]
        if usable.any() and people.sum() > 0:
            estimate = float(np.average(value[usable], weights=people))
            return base | {"value": estimate, "method": "population_weighted_mean", "weight_indicator": weight_code,
                           "weight_period": weight_period.isoformat(), "areas_used": int(usable.sum()),
                           "areas_missing": int((~usable).sum()), "complete": bool(usable.all())}
    estimate = float(np.average(value[has], weights=areas.loc[has, "overlap_m2"]))
    return base | {"value": estimate, "method": "area_weighted_mean"}


def _population(estimates: list[dict]) -> dict | None:
    """The estimated number of inhabitants (EW) of the target at the latest period."""
    ew = [e for e in estimates if e["indicator"] == POPULATION and e["value"] is not None]
    if not ew:
        return None
    latest = max(ew, key=lambda e: e["period"])
    return {"indicator": POPULATION, "period": latest["period"], "value": latest["value"],
            "complete": latest["complete"]}
