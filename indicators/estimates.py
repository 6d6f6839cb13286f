"""Harmonised estimates, kept: the older periods of every indicator of a level estimated for the areas of one
boundary version (the current one by default) and stored in `estimate`, so that a profile shows an area's series
from the earliest period at page speed (issue 15). The estimation is `indicators.harmonise` (areal
interpolation with tobler's area table, population-weighted where the register has the target's population);
this module decides what to estimate, replaces what was stored before, and reads it back.

A set-up runs it as its `harmonise` step (service.setup); `district-monitor compute estimates` runs it by hand
after new data. Estimates are derived from public values only (harmonise reads the public view), so they can be
shown to everyone without revealing a suppressed cell; they never enter the observations (maps, OGC items,
roll-ups and indices show what was published).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.versions import current_version_from, valid_at
from indicators.harmonise import METHODS, Harmoniser
from indicators.observation_source import observation_source


@dataclass
class EstimateSummary:
    """What a run stored: per indicator the number of estimated values and their periods."""

    level: str
    target_at: date
    method: str
    stored: dict[str, int] = field(default_factory=dict)
    periods: dict[str, list[date]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.stored.values())


def estimable_indicators(conn: Connection, level: str, target_at: date) -> list[str]:
    """Indicators with public values on areas of `level` that are not valid at `target_at` (other versions)."""
    return list(conn.execute(sa.text(f"""
        SELECT DISTINCT o.indicator_code FROM {observation_source(False)} o JOIN area a ON a.id = o.area_id
        WHERE a.level_code = :level AND NOT ({valid_at("a", ":at")}) ORDER BY 1"""),
        {"level": level, "at": target_at}).scalars())


def store_estimates(conn: Connection, level: str, *, target_at: date | None = None, codes: list[str] | None = None,
                    method: str = "population", computed_by: str = "system", population: str | None = None,
                    denominators: dict[str, list[str]] | None = None,
                    progress: Callable[[str, int, int], None] | None = None) -> EstimateSummary:
    """Estimate every period of `codes` (default: every indicator with values on another boundary version of
    `level`) that has no published value on the version valid at `target_at` (default: the current one), and
    store them in place of the estimates stored before for these indicators and areas. `population` and
    `denominators`: see `indicators.harmonise.Harmoniser`. In the caller's transaction: a failure stores nothing."""
    if method not in METHODS:
        raise ValueError(f"unknown interpolation method {method!r}; one of {', '.join(METHODS)}")
    target_at = target_at or current_version_from(conn, level)
    if target_at is None:
        raise ValueError(f"the level {level!r} has no areas")
    harmoniser = Harmoniser(conn, level, target_at, method, population=population, denominators=denominators)
    areas = dict(zip(harmoniser.target["key"].tolist(), harmoniser.target["id"].tolist()))
    summary = EstimateSummary(level, target_at, method)
    wanted = codes if codes is not None else estimable_indicators(conn, level, target_at)
    for done, code in enumerate(wanted, start=1):
        conn.execute(sa.text("DELETE FROM estimate WHERE indicator_code = :code AND area_id = ANY(:ids)"),
                     {"code": code, "ids": list(areas.values())})
        series = harmoniser.series(code)
        # an area's periods published on its target row need no estimate (the series carries those as "published",
        # hidden and missing cells included, so that no estimate stands in for a hidden value)
        published = series["method"] == "published"
        pairs = pd.MultiIndex.from_frame(series[["key", "period"]])
        published_pairs = pairs[published.to_numpy()]
        series = series[~published & ~pairs.isin(published_pairs)
                        & series["key"].isin(areas.keys()) & series["value"].notna()]  # no estimate: nothing kept
        if len(series):
            # one statement with arrays, not one per row: every statement on `estimate` bumps the data_version
            # (a trigger per statement), and row by row 42,000 estimates took 20 s instead of 0.3 s
            conn.execute(sa.text("""
                INSERT INTO estimate (area_id, indicator_code, period, value, share_estimated, method,
                                      source_version, computed_by)
                SELECT area_id, :code, period, value, share, method, source, :by
                FROM unnest(CAST(:area_ids AS integer[]), CAST(:periods AS date[]), CAST(:values AS float8[]),
                            CAST(:shares AS float8[]), CAST(:methods AS text[]), CAST(:sources AS date[]))
                     AS r(area_id, period, value, share, method, source)"""),
                {"code": code, "by": computed_by, "area_ids": [areas[key] for key in series["key"]],
                 "periods": list(series["period"]), "values": series["value"].astype(float).tolist(),
                 "shares": [min(max(share, 0.0), 1.0) if share == share else 1.0
                            for share in series["share_estimated"].astype(float).tolist()],
                 "methods": list(series["method"]), "sources": list(series["source_version"])})
            summary.stored[code] = len(series)
            summary.periods[code] = sorted(set(series["period"]))
        if progress:
            progress(code, done, len(wanted))
    return summary


def area_estimates(conn: Connection, area_id: int) -> dict[str, list[dict]]:
    """The stored estimates of one area by indicator, newest period first."""
    rows = conn.execute(sa.text("""
        SELECT indicator_code, period, value, share_estimated, method, source_version FROM estimate
        WHERE area_id = :id ORDER BY indicator_code, period DESC"""), {"id": area_id})
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row.indicator_code, []).append(dict(row._mapping))
    return out


def estimated_values(conn: Connection, level: str, at: date, indicator_code: str, period: date) -> pd.DataFrame:
    """The stored estimates of one indicator and period for every area of the boundary version valid at `at` (a
    change map across a boundary reform: web.explorer): value, share_estimated, method and the boundary version
    the published values lay on, by area key; an area without an estimate has NaN. Empty without any estimate."""
    rows = conn.execute(sa.text(f"""
        SELECT a.key, e.value, e.share_estimated, e.method, e.source_version
        FROM area a LEFT JOIN estimate e ON e.area_id = a.id AND e.indicator_code = :code AND e.period = :period
        WHERE a.level_code = :level AND {valid_at("a", ":at")}
        ORDER BY a.key"""), {"level": level, "at": at, "code": indicator_code, "period": period}).all()
    table = pd.DataFrame(rows, columns=["key", "value", "share_estimated", "method", "source_version"])
    if table["method"].isna().all():
        return table.iloc[0:0].set_index("key")
    return table.set_index("key")
