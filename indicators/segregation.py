"""Residential segregation of population groups over the areas of one level (docs/integration.md §1).

Groups are count indicators named by their codes (e.g. EW_AUSL, foreigners), the total another count indicator
(e.g. EW, inhabitants); the rest of the population (total minus the groups) is a group of its own, so
"foreigners vs Germans" is `groups=[EW_AUSL], total=EW`. Nothing here knows a city, a level or a code: the
scopes are the whole municipality (every area of the level) and each area of a parent level (`within`), for
every period in which all groups and the total have values.

The measures are PySAL `segregation`'s (imported inside the functions: it pulls numba); per area only the
contribution to the dissimilarity index is written here, because the library gives the index but not its
decomposition (D = sum_i c_i with c_i = 1/2 |g_i/G - r_i/R|).

Confidentiality: counts are read through `observation_source`, so a reader's measures are functions of public
cells only. An area with a hidden (or missing) group or total cell drops out of every measure of that period and
is listed with its reason; a hidden cell is never estimated, and its value enters nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.levels import list_levels
from geo.versions import level_valid_at
from indicators.input_errors import FieldInputError
from indicators.observation_source import observation_source

if TYPE_CHECKING:
    import geopandas
    import libpysal

REST = "rest"  # the name of the group "total minus the listed groups"
MIN_AREAS = 2  # a measure over fewer areas is refused (no distribution to compare)
ALL_PERIODS = "all"

# (name, library class, description); two-group measures take one group against everyone else in the total.
TWO_GROUP = (
    ("dissimilarity", "Dissim", "Duncan & Duncan dissimilarity D: share of the group that would have to move for an "
     "even distribution"),
    ("isolation", "Isolation", "isolation xPx: the group's share in the area of the average member of the group"),
    ("exposure", "Interaction", "exposure (interaction) xPy: the others' share in the area of the average member of "
     "the group"),
    ("entropy", "Entropy", "Theil's information theory index H for the group vs the rest"),
)
# spatial variants: the same index on each area's local environment (the area and its queen neighbours), and
# Morrill's D(adj), the dissimilarity corrected for differences between neighbouring areas
TWO_GROUP_SPATIAL = (
    ("spatial_dissimilarity", "Dissim", "D on local environments (area + queen neighbours)"),
    ("spatial_isolation", "Isolation", "xPx on local environments (area + queen neighbours)"),
    ("spatial_entropy", "Entropy", "H on local environments (area + queen neighbours)"),
    ("adjusted_dissimilarity", "SpatialDissim", "Morrill's D(adj): D minus the differences between neighbours"),
)
MULTI_GROUP = (
    ("multi_dissimilarity", "MultiDissim", "multigroup dissimilarity (Reardon & Firebaugh)"),
    ("multi_theil", "MultiInfoTheory", "multigroup Theil information theory index H"),
    ("multi_exposure", "MultiNormExposure", "multigroup normalised exposure P"),
    ("multi_entropy", "MultiDiversity", "diversity (entropy E) of the whole population, normalised"),
)
MULTI_GROUP_SPATIAL = (
    ("spatial_multi_dissimilarity", "MultiDissim", "multigroup D on local environments (area + queen neighbours)"),
    ("spatial_multi_theil", "MultiInfoTheory", "multigroup H on local environments (area + queen neighbours)"),
)
MEASURES = {name: text for name, _cls, text in (*TWO_GROUP, *TWO_GROUP_SPATIAL, *MULTI_GROUP, *MULTI_GROUP_SPATIAL)}


class SegregationInputError(FieldInputError):
    """A segregation request that cannot be computed."""


@dataclass(frozen=True)
class SegregationRequest:
    groups: tuple[str, ...]
    total: str
    level: str
    period: str | None = None  # a date, a year, "all", or None (the latest)
    within: str | None = None  # a parent level: measures for each of its areas too
    spatial: bool = True
    unsuppressed: bool = False


@dataclass
class GroupCounts:
    """The public counts of one period: one row per area (key) with its scopes, groups, rest and total; the
    areas left out with their reason."""

    period: date
    at: date
    frame: pd.DataFrame  # index key; columns name, scope_key, scope_name, <groups...>, rest, total
    categories: list[str]  # the groups and, where it is not zero everywhere, REST
    dropped: dict[str, str] = field(default_factory=dict)


# -- reading ---------------------------------------------------------------------------------------
def default_total(conn: Connection, groups: Sequence[str]) -> str | None:
    """The total the groups are parts of: the declared partition's total if all groups are its parts, else the
    whole the catalogue declares them groups of (`group_of`), else the indicator the catalogue weights by most
    often (the population); None if none exists."""
    row = conn.execute(sa.text("""
        SELECT total_code FROM indicator_partition GROUP BY name, total_code
        HAVING bool_and(true) AND count(*) FILTER (WHERE part_code = ANY(:groups)) = cardinality(CAST(:groups AS text[]))
        LIMIT 1"""), {"groups": list(groups)}).scalar()
    if row:
        return row
    row = conn.execute(sa.text("""
        SELECT min(group_of) FROM indicator WHERE code = ANY(:groups)
        HAVING count(*) = cardinality(CAST(:groups AS text[])) AND count(DISTINCT group_of) = 1
           AND count(group_of) = count(*)"""), {"groups": list(groups)}).scalar()
    if row:
        return row
    return conn.execute(sa.text("""
        SELECT weight_indicator FROM indicator WHERE weight_indicator IS NOT NULL
        GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1""")).scalar()


def check_codes(conn: Connection, groups: Sequence[str], total: str, drafts: bool) -> None:
    """Groups and total must be distinct, visible count indicators; else the error names the field."""
    if not groups:
        raise SegregationInputError("groups", "name at least one group (a count indicator code)", 400)
    if len(set(groups)) != len(groups):
        raise SegregationInputError("groups", "a group is named twice", 400)
    if total in groups:
        raise SegregationInputError("total", f"{total} is the total and cannot also be a group", 400)
    rows = {r.code: r for r in conn.execute(sa.text(
        "SELECT code, kind, published FROM indicator WHERE code = ANY(:codes)"), {"codes": [*groups, total]})}
    for name, codes in (("groups", groups), ("total", [total])):
        for code in codes:
            row = rows.get(code)
            if row is None or not (row.published or drafts):
                raise SegregationInputError(name, f"no indicator {code!r}; /api/indicators lists them", 404)
            if row.kind != "count":
                raise SegregationInputError(name, f"{code} is a {row.kind}, not a count: segregation measures "
                                            "need numbers of persons per area")


def periods_with_data(conn: Connection, level: str, codes: Sequence[str], unsuppressed: bool) -> dict[str, list[date]]:
    """Per code, the periods (newest first) with at least one value on the level."""
    rows = conn.execute(sa.text(f"""
        SELECT DISTINCT o.indicator_code, o.period FROM {observation_source(unsuppressed)} o
        JOIN area a ON a.id = o.area_id
        WHERE a.level_code = :level AND o.indicator_code = ANY(:codes) AND o.value IS NOT NULL
        ORDER BY o.period DESC"""), {"level": level, "codes": list(codes)}).all()
    result: dict[str, list[date]] = {code: [] for code in codes}
    for code, period in rows:
        result[code].append(period)
    return result


def resolve_periods(conn: Connection, request: SegregationRequest) -> list[date]:
    """The periods of the request in which every group and the total have values (newest first)."""
    by_code = periods_with_data(conn, request.level, [*request.groups, request.total], request.unsuppressed)
    for name, codes in (("groups", request.groups), ("total", [request.total])):
        for code in codes:
            if not by_code[code]:
                raise SegregationInputError(name, f"{code} has no values on level {request.level!r}")
    common = sorted(set.intersection(*(set(p) for p in by_code.values())), reverse=True)
    if not common:
        raise SegregationInputError("groups", f"{', '.join(request.groups)} and {request.total} have no period in "
                                    f"common on level {request.level!r}")
    text = (request.period or "").strip()
    if not text or text == "latest":
        return common[:1]
    if text == ALL_PERIODS:
        return common
    chosen = [p for p in common if p.isoformat() == text or (len(text) == 4 and str(p.year) == text)]
    if not chosen:
        missing = [code for code in (*request.groups, request.total)
                   if not any(p.isoformat() == text or str(p.year) == text for p in by_code[code])]
        name = "total" if missing == [request.total] else "groups" if missing else "period"
        raise SegregationInputError(name, f"{', '.join(missing) or 'the groups'} ha{'s' if len(missing) == 1 else 've'}"
                                    f" no values on level {request.level!r} for period {text!r}", available=common)
    return chosen[:1]


def _chain(conn: Connection, level: str, within: str | None) -> list[str]:
    """The levels from `level` up to `within` (both included); SegregationInputError if `within` is not above."""
    levels = {lv.code: lv for lv in list_levels(conn)}
    if within is None:
        return [level]
    if within not in levels:
        raise SegregationInputError("within", f"unknown level {within!r}", 404, available=sorted(levels))
    chain = [level]
    while chain[-1] != within:
        parent = levels[chain[-1]].parent_code
        if parent is None:
            above = []
            code = levels[level].parent_code
            while code is not None:
                above.append(code)
                code = levels[code].parent_code
            raise SegregationInputError("within", f"{within!r} is not a level above {level!r}", 400, available=above)
        chain.append(parent)
    return chain


def read_counts(conn: Connection, request: SegregationRequest, period: date) -> GroupCounts:
    """The public counts of the groups and the total per area of the level in `period` (the boundary version
    most of them are attached to), with each area's scope (its ancestor on `within`)."""
    codes = [*request.groups, request.total]
    source = observation_source(request.unsuppressed)
    at = conn.execute(sa.text(f"""
        SELECT a.valid_from FROM {source} o JOIN area a ON a.id = o.area_id
        WHERE a.level_code = :level AND o.period = :period AND o.indicator_code = ANY(:codes)
        GROUP BY a.valid_from ORDER BY count(*) DESC, a.valid_from DESC LIMIT 1"""),
        {"level": request.level, "period": period, "codes": codes}).scalar_one()
    rows = conn.execute(sa.text(f"""
        SELECT a.key, a.name, a.parent_key, o.indicator_code, o.value, o.flag
        FROM area a
        LEFT JOIN {source} o ON o.area_id = a.id AND o.period = :period AND o.indicator_code = ANY(:codes)
        WHERE {level_valid_at("a")}
        ORDER BY a.key"""), {"level": request.level, "at": at, "period": period, "codes": codes}).all()
    areas = pd.DataFrame([(r.key, r.name, r.parent_key) for r in rows], columns=["key", "name", "parent_key"])
    areas = areas.drop_duplicates("key").set_index("key")
    cells = pd.DataFrame([(r.key, r.indicator_code, r.value, r.flag) for r in rows if r.indicator_code],
                         columns=["key", "code", "value", "flag"])
    values = cells.pivot(index="key", columns="code", values="value").reindex(index=areas.index, columns=codes)
    flags = cells.pivot(index="key", columns="code", values="flag").reindex(index=areas.index, columns=codes)
    values = values.astype(float)
    dropped: dict[str, str] = {}
    for key in areas.index:
        missing = [c for c in codes if pd.isna(values.at[key, c])]
        if missing:
            hidden = [c for c in missing if flags.at[key, c] == "suppressed"]
            dropped[key] = (f"confidential: {', '.join(hidden)}" if hidden
                            else f"no value: {', '.join(missing)}")
    frame = values.drop(index=list(dropped)).rename(columns={request.total: "total"})
    frame["rest"] = frame["total"] - frame[list(request.groups)].sum(axis=1)
    over = frame.index[frame["rest"] < -0.5]
    if len(over):
        key = over[0]
        raise SegregationInputError(
            "groups", f"the groups {' + '.join(request.groups)} add up to more than {request.total} in area {key} "
            f"({frame.loc[key, list(request.groups)].sum():.0f} > {frame.at[key, 'total']:.0f}) in {period}: groups must "
            "be disjoint parts of the total")
    frame["rest"] = frame["rest"].clip(lower=0)
    frame.insert(0, "name", areas["name"])
    scope_key, scope_name = _scopes(conn, request, at, areas.loc[frame.index])
    frame.insert(1, "scope_key", scope_key)
    frame.insert(2, "scope_name", scope_name)
    categories = [*request.groups] + ([REST] if frame["rest"].sum() > 0 else [])
    return GroupCounts(period=period, at=at, frame=frame, categories=categories, dropped=dropped)


