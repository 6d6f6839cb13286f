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

from indicators.uncertainty import UNRELIABLE_DE, unreliable, value_interval, wilson_interval

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



def test_the_profile_shows_the_interval_of_a_share_delivered_with_its_counts(pg_server, demo_template, tmp_path):
    """A share delivered with numerator and denominator: the profile (page, JSON, CSV) gives its 95 % Wilson
    interval, and marks it statistisch unsicher where the rule says so (3 of 40: the interval is wider than 130 %
    of the share); a share without its counts gets no interval, and neither does a cell whose counts disclosure
    control hides (the public view has no numerator for it)."""
    from indicators.ingest.kinds import import_kind
    from service.app import create_app
    from tests.conftest import make_settings, private_engine

    path = tmp_path / "transfer.csv"
    path.write_text("area;indicator;period;value;numerator;denominator\n"
                    "01100102;S3;2024-12-31;7.5;3;40\n01100103;S3;2024-12-31;15;300;2000\n", encoding="utf-8")
    with private_engine(pg_server, demo_template) as engine:
        kind = import_kind("observations")
        with engine.connect() as conn:
            report = kind.run(conn, path, kind.parse({"level": ["plr"]}), created_by="test")
        assert report.ok, [p.as_text() for p in report.errors]
        with TestClient(create_app(make_settings(), engine=engine)) as client:
            profiles = {key: client.get(f"/areas/plr/{key}", params={"f": "json"}).json()
                        for key in ("01100102", "01100103")}
            page = client.get("/areas/plr/01100102", headers={"Accept": "text/html"}).text
            english = client.get("/areas/plr/01100102", params={"lang": "en"}).text
            rows = list(csv.DictReader(io.StringIO(client.get("/areas/plr/01100102", params={"f": "csv"}).text)))
            mapped = {"indicator": "S3", "level": "plr", "period": "2024-12-31"}
            twin = client.get("/explorer", params={**mapped, "f": "json"}).json()
            explorer = client.get("/explorer", params={**mapped, "lang": "de"}).text

    def s3(key: str) -> dict:
        return {p["period"]: p for p in next(i for i in profiles[key]["indicators"] if i["code"] == "S3")["periods"]}

    small, large = (s3(key) for key in ("01100102", "01100103"))
    assert value_interval(7.5, None, None) is None  # what a hidden cell's public row gives
    low, high = wilson_interval(3, 40)
    interval = small["2024-12-31"]["interval"]
    assert interval is not None, small["2024-12-31"]
    assert (interval["low"], interval["high"]) == (pytest.approx(100 * float(low)), pytest.approx(100 * float(high)))
    assert interval["unreliable"] is True and large["2024-12-31"]["interval"]["unreliable"] is False
    assert all(p["interval"] is None for period, p in small.items() if period != "2024-12-31")  # no counts
    assert "statistisch unsicher" in page and "Konfidenzintervall" in page
    assert "statistically unreliable" in english
    row = next(r for r in rows if r["indicator"] == "S3" and r["period"] == "2024-12-31")
    assert float(row["ci_low"]) == pytest.approx(100 * float(low)) and row["unreliable"] == "True"
    # the map: its JSON twin and the tooltip columns of the page carry the same interval and mark
    areas = {area["key"]: area for area in twin["areas"]}
    assert areas["01100102"]["interval"] == {"low": pytest.approx(100 * float(low)),
                                             "high": pytest.approx(100 * float(high)), "unreliable": True}
    assert areas["01100103"]["interval"]["unreliable"] is False and "interval" not in areas["01100101"]
    assert '"intervall":' in explorer and "statistisch unsicher" in explorer and "95-%-Intervall" in explorer
