"""Empirical Bayes smoothing in the map explorer (issue 16): `smooth=eb|spatial_eb` maps indicators.uncertainty's
smoothed values of a share delivered with its counts, labelled as smoothed; the twins keep the published value
beside them, hidden cells get none, and the control is offered only where intervals are."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from indicators.classify import classify
from indicators.uncertainty import SMOOTHED_DE, SMOOTHED_EN, RateRequest, rate_table
from web.values import decimals_for

PERIOD = "2022-06-30"  # the demo's age groups: S3 is delivered here as children under 6 / inhabitants, with counts
SHARE = {"indicator": "S3", "level": "plr", "period": PERIOD}
HIDDEN = 2  # the first Planungsraum's numerator: below S3's threshold of 3, so disclosure control hides the cell


@pytest.fixture(scope="module")
def counted(pg_server, demo_template, tmp_path_factory):
    """A private copy of the demo with S3 delivered with numerator and denominator for every Planungsraum in
    PERIOD, imported as a statistics office would (roll-ups and disclosure control run with it)."""
    from indicators.ingest.kinds import import_kind
    from tests.conftest import private_engine

    with private_engine(pg_server, demo_template) as engine:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("""
                SELECT a.key, n.value, d.value FROM area a
                JOIN observation_public n ON n.area_id = a.id AND n.indicator_code = 'EW_U6' AND n.period = :p
                JOIN observation_public d ON d.area_id = a.id AND d.indicator_code = 'EW' AND d.period = :p
                WHERE a.level_code = 'plr' AND d.value > 0 ORDER BY a.key"""), {"p": PERIOD}).all()
        rows[0] = (rows[0][0], HIDDEN, rows[0][2])
        path = tmp_path_factory.mktemp("smoothing") / "s3.csv"
        path.write_text("area;indicator;period;value;numerator;denominator\n" + "".join(
            f"{key};S3;{PERIOD};{100 * n / d};{n:g};{d:g}\n" for key, n, d in rows), encoding="utf-8")
        kind = import_kind("observations")
        with engine.connect() as conn:
            report = kind.run(conn, path, kind.parse({"level": ["plr"]}), created_by="test")
        assert report.ok, [p.as_text() for p in report.errors]
        yield engine


@pytest.fixture(scope="module")
def api(counted) -> TestClient:
    from service.app import create_app
    from tests.conftest import make_settings

    with TestClient(create_app(make_settings(), engine=counted)) as client:
        yield client


def drawing_of(page: str) -> dict:
    return json.loads(re.search(r'id="explorer-drawing">(.*?)</script>', page, re.S).group(1))


@pytest.mark.parametrize("method", ["eb", "spatial_eb"])
def test_the_twin_maps_uncertaintys_smoothed_values_and_keeps_the_published_ones(api, counted, method):
    twin = api.get("/explorer", params={**SHARE, "smooth": method, "f": "json"}).json()
    plain = api.get("/explorer", params={**SHARE, "f": "json"}).json()
    assert twin["state"]["smooth"] == method and plain["state"]["smooth"] is None
    with counted.connect() as conn:  # the same request to indicators.uncertainty
        expected = {a["key"]: a["smoothed"] for a in rate_table(conn, RateRequest(
            level="plr", period=date.fromisoformat(PERIOD), indicator="S3", smooth=method))["areas"]}
    areas = {a["key"]: a for a in twin["areas"]}
    published = {a["key"]: a for a in plain["areas"]}
    assert set(areas) == set(published) and sum(a["smoothed"] is not None for a in areas.values()) > 500
    for key, area in areas.items():
        assert area["value"] == published[key]["value"], "value stays the published value"
        assert area["smoothed"] == pytest.approx(expected.get(key)), key
    # hidden cells stay hidden: no value, no counts, nothing smoothed
    hidden = [a for a in areas.values() if a["flag"] == "suppressed"]
    assert hidden and all(a["value"] is None and a["smoothed"] is None and a["class"] is None for a in hidden)
    # the classes are those of the smoothed values (classified as shown), and differ from the published map's
    smoothed = pd.Series({key: a["smoothed"] for key, a in areas.items()}, dtype=float)
    classes = classify(smoothed, "quantiles", k=5, decimals=decimals_for("%")).yb
    assert all(areas[key]["class"] == (None if pd.isna(c) else int(c)) for key, c in classes.items())
    moved = [key for key in areas if areas[key]["class"] != published[key]["class"]]
    assert moved, "smoothing moves some areas into another class"
    assert all(areas[key]["smoothed"] != areas[key]["value"] for key in moved)
    assert twin["title_de"].endswith(SMOOTHED_DE) and SMOOTHED_DE not in plain["title_de"]
    assert twin["smoothing"]["label_de"] == SMOOTHED_DE and twin["smoothing"]["method"] == method
    assert sum(row["count"] for row in twin["legend"]) == len(areas) - twin["missing"]
    rows = list(csv.DictReader(io.StringIO(api.get("/explorer", params={**SHARE, "smooth": method, "f": "csv"}).text)))
    row = next(r for r in rows if r["key"] not in {a["key"] for a in hidden})
    assert float(row["smoothed"]) == pytest.approx(areas[row["key"]]["smoothed"])
    assert float(row["value"]) == pytest.approx(areas[row["key"]]["value"])


def test_the_page_labels_a_smoothed_map_and_shows_the_published_value_beneath(api):
    page = api.get("/explorer", params={**SHARE, "smooth": "eb"}).text
    assert '<option value="eb" selected>' in page and 'name="smooth" disabled' not in page
    legend = re.search(r'<section id="legend".*?</section>', page, re.S).group(0)
    assert SMOOTHED_DE in legend and "zum Mittel aller Gebiete gezogen" in legend
    assert f"{SMOOTHED_DE} – district-monitor</title>" in page
    drawing = drawing_of(page)
    assert ["veroeffentlicht", "veröffentlicht"] in drawing["rows"] and ["wert", "geglätteter Wert"] in drawing["rows"]
    columns = drawing["columns"]
    i = next(i for i, v in enumerate(columns["veroeffentlicht"]) if v is not None)
    assert isinstance(columns["wert"][i], float) and "höchster veröffentlichter Wert" in drawing["texts"]["rank"]
    assert "smooth=eb" in re.search(r'id="export-pdf" href="([^"]+)"', page).group(1)
    english = api.get("/explorer", params={**SHARE, "smooth": "spatial_eb", "lang": "en"}).text
    assert SMOOTHED_EN in english and "Smoothing" in english and "spatial Empirical Bayes" in english
    assert SMOOTHED_DE not in english and "Glättung" not in english
    api.cookies.clear()  # the English page's choice of language is remembered by the client
    sheet = api.get("/explorer", params={**SHARE, "smooth": "eb", "f": "pdf"})
    text = subprocess.run(["pdftotext", "-", "-"], input=sheet.content, capture_output=True, check=True).stdout
    flat = " ".join(text.decode().split())
    assert SMOOTHED_DE in flat and "smooth=eb" in flat, "the exported sheet is labelled, and names the view"
    assert "zum Mittel aller Gebiete gezogen" in flat


@pytest.mark.parametrize(("params", "reason"), [
    ({"indicator": "EW", "level": "plr", "period": PERIOD}, "nur für Anteile und Quoten"),  # a count
    ({**SHARE, "compare": "2020-12-31"}, "nicht für Veränderungskarten"),
    ({"indicator": "S1", "level": "plr", "period": "2020-12-31"}, "nur für Werte mit Zähler und Nenner"),  # no counts
    ({**SHARE, "level": "stadt"}, "nur für Ebenen mit mehreren Gebieten"),  # the city alone: nothing to pull towards
])
def test_smoothing_is_offered_only_for_shares_and_rates_with_their_counts(api, params, reason):
    page = api.get("/explorer", params=params).text
    assert 'name="smooth" disabled' in page and f"Keine Glättung: {reason}" in page
    asked = api.get("/explorer", params={**params, "smooth": "eb", "f": "json"}).json()
    assert asked["state"]["smooth"] is None and asked["smoothing"] is None
    assert any(reason in notice for notice in asked["state"]["notices"])
    assert all("smoothed" not in area for area in asked["areas"]) and SMOOTHED_DE not in asked["title_de"]


def test_an_unknown_smoothing_gets_the_page_of_choices(api):
    response = api.get("/explorer", params={**SHARE, "smooth": "kernel"})
    assert response.status_code == 404 and "Die Glättung „kernel“ gibt es nicht" in response.text
    assert "smooth=spatial_eb" in response.text


@pytest.fixture(scope="module")
def counted_server(counted):
    from tests.conftest import serving

    with serving(counted) as url:
        yield url


POLYGONS = "path.leaflet-interactive"


def fills(page) -> list[str]:
    return page.eval_on_selector_all(POLYGONS, "ps => ps.map(p => p.getAttribute('fill'))")


@pytest.mark.browser
def test_a_planner_smooths_the_map_reloads_it_and_goes_back_to_the_published_values(browser, counted_server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{counted_server}/explorer?indicator=S3&level=plr&period={PERIOD}", wait_until="load")
    page.wait_for_selector("body[data-map-ready='542']", state="attached", timeout=20_000)
    published = fills(page)
    assert SMOOTHED_DE not in page.locator("#legend").inner_text()
    page.select_option("select[name=smooth]", "eb")
    page.wait_for_function("() => (document.body.dataset.mapState || '').includes('smooth=eb')", timeout=20_000)
    assert "smooth=eb" in page.url
    assert SMOOTHED_DE in page.locator("#legend").inner_text()
    assert SMOOTHED_DE in page.locator("#map-title").inner_text()
    smoothed = fills(page)
    assert smoothed != published, "the map is recoloured by the smoothed values"
    page.locator(POLYGONS).nth(200).hover()
    tip = page.locator(".leaflet-tooltip").inner_text()
    assert "geglätteter Wert" in tip and ("veröffentlicht" in tip or "kein Wert" in tip)
    page.reload()
    page.wait_for_selector("body[data-map-ready='542']", state="attached", timeout=20_000)
    assert page.locator("select[name=smooth]").input_value() == "eb" and fills(page) == smoothed
    assert SMOOTHED_DE in page.locator("#legend").inner_text()
    page.go_back()
    page.wait_for_function("() => !(document.body.dataset.mapState || 'smooth=').includes('smooth=')",
                           timeout=20_000)
    assert page.locator("select[name=smooth]").input_value() == ""
    assert SMOOTHED_DE not in page.locator("#legend").inner_text() and fills(page) == published
    page.close()
