"""Areal interpolation of every indicator from the areas of a level to an arbitrary target polygon
(docs/methods.md section 5).

- Extensive variables (counts, aggregation `sum`): each source area contributes value * share, where share is
  the part of its area inside the target ("areal weighting": people are assumed evenly spread in an area).
- Intensive variables (shares, rates, changes): the mean of the source values weighted by the estimated
  population of each overlap (weight indicator, default the level's population count, of the same period, else
  of the nearest period);
  where no population exists, weighted by the overlap area. Each estimate names its method.

Inputs are read through `observation_source(unsuppressed)`: readers get public values only, so suppressed
values count as missing and make an estimate incomplete. No I/O beyond the connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.aggregation import (
    AggregationInputError,
    Overlap,
    Target,
    current_version,
    finest_level,
    overlap,
)
from indicators.catalogue import population_indicator
from indicators.observation_source import observation_source


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
    population_code = population_indicator(conn, level)
    estimates = [_estimate(code, period, by_area, found, values, meta[code], population_code)
                 for (code, period), by_area in sorted(values.items()) if code in meta]
    population = _population(estimates, population_code)
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


def _values(conn: Connection, area_ids: list[int], unsuppressed: bool) -> dict[tuple[str, date], dict[int, float]]:
    """{(indicator, period): {area_id: value}}; missing and suppressed values are absent (None)."""
    rows = conn.execute(sa.text(f"""
        SELECT o.indicator_code, o.period, o.area_id, o.value
        FROM {observation_source(unsuppressed)} o WHERE o.area_id = ANY(:ids)"""), {"ids": area_ids})
    values: dict[tuple[str, date], dict[int, float]] = {}
    for code, period, area_id, value in rows:
        values.setdefault((code, period), {})[area_id] = value
    return values


def _indicators(conn: Connection) -> dict[str, dict]:
    rows = conn.execute(sa.text("""
        SELECT code, name_de, name_en, unit, kind, aggregation, weight_indicator FROM indicator""")).mappings()
    return {r["code"]: dict(r) for r in rows}


def is_extensive(meta: dict) -> bool:
    return meta["aggregation"] == "sum" or meta["kind"] == "count"


def _estimate(code: str, period: date, by_area: dict[int, float | None], found: Overlap,
              values: dict[tuple[str, date], dict[int, float]], meta: dict, population_code: str | None) -> dict:
    """One estimate (plain Python: a few dozen areas, where pandas' per-call overhead would dominate)."""
    with_value = [a for a in found.areas if by_area.get(a["area_id"]) is not None]
    covered = sum(a["overlap_m2"] for a in with_value)
    base = {"indicator": code, "name_de": meta["name_de"], "name_en": meta["name_en"], "unit": meta["unit"],
            "period": period.isoformat(), "areas_used": len(with_value),
            "areas_missing": len(found.areas) - len(with_value),
            "coverage": round(min(1.0, covered / found.target_area_m2), 6),
            "complete": len(with_value) == len(found.areas)}
    if not with_value:
        return base | {"value": None, "method": None}
    if is_extensive(meta):
        return base | {"value": sum(by_area[a["area_id"]] * a["share"] for a in with_value),
                       "method": "areal_weighting"}
    weight_code = meta["weight_indicator"] or population_code
    weight_periods = [p for (c, p) in values if c == weight_code] if weight_code else []
    if weight_periods:
        weight_period = min(weight_periods, key=lambda p: (abs((p - period).days), -p.toordinal()))
        population = values[(weight_code, weight_period)]
        usable = [(by_area[a["area_id"]], population[a["area_id"]] * a["share"]) for a in with_value
                  if population.get(a["area_id"]) is not None]
        people = sum(w for _v, w in usable)
        if people > 0:
            return base | {"value": sum(v * w for v, w in usable) / people, "method": "population_weighted_mean",
                           "weight_indicator": weight_code, "weight_period": weight_period.isoformat(),
                           "areas_used": len(usable), "areas_missing": len(found.areas) - len(usable),
                           "complete": len(usable) == len(found.areas)}
    return base | {"value": sum(by_area[a["area_id"]] * a["overlap_m2"] for a in with_value) / covered,
                   "method": "area_weighted_mean"}


def _population(estimates: list[dict], population_code: str | None) -> dict | None:
    """The estimated population of the target at the latest period (the level's population count:
    indicators.catalogue.population_indicator)."""
    counted = [e for e in estimates if e["indicator"] == population_code and e["value"] is not None]
    if not counted:
        return None
    latest = max(counted, key=lambda e: e["period"])
    return {"indicator": population_code, "period": latest["period"], "value": latest["value"],
            "complete": latest["complete"]}
