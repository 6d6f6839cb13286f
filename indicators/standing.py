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

from geo.versions import valid_at
from indicators.observation_source import observation_source
from indicators.values import boundary_days
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
    An area is ranked among the areas of its own boundaries (those valid on the day its period is drawn at, else
    those that ended together):
    where a period was published on two key systems (Berlin's 31.12.2018 on the 447 and the 542 planning
    areas), the two are not one ranking, and the same key may name different areas in them.

    The ranks of a level are one window query over all its areas; asked per area (each profile), the same
    query cost as much as the whole level (80 ms of a 150 ms profile). So the level is ranked once per
    data_version and database in this process, and every profile picks its rows. Any change of data or of
    disclosure bumps data_version, so a memoised standing never outlives the data it was made from."""
    def rank() -> dict[tuple, list[dict]]:
        days = boundary_days(conn, level)
        # the areas valid on the day a period is drawn at are one ranking, even when a territorial change began
        # some of them later than the others (the Wartburgkreis of 01.07.2021 among the Kreise of 01.01.2021)
        rows = conn.execute(sa.text(f"""
            WITH drawn AS (SELECT * FROM unnest(CAST(:periods AS date[]), CAST(:codes AS text[]),
                                                CAST(:days AS date[])) AS d(period, indicator_code, day)),
            ranked AS (
                SELECT o.indicator_code, o.period, o.value, a.key, a.valid_to,
                       CASE WHEN {valid_at("a", "d.day")} THEN NULL ELSE coalesce(a.valid_to, 'infinity') END AS system
                FROM {observation_source(unsuppressed)} o JOIN area a ON a.id = o.area_id
                LEFT JOIN drawn d ON d.period = o.period AND d.indicator_code = o.indicator_code
                WHERE a.level_code = :level AND o.value IS NOT NULL)
            SELECT indicator_code AS indicator, period, key, valid_to,
                   rank() OVER w_desc AS rank,
                   count(*) OVER w AS n,
                   percent_rank() OVER w_asc AS percentile
            FROM ranked
            WINDOW w AS (PARTITION BY indicator_code, period, system),
                   w_desc AS (PARTITION BY indicator_code, period, system ORDER BY value DESC),
                   w_asc AS (PARTITION BY indicator_code, period, system ORDER BY value)
            ORDER BY key, indicator_code, period"""),
            {"level": level, "periods": [period for period, code in days if code is not None],
             "codes": [code for _, code in days if code is not None],
             "days": [day for (_, code), day in days.items() if code is not None]})
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
