"""Gaps between groups (docs/integration.md §5): a rate broken down by population group, and the difference and
ratio of the group's rate to the rest's, per area, from numerators and denominators.

A rate is named by two count indicators (numerator and denominator, e.g. unemployed / inhabitants 15-65) and the
group by its two parts (e.g. unemployed foreigners / foreign inhabitants 15-65); the rest is total minus group.
Per area: the group's rate n/d, the rest's (N - n)/(D - d), both with their 95 % Wilson interval and reliability
mark (`indicators.uncertainty`), the difference in percentage points and the ratio. On every level the four
counts are the level's own cells: counts are rolled up by summing (`indicators.rollup`), so a parent's rates are
ratios of summed numerators and denominators, never means of the children's rates.

Confidentiality: the counts come through `observation_source`; an area with a hidden count gets no rate, no gap
(reason given), and the rest's counts (total minus group) are differences of public cells only.

Refused, naming the field: a part above its total (the group's numerator above the numerator, the group's
denominator above the denominator), a numerator above its denominator, parts of a declared partition
(`indicator_partition`) that do not add up to their total, indicators that are not counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.versions import level_valid_at
from indicators.input_errors import FieldInputError
from indicators.observation_source import observation_source
from indicators.uncertainty import UNRELIABLE_DE, unreliable, wilson_interval

FIELDS = ("numerator", "denominator", "group_numerator", "group_denominator")


class GapInputError(FieldInputError):
    """A request member the analysis cannot use (indicators.input_errors)."""


@dataclass(frozen=True)
class GapRequest:
    numerator: str
    denominator: str
    group_numerator: str
    group_denominator: str
    level: str
    period: date
    unsuppressed: bool = False


def _codes(request: GapRequest) -> dict[str, str]:
    return {name: getattr(request, name) for name in FIELDS}


def _check_kinds(conn: Connection, request: GapRequest) -> None:
    codes = _codes(request)
    rows = dict(conn.execute(sa.text("SELECT code, kind FROM indicator WHERE code = ANY(:codes)"),
                             {"codes": list(codes.values())}).all())
    for field, code in codes.items():
        if code not in rows:
            raise GapInputError(field, f"no indicator {code!r}; /api/indicators lists them", 404)
        if rows[code] != "count":
            raise GapInputError(field, f"{code} is a {rows[code]}: a gap is computed from counts (numerators and "
                                "denominators)")
    if len(set(codes.values())) < 4:
        raise GapInputError("group_numerator", "the four indicators must differ", 400)


def read_counts(conn: Connection, request: GapRequest) -> pd.DataFrame:
    codes = _codes(request)
    source = observation_source(request.unsuppressed)
    at = conn.execute(sa.text(f"""
        SELECT a.valid_from FROM {source} o JOIN area a ON a.id = o.area_id
        WHERE a.level_code = :level AND o.period = :period AND o.indicator_code = ANY(:codes)
        GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"""),
        {"level": request.level, "period": request.period, "codes": list(codes.values())}).scalar()
    if at is None:
        raise GapInputError("period", f"no values of {', '.join(codes.values())} on level {request.level!r} in "
                            f"{request.period}", 404)
    rows = conn.execute(sa.text(f"""
        SELECT a.key, a.name, o.indicator_code, o.value, o.flag FROM area a
        LEFT JOIN {source} o ON o.area_id = a.id AND o.period = :period AND o.indicator_code = ANY(:codes)
        WHERE {level_valid_at("a")} ORDER BY a.key"""),
        {"level": request.level, "at": at, "period": request.period, "codes": list(codes.values())}).all()
    frame = pd.DataFrame(rows, columns=["key", "name", "code", "value", "flag"])
    names = frame.drop_duplicates("key").set_index("key")["name"]
    cells = frame.dropna(subset=["code"])
    values = cells.pivot(index="key", columns="code", values="value").reindex(index=names.index)
    flags = cells.pivot(index="key", columns="code", values="flag").reindex(index=names.index)
    result = pd.DataFrame({"name": names})
    for field, code in codes.items():
        result[field] = values[code].astype(float) if code in values else np.nan
        result[f"{field}_flag"] = flags[code] if code in flags else None
    return result


def _check_values(conn: Connection, request: GapRequest, frame: pd.DataFrame) -> None:
    pairs = (("group_numerator", "numerator", "the group's part {a} exceeds its total {b}"),
             ("group_denominator", "denominator", "the group's part {a} exceeds its total {b}"),
             ("numerator", "denominator", "the numerator {a} exceeds the denominator {b}"),
             ("group_numerator", "group_denominator", "the numerator {a} exceeds the denominator {b}"))
    for part, whole, text in pairs:
        bad = frame.index[frame[part] > frame[whole]]
        if len(bad):
            key = bad[0]
            raise GapInputError(part, f"area {key}: " + text.format(a=f"{getattr(request, part)} = "
                                f"{frame.at[key, part]:g}", b=f"{getattr(request, whole)} = {frame.at[key, whole]:g}"))
    source = observation_source(request.unsuppressed)
    for part in ("group_numerator", "group_denominator"):
        total = "numerator" if part == "group_numerator" else "denominator"
        row = conn.execute(sa.text(f"""
            WITH p AS (SELECT name, total_code, part_code FROM indicator_partition
                       WHERE name IN (SELECT name FROM indicator_partition WHERE part_code = :part)
                         AND total_code = :total)
            SELECT p.name, a.key, t.value AS total, sum(o.value) AS parts
            FROM p JOIN {source} o ON o.indicator_code = p.part_code AND o.period = :period
            JOIN area a ON a.id = o.area_id AND a.level_code = :level
            JOIN {source} t ON t.indicator_code = p.total_code AND t.area_id = o.area_id AND t.period = o.period
            GROUP BY p.name, a.key, t.value
            HAVING count(o.value) = (SELECT count(*) FROM p p2 WHERE p2.name = p.name) AND count(t.value) > 0
               AND abs(sum(o.value) - t.value) > 0.5
            ORDER BY a.key LIMIT 1"""),
            {"part": getattr(request, part), "total": getattr(request, total), "period": request.period,
             "level": request.level}).first()
        if row is not None:
            raise GapInputError(part, f"the parts of partition {row.name!r} do not add up to {getattr(request, total)} "
                                f"in area {row.key} ({row.parts:g} vs {row.total:g})")


def gap_table(conn: Connection, request: GapRequest) -> dict[str, Any]:
    """Per area: counts, the group's, the rest's and everyone's rate (%), the group's and the rest's Wilson
    interval and reliability mark, the difference (percentage points) and the ratio of the group's rate to
    the rest's."""
    _check_kinds(conn, request)
    frame = read_counts(conn, request)
    _check_values(conn, request, frame)
    n, d = frame["group_numerator"], frame["group_denominator"]
    rn, rd = frame["numerator"] - n, frame["denominator"] - d
    g_low, g_high = wilson_interval(n, d)
    r_low, r_high = wilson_interval(rn, rd)
    g_unsure, r_unsure = unreliable(n, d), unreliable(rn, rd)
    areas = []
    for i, (key, row) in enumerate(frame.iterrows()):
        item: dict[str, Any] = {"key": key, "name": row["name"]}
        hidden = [getattr(request, f) for f in FIELDS if row[f"{f}_flag"] == "suppressed"]
        missing = [getattr(request, f) for f in FIELDS if pd.isna(row[f])]
        for field in FIELDS:
            item[field] = None if pd.isna(row[field]) else float(row[field])
        if missing or not (d.iloc[i] > 0 and rd.iloc[i] > 0):
            item["reason"] = (f"confidential: {', '.join(hidden)}" if hidden else
                              f"no value: {', '.join(missing)}" if missing else "no group or no rest")
            areas.append(item)
            continue
        group, rest = float(100 * n.iloc[i] / d.iloc[i]), float(100 * rn.iloc[i] / rd.iloc[i])
        item.update({
            "rate_all": float(100 * row["numerator"] / row["denominator"]), "rate_group": group, "rate_rest": rest,
            "group_ci_low": float(100 * g_low[i]), "group_ci_high": float(100 * g_high[i]),
            "rest_ci_low": float(100 * r_low[i]), "rest_ci_high": float(100 * r_high[i]),
            "difference": group - rest, "ratio": group / rest if rest > 0 else None,
            "group_reliability": UNRELIABLE_DE if g_unsure[i] else "",
            "rest_reliability": UNRELIABLE_DE if r_unsure[i] else "",
        })
        areas.append(item)
    return {**_codes(request), "level": request.level, "period": request.period,
            "method": "rates in % from counts; rest = total - group; difference in percentage points, ratio = "
                      "group / rest; 95 % Wilson intervals", "areas": areas}


