"""Spatial clusters of disadvantage: local and global Moran's I on queen-contiguity neighbours (docs/methods.md §4).

Anselin, L. (1995): Local Indicators of Spatial Association - LISA. Geographical Analysis 27(2), 93-115;
computed with PySAL esda (`Moran_Local`, `Moran`) and libpysal queen contiguity, row-standardised,
permutation inference with a fixed seed so that two runs give identical results.
This module must not read or write data or talk to a database (numba's cache of compiled kernels aside, see
`_keep_compiled_kernels`); it leaves numpy's global random state as it found it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import geopandas
    import libpysal

QUADRANTS = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}
"""esda's quadrant codes `q` (value of the area / spatial lag of its neighbours)."""
NOT_SIGNIFICANT = "not significant"
MIN_AREAS = 3


@dataclass(frozen=True)
class HotspotResult:
    """Local Moran's I per analysed area and global Moran's I, named as in esda.

    `local` (index = area key): `Is` local statistic, `p_sim` esda's folded one-sided pseudo p-value
    (the "directed" alternative of esda 2.x; esda announces two-sided as the next default), `q` quadrant code
    (1 HH, 2 LH, 3 LL, 4 HL), `quadrant` label, or "not significant" where p_sim >= alpha (esda's rule,
    `Moran_Local.get_cluster_labels`). `I`, `EI`, `p_sim`, `z_sim` are the global statistics.
    `excluded` gives, per area left out, the reason: "missing value", "no geometry" or "island (no neighbours)".
    """

    local: pd.DataFrame
    I: float  # noqa: E741 - the name used in the literature and in esda
    EI: float
    p_sim: float
    z_sim: float
    excluded: pd.Series
    permutations: int
    seed: int
    alpha: float


def local_morans(
    geometries: geopandas.GeoSeries,
    values: pd.Series,
    permutations: int = 999,
    seed: int = 12345,
    alpha: float = 0.05,
) -> HotspotResult:
    """Local and global Moran's I of `values` with queen-contiguity weights from `geometries` (both indexed
    by area key). Areas with a missing value or geometry are dropped first, then islands; all are reported.

    Contiguity is topological, so the result does not depend on the CRS (both inputs must share one).
    """
    import esda  # PySAL is imported on first use: slow to import, and only cluster analyses need it

    _keep_compiled_kernels()
    import libpysal

    if not 0 < alpha < 1:
        raise ValueError("alpha must lie between 0 and 1")
    analysed, excluded = areas_to_analyse(geometries, values)
    weights = queen_weights(geometries[analysed])
    islands = list(weights.islands)
    if islands:
        excluded = pd.concat([excluded, pd.Series("island (no neighbours)", index=islands, dtype=object)])
        analysed = [key for key in analysed if key not in set(islands)]
        weights = libpysal.weights.w_subset(weights, analysed, silence_warnings=True)
    if len(analysed) < MIN_AREAS:
        raise ValueError(f"{len(analysed)} areas with neighbours and a value, at least {MIN_AREAS} needed")
    weights.transform = "r"
    y = values[weights.id_order].astype(float).to_numpy()
    if np.unique(y).size < 2:
        raise ValueError("the value is the same in every analysed area; Moran's I is undefined")
    with restored_global_random_state(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The alternative hypothesis for conditional randomization")
        np.random.seed(seed)
        moran = esda.Moran(y, weights, transformation="r", permutations=permutations)
        lisa = esda.Moran_Local(
            y, weights, transformation="r", permutations=permutations, seed=seed, n_jobs=1, keep_simulations=False
        )
    keys = pd.Index(weights.id_order, name=values.index.name)
    local = pd.DataFrame({"Is": lisa.Is, "p_sim": lisa.p_sim, "q": lisa.q}, index=keys)
    local["quadrant"] = [
        QUADRANTS[int(q)] if p_sim < alpha else NOT_SIGNIFICANT for q, p_sim in zip(local["q"], local["p_sim"])
    ]
    return HotspotResult(
        local=local,
        I=float(moran.I),
        EI=float(moran.EI),
        p_sim=float(moran.p_sim),
        z_sim=float(moran.z_sim),
        excluded=excluded,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
    )


_KEPT_MODULES = ("esda.crand", "esda.moran", "esda.significance")
# takes the statistic as a function argument: its signature names the function's address, so each process would
# add another compiled copy to the cache and never find the last one
_NOT_KEPT = {"compute_chunk"}


def _keep_compiled_kernels() -> None:
    """Let numba keep esda's compiled permutation kernels on disk (its cache beside the library, or
    NUMBA_CACHE_DIR), so that a restarted service or another worker process loads them instead of compiling
    them again: 7 s instead of 29 s before the first analysis of a process (a quiet 2-core machine).

    By hand: esda declares its kernels without numba's `cache=True`; `Dispatcher.enable_caching` is what that
    flag does. `crand.compute_chunk` is still compiled per process (see _NOT_KEPT). Where numba has no
    writable place for its cache, the kernels are compiled as before."""
    import importlib

    from numba.core.registry import CPUDispatcher

    for name in _KEPT_MODULES:
        module = importlib.import_module(name)
        for kernel in vars(module).values():
            if (isinstance(kernel, CPUDispatcher) and type(kernel._cache).__name__ == "NullCache"
                    and kernel.__name__ not in _NOT_KEPT):
                try:
                    kernel.enable_caching()
                except RuntimeError:  # "cannot cache function ...: no locator available"
                    return


def warm_up() -> None:
    """Compile esda's numba kernels (the conditional randomisation of local Moran's I) on a 3 x 3 grid, once per
    process: the first real analysis otherwise spends ~25 s compiling them before it computes (0.01-2 s after).
    The service runs this in a background thread at start (`Settings.warm_up_analyses`)."""
    import geopandas
    from shapely.geometry import box

    grid = geopandas.GeoSeries([box(i % 3, i // 3, i % 3 + 1, i // 3 + 1) for i in range(9)],
                               index=pd.Index([f"w{i}" for i in range(9)], name="key"))
    values = pd.Series(np.arange(9, dtype=float) % 4, index=grid.index)
    local_morans(grid, values, permutations=9, seed=1)


def areas_to_analyse(geometries: geopandas.GeoSeries, values: pd.Series) -> tuple[list[str], pd.Series]:
    """Keys with both a geometry and a value (in the order of `geometries`), and the reason for every other key."""
    if not geometries.index.is_unique or not values.index.is_unique:
        raise ValueError("area keys must be unique")
    no_geometry = geometries.isna() | geometries.is_empty
    reasons = {key: "no geometry" for key in values.index if key not in geometries.index or no_geometry.get(key, True)}
    for key in geometries.index:
        if key not in reasons and (key not in values.index or pd.isna(values[key])):
            reasons[key] = "missing value"
    analysed = [key for key in geometries.index if key not in reasons]
    return analysed, pd.Series(reasons, dtype=object)


def queen_weights(geometries: geopandas.GeoSeries) -> libpysal.weights.W:
    """Queen contiguity (shared edge or corner) with the area keys as ids."""
    import geopandas
    import libpysal

    frame = geopandas.GeoDataFrame(geometry=geometries)
    return libpysal.weights.Queen.from_dataframe(frame, use_index=True, silence_warnings=True)


@contextmanager
def restored_global_random_state() -> Iterator[None]:
    """esda seeds numpy's global generator; put back whatever state the caller had."""
    state = np.random.get_state()
    try:
        yield
    finally:
        np.random.set_state(state)
