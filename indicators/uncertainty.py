"""Numbers you can trust: confidence intervals and a reliability rule for shares and rates of small areas,
and empirical Bayes smoothing for maps (docs/integration.md §2).

A share of a small area is read as an estimate of the propensity behind it: 3 of 20 children is 15 %, but the
next year's 20 children could as well give 5 % or 30 %. Every share or rate with a numerator and a denominator
gets the 95 % Wilson score interval of the proportion numerator/denominator (scaled like the value: x 100 for %,
x 1,000 for per thousand), and is marked "statistisch unsicher" by the NCHS data presentation standard for
proportions (Parker et al. 2017, applied with the Wilson interval instead of Clopper-Pearson):

- the denominator (sample or population size) is below 30, or
- the interval is 30 percentage points wide or wider (absolute width of the proportion >= 0.30), or
- the interval is wider than 130 % of the proportion itself (relative width > 1.30) while wider than 0.05.

The Wilson interval is written here (three lines of numpy) because it must run over thousands of cells at
once: scipy offers it per cell only (`scipy.stats.binomtest(...).proportion_ci`, the reference of
tests/test_integration_uncertainty.py), statsmodels is not a dependency.

Empirical Bayes smoothing (PySAL esda: `Empirical_Bayes`, `Spatial_Empirical_Bayes` with queen neighbours)
pulls the rates of small areas towards the mean of all areas (or of their neighbours), the more the smaller the
denominator; smoothed values are for maps only and always labelled as smoothed.

Confidentiality: the inputs come through `observation_source`; a hidden numerator or denominator gives no
interval and no smoothed value, and the smoothing mean is taken over public cells only.
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

Z95 = 1.959963984540054  # the 97.5 % quantile of the standard normal distribution
MIN_DENOMINATOR = 30
MAX_ABSOLUTE_WIDTH = 0.30
MAX_RELATIVE_WIDTH = 1.30
RELATIVE_WIDTH_FROM = 0.05
UNRELIABLE_DE = "statistisch unsicher"
UNRELIABLE_EN = "statistically unreliable"
SMOOTHING = {"eb": "Empirical Bayes (esda.Empirical_Bayes): towards the mean of all areas",
             "spatial_eb": "spatial Empirical Bayes (esda.Spatial_Empirical_Bayes): towards the mean of the area "
                           "and its queen neighbours"}
RELIABILITY_RULE = (f"{UNRELIABLE_DE} ({UNRELIABLE_EN}): denominator < {MIN_DENOMINATOR}, or interval width >= "
                    f"{MAX_ABSOLUTE_WIDTH:.2f} of the proportion, or wider than {MAX_RELATIVE_WIDTH:.0%} of it "
                    f"while wider than {RELATIVE_WIDTH_FROM:.2f} (NCHS data presentation standards for "
                    "proportions, 2017)")
SMOOTHED_DE = "geglättet (Empirical Bayes), nur für Karten"
SMOOTHED_EN = "smoothed (Empirical Bayes), for maps only"


class RateInputError(FieldInputError):
    """A rate that cannot be formed."""


def wilson_interval(numerator: Any, denominator: Any, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval (lower, upper) of the proportions numerator/denominator, elementwise; NaN where
    the denominator is not positive or either input is missing."""
    k = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        bad = ~(n > 0) | np.isnan(k)
        return np.where(bad, np.nan, np.clip(centre - half, 0, 1)), np.where(bad, np.nan, np.clip(centre + half, 0, 1))


def unreliable(numerator: Any, denominator: Any, z: float = Z95) -> np.ndarray:
    """True where the proportion is "statistisch unsicher" by the rule of the module docstring."""
    k = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    low, high = wilson_interval(k, n, z)
    width = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        relative = np.where(p > 0, width / p, np.inf)
    return (~(n >= MIN_DENOMINATOR)) | (width >= MAX_ABSOLUTE_WIDTH) | ((width > RELATIVE_WIDTH_FROM)
                                                                           & (relative > MAX_RELATIVE_WIDTH))


