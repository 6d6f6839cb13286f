"""Coverage report: per indicator, level and period, how many areas have a value and which do not, and why.

Counties and small municipalities often lack data; the report shows every gap instead of hiding it:
an area is counted as `with_value`, `missing` (a row without a number, by its flag, e.g. "." = unknown or
secret), `suppressed` (hidden by statistical confidentiality for this caller) or `no_row` (the area
exists in the boundary version but no value was delivered at all). The areas expected are those of the
boundary version most values of that indicator and period are attached to. Reads through
`observation_source`, so readers and stewards each see their own coverage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.versions import level_valid_at, valid_at
from indicators.schema import OBSERVATION_FLAGS, observation_source


@dataclass(frozen=True)
class CoverageQuery:
    indicator: str | None = None
    level: str | None = None
    period: date | None = None
    unsuppressed: bool = False


def _combinations_sql(query: CoverageQuery) -> str:
    """(indicator_code, level_code, period, at, area_id) of every area expected per combination with data."""
    published = "" if query.unsuppressed else "AND i.published"
    return f"""
        obs AS (
            SELECT o.indicator_code, o.area_id, o.period, o.value, o.flag, o.flag_reason, a.level_code, a.valid_from
            FROM {observation_source(query.unsuppressed)} o
            JOIN area a ON a.id = o.area_id
            JOIN indicator i ON i.code = o.indicator_code {published}
            WHERE (CAST(:indicator AS text) IS NULL OR o.indicator_code = :indicator)
              AND (CAST(:level AS text) IS NULL OR a.level_code = :level)
              AND (CAST(:period AS date) IS NULL OR o.period = :period)),
        combos AS (
            SELECT DISTINCT ON (indicator_code, level_code, period) indicator_code, level_code, period,
                   valid_from AS at
            FROM (SELECT indicator_code, level_code, period, valid_from, count(*) AS n
                  FROM obs GROUP BY 1, 2, 3, 4) c
            ORDER BY indicator_code, level_code, period, n DESC, valid_from DESC),
        expected AS (
            SELECT c.indicator_code, c.level_code, c.period, c.at, a.id AS area_id, a.key, a.name
            FROM combos c
            JOIN area a ON {level_valid_at("a", "c.level_code", "c.at")})"""


def coverage_summary(conn: Connection, query: CoverageQuery) -> list[dict]:
    """One row per (indicator, level, period) with counts; indicator/level pairs without any data as well."""
    params = {"indicator": query.indicator, "level": query.level, "period": query.period}
    rows = conn.execute(sa.text(f"""
        WITH {_combinations_sql(query)}
        SELECT e.indicator_code AS indicator, i.name_de, e.level_code AS level, e.period,
               e.at AS boundaries_valid_from, count(*) AS areas,
               count(*) FILTER (WHERE o.value IS NOT NULL) AS with_value,
               count(*) FILTER (WHERE o.area_id IS NOT NULL AND o.value IS NULL
                                AND o.flag IS DISTINCT FROM 'suppressed') AS missing,
               count(*) FILTER (WHERE o.flag = 'suppressed') AS suppressed,
               count(*) FILTER (WHERE o.area_id IS NULL) AS no_row
        FROM expected e
        JOIN indicator i ON i.code = e.indicator_code
        JOIN area_level l ON l.code = e.level_code
        LEFT JOIN obs o ON o.indicator_code = e.indicator_code AND o.area_id = e.area_id AND o.period = e.period
        GROUP BY e.indicator_code, i.name_de, i.sort, e.level_code, l.rank, e.period, e.at
        ORDER BY i.sort, e.indicator_code, l.rank, e.period DESC"""), params).mappings().all()
    by_flag = _missing_by_flag(conn, query, params)
    result = []
    for row in rows:
        item = dict(row)
        item["coverage_share"] = round(item["with_value"] / item["areas"], 4) if item["areas"] else None
        item["missing_by_flag"] = by_flag.get((row["indicator"], row["level"], row["period"]), {})
        result.append(item)
    result += _without_data(conn, query, {(r["indicator"], r["level"]) for r in result})
    return result


def _missing_by_flag(conn: Connection, query: CoverageQuery, params: dict) -> dict[tuple, dict[str, int]]:
    rows = conn.execute(sa.text(f"""
        WITH {_combinations_sql(query)}
        SELECT e.indicator_code, e.level_code, e.period, coalesce(o.flag, 'missing') AS flag, count(*) AS n
        FROM expected e
        JOIN obs o ON o.indicator_code = e.indicator_code AND o.area_id = e.area_id AND o.period = e.period
        WHERE o.value IS NULL AND o.flag IS DISTINCT FROM 'suppressed'
        GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC"""), params).all()
    result: dict[tuple, dict[str, int]] = {}
    for code, level, period, flag, n in rows:
        result.setdefault((code, level, period), {})[flag] = n
    return result


def _without_data(conn: Connection, query: CoverageQuery, present: set[tuple[str, str]]) -> list[dict]:
    """Indicator/level pairs with no value at all (for the requested period, if one is given)."""
    rows = conn.execute(sa.text(f"""
        SELECT i.code AS indicator, i.name_de, l.code AS level,
               (SELECT count(*) FROM area a
                WHERE {level_valid_at("a", "l.code", "coalesce(CAST(:period AS date), current_date)")}) AS areas
        FROM indicator i CROSS JOIN area_level l
        WHERE (i.published OR :unsuppressed)
          AND (CAST(:indicator AS text) IS NULL OR i.code = :indicator)
          AND (CAST(:level AS text) IS NULL OR l.code = :level)
        ORDER BY i.sort, i.code, l.rank"""),
        {"indicator": query.indicator, "level": query.level, "period": query.period,
         "unsuppressed": query.unsuppressed}).mappings().all()
    return [{**row, "period": query.period, "boundaries_valid_from": None, "with_value": 0, "missing": 0,
             "suppressed": 0, "no_row": row["areas"], "coverage_share": 0.0 if row["areas"] else None,
             "missing_by_flag": {}}
            for row in rows if (row["indicator"], row["level"]) not in present]


def coverage_gaps(conn: Connection, query: CoverageQuery) -> list[dict]:
    """Every expected area of one (indicator, level, period) without a value: key, name, status, flag, reason."""
    params = {"indicator": query.indicator, "level": query.level, "period": query.period}
    rows = conn.execute(sa.text(f"""
        WITH {_combinations_sql(query)}
        SELECT e.key, e.name,
               CASE WHEN o.area_id IS NULL THEN 'no_row' WHEN o.flag = 'suppressed' THEN 'suppressed'
                    ELSE 'missing' END AS status,
               o.flag, o.flag_reason
        FROM expected e
        LEFT JOIN obs o ON o.indicator_code = e.indicator_code AND o.area_id = e.area_id AND o.period = e.period
        WHERE o.value IS NULL
        ORDER BY 3, e.key"""), params).mappings().all()
    if not rows and query.level and query.period and not _has_data(conn, query):
        rows = conn.execute(sa.text(f"""
            SELECT a.key, a.name, 'no_row' AS status, NULL AS flag, NULL AS flag_reason FROM area a
            WHERE a.level_code = :level AND {valid_at("a", ":period")}
            ORDER BY a.key"""), params).mappings().all()
    labels = {**{k: v[0] for k, v in OBSERVATION_FLAGS.items()}, "suppressed": "geheim gehalten (Statistikgeheimnis)"}
    return [{**row, "flag_label_de": labels.get(row["flag"] or "", "kein Wert geliefert" if row["status"] == "no_row"
                                                else "Wert fehlt")} for row in rows]


def _has_data(conn: Connection, query: CoverageQuery) -> bool:
    return conn.execute(sa.text(f"""
        SELECT EXISTS (SELECT 1 FROM {observation_source(query.unsuppressed)} o JOIN area a ON a.id = o.area_id
                       WHERE o.indicator_code = :indicator AND a.level_code = :level AND o.period = :period)"""),
        {"indicator": query.indicator, "level": query.level, "period": query.period}).scalar_one()
