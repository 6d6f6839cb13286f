"""The Germany demo (data/demo/germany/manifest.yaml): its Staat, Länder and Kreise, loaded into a new database
through the ordinary imports, have AGS keys, a hierarchy by key prefix, and the INKAR values the API serves.
(The 10,997 Gemeinden load in about 10 s more; `district-monitor demo load germany` loads them.)"""

from __future__ import annotations

import csv
from datetime import date

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.app import create_app
from service.db import create_engine, upgrade
from service.demo import DEMOS, load_demo
from service.setup import check_manifest
from tests.conftest import make_settings

LEVELS = {"staat", "land", "kreis"}


@pytest.fixture(scope="module")
def germany(pg_server):
    name = "dm_test_germany"
    engine = create_engine(pg_server.create(name), make_settings())
    upgrade(engine, 25832)
    summary = load_demo(engine, DEMOS["germany"], only_levels=LEVELS)
    yield engine, summary
    engine.dispose()
    pg_server.drop(name)


def test_the_whole_manifest_checks_clean():
    checked, report = check_manifest(None, DEMOS["germany"])
    assert checked is not None, [p.as_text() for p in report.errors]
    assert {spec.code for spec in checked.manifest.levels} == {"staat", "land", "rbz", "kreis", "gemeinde"}


def test_laender_and_kreise_have_their_official_numbers_and_keys(germany):
    engine, summary = germany
    assert all(report.ok for report in summary.reports)
    with engine.connect() as conn:
        counts = dict(conn.execute(sa.text("SELECT level_code, count(*) FROM area GROUP BY 1")).all())
        lengths = dict(conn.execute(sa.text(
            "SELECT level_code, array_agg(DISTINCT length(key)) FROM area GROUP BY 1")).all())
        names = dict(conn.execute(sa.text("SELECT key, name FROM area WHERE key IN ('09162', '11000', '16063')")).all())
    assert counts == {"staat": 1, "land": 16, "kreis": 401}  # VG5000 01.01.2021: Eisenach still a Kreis
    assert lengths == {"staat": [2], "land": [2], "kreis": [5]}
    assert names == {"09162": "München", "11000": "Berlin", "16063": "Wartburgkreis"}


def test_every_kreis_belongs_to_the_land_of_its_key_prefix(germany):
    engine, _ = germany
    with engine.connect() as conn:
        wrong = conn.execute(sa.text("""
            SELECT count(*) FROM area k WHERE k.level_code = 'kreis' AND (k.parent_key <> left(k.key, 2)
              OR NOT EXISTS (SELECT 1 FROM area l WHERE l.level_code = 'land' AND l.key = k.parent_key))""")).scalar_one()
        laender = conn.execute(sa.text("SELECT count(*) FROM area WHERE level_code = 'land' AND parent_key = 'DG'"))
        levels = dict(conn.execute(sa.text("SELECT code, parent_code FROM area_level")).all())
    assert wrong == 0 and laender.scalar_one() == 16
    assert levels["kreis"] == "land" and levels["gemeinde"] == "kreis" and levels["rbz"] == "land"


def inkar(code: str, key: str, year: int) -> float:
    path = DEMOS["germany"].parent / "derived" / "inkar2021_sozialleistungen_kreise.csv"
    with open(path, encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle, delimiter=";") if r["krs"] == key and r["zeitbezug"] == str(year))
    return float(row[code])


def test_the_api_serves_the_inkar_values_of_a_kreis(germany):
    engine, _ = germany
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        answer = client.get("/api/areas/09162")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["level"] == "kreis" and body["parent"]["key"] == "09"
        values = {(v["indicator"], str(v["period"])): v["value"] for v in body["values"]}
        assert values[("q_SGBII", "2020-12-31")] == pytest.approx(inkar("q_SGBII", "09162", 2020))
        assert values[("a_GSa", "2015-12-31")] == pytest.approx(inkar("a_GSa", "09162", 2015))
        land = client.get("/api/areas/09", params={"level": "land"}).json()
        assert len(land["children"]) == 96  # Bayern's Kreise
        assert client.get("/api/indicators/q_SGBII").json()["name_de"] == "SGB-II-Quote"


def test_eisenach_has_no_inkar_values_after_its_merger(germany):
    engine, _ = germany
    with engine.connect() as conn:
        eisenach = conn.execute(sa.text("""
            SELECT count(*) FROM observation o JOIN area a ON a.id = o.area_id WHERE a.key = '16056'""")).scalar_one()
        periods = conn.execute(sa.text("SELECT min(period), max(period) FROM observation")).one()
    assert eisenach == 0
    assert periods == (date(2006, 12, 31), date(2022, 12, 31))


def test_the_explorer_maps_the_kreise_and_their_change_although_eisenach_has_no_values(germany):
    """Eisenach (16056) has no INKAR values: its table cells are empty (NaN), and the change map answered 500."""
    engine, _ = germany
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        for params in ({"indicator": "q_SGBII", "level": "kreis"},
                       {"indicator": "q_SGBII", "level": "kreis", "period": "2020-12-31", "compare": "2015-12-31"}):
            answer = client.get("/explorer", params={**params, "f": "json"})
            assert answer.status_code == 200, answer.text[:500]
            areas = {area["key"]: area for area in answer.json()["areas"]}
            assert len(areas) == 401 and areas["16056"]["value"] is None
            page = client.get("/explorer", params=params)
            assert page.status_code == 200 and "Wartburgkreis" in page.text