# -- every group of a dimension at once (breakdowns declared in the catalogue) ----------------------------------


def breakdown_pairs(conn: Connection, numerator: str, denominator: str, dimension: str) -> list[dict[str, str]]:
    """The groups of `dimension` for which the catalogue declares a part of both the numerator and the denominator
    (`group_of`, `group`): code, names and the two parts; refused (field `by`) when there is none."""
    rows = conn.execute(sa.text("""
        SELECT g.code AS group, g.name_de, g.name_en, n.code AS group_numerator, d.code AS group_denominator
        FROM population_group g
        JOIN indicator n ON n.population_group = g.code AND n.group_of = :numerator
        JOIN indicator d ON d.population_group = g.code AND d.group_of = :denominator
        WHERE g.dimension = :dimension ORDER BY g.code"""),
        {"numerator": numerator, "denominator": denominator, "dimension": dimension}).mappings().all()
    if rows:
        return [dict(r) for r in rows]
    declared = conn.execute(sa.text("""
        SELECT string_agg(DISTINCT g.dimension || ': ' || i.group_of, '; ' ORDER BY g.dimension || ': ' || i.group_of)
        FROM indicator i JOIN population_group g ON g.code = i.population_group""")).scalar()
    raise GapInputError("by", f"no group of the dimension {dimension!r} breaks down both {numerator} and "
                        f"{denominator}; declared breakdowns (dimension: whole): {declared or 'none'}. Declare the "
                        "groups' parts in the catalogue (groups:, and group_of and group per part)")


