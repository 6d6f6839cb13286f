"""The coverage report shows, per indicator, level and period, how many areas have a value and every gap:
missing (by flag), suppressed (statistical confidentiality) and areas without any row; JSON, CSV and HTML."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.app import create_app
from service.db import create_engine
from tests.conftest import bearer, make_settings

S1_2020 = "/api/coverage?indicator=S1&level=plr&period=2020-12-31"


@pytest.fixture(scope="module")
def engine(pg_server, demo_template):
    """A private demo copy with one suppressed S1 value, one S1 row removed and an indicator without data."""
    name = f"dm_test_cov_{uuid.uuid4().hex[:8]}"
    engine = create_engine(pg_server.create(name, template=demo_template), make_settings())
    with engine.begin() as conn:
        conn.execute(sa.text("""
            INSERT INTO disclosure (observation_id, indicator_code, rule, reason)
            SELECT o.id, o.indicator_code, 'primary', 'Fallzahl unter 3' FROM observation o JOIN area a ON a.id = o.area_id
            WHERE o.indicator_code = 'S1' AND o.period = '2020-12-31' AND a.key = '01100101' AND o.superseded_at IS NULL
            ON CONFLICT (observation_id) DO UPDATE SET reason = EXCLUDED.reason"""))
        conn.execute(sa.text("""
            DELETE FROM observation o USING area a WHERE a.id = o.area_id AND o.indicator_code = 'S1'
              AND o.period = '2020-12-31' AND a.key = '01100102'"""))
        conn.execute(sa.text("""
            INSERT INTO indicator (code, name_de, name_en, role, kind, unit, direction, aggregation)
            VALUES ('KEIN', 'Ohne Daten', 'Without data', 'context', 'share', '%', 'neutral', 'none')"""))
    yield engine
    engine.dispose()
    pg_server.drop(name)


@pytest.fixture(scope="module")
def api(engine):
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        yield client


@pytest.fixture(scope="module")
def editor(engine) -> dict[str, str]:
    return bearer(engine, "editor", "test-editor")


def test_every_area_is_counted_once_as_value_missing_suppressed_or_no_row(api):
    [row] = api.get(S1_2020).json()["coverage"]
    assert row["areas"] == 542 and row["boundaries_valid_from"] == "2021-01-01"
    assert (row["with_value"], row["missing"], row["suppressed"], row["no_row"]) == (534, 6, 1, 1)
    assert row["missing_by_flag"] == {"not_assessed": 6}
    assert row["coverage_share"] == pytest.approx(534 / 542, abs=1e-4)


def test_only_the_statistics_office_sees_suppressed_values_as_values(api, editor, engine):
    [row] = api.get(S1_2020, headers=editor).json()["coverage"]
    assert (row["with_value"], row["suppressed"]) == (534, 1), "editors see what the public sees"
    [row] = api.get(S1_2020, headers=bearer(engine, "statistics_office")).json()["coverage"]
    assert (row["with_value"], row["suppressed"]) == (535, 0)


def test_the_gaps_are_listed_with_key_status_and_reason(api):
    gaps = {g["key"]: g for g in api.get(S1_2020).json()["gaps"]}
    assert len(gaps) == 8
    assert gaps["01100101"]["status"] == "suppressed" and gaps["01100101"]["flag_reason"] == "Fallzahl unter 3"
    assert gaps["01100102"]["status"] == "no_row" and gaps["01100102"]["flag_label_de"] == "kein Wert geliefert"
    assert gaps["10100205"]["status"] == "missing" and gaps["10100205"]["flag"] == "not_assessed"
    assert gaps["10100205"]["flag_reason"] == "ungültig (Ausreißer)"


def test_an_indicator_without_any_data_is_shown_not_hidden(api, editor):
    rows = api.get("/api/coverage?indicator=KEIN", headers=editor).json()["coverage"]
    assert {r["level"] for r in rows} == {"plr", "bzr", "pgr", "bez", "stadt"}
    plr = next(r for r in rows if r["level"] == "plr")
    assert (plr["period"], plr["with_value"], plr["no_row"], plr["coverage_share"]) == (None, 0, 542, 0.0)


def test_a_period_without_data_lists_every_area_as_a_gap(api):
    body = api.get("/api/coverage?indicator=S1&level=plr&period=2030-12-31").json()
    assert body["coverage"][0]["no_row"] == 542 and len(body["gaps"]) == 542


def test_all_periods_and_levels_of_an_indicator(api):
    rows = api.get("/api/coverage?indicator=S1&level=plr").json()["coverage"]
    assert {r["period"] for r in rows} == {"2020-12-31", "2018-12-31", "2016-12-31", "2014-12-31", "2012-12-31"}
    assert all(r["with_value"] + r["missing"] + r["suppressed"] + r["no_row"] == r["areas"] for r in rows)


def test_coverage_csv_twins(api):
    summary = list(csv.DictReader(io.StringIO(api.get("/api/coverage?indicator=S1&f=csv").text)))
    assert {"indicator", "level", "period", "with_value", "missing", "suppressed", "no_row"} <= set(summary[0])
    gaps = list(csv.DictReader(io.StringIO(api.get(S1_2020 + "&f=csv").text)))
    assert len(gaps) == 8 and {g["status"] for g in gaps} == {"missing", "suppressed", "no_row"}


def test_coverage_page_in_german(api):
    html = api.get(S1_2020 + "&f=html").text
    assert "Datenabdeckung" in html and "Gebiete ohne Wert" in html and "nicht geliefert" in html
    assert "geheim gehalten" in html and "01100102" in html


def test_unknown_names_are_404_and_bad_dates_400(api):
    assert api.get("/api/coverage?level=nirgends").status_code == 404
    assert api.get("/api/coverage?indicator=NOPE").status_code == 404
    assert api.get("/api/coverage?period=31.12.2020").status_code == 400


@pytest.mark.browser
def test_catalogue_and_coverage_pages_in_a_browser(live_server, browser, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/api/indicators?f=html")
    assert page.locator("h2").first.inner_text().startswith("Arbeit und Einkommen")
    assert page.locator("article#S1 dl.definition").inner_text().count("Begründung") == 1
    page.screenshot(path=str(artifacts / "catalogue.png"))
    page.goto(f"{live_server}{S1_2020}&f=html")
    assert page.locator("table.coverage tbody tr").count() == 1
    assert page.locator("table.gaps tbody tr").count() >= 6  # at least the demo's six not-assessed Planungsräume
    page.screenshot(path=str(artifacts / "coverage_s1.png"), full_page=False)
    page.close()
