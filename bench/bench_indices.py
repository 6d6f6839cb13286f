"""Benchmark of the composite-index maths and of local Moran's I.

1. An MSS-style graded z-index (docs/methods.md §1) with 6 inputs for 100,000 synthetic areas, including the
   participation rules, status classes and the per-area explanation data; target < 2 s. Floor: the same
   z-scores, sum and re-standardisation as bare numpy array arithmetic (what no implementation can beat).
2. LISA (esda.Moran_Local + global Moran's I, queen contiguity) on the 542 Berlin Planungsräume of the demo
   data with 999 permutations; target < 5 s. Floor: the same statistics with 0 permutations (weights and
   the statistic itself, without inference).

Each figure is the median of several runs. Run: .venv/bin/python bench/bench_indices.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import esda
import geopandas
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indicators.composite import classify_status, explain_areas, mss_index
from indicators.hotspots import local_morans, queen_weights

AREAS = 100_000
INPUTS = 6
REPEATS = 5
DEMO = ROOT / "data" / "demo" / "berlin"


def median_seconds(function, repeats: int = REPEATS) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def synthetic_inputs() -> tuple[pd.DataFrame, pd.Series, dict[str, str]]:
    rng = np.random.default_rng(2021)
    keys = [f"{i:08d}" for i in range(AREAS)]
    values = pd.DataFrame(rng.gamma(2.0, 4.0, size=(AREAS, INPUTS)), index=keys,
                          columns=[f"x{i}" for i in range(1, INPUTS + 1)])
    values.iloc[rng.integers(0, AREAS, 50), rng.integers(0, INPUTS, 50)] = np.nan  # missing inputs
    population = pd.Series(rng.integers(0, 20_000, AREAS), index=keys)
    participating = population >= 300
    reasons = {key: "EW unter 300" for key in population.index[~participating]}
    return values, participating, reasons


def mss_run(values: pd.DataFrame, participating: pd.Series, reasons: dict[str, str]) -> None:
    directions = {code: (1 if i % 3 else -1) for i, code in enumerate(values.columns)}
    result = mss_index(values, directions, participating, exclusion_reasons=reasons)
    classify_status(result.index)


def mss_with_explanations(values: pd.DataFrame, participating: pd.Series, reasons: dict[str, str]) -> None:
    directions = {code: 1 for code in values.columns}
    explain_areas(mss_index(values, directions, participating, exclusion_reasons=reasons))


def numpy_floor(values: pd.DataFrame, participating: pd.Series) -> None:
    array = values.to_numpy()
    inside = participating.to_numpy() & ~np.isnan(array).any(axis=1)
    x = array[inside]
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    total = z.sum(axis=1)
    index = (total - total.mean()) / total.std()
    np.digitize(index, [-1.0, 1.0, 1.5], right=True)


def lisa_inputs() -> tuple[geopandas.GeoSeries, pd.Series]:
    areas = geopandas.read_file(DEMO / "geometry" / "planungsraeume_2021_epsg25833.shp.zip").set_index("PLR_ID")
    table = pd.read_csv(DEMO / "indicators" / "mss_2021_index_indicators_plr.csv", dtype={"PLR_ID": str},
                        na_values=["-9999"]).set_index("PLR_ID")
    return areas.geometry, table["S1"]


def lisa_without_inference(geometries: geopandas.GeoSeries, values: pd.Series) -> None:
    """Floor: queen weights and the local and global statistics, no permutations."""
    kept = values.dropna().index
    weights = queen_weights(geometries[kept])
    weights.transform = "r"
    y = values[weights.id_order].to_numpy()
    esda.Moran(y, weights, permutations=0)
    esda.Moran_Local(y, weights, permutations=0)


def line(name: str, seconds: float, target: float | None, floor: float, floor_name: str) -> str:
    verdict = "" if target is None else (f"target < {target:.0f} s: {'met' if seconds < target else 'MISSED'}; ")
    return f"{name:<58} {seconds:8.3f} s   {verdict}{seconds / floor:6.1f}x {floor_name} ({floor:.3f} s)"


def main() -> None:
    values, participating, reasons = synthetic_inputs()
    mss = median_seconds(lambda: mss_run(values, participating, reasons))
    floor = median_seconds(lambda: numpy_floor(values, participating))
    explained = median_seconds(lambda: mss_with_explanations(values, participating, reasons), repeats=3)
    geometries, s1 = lisa_inputs()
    lisa = median_seconds(lambda: local_morans(geometries, s1, permutations=999, seed=12345), repeats=3)
    lisa_floor = median_seconds(lambda: lisa_without_inference(geometries, s1), repeats=3)
    print(f"bench_indices: median of {REPEATS} runs (explanations and LISA: 3 runs)")
    print(line(f"MSS index, {INPUTS} inputs, {AREAS:,} areas (+ classes)", mss, 2, floor, "numpy floor"))
    print(line("  ... plus explanation data for every area", explained, None, floor, "numpy floor"))
    print(line(f"LISA, {len(geometries)} Planungsräume, 999 permutations", lisa, 5, lisa_floor,
               "0 permutations"))


if __name__ == "__main__":
    main()
