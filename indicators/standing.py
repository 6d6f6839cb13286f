"""Where one area stands among the areas of its level: rank and percentile per indicator and period.

Ranks are computed over the areas of the same level that have a value for that indicator and period
(missing and suppressed values take no rank). rank 1 = highest value; percentile = share of the ranked
areas with a lower value (SQL `percent_rank`, 0 .. 1). Reads through `observation_source`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from indicators.schema import observation_source


def area_standing(conn: Connection, level: str, area_key: str, unsuppressed: bool = False) -> list[dict]:
    """One row per indicator and period with a value for this area: value, rank, n (ranked areas), percentile."""
    rows = conn.execute(sa.text(f"""
        WITH ranked AS (
            SELECT o.indicator_code, o.period, a.key,
                   rank() OVER w_desc AS rank,
                   count(*) OVER w AS n,
                   percent_rank() OVER w_asc AS percentile
            FROM {observation_source(unsuppressed)} o JOIN area a ON a.id = o.area_id
            WHERE a.level_code = :level AND o.value IS NOT NULL
              AND o.indicator_code IN (SELECT DISTINCT o2.indicator_code
                                       FROM {observation_source(unsuppressed)} o2 JOIN area a2 ON a2.id = o2.area_id
                                       WHERE a2.level_code = :level AND a2.key = :key)
            WINDOW w AS (PARTITION BY o.indicator_code, o.period),
                   w_desc AS (PARTITION BY o.indicator_code, o.period ORDER BY o.value DESC),
                   w_asc AS (PARTITION BY o.indicator_code, o.period ORDER BY o.value)
        )
        SELECT indicator_code AS indicator, period, rank, n, percentile FROM ranked WHERE key = :key
        ORDER BY indicator_code, period"""), {"level": level, "key": area_key})
    return [dict(r._mapping) for r in rows]


def level_period_values(conn: Connection, level: str, period, unsuppressed: bool = False) -> list[dict]:
    """Every current observation of one level and period (all indicators, missing ones with their flag)."""
    rows = conn.execute(sa.text(f"""
        SELECT o.indicator_code AS indicator, a.key, a.name, o.value, o.flag, o.flag_reason
        FROM {observation_source(unsuppressed)} o JOIN area a ON a.id = o.area_id
        WHERE a.level_code = :level AND o.period = :period
        ORDER BY o.indicator_code, a.key"""), {"level": level, "period": period})
    return [dict(r._mapping) for r in rows]
