"""Reading current indicator values: per period as feature properties, per area as a profile, and periods.

Only current (not superseded) observations are read here.
"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from indicators.catalogue import list_periods
from indicators.schema import observation_source



def period_properties_sql(unsuppressed: bool = False) -> str:
    """(area_id, properties jsonb) for one `:period`: a flat property per indicator, plus <code>_flag where flagged."""
    return f"""
        SELECT o.area_id,
               jsonb_build_object('period', CAST(:period AS date))
               || jsonb_object_agg(o.indicator_code, o.value)
               || coalesce(jsonb_object_agg(o.indicator_code || '_flag', o.flag) FILTER (WHERE o.flag IS NOT NULL),
                           '{{}}'::jsonb) AS properties
        FROM {observation_source(unsuppressed)} o
        WHERE o.period = :period
        GROUP BY o.area_id"""


class PeriodNotFound(LookupError):
    def __init__(self, requested: str, available: list[date]):
        super().__init__(f"no data for period {requested!r}")
        self.requested = requested
        self.available = available


def resolve_period(conn: Connection, level: str, requested: str | None, indicator_code: str | None = None,
                   unsuppressed: bool = False) -> date:
    """The period meant by '2020-12-31', '2020' (the only/latest period of that year) or None (latest)."""
    available = list_periods(conn, level, indicator_code, unsuppressed)
    if not available:
        raise PeriodNotFound(requested or "latest", available)
    if requested is None or requested == "latest":
        return available[0]
    text = requested.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", text):
        try:
            wanted = date.fromisoformat(text[:10])
        except ValueError:
            raise PeriodNotFound(requested, available) from None
        if wanted in available:
            return wanted
    elif re.fullmatch(r"\d{4}", text):
        in_year = [p for p in available if p.year == int(text)]
        if in_year:
            return in_year[0]
    raise PeriodNotFound(requested, available)


def boundary_date_for(conn: Connection, level: str, period: date | None) -> date:
    """The boundary version to draw a period on: the one its observations are attached to, else the current one."""
    if period is not None:
        attached = conn.execute(sa.text("""
            SELECT a.valid_from FROM observation_current o JOIN area a ON a.id = o.area_id
            WHERE a.level_code = :level AND o.period = :period
            GROUP BY a.valid_from ORDER BY count(*) DESC LIMIT 1"""), {"level": level, "period": period}).scalar()
        if attached is not None:
            return attached
    current = conn.execute(sa.text(
        "SELECT max(valid_from) FROM area WHERE level_code = :level AND valid_to IS NULL"), {"level": level}).scalar()
    return current or date.today()


def area_values(conn: Connection, area_id: int, unsuppressed: bool = False) -> list[dict]:
    """All current observations of one boundary version, with the indicator's name and unit."""
    rows = conn.execute(sa.text(f"""
        SELECT o.indicator_code AS indicator, i.name_de, i.name_en, i.unit, i.topic_code AS topic, o.period,
               o.value, o.numerator, o.denominator, o.flag, o.flag_reason
        FROM {observation_source(unsuppressed)} o JOIN indicator i ON i.code = o.indicator_code
        LEFT JOIN topic t ON t.code = i.topic_code
        WHERE o.area_id = :area_id
        ORDER BY t.sort NULLS LAST, i.sort, o.period DESC"""), {"area_id": area_id})
    return [dict(r._mapping) for r in rows]


def indicator_values(conn: Connection, level: str, at: date, indicator_code: str, period: date,
                     unsuppressed: bool = False) -> list[dict]:
    """Values of one indicator and period for every area of a boundary version (missing ones included)."""
    rows = conn.execute(sa.text(f"""
        SELECT a.key, a.name, o.value, o.flag, o.flag_reason
        FROM area a
        LEFT JOIN {observation_source(unsuppressed)} o ON o.area_id = a.id AND o.indicator_code = :code
             AND o.period = :period
        WHERE a.level_code = :level AND a.valid_from <= :at AND (a.valid_to IS NULL OR a.valid_to > :at)
        ORDER BY a.key"""), {"level": level, "at": at, "code": indicator_code, "period": period})
    return [dict(r._mapping) for r in rows]
