"""Spatial clusters of disadvantage on the stored data: local Moran's I of an indicator or an index per area.

Reads the values (an indicator's observations, or the index values of the latest run) and the geometries of
one boundary version in the storage CRS, and hands both to `indicators.hotspots.local_morans` (PySAL esda,
queen contiguity, fixed seed). GeoJSON is assembled in PostGIS with the results as properties.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import orjson
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.aggregation import cache_key, cached
from geo.crs import CRS84
from geo.features import ALL, FeatureQuery
from geo.features import feature_texts as geo_feature_texts
from geo.versions import level_valid_at
from indicators.hotspots import NOT_SIGNIFICANT, QUADRANTS, local_morans
from indicators.index_methods import method_for
from indicators.index_results import latest_run
from indicators.input_errors import FieldInputError
from indicators.observation_source import observation_source
from indicators.values import boundary_date_for

if TYPE_CHECKING:
    import geopandas

VERSION_FILTER = level_valid_at("a")


class ClusterInputError(FieldInputError):
    """The chosen variable cannot be analysed (e.g. an index without numeric values)."""


@dataclass(frozen=True)
class ClusterRequest:
    level: str
    period: date
    indicator: str | None = None
    index_id: str | None = None
    permutations: int = 999
    alpha: float = 0.05
    seed: int = 12345
    unsuppressed: bool = False


def read_values(conn: Connection, request: ClusterRequest) -> tuple[date, pd.DataFrame]:
    """(boundary version, frame indexed by key with area_id, name, value) for the request's variable."""
    if request.index_id is not None:
        run = latest_run(conn, request.index_id, request.level, request.period)
        if run is None:
            raise LookupError(f"index {request.index_id!r} was not computed for {request.level} {request.period}")
        if not method_for(run.definition).numeric:
            raise ClusterInputError("index", f"{request.index_id!r} has classes but no numeric value; "
                                             "analyse one of its components instead")
        at = run.boundaries_at
        rows = conn.execute(sa.text("""
            SELECT a.key, a.id AS area_id, a.name, r.value FROM index_result r JOIN area a ON a.id = r.area_id
            WHERE r.run_id = :run ORDER BY a.key"""), {"run": run.id}).all()
    else:
        at = boundary_date_for(conn, request.level, request.period)
        rows = conn.execute(sa.text(f"""
            SELECT a.key, a.id AS area_id, a.name, o.value FROM area a
            LEFT JOIN {observation_source(request.unsuppressed)} o
                 ON o.area_id = a.id AND o.indicator_code = :code AND o.period = :period
            WHERE {VERSION_FILTER} ORDER BY a.key"""),
            {"code": request.indicator, "period": request.period, "level": request.level, "at": at}).all()
    frame = pd.DataFrame(rows, columns=["key", "area_id", "name", "value"]).set_index("key")
    frame["value"] = frame["value"].astype(float)
    return at, frame


def read_geometries(conn: Connection, level: str, at: date) -> geopandas.GeoSeries:
    """Geometries of one boundary version in the storage CRS, indexed by key."""
    import geopandas  # imported on first use: slow to import

    frame = geopandas.read_postgis(
        sa.text(f"SELECT a.key, a.geom FROM area a WHERE {VERSION_FILTER} ORDER BY a.key"), conn, geom_col="geom",
        params={"level": level, "at": at})
    return frame.set_index("key").geometry


def analyse(conn: Connection, request: ClusterRequest) -> dict[str, Any]:
    """Local Moran's I per area (Is, p_sim, quadrant) and global Moran's I, plus the areas left out and why."""
    at, frame = read_values(conn, request)
    if frame.empty:
        raise LookupError(f"there are no areas on level {request.level!r} at {request.period}")
    result = _permutation_result(conn, request, at, frame)
    local = pd.DataFrame.from_dict(result["local"], orient="index", columns=["Is", "p_sim", "q"])
    local["quadrant"] = [QUADRANTS[int(q)] if p_sim < request.alpha else NOT_SIGNIFICANT
                         for q, p_sim in zip(local["q"], local["p_sim"])]
    excluded = result["excluded"]
    areas = []
    for key, row in frame.iterrows():
        if key in local.index:
            item = local.loc[key]
            areas.append({"key": key, "name": row["name"], "value": float(row["value"]), "Is": float(item["Is"]),
                          "p_sim": float(item["p_sim"]), "q": int(item["q"]), "quadrant": item["quadrant"],
                          "significant": item["quadrant"] != "not significant"})
        else:
            areas.append({"key": key, "name": row["name"], "value": None if pd.isna(row["value"]) else float(row["value"]),
                          "Is": None, "p_sim": None, "q": None, "quadrant": None, "significant": False,
                          "excluded": str(excluded.get(key, "no geometry"))})
    counts = local["quadrant"].value_counts()
    return {
        "variable": {"indicator": request.indicator} if request.indicator else {"index": request.index_id},
        "level": request.level, "period": request.period, "boundaries_at": at,
        "method": "local Moran's I (Anselin 1995), PySAL esda; queen contiguity, row-standardised weights; "
                  "conditional permutation inference",
        "permutations": request.permutations, "seed": request.seed, "alpha": request.alpha,
        "global": result["global"],
        "counts": {label: int(counts.get(label, 0)) for label in (*QUADRANTS.values(), NOT_SIGNIFICANT)},
        "n_analysed": len(local), "excluded": excluded,
        "areas": areas,
    }


def _permutation_result(conn: Connection, request: ClusterRequest, at: date, frame: pd.DataFrame) -> dict:
    """The permutation test (the expensive part: about a second for 999 permutations on 542 areas), cached per
    data_version without the significance level: a new `alpha` only re-reads which areas count as significant,
    so trying significance levels costs no new permutations (a client sending fresh levels in a loop made the
    service compute one permutation test after the other)."""
    def compute() -> dict:
        geometries = read_geometries(conn, request.level, at)
        result = local_morans(geometries, frame["value"], permutations=request.permutations, seed=request.seed)
        return {"local": {key: [float(row.Is), float(row.p_sim), int(row.q)] for key, row in result.local.iterrows()},
                "global": {"I": result.I, "EI": result.EI, "p_sim": result.p_sim, "z_sim": result.z_sim},
                "excluded": {str(k): str(v) for k, v in result.excluded.items()}}

    without_alpha = {name: value for name, value in request.__dict__.items() if name != "alpha"}
    result, _hit = cached(conn, cache_key("lisa", **without_alpha), compute)
    return result


def feature_texts(conn: Connection, level: str, at: date, areas: list[dict], precision: int = 6,
                  simplify_m: float | None = None) -> Iterator[str]:
    """GeoJSON Feature texts of the analysed level (CRS84, `precision` decimals) with each area's result as
    properties, written by the one feature builder (`geo.features`; simplified as a coverage with
    `simplify_m`). Areas without a result are left out."""
    properties_sql = """
        SELECT a.id AS area_id, jsonb_build_object('level', a.level_code) || r.value AS properties
        FROM area a JOIN jsonb_each(CAST(%(cluster_results)s AS jsonb)) r ON r.key = a.key
        WHERE a.level_code = %(level)s"""
    query = FeatureQuery(level=level, at=at, limit=ALL, simplify_m=simplify_m, only_with_properties=True,
                         crs=replace(CRS84, precision=precision))
    results = orjson.dumps({item["key"]: item for item in areas}).decode()
    for text in geo_feature_texts(conn, query, properties_sql, {"cluster_results": results}):
        yield text.decode()