def value_intervals(value: Any, numerator: Any, denominator: Any, design_effect: Any = 1.0
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`value_interval` for many cells at once: (low, high, unreliable), NaN / False where a cell has no value,
    numerator or positive denominator. `design_effect` (>= 1, a survey's; 1 for register counts) shrinks the
    sample to its effective size n / design effect, which widens the interval and enters the reliability rule."""
    v, k, n = (np.asarray(x, dtype=float) for x in (value, numerator, denominator))
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(k > 0, 10 ** np.round(np.log10(v * n / k)), 100.0)
    deff = np.asarray(design_effect, dtype=float)
    k, n = k / deff, n / deff
    low, high = wilson_interval(k, n)
    usable = ~np.isnan(low) & ~np.isnan(v) & (k >= 0)
    return (np.where(usable, low * scale, np.nan), np.where(usable, high * scale, np.nan),
            usable & unreliable(k, n))


def value_interval(value: float | None, numerator: float | None, denominator: float | None,
                   design_effect: float | None = None) -> dict | None:
    """The 95 % interval of one published share or rate (scaled like its value: the scale is the power of ten
    that turns numerator/denominator into it, 100 for a percentage) and whether it is statistisch unsicher; None
    without a value, a numerator or a positive denominator (a hidden cell has neither)."""
    if value is None or numerator is None or denominator is None:
        return None
    low, high, flag = (array[0] for array in value_intervals([value], [numerator], [denominator],
                                                             design_effect or 1.0))
    if low != low:  # NaN: no positive denominator, or a negative numerator
        return None
    return {"low": round(float(low), 6), "high": round(float(high), 6), "unreliable": bool(flag),
            "denominator": denominator}


def check_counts(numerator: pd.Series, denominator: pd.Series, field: str = "numerator") -> None:
    """Refuse a numerator above its denominator or a negative count, naming the field and the first area."""
    bad = numerator.index[(numerator > denominator) | (numerator < 0) | (denominator < 0)]
    if len(bad):
        key = bad[0]
        raise RateInputError(field, f"area {key}: numerator {numerator[key]:g} exceeds the denominator "
                             f"{denominator[key]:g} (or is negative); a share cannot be above 100 %")


@dataclass(frozen=True)
class RateRequest:
    level: str
    period: date
    indicator: str | None = None  # a share or rate stored with numerator and denominator
    numerator: str | None = None  # or a count indicator over another (e.g. EW_AUSL over EW)
    denominator: str | None = None
    smooth: str | None = None  # None, "eb" or "spatial_eb"
    unsuppressed: bool = False


def read_rates(conn: Connection, request: RateRequest) -> tuple[float, pd.DataFrame]:
    """(scale, frame indexed by key: name, numerator, denominator, value) for the request, public cells only."""
    source = observation_source(request.unsuppressed)
    if request.indicator:
        kind = conn.execute(sa.text("SELECT kind FROM indicator WHERE code = :c"), {"c": request.indicator}).scalar()
        if kind not in ("share", "rate"):
            raise RateInputError("indicator", f"{request.indicator} is a {kind}; intervals are for shares and rates")
        rows = conn.execute(sa.text(f"""
            SELECT a.key, a.name, o.numerator, o.denominator, o.value, o.flag FROM {source} o
            JOIN area a ON a.id = o.area_id
            WHERE a.level_code = :level AND o.period = :period AND o.indicator_code = :code ORDER BY a.key"""),
            {"level": request.level, "period": request.period, "code": request.indicator}).all()
        frame = pd.DataFrame(rows, columns=["key", "name", "numerator", "denominator", "value", "flag"]).set_index("key")
        frame[["numerator", "denominator", "value"]] = frame[["numerator", "denominator", "value"]].astype(float)
        known = frame.dropna(subset=["numerator", "denominator", "value"])
        known = known[known["numerator"] > 0]
        scale = 100.0 if kind == "share" or known.empty else float(
            10 ** np.round(np.log10(np.median(known["value"] * known["denominator"] / known["numerator"]))))
        return scale, frame
    if not (request.numerator and request.denominator):
        raise RateInputError("numerator", "name an indicator, or a numerator and a denominator (count indicators)", 400)
    kinds = dict(conn.execute(sa.text("SELECT code, kind FROM indicator WHERE code IN (:n, :d)"),
                              {"n": request.numerator, "d": request.denominator}).all())
    for field, code in (("numerator", request.numerator), ("denominator", request.denominator)):
        if kinds.get(code) != "count":
            raise RateInputError(field, f"{code} is {'not an indicator' if code not in kinds else 'a ' + kinds[code]}"
                                 "; a share is formed from two counts", 404 if code not in kinds else 422)
    at = conn.execute(sa.text(f"""
        SELECT a.valid_from FROM {source} o JOIN area a ON a.id = o.area_id
        WHERE a.level_code = :level AND o.period = :period AND o.indicator_code IN (:n, :d)
        GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"""),
        {"level": request.level, "period": request.period, "n": request.numerator, "d": request.denominator}).scalar()
    if at is None:
        raise RateInputError("period", f"{request.numerator} and {request.denominator} have no values on level "
                             f"{request.level!r} in {request.period}")
    rows = conn.execute(sa.text(f"""
        SELECT a.key, a.name, n.value AS numerator, d.value AS denominator,
               CASE WHEN 'suppressed' IN (n.flag, d.flag) THEN 'suppressed' ELSE coalesce(n.flag, d.flag) END AS flag
        FROM area a
        LEFT JOIN {source} n ON n.area_id = a.id AND n.period = :period AND n.indicator_code = :n
        LEFT JOIN {source} d ON d.area_id = a.id AND d.period = :period AND d.indicator_code = :d
        WHERE {level_valid_at("a")} ORDER BY a.key"""),
        {"level": request.level, "at": at, "period": request.period, "n": request.numerator,
         "d": request.denominator}).all()
    frame = pd.DataFrame(rows, columns=["key", "name", "numerator", "denominator", "flag"]).set_index("key")
    frame[["numerator", "denominator"]] = frame[["numerator", "denominator"]].astype(float)
    both = frame.dropna(subset=["numerator", "denominator"])
    check_counts(both["numerator"], both["denominator"])
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["value"] = np.where(frame["denominator"] > 0, 100 * frame["numerator"] / frame["denominator"], np.nan)
    return 100.0, frame


def intervals(frame: pd.DataFrame, scale: float) -> pd.DataFrame:
    """The frame with ci_low, ci_high (scaled like the value), unreliable and its label, per area."""
    low, high = wilson_interval(frame["numerator"], frame["denominator"])
    result = frame.copy()
    result["ci_low"] = low * scale
    result["ci_high"] = high * scale
    has = ~np.isnan(low)
    flags = unreliable(frame["numerator"], frame["denominator"])
    result["unreliable"] = np.where(has, flags, None)
    result["reliability"] = np.where(has, np.where(flags, UNRELIABLE_DE, ""), None)
    return result


def smoothed(frame: pd.DataFrame, scale: float, method: str, geometries=None) -> pd.Series:
    """Empirical Bayes smoothed values (scaled) for the areas with a public numerator and a positive denominator."""
    import esda  # imported on first use: slow to import

    usable = frame.dropna(subset=["numerator", "denominator"])
    usable = usable[usable["denominator"] > 0]
    if method == "eb":
        rates = esda.smoothing.Empirical_Bayes(usable["numerator"].to_numpy(), usable["denominator"].to_numpy()).r
        return pd.Series(np.asarray(rates).ravel() * scale, index=usable.index)
    from indicators.hotspots import queen_weights

    keys = [k for k in usable.index if k in geometries.index]
    w = queen_weights(geometries.loc[keys])
    part = usable.loc[keys]
    rates = esda.smoothing.Spatial_Empirical_Bayes(part["numerator"].to_numpy().reshape(-1, 1),
                                                   part["denominator"].to_numpy().reshape(-1, 1), w).r
    return pd.Series(np.asarray(rates).ravel() * scale, index=keys)


def rate_table(conn: Connection, request: RateRequest) -> dict[str, Any]:
    """Per area: numerator, denominator, value, its 95 % Wilson interval, the reliability mark and (on request) the
    Empirical Bayes smoothed value; with the rule and method as text."""
    if request.smooth is not None and request.smooth not in SMOOTHING:
        raise RateInputError("smooth", f"unknown smoothing {request.smooth!r}; use one of {', '.join(SMOOTHING)}", 400)
    scale, frame = read_rates(conn, request)
    table = intervals(frame, scale)
    if request.smooth and not (table["denominator"] > 0).any():
        raise RateInputError("smooth", "no area has a public numerator and a positive denominator to smooth")
    if request.smooth:
        geometries = None
        if request.smooth == "spatial_eb":
            from indicators.clusters import read_geometries

            at = conn.execute(sa.text("SELECT valid_from FROM area WHERE level_code = :l AND key = :k "
                                      "ORDER BY valid_from DESC LIMIT 1"),
                              {"l": request.level, "k": table.index[0]}).scalar()
            geometries = read_geometries(conn, request.level, at)
        table["smoothed"] = smoothed(table, scale, request.smooth, geometries)
    areas = []
    for key, row in table.iterrows():
        item = {"key": key, "name": row["name"]}
        for name in ("numerator", "denominator", "value", "ci_low", "ci_high"):
            item[name] = None if pd.isna(row[name]) else float(row[name])
        item["unreliable"] = None if row["unreliable"] is None else bool(row["unreliable"])
        item["reliability"] = row["reliability"]
        item["flag"] = None if pd.isna(row.get("flag")) else row.get("flag")
        if request.smooth:
            item["smoothed"] = None if pd.isna(row["smoothed"]) else float(row["smoothed"])
        areas.append(item)
    with_interval = [a for a in areas if a["ci_low"] is not None]
    return {"indicator": request.indicator, "numerator": request.numerator, "denominator": request.denominator,
            "level": request.level, "period": request.period, "scale": scale,
            "interval": "95 % Wilson score interval of numerator/denominator, times scale",
            "reliability_rule": RELIABILITY_RULE,
            "smoothing": {"method": request.smooth, "label_de": SMOOTHED_DE, "label_en": SMOOTHED_EN,
                          "description": SMOOTHING[request.smooth]} if request.smooth else None,
            "with_interval": len(with_interval),
            "unreliable": sum(1 for a in with_interval if a["unreliable"]),
            "areas": areas}
