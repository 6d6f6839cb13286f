"""Where one area stands among the areas of its level: rank and percentile per indicator and period.

Ranks are computed over the areas of the same level that have a value for that indicator and period
(missing and suppressed values take no rank). rank 1 = highest value; percentile = share of the ranked
areas with a lower value (SQL `percent_rank`, 0 .. 1). Reads through `observation_source`. The ranks of a
level are memoised in the process per database and data_version (`level_standing`).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from indicators.observation_source import observation_source
from indicators.version_memo import VersionMemo

# The standing of every area of a level, per database, kind of reader and data_version (indicators.version_memo).
STANDINGS = VersionMemo(kept=16)


def area_standing(conn: Connection, level: str, area_key: str, unsuppressed: bool = False,
                  valid_to: date | None = None) -> list[dict]:
    """One row per indicator and period with a value for this area (the one of the current boundaries, or the
    one whose boundaries ended at `valid_to`): value, rank, n (ranked areas), percentile."""
    return [dict(row) for row in level_standing(conn, level, unsuppressed).get((area_key, valid_to), [])]


def level_standing(conn: Connection, level: str, unsuppressed: bool = False) -> dict[tuple, list[dict]]:
    """(area key, valid_to) -> its rows (indicator, period, rank, n, percentile), ordered by indicator and period.
    An area is ranked among the areas of its own boundaries (those that ended together, or the current ones):
    where a period was published on two key systems (Berlin's 31.12.2018 on the 447 and the 542 planning
    areas), the two are not one ranking, and the same key may name different areas in them.

    The ranks of a level are one window query over all its areas; asked per area (each profile), the same
    query cost as much as the whole level (80 ms of a 150 ms profile). So the level is ranked once per
    data_version and database in this process, and every profile picks its rows. Any change of data or of
    disclosure bumps data_version, so a memoised standing never outlives the data it was made from."""
    def rank() -> dict[tuple, list[dict]]:
        rows = conn.execute(sa.text(f"""
            SELECT o.indicator_code AS indicator, o.period, a.key, a.valid_to,
                   rank() OVER w_desc AS rank,
                   count(*) OVER w AS n,
                   percent_rank() OVER w_asc AS percentile
            FROM {observation_source(unsuppressed)} o JOIN area a ON a.id = o.area_id
            WHERE a.level_code = :level AND o.value IS NOT NULL
            WINDOW w AS (PARTITION BY o.indicator_code, o.period, a.valid_to),
                   w_desc AS (PARTITION BY o.indicator_code, o.period, a.valid_to ORDER BY o.value DESC),
                   w_asc AS (PARTITION BY o.indicator_code, o.period, a.valid_to ORDER BY o.value)
            ORDER BY a.key, o.indicator_code, o.period"""), {"level": level})
        standing: dict[tuple, list[dict]] = {}
        for row in rows:
            item = dict(row._mapping)
            standing.setdefault((item.pop("key"), item.pop("valid_to")), []).append(item)
        return standing

    return STANDINGS.get(conn, ("standing", level, unsuppressed), rank)


def level_period_values(conn: Connection, level: str, period, unsuppressed: bool = False) -> list[dict]:
    """Every current observation of one level and period (all indicators, missing ones with their flag)."""
    rows = conn.execute(sa.text(f"""
        SELECT o.indicator_code AS indicator, a.key, a.name, o.value, o.flag, o.flag_reason
        FROM {observation_source(unsuppressed)} o JOIN area a ON a.id = o.area_id
        WHERE a.level_code = :level AND o.period = :period
        ORDER BY o.indicator_code, a.key"""), {"level": level, "period": period})
    return [dict(r._mapping) for r in rows]