def breakdown_gaps(conn: Connection, numerator: str, denominator: str, dimension: str, level: str, period: date,
                   unsuppressed: bool = False) -> dict[str, Any]:
    """The gap table of every group of a dimension (each group against everyone else), one row per group and
    area with the group's code. The groups of one dimension are disjoint: parts that add up to more than their
    whole in an area are refused (field `by`, naming the area)."""
    pairs = breakdown_pairs(conn, numerator, denominator, dimension)
    tables = [gap_table(conn, GapRequest(numerator=numerator, denominator=denominator,
                                         group_numerator=pair["group_numerator"],
                                         group_denominator=pair["group_denominator"], level=level, period=period,
                                         unsuppressed=unsuppressed)) for pair in pairs]
    for field, whole in (("group_numerator", numerator), ("group_denominator", denominator)):
        sums: dict[str, float] = {}
        totals: dict[str, float] = {}
        for table in tables:
            for area in table["areas"]:
                if area[field] is not None:
                    sums[area["key"]] = sums.get(area["key"], 0.0) + area[field]
                    totals[area["key"]] = area["numerator" if field == "group_numerator" else "denominator"]
        over = [key for key, total in sums.items() if totals[key] is not None and total > totals[key] + 0.5]
        if over:
            key = over[0]
            raise GapInputError("by", f"area {key}: the groups of {dimension!r} add up to {sums[key]:g} of {whole}, "
                                f"more than its total {totals[key]:g}; the groups of one dimension must not overlap")
    return {"numerator": numerator, "denominator": denominator, "by": dimension, "level": level, "period": period,
            "method": tables[0]["method"] + "; each group against everyone else",
            "groups": pairs,
            "areas": [{"group": pair["group"], **area} for pair, table in zip(pairs, tables) for area in table["areas"]]}