def _scopes(conn: Connection, request: SegregationRequest, at: date, areas: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each area's ancestor on `within` (key and name), following parent keys level by level."""
    chain = _chain(conn, request.level, request.within)
    if len(chain) == 1:
        empty = pd.Series(None, index=areas.index, dtype=object)
        return empty, empty
    keys = areas["parent_key"]  # keys on chain[1]
    for parent_level in chain[1:]:
        rows = conn.execute(sa.text(f"SELECT a.key, a.name, a.parent_key FROM area a WHERE {level_valid_at('a')}"),
                            {"level": parent_level, "at": at}).all()
        if parent_level == chain[-1]:
            return keys, keys.map({r.key: r.name for r in rows})
        keys = keys.map({r.key: r.parent_key for r in rows})
    raise AssertionError("unreachable")


# -- measures --------------------------------------------------------------------------------------
def two_group_statistics(x: np.ndarray, t: np.ndarray) -> dict[str, float]:
    """The segregation library's four two-group indices (`Dissim`, `Isolation`, `Interaction`, `Entropy`) of a
    group (counts `x`) among the totals `t` of the areas, with the library's formulas and zero handling.
    Written here, vectorised, because each of the library's index objects copies and checks its DataFrame
    first: 5 ms per index, 2,080 indices for 20 periods of 542 areas and 12 boroughs, most of the request's
    time; tests/test_segregation.py compares every value with the library's."""
    x, t = np.asarray(x, dtype=float), np.asarray(t, dtype=float)
    if np.any(t < x):
        raise ValueError("Group of interest population must equal or lower than the total population of the units.")
    total, group = t.sum(), x.sum()
    share = group / total
    with np.errstate(divide="ignore", invalid="ignore"):
        local_share = np.where(t == 0, 0, x / t)
        whole = share * np.log(1 / share) + (1 - share) * np.log(1 / (1 - share))
        each = np.nan_to_num(local_share * np.log(1 / local_share) + (1 - local_share) * np.log(1 / (1 - local_share)))
        return {
            "Dissim": float((t * np.abs(local_share - share) / (2 * total * share * (1 - share))).sum()),
            "Isolation": float(np.nansum((x / group) * (x / t))),
            "Interaction": float(np.nansum((x / group) * ((t - x) / t))),
            "Entropy": float(np.nansum(t * (whole - each) / (whole * total))),
        }


def _lib(name: str):
    import segregation.multigroup as multigroup  # imported on first use: pulls numba
    import segregation.singlegroup as singlegroup

    return getattr(singlegroup, name, None) or getattr(multigroup, name)


def queen_weights(geometries: geopandas.GeoSeries) -> libpysal.weights.W:
    from indicators.hotspots import queen_weights as queen

    return queen(geometries)


def local_environment(counts: pd.DataFrame, columns: Sequence[str], weights: libpysal.weights.W) -> pd.DataFrame:
    """Each area's local environment: its own counts plus those of its queen neighbours ((A + I) x, binary A),
    over the whole level, so that an area at a border of its scope keeps its neighbours across it. This is the
    local environment `segregation` builds for `w=` (Reardon & O'Sullivan 2004), computed once per period
    instead of once per measure and scope (bench/bench_integration.py)."""
    import scipy.sparse

    ids = list(weights.id_order)
    order = [k for k in ids if k in counts.index]
    w = weights if len(order) == len(ids) else _subset(weights, order)
    matrix = w.sparse.copy().astype(float)
    matrix.data[:] = 1.0
    matrix = matrix + scipy.sparse.identity(len(order), format="csr")
    values = counts.loc[order, list(columns)].to_numpy(dtype=float)
    return pd.DataFrame(matrix @ values, index=order, columns=list(columns))


def _subset(weights: libpysal.weights.W, ids: Sequence[str]) -> libpysal.weights.W:
    from libpysal.weights import w_subset

    return w_subset(weights, list(ids), silence_warnings=True)


def scope_measures(counts: pd.DataFrame, groups: Sequence[str], categories: Sequence[str],
                   environment: pd.DataFrame | None = None, geometries: geopandas.GeoSeries | None = None,
                   weights: libpysal.weights.W | None = None) -> list[dict]:
    """Every measure over the areas of `counts` (index keys; a column per category and `total`): two-group
    measures for each group against everyone else, multigroup ones where there are more than two categories;
    spatial variants where `environment` (local environments of these keys, `local_environment`) is given,
    Morrill's D(adj) where also `geometries` and `weights` are."""
    import warnings

    rows: list[dict] = []
    if len(counts) < MIN_AREAS:
        return [{"group": g, "measure": m, "value": None, "reason": f"fewer than {MIN_AREAS} areas"}
                for g in groups for m, _c, _t in TWO_GROUP]
    columns = [*categories, "total"]
    data = pd.DataFrame(counts[columns].astype(float))
    local = None if environment is None else environment.loc[data.index, columns]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for group in groups:
            if data[group].sum() <= 0 or (data["total"] - data[group]).sum() <= 0:
                rows += [{"group": group, "measure": m, "value": None, "reason": "the group or the rest is empty"}
                         for m, _c, _t in TWO_GROUP]
                continue
            aspatial = two_group_statistics(data[group].to_numpy(), data["total"].to_numpy())
            rows += [{"group": group, "measure": name, "value": aspatial[cls]} for name, cls, _text in TWO_GROUP]
            if local is None:
                continue
            spatial = two_group_statistics(local[group].to_numpy(), local["total"].to_numpy())
            for name, cls, _text in TWO_GROUP_SPATIAL:
                if cls in spatial:
                    value = spatial[cls]
                elif cls == "SpatialDissim":
                    if geometries is None or weights is None:
                        continue
                    import geopandas

                    frame = geopandas.GeoDataFrame(data[[group, "total"]], geometry=geometries.loc[data.index].values,
                                                   crs=geometries.crs)
                    w = weights if list(weights.id_order) == list(data.index) else _subset(weights, data.index)
                    value = _lib(cls)(frame, group, "total", w=w).statistic
                else:
                    continue
                rows.append({"group": group, "measure": name, "value": float(value)})
        if len(categories) > 2:
            label = "+".join(categories)
            for name, cls, _text in MULTI_GROUP:
                rows.append({"group": label, "measure": name, "value": float(_lib(cls)(data, list(categories)).statistic)})
            if local is not None:
                for name, cls, _text in MULTI_GROUP_SPATIAL:
                    rows.append({"group": label, "measure": name,
                                 "value": float(_lib(cls)(local, list(categories)).statistic)})
    return rows


def dissimilarity_contributions(counts: pd.DataFrame, group: str) -> pd.Series:
    """Per area, c_i = 1/2 |g_i/G - r_i/R| (r = total - g): the terms of the dissimilarity index D = sum c_i.
    Written here because the library returns only D."""
    g = counts[group].astype(float)
    r = counts["total"].astype(float) - g
    if g.sum() <= 0 or r.sum() <= 0:
        return pd.Series(np.nan, index=counts.index)
    return 0.5 * (g / g.sum() - r / r.sum()).abs()


def _geometries(conn: Connection, level: str, at: date, cache: dict) -> tuple[Any, Any]:
    key = (level, at)
    if key not in cache:
        from indicators.clusters import read_geometries

        geometries = read_geometries(conn, level, at)
        geometries = geometries[~(geometries.isna() | geometries.is_empty)]
        cache[key] = (geometries, queen_weights(geometries))
    return cache[key]


def segregation(conn: Connection, request: SegregationRequest, geometry_cache: dict | None = None) -> dict[str, Any]:
    """Every measure for the whole municipality and each area of `within`, in every requested period; the
    areas left out of each period with their reason."""
    check_codes(conn, request.groups, request.total, request.unsuppressed)
    _chain(conn, request.level, request.within)
    periods = resolve_periods(conn, request)
    cache = {} if geometry_cache is None else geometry_cache
    rows: list[dict] = []
    dropped: dict[str, dict[str, str]] = {}
    for period in periods:
        counts = read_counts(conn, request, period)
        dropped[period.isoformat()] = counts.dropped
        geometries = weights = environment = None
        frame = counts.frame
        if request.spatial:
            geometries, weights = _geometries(conn, request.level, counts.at, cache)
            frame = frame.loc[[k for k in frame.index if k in geometries.index]]
            environment = local_environment(frame, [*counts.categories, "total"], weights)
        scopes = [(None, None, frame)]
        if request.within:
            scopes += [(key, part["scope_name"].iloc[0], part)
                       for key, part in frame.groupby("scope_key", sort=True)]
        for scope_key, scope_name, part in scopes:
            base = {"period": period, "scope_level": request.within if scope_key else None,
                    "scope_key": scope_key, "scope_name": scope_name, "areas": len(part),
                    "population": float(part["total"].sum())}
            for item in scope_measures(part, request.groups, counts.categories, environment, geometries, weights):
                rows.append({**base, **item, "spatial": item["measure"].startswith(("spatial", "adjusted"))})
    return {"groups": list(request.groups), "total": request.total, "rest": REST, "level": request.level,
            "within": request.within, "periods": periods, "measures": MEASURES,
            "spatial_weights": "queen contiguity (shared edge or corner) of the boundary version, binary",
            "dropped": dropped, "rows": rows}


def local_fields(categories: Sequence[str], groups: Sequence[str]) -> list[str]:
    """The columns of `local_measures`' areas in the order a table shows them (a cached answer comes back from
    jsonb, whose objects do not keep the order of their keys)."""
    return (["key", "name", "scope_key", "total"] + [f"{c}{part}" for c in categories for part in ("", "_share", "_lq")]
            + ["local_entropy"] + [f"{g}{part}" for g in groups for part in ("_d_term", "_d_share")] + ["rank"])


def local_measures(conn: Connection, request: SegregationRequest) -> dict[str, Any]:
    """Per area of one period: each category's count and share of the area, location quotient
    (share in the area / share in the municipality), the local entropy of the composition, and each group's
    contribution to the municipality's dissimilarity index (its term c_i and the share of D it makes up),
    ranked so that the areas contributing most come first."""
    from segregation.local import MultiLocalEntropy, MultiLocationQuotient

    check_codes(conn, request.groups, request.total, request.unsuppressed)
    period = resolve_periods(conn, request)[0]
    counts = read_counts(conn, request, period)
    frame = counts.frame
    if frame.empty:
        raise SegregationInputError("groups", f"no area of level {request.level!r} has public values of "
                                    f"{', '.join(request.groups)} and {request.total} in {period}")
    data = pd.DataFrame(frame[counts.categories].astype(float)).reset_index(drop=True)
    cats = list(counts.categories)
    if len(cats) < 2:
        raise SegregationInputError("groups", "the groups make up the whole total and there is only one: "
                                    "name at least two groups or a larger total")
    lq = MultiLocationQuotient(data, cats).statistics
    entropy = MultiLocalEntropy(data, cats).statistics
    contributions = {g: dissimilarity_contributions(frame, g) for g in request.groups}
    areas = []
    for i, (key, row) in enumerate(frame.iterrows()):
        item = {"key": key, "name": row["name"], "scope_key": row["scope_key"], "total": float(row["total"])}
        for j, cat in enumerate(cats):
            item[f"{cat}"] = float(row[cat])
            item[f"{cat}_share"] = float(row[cat] / row["total"]) if row["total"] > 0 else None
            item[f"{cat}_lq"] = None if np.isnan(lq[i, j]) else float(lq[i, j])
        # an area without inhabitants has no composition: the library's MultiLocalEntropy gives it 0
        item["local_entropy"] = (None if np.isnan(entropy[i]) or not row["total"] > 0
                                 else float(entropy[i]) + 0.0)  # + 0.0: no -0.0
        for g, c in contributions.items():
            d = float(c.sum())
            item[f"{g}_d_term"] = None if np.isnan(c.iloc[i]) else float(c.iloc[i])
            item[f"{g}_d_share"] = float(c.iloc[i] / d) if d > 0 else None
        areas.append(item)
    first = request.groups[0]
    areas.sort(key=lambda a: -(a.get(f"{first}_d_term") or 0))
    for rank, item in enumerate(areas, start=1):
        item["rank"] = rank
    return {"groups": list(request.groups), "total": request.total, "categories": cats, "level": request.level,
            "period": period, "boundaries_at": counts.at, "ranked_by": f"{first}_d_term",
            "dissimilarity": {g: float(c.sum()) for g, c in contributions.items()},
            "dropped": counts.dropped, "areas": areas}
