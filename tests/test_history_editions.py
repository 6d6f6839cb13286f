"""Every published MSS edition reproduced by the service (issue 15): the index runs the demo load computes with
each edition's own definition give the published status and dynamics class of every assessed planning area;
and the harmonised series: counts moved between key systems keep their sum, rates are rebuilt from numerator
and denominator, and the error against the publisher's own values on the new boundaries stays small."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indicators.editions import compare_editions
from indicators.harmonise import (
    crosswalk,
    denominator_codes,
    move_counts,
    move_rate,
    public_values,
    version_areas,
)

PUBLISHED = Path(__file__).resolve().parent.parent / "data" / "demo" / "berlin" / "history" / "mss_index_plr_2013_2019.csv"


def test_every_published_edition_is_reproduced_area_by_area(demo_engine):
    with demo_engine.connect() as conn:
        rows = compare_editions(conn, PUBLISHED)
    by = {(r.edition, r.kind): r for r in rows}
    assert by[("MSS2013", "status")].published == {"1": 80, "2": 264, "3": 52, "4": 38}
    assert by[("MSS2019", "dynamics")].published == {"+": 46, "+/-": 357, "-": 33}
    for r in rows:
        assert r.reproduced == r.published, r
        if r.edition != "MSS2021":
            assert r.differing == 0, r


@pytest.fixture(scope="module")
def walk_2018(demo_engine):
    with demo_engine.connect() as conn:
        source = version_areas(conn, "plr", date(2018, 12, 31))
        target = version_areas(conn, "plr", date(2021, 1, 1))
        population = public_values(conn, "plr", date(2021, 1, 1), ["EW"], date(2021, 6, 30))["EW"]
    return source, target, crosswalk(source, target, "population", population)


def test_counts_keep_their_sum_and_whole_areas_are_not_estimates(demo_engine, walk_2018):
    source, target, walk = walk_2018
    assert (len(source), len(target)) == (447, 542)
    with demo_engine.connect() as conn:
        ew = public_values(conn, "plr", date(2018, 12, 31), ["EW"], date(2018, 12, 31))["EW"]
    moved = move_counts(walk, ew)
    assert moved["value"].sum() == pytest.approx(ew.sum(), rel=1e-4)  # the city's total survives the move
    assert ((moved["share_estimated"] >= 0) & (moved["share_estimated"] <= 1)).all()
    assert (moved["share_estimated"] < 1e-3).sum() > 50  # targets that are sums of whole old areas: exact


def test_a_missing_source_value_leaves_its_targets_without_estimate(walk_2018):
    _source, _target, walk = walk_2018
    counts = pd.Series(100.0, index=walk.source_keys)
    counts.iloc[0] = np.nan  # a hidden or missing cell
    moved = move_counts(walk, counts)
    touched = walk.weights[0] > 1e-9
    assert moved["value"][touched].isna().all() and moved["value"][~touched].notna().all()


def test_rebuilt_shares_of_2018_are_close_to_the_publishers_own(demo_engine, walk_2018):
    _source, _target, walk = walk_2018
    old, new = date(2018, 12, 31), date(2021, 1, 1)
    with demo_engine.connect() as conn:
        parts = list(denominator_codes(conn, "S3"))  # its weight in the catalogue: the inhabitants
        values = public_values(conn, "plr", old, ["S3", *parts], old)
        published = public_values(conn, "plr", new, ["S3"], old)["S3"]
    assert parts == ["EW"]
    estimate = move_rate(walk, values["S3"], values[parts].sum(axis=1))
    both = pd.concat([estimate["value"], published], axis=1, keys=["est", "pub"]).dropna()
    assert len(both) > 400  # assessed in both editions
    assert (both["est"] - both["pub"]).abs().mean() < 1.0  # percentage points (measured: bench/bench_history.py)


def test_the_profile_lists_the_gesamtindex_of_every_edition_across_the_reforms(client):
    """Allende II (09401433 from 2021) lay in Kietzer Feld/Nachtheide (09041301) until 2018: the profile names
    that area and its class for MSS 2013-2019, and the area's own class for MSS 2021."""
    body = client.get("/areas/plr/09401433?f=json").json()
    editions = {e["period"]: e for e in body["editions"]}
    assert set(editions) == {"2012-12-31", "2014-12-31", "2016-12-31", "2018-12-31", "2020-12-31"}
    assert editions["2020-12-31"]["key"] == "09401433" and editions["2020-12-31"]["share"] == pytest.approx(1, abs=1e-3)
    assert editions["2018-12-31"]["key"] == "09041301" and editions["2018-12-31"]["share"] > 0.95
    html = client.get("/areas/plr/09401433").text
    assert "Gesamtindex je Ausgabe" in html and "Kietzer Feld/Nachtheide (09041301" in html
