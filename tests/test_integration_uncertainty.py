"""Confidence intervals, the reliability rule and Empirical Bayes smoothing (indicators/uncertainty.py,
GET /api/intervals)."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from scipy.stats import binomtest

from indicators.uncertainty import UNRELIABLE_DE, unreliable, wilson_interval

SHARE = "numerator=EW_AUSL&denominator=EW&level=plr"


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 20), (50, 100), (1509, 3503), (29, 29)])
def test_wilson_interval_is_scipys(k: int, n: int):
    low, high = wilson_interval([k], [n])
    reference = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert low[0] == pytest.approx(reference.low, abs=1e-9)
    assert high[0] == pytest.approx(reference.high, abs=1e-9)


def test_reliability_rule():
    flags = unreliable([5, 10, 2, 500, 400], [20, 40, 1000, 1000, 1000])
    # n < 30; width >= 0.30 (10 of 40: 0.14..0.40 is 0.26 wide, so reliable); 2 of 1000: the interval is narrow
    # (< 0.05) however wide relative to 0.2 %; large counts reliable
    assert flags.tolist() == [True, False, False, False, False]
    assert unreliable([1], [35]).tolist() == [True]  # 1 of 35: 0.005..0.145, 0.14 wide, 490 % of 2.9 %
    assert np.isnan(wilson_interval([1], [0])[0][0])


def test_intervals_of_a_share_formed_from_two_counts(client: TestClient, demo_engine):
    body = client.get(f"/api/intervals?{SHARE}").json()
    with demo_engine.connect() as conn:  # the default period: the latest in which both counts exist
        latest = conn.execute(sa.text("""
            SELECT max(n.period) FROM observation n JOIN observation d ON d.period = n.period
              AND d.area_id = n.area_id AND d.indicator_code = 'EW'
            WHERE n.indicator_code = 'EW_AUSL'""")).scalar()
    assert body["period"] == latest.isoformat() and body["scale"] == 100
    areas = [a for a in body["areas"] if a["ci_low"] is not None]
    assert len(areas) == body["with_interval"] > 500
    for area in areas:
        assert area["ci_low"] <= area["value"] <= area["ci_high"]
        assert area["value"] == pytest.approx(100 * area["numerator"] / area["denominator"])
        assert area["reliability"] == (UNRELIABLE_DE if area["unreliable"] else "")
    assert body["unreliable"] == sum(a["unreliable"] for a in areas) >= 1  # tiny areas exist
    text = client.get(f"/api/intervals?{SHARE}&f=csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"ci_low", "ci_high", "reliability"} <= set(rows[0]) and len(rows) == len(body["areas"])


def test_empirical_bayes_shrinks_towards_the_mean_and_is_labelled(client: TestClient):
    body = client.get(f"/api/intervals?{SHARE}&smooth=eb").json()
    assert body["smoothing"]["label_de"].startswith("geglättet")
    areas = [a for a in body["areas"] if a["smoothed"] is not None]
    mean = 100 * sum(a["numerator"] for a in areas) / sum(a["denominator"] for a in areas)
    for area in areas:
        assert abs(area["smoothed"] - mean) <= abs(area["value"] - mean) + 1e-9
    small = min(areas, key=lambda a: a["denominator"])
    large = max(areas, key=lambda a: a["denominator"])
    assert abs(small["smoothed"] - small["value"]) >= abs(large["smoothed"] - large["value"])


@pytest.mark.parametrize(("query", "status", "field"), [
    ("numerator=EW&denominator=EW_AUSL&level=plr", 422, "numerator"),  # numerator above the denominator
    ("numerator=S1&denominator=EW&level=plr", 422, "numerator"),  # a share is not a count
    ("numerator=EW_AUSL&denominator=NOPE&level=plr", 404, "denominator"),
    ("indicator=EW&level=plr", 422, "indicator"),
])
def test_refusals_name_the_field(client: TestClient, query: str, status: int, field: str):
    response = client.get(f"/api/intervals?{query}")
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
