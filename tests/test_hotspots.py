"""Specification of local Moran's I clusters in indicators.hotspots (docs/methods.md §4)."""

import threading

import geopandas
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box

from indicators.hotspots import local_morans

# A 3 x 3 grid of unit squares, keys "<row><column>", row 0 at the top:
#   10 10  1
#   10 10  1
#    1  1  1
# mean 5 -> z = y - 5:  5 5 -4 / 5 5 -4 / -4 -4 -4;  sum of z^2 = 4 * 25 + 5 * 16 = 180
# queen lags (row-standardised mean of the neighbours' z):
#   00: (5 + 5 + 5) / 3 = 5       01: (5 - 4 + 5 + 5 - 4) / 5 = 1.4     02: (5 + 5 - 4) / 3 = 2
#   10: 1.4                       11: (4 * 5 ... ) = (15 - 20) / 8 = -0.625   12: (5 - 4 + 5 - 4 - 4) / 5 = -0.4
#   20: 2                         21: -0.4                              22: (5 - 4 - 4) / 3 = -1
# local I_i = (n - 1) z_i lag_i / sum z^2 (esda): I_00 = 8 * 5 * 5 / 180 = 1.1111, I_22 = 8 * -4 * -1 / 180 = 0.1778
# global I = sum z_i lag_i / sum z^2 = (25 + 7 - 8 + 7 - 3.125 + 1.6 - 8 + 1.6 + 4) / 180 = 27.075 / 180 = 0.150417
# corner 00: 3 of the 8 other values are drawn per permutation; all three 10s in 1 of C(8, 3) = 56 draws -> p ~ 0.02
KEYS = [f"{row}{column}" for row in range(3) for column in range(3)]
GRID = geopandas.GeoSeries(
    [box(column, -row, column + 1, -row + 1) for row in range(3) for column in range(3)], index=KEYS, crs="EPSG:25833"
)
VALUES = pd.Series([10, 10, 1, 10, 10, 1, 1, 1, 1], index=KEYS, dtype=float)


def test_local_and_global_morans_i_reproduce_hand_computed_values():
    result = local_morans(GRID, VALUES)
    assert result.local.at["00", "Is"] == pytest.approx(8 * 5 * 5 / 180)
    assert result.local.at["22", "Is"] == pytest.approx(8 * 4 * 1 / 180)
    assert result.I == pytest.approx(27.075 / 180)
    assert result.EI == pytest.approx(-1 / 8)


def test_quadrants_follow_esda_codes():
    # 00 high among high (1), 02 low among high (2), 22 low among low (3), 11 high among low (4)
    q = local_morans(GRID, VALUES).local["q"]
    assert [q["00"], q["02"], q["22"], q["11"]] == [1, 2, 3, 4]


def test_a_clear_high_high_corner_is_a_significant_high_high_cluster():
    result = local_morans(GRID, VALUES)
    assert result.local.at["00", "p_sim"] < 0.05
    assert result.local.at["00", "quadrant"] == "High-High"


def test_an_area_above_alpha_is_not_significant():
    result = local_morans(GRID, VALUES, alpha=0.001)
    assert set(result.local["quadrant"]) == {"not significant"}


def test_two_runs_give_identical_results():
    first, second = local_morans(GRID, VALUES), local_morans(GRID, VALUES)
    pd.testing.assert_frame_equal(first.local, second.local)
    assert (first.I, first.p_sim) == (second.I, second.p_sim)


def test_the_callers_random_state_is_left_alone():
    np.random.seed(7)
    expected = np.random.random()
    np.random.seed(7)
    local_morans(GRID, VALUES)
    assert np.random.random() == expected


def test_missing_values_are_excluded_beforehand_and_reported():
    with_gap = VALUES.copy()
    with_gap["21"] = np.nan
    result = local_morans(GRID, with_gap)
    assert "21" not in result.local.index
    assert result.excluded.to_dict() == {"21": "missing value"}


def test_an_island_is_reported_not_analysed():
    island = geopandas.GeoSeries([box(10, 10, 11, 11)], index=["99"], crs="EPSG:25833")
    result = local_morans(pd.concat([GRID, island]), pd.concat([VALUES, pd.Series({"99": 5.0})]))
    assert result.excluded.to_dict() == {"99": "island (no neighbours)"}
    assert result.local.index.tolist() == KEYS
    assert result.local.at["00", "Is"] == pytest.approx(8 * 5 * 5 / 180)


def test_parameters_are_carried_in_the_result():
    result = local_morans(GRID, VALUES, permutations=99, seed=1, alpha=0.1)
    assert (result.permutations, result.seed, result.alpha) == (99, 1, 0.1)


def test_the_service_compiles_the_cluster_analysis_at_start_so_the_first_hot_spot_map_does_not(monkeypatch,
                                                                                             demo_engine):
    """Compiling esda's kernels took ~25 s inside the first hot-spot request of a process; the app starts the
    warm-up in a background thread instead, and the warm-up compiles the kernels the analysis uses."""
    import esda.crand

    import service.app
    from indicators.hotspots import warm_up
    from service.app import create_app
    from tests.conftest import make_settings

    warm_up()
    assert esda.crand.compute_chunk.signatures and esda.moran._moran_local_crand.signatures
    started = threading.Event()
    monkeypatch.setattr("indicators.hotspots.warm_up", started.set)
    monkeypatch.setattr(service.app, "_warm_up_started", threading.Event())
    with TestClient(create_app(make_settings(warm_up_analyses=True), engine=demo_engine)):
        assert started.wait(60), "the app did not start the warm-up"


def test_the_compiled_kernels_are_kept_on_disk_for_the_next_process():
    """numba writes esda's kernels to its cache (beside the library or in NUMBA_CACHE_DIR) once they are compiled,
    so that a restarted service or the next worker loads them instead of compiling again."""
    import os

    import esda.crand
    import esda.moran

    from indicators.hotspots import warm_up

    warm_up()
    for kernel in (esda.moran._moran_local_crand, esda.crand.vec_permutations):
        assert type(kernel._cache).__name__ == "FunctionCache", kernel.__name__
        index = kernel._cache._cache_file._index_path
        assert os.path.exists(index), f"{kernel.__name__}: no cache index at {index}"
        assert kernel.signatures and (kernel.stats.cache_hits or kernel.stats.cache_misses), "compiled or loaded"
    # the kernel that takes the statistic as an argument would add a copy per process: not kept
    assert type(esda.crand.compute_chunk._cache).__name__ == "NullCache"
