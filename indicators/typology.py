"""Area typology and "areas like this one" (docs/integration.md §4).

The areas of one level and period are described by indicators (shares and rates), each standardised over the areas
(z = (x - mean) / sd, population sd); k-means (scikit-learn `KMeans`, k-means++ initialisation, `n_init=10`, a fixed
`random_state`, default 12345) groups them into k types, numbered by size (type 1 the largest); each type is
described by its mean z per indicator (its profile: the indicators furthest from the city mean). "Areas like this
one" are the nearest areas in the same standardised space (Euclidean distance), each with the indicators on which
the two are closest (the smallest |z_a - z_b|), which make them similar.

Values are read through `observation_source`: an area with a hidden or missing value of any chosen indicator
takes no part (listed with the reason), and no hidden value is estimated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import orjson
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.aggregation import cache_key, cached, stored_result
from geo.versions import level_valid_at
from indicators.input_errors import FieldInputError
from indicators.observation_source import observation_source
from indicators.values import boundary_date_for
from indicators.version_memo import VersionMemo, per_data_version

DEFAULT_SEED = 12345
MIN_COVERAGE = 0.9  # a default indicator must have values for this share of the areas
KEPT = VersionMemo(kept=32)  # typologies in this worker, per data version (kept_typology)


class TypologyInputError(FieldInputError):
    """A request member the analysis cannot use (indicators.input_errors)."""


@dataclass(frozen=True)
class TypologyRequest:
    level: str
    period: date
    indicators: tuple[str, ...] = ()  # default: the shares and rates with values for most areas
    k: int = 5
    seed: int = DEFAULT_SEED
    unsuppressed: bool = False


def default_period(conn: Connection, level: str, unsuppressed: bool = False) -> date | None:
    """The latest period in which `read_matrix` finds at least two default indicators: published shares or rates
    with values for MIN_COVERAGE of the areas that have any value on the level in that period, on the boundary
    version the period is drawn on (a period holding only register counts, or one share for a few areas, has no
    type; Berlin's 31.12.2020 also holds register counts of the 448 planning areas before the 2021 reform). Kept
    per data version (indicators.version_memo): the route and every area profile ask it."""
    return per_data_version(conn, ("typology period", level, unsuppressed),
                            lambda: _default_period(conn, level, unsuppressed))


def _default_period(conn: Connection, level: str, unsuppressed: bool) -> date | None:
    published = "" if unsuppressed else "AND i.published"
    source = observation_source(unsuppressed)
    candidates = conn.execute(sa.text(f"""
        SELECT o.period FROM {source} o JOIN area a ON a.id = o.area_id AND a.level_code = :level
        JOIN indicator i ON i.code = o.indicator_code AND i.kind IN ('share', 'rate') {published}
        WHERE o.value IS NOT NULL
        GROUP BY o.period HAVING count(DISTINCT o.indicator_code) >= 2 ORDER BY o.period DESC"""),
        {"level": level}).scalars().all()
    for period in candidates:
        covered = conn.execute(sa.text(f"""
            WITH cells AS (
                SELECT o.area_id, o.indicator_code, o.value, i.kind FROM {source} o
                JOIN area a ON a.id = o.area_id AND {level_valid_at("a")}
                JOIN indicator i ON i.code = o.indicator_code {published}
                WHERE o.period = :period)
            SELECT count(*) FROM (
                SELECT indicator_code FROM cells WHERE kind IN ('share', 'rate') AND value IS NOT NULL
                GROUP BY indicator_code
                HAVING count(DISTINCT area_id) >= :coverage * (SELECT count(DISTINCT area_id) FROM cells)) c"""),
            {"level": level, "at": boundary_date_for(conn, level, period), "period": period,
             "coverage": MIN_COVERAGE}).scalar()
        if covered >= 2:
            return period
    return None


def read_matrix(conn: Connection, request: TypologyRequest) -> tuple[list[str], pd.DataFrame, pd.Series, dict]:
    """(indicators, values per key x indicator, names per key, dropped key -> reason), of the areas of the boundary
    version the period is drawn on (`boundary_date_for`: a period published on two versions, as Berlin's 31.12.2018
    on the old and the new planning areas, is typed on one, not on both at once)."""
    source = observation_source(request.unsuppressed)
    published = "" if request.unsuppressed else "AND i.published"
    rows = conn.execute(sa.text(f"""
        SELECT a.key, a.name, o.indicator_code, o.value, o.flag, i.kind FROM {source} o
        JOIN area a ON a.id = o.area_id JOIN indicator i ON i.code = o.indicator_code {published}
        WHERE {level_valid_at("a")} AND o.period = :period"""),
        {"level": request.level, "period": request.period,
         "at": boundary_date_for(conn, request.level, request.period)}).all()
    cells = pd.DataFrame(rows, columns=["key", "name", "code", "value", "flag", "kind"])
    if cells.empty:
        raise TypologyInputError("period", f"no values on level {request.level!r} in {request.period}", 404)
    kinds = dict(zip(cells["code"], cells["kind"]))
    if request.indicators:
        for code in request.indicators:
            if code not in kinds:
                raise TypologyInputError("indicators", f"{code} has no values on level {request.level!r} in "
                                         f"{request.period}")
            if kinds[code] not in ("share", "rate"):
                raise TypologyInputError("indicators", f"{code} is a {kinds[code]}; types are built from shares "
                                         "and rates (counts measure size, not character)")
        codes = list(request.indicators)
    else:
        counts = cells.dropna(subset=["value"]).groupby("code")["key"].nunique()
        areas = cells["key"].nunique()
        codes = sorted(c for c, n in counts.items() if kinds[c] in ("share", "rate") and n >= MIN_COVERAGE * areas)
    if len(codes) < 2:
        raise TypologyInputError("indicators", "name at least two shares or rates with values")
    values = cells.pivot_table(index="key", columns="code", values="value", aggfunc="first").reindex(columns=codes)
    names = cells.drop_duplicates("key").set_index("key")["name"]
    flags = cells.pivot_table(index="key", columns="code", values="flag", aggfunc="first").reindex(
        index=values.index, columns=codes)
    dropped = {}
    for key in values.index[values.isna().any(axis=1)]:
        missing = [c for c in codes if pd.isna(values.at[key, c])]
        hidden = [c for c in missing if flags.at[key, c] == "suppressed"]
        dropped[key] = f"confidential: {', '.join(hidden)}" if hidden else f"no value: {', '.join(missing)}"
    return codes, values.dropna().astype(float), names, dropped


def standardise(values: pd.DataFrame) -> pd.DataFrame:
    sd = values.std(ddof=0).replace(0, np.nan)
    z = (values - values.mean()) / sd
    return z.dropna(axis=1, how="all")


def kept_typology(conn: Connection, request: TypologyRequest, store: bool = True) -> dict[str, Any]:
    """`typology(conn, request)` computed once per data version, as its JSON (the period as ISO text): kept in this
    worker (KEPT) and in the aggregation cache (geo.aggregation: shared by the workers, kept across restarts), the
    one cache of the route and the area profiles. `store`: store a result computed here in the aggregation cache
    (the caller commits); a reader that may not write (a page, whose connection may be the read replica) passes
    False: it takes a stored result where there is one and else computes one without storing it."""
    key = cache_key("typology", **request.__dict__)

    def compute() -> dict[str, Any]:
        if store:
            return cached(conn, key, lambda: typology(conn, request))[0]
        stored = stored_result(conn, key)
        return stored if stored is not None else orjson.loads(orjson.dumps(typology(conn, request), default=str))

    return KEPT.get(conn, ("typology", key), compute)


def typology(conn: Connection, request: TypologyRequest) -> dict[str, Any]:
    """Every area's type, and every type's size and profile (mean z and mean value per indicator)."""
    from sklearn.cluster import KMeans  # imported on first use: slow to import
    from threadpoolctl import threadpool_limits  # scikit-learn's own dependency

    codes, values, names, dropped = read_matrix(conn, request)
    z = standardise(values)
    if not 2 <= request.k <= min(20, len(z) - 1):
        raise TypologyInputError("k", f"k must be between 2 and {min(20, len(z) - 1)} for {len(z)} areas", 400)
    with threadpool_limits(1):  # a few hundred rows: thread start-up costs more than it saves (10x on 2 cores)
        model = KMeans(n_clusters=request.k, n_init=10, random_state=request.seed).fit(z.to_numpy())
    labels = pd.Series(model.labels_, index=z.index)
    order = labels.value_counts().sort_index().sort_values(ascending=False, kind="stable").index  # by size
    number = {old: new for new, old in enumerate(order, start=1)}
    labels = labels.map(number)
    types = []
    for n in range(1, request.k + 1):
        members = labels.index[labels == n]
        profile = z.loc[members].mean()
        types.append({"type": n, "areas": len(members),
                      "mean_z": {c: round(float(v), 4) for c, v in profile.items()},
                      "mean_value": {c: float(values.loc[members, c].mean()) for c in z.columns},
                      "profile": [{"indicator": c, "z": round(float(profile[c]), 3)}
                                  for c in profile.abs().sort_values(ascending=False).index[:3]]})
    areas = [{"key": key, "name": names.get(key), "type": int(labels[key])} for key in z.index]
    return {"level": request.level, "period": request.period, "indicators": list(z.columns), "k": request.k,
            "seed": request.seed, "method": "k-means (scikit-learn KMeans, k-means++, n_init=10) on z-scores "
            "(population sd); types numbered by size", "inertia": float(model.inertia_), "types": types,
            "areas": areas, "dropped": dropped}


def similar_areas(conn: Connection, request: TypologyRequest, key: str, n: int = 5, why: int = 3) -> dict[str, Any]:
    """The `n` areas nearest to `key` in the standardised indicator space, each with its distance and the `why`
    indicators on which the two are closest."""
    return nearest_areas(read_matrix(conn, request), request, key, n, why)


def nearest_areas(matrix: tuple[list[str], pd.DataFrame, pd.Series, dict], request: TypologyRequest, key: str,
                  n: int = 5, why: int = 3) -> dict[str, Any]:
    """`similar_areas` on a matrix already read (`read_matrix` of `request`): a caller that asks for many areas of
    one request (the area profiles) reads it once."""
    codes, values, names, dropped = matrix
    z = standardise(values)
    if key not in z.index:
        reason = dropped.get(key, f"no area {key!r} on level {request.level!r} in {request.period}")
        raise TypologyInputError("key", f"{key} takes no part ({reason})", 404 if key not in dropped else 422)
    target = z.loc[key]
    distance = np.sqrt(((z - target) ** 2).sum(axis=1)).drop(key).sort_values(kind="stable")
    result = []
    for other in distance.index[:n]:
        gaps = (z.loc[other] - target).abs().sort_values(kind="stable")
        result.append({"key": other, "name": names.get(other), "distance": round(float(distance[other]), 4),
                       "similar_in": [{"indicator": c, "value": float(values.at[other, c]),
                                       "this_value": float(values.at[key, c]), "z_difference": round(float(gaps[c]), 3)}
                                      for c in gaps.index[:why]]})
    return {"key": key, "name": names.get(key), "level": request.level, "period": request.period,
            "indicators": list(z.columns), "method": "Euclidean distance of z-scores (population sd)",
            "similar": result}
