"""How the values of a coarser level were derived from finer ones (the roll-up rules), per area."""

from __future__ import annotations

from fastapi import APIRouter

from indicators.rollup import list_derivations
from service.formats import TABLE_FORMATS, Format, all_fields, table_response
from service.http import json_response
from service.params import DerivedLevel, parse_date
from service.routes.cached import Caller, Conn

router = APIRouter(tags=["aggregation"])


@router.get("/api/aggregate/derivations", summary="How the values of a level were derived (roll-up rules)")
def derivations(conn: Conn, caller: Caller, level: DerivedLevel, fmt: Format,
                indicator: str | None = None, period: str | None = None):
    rows = list_derivations(conn, level, indicator, parse_date(period, "period"), caller.sees_unsuppressed)
    if fmt in TABLE_FORMATS:
        return table_response(fmt, rows, all_fields(rows) or ["key"], f"ableitungen_{level}")
    return json_response({"level": level, "count": len(rows), "items": rows,
                          "rules": {"sum": "counts added up", "ratio_of_sums": "scale * sum(numerators) / "
                                    "sum(denominators)", "weighted_mean": "population-weighted mean of the shares "
                                    "(weight_indicator at weight_period)", "difference": "difference of the rolled-up "
                                    "values at period and base_period"}})
