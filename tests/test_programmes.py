"""Programme evaluation: difference in differences against the rest of the city and matched areas."""

import uuid

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import create_token
from service.db import create_engine
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def setup(pg_server, demo_template):
    name = f"dm_test_prog_{uuid.uuid4().hex[:8]}"
    engine = create_engine(pg_server.create(name, template=demo_template), make_settings())
    with engine.begin() as conn:
        keys = [r[0] for r in conn.execute(sa.text(
            "SELECT key FROM area WHERE level_code = 'plr' AND key LIKE '0140%' ORDER BY key LIMIT 5"))]
        _id, editor = create_token(conn, "editor", "editor", created_by="test")
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        yield engine, client, {"Authorization": f"Bearer {editor}"}, keys
    engine.dispose()
    pg_server.drop(name)


@pytest.fixture(scope="module")
def evaluation(setup):
    engine, client, auth, keys = setup
    created = client.post("/api/programmes", headers=auth, json={
        "id": "qm-test", "name": "QM Testkiez", "start_date": "2019-06-30", "level": "plr", "area_keys": keys})
    assert created.status_code == 201, created.text
    response = client.get("/api/programmes/qm-test/evaluation", params={"f": "json"})
    assert response.status_code == 200, response.text
    return response.json()


def panel(engine, code):
    with engine.connect() as conn:
        ew = dict(conn.execute(sa.text("""
            SELECT a.key, o.value FROM observation_public o JOIN area a ON a.id = o.area_id AND a.level_code = 'plr'
                 AND a.valid_from = '2021-01-01'
            WHERE o.indicator_code = 'EW' AND o.period = '2020-12-31'""")).all())
        s = pd.DataFrame(conn.execute(sa.text("""
            SELECT a.key, o.period::text AS period, o.value FROM observation_public o
            JOIN area a ON a.id = o.area_id AND a.level_code = 'plr' AND a.valid_from = '2021-01-01'
            WHERE o.indicator_code = :code AND o.value IS NOT NULL
              AND o.period IN ('2018-12-31', '2020-12-31')"""), {"code": code}).all(),
            columns=["key", "period", "value"])
    wide = s.pivot(index="key", columns="period", values="value").dropna()
    wide["w"] = pd.Series(ew).reindex(wide.index)
    return wide[wide["w"] > 0]


def test_the_mss_status_indicators_are_evaluated_between_2018_and_2020(evaluation):
    rows = {r["indicator"]: r for r in evaluation["indicators"]}
    assert {"S1", "S3", "S4"} <= set(rows)
    assert all((rows[c]["pre_period"], rows[c]["post_period"]) == ("2018-12-31", "2020-12-31") for c in ("S1", "S3"))
    assert evaluation["areas_inside"] == 5
    assert "keine Wirkung" in evaluation["caveat_de"] and "does not prove" in evaluation["caveat_en"]


def test_did_against_the_rest_of_the_city_matches_an_independent_computation(setup, evaluation):
    engine, _client, _auth, keys = setup
    wide = panel(engine, "S1")

    def change(frame):
        return (np.average(frame["2020-12-31"], weights=frame["w"])
                - np.average(frame["2018-12-31"], weights=frame["w"]))

    inside = wide[wide.index.isin(keys)]
    rest = wide[~wide.index.isin(keys)]
    s1 = next(r for r in evaluation["indicators"] if r["indicator"] == "S1")
    assert s1["programme"]["change"] == pytest.approx(change(inside))
    assert s1["did_rest"] == pytest.approx(change(inside) - change(rest))
    assert s1["rest"]["areas"] == len(rest)


def test_matched_areas_start_from_a_similar_status(evaluation):
    s1 = next(r for r in evaluation["indicators"] if r["indicator"] == "S1")
    gap_matched = abs(s1["matched"]["pre"] - s1["programme"]["pre"])
    gap_rest = abs(s1["rest"]["pre"] - s1["programme"]["pre"])
    assert gap_matched < gap_rest
    assert 1 <= s1["matched"]["areas"] <= 15
    assert s1["did_matched"] == pytest.approx(s1["programme"]["change"] - s1["matched"]["change"])


def test_the_evaluation_comes_as_csv_html_and_svg_chart(setup, evaluation):
    _engine, client, _auth, _keys = setup
    csv = client.get("/api/programmes/qm-test/evaluation", params={"f": "csv"})
    assert csv.text.splitlines()[0].startswith("indicator,name_de,unit,pre_period,post_period")
    assert len(csv.text.splitlines()) == 1 + len(evaluation["indicators"])
    html = client.get("/api/programmes/qm-test/evaluation", params={"f": "html"})
    assert "Differenz der Differenzen" in html.text and "evaluation.svg" in html.text
    svg = client.get("/api/programmes/qm-test/evaluation.svg")
    assert svg.headers["content-type"] == "image/svg+xml" and "<svg" in svg.text and "S1" in svg.text


def test_a_programme_defined_by_a_polygon(setup):
    engine, client, auth, keys = setup
    with engine.connect() as conn:
        geometry = conn.execute(sa.text("""
            SELECT ST_AsGeoJSON(ST_Union(geom_4326), 9)::json FROM area WHERE level_code = 'plr' AND key = ANY(:k)"""),
            {"k": keys}).scalar_one()
    created = client.post("/api/programmes", headers=auth, json={
        "id": "qm-polygon", "name": "QM Polygon", "start_date": "2019-01-01", "geometry": geometry})
    assert created.status_code == 201, created.text
    result = client.get("/api/programmes/qm-polygon/evaluation").json()
    assert result["areas_inside"] == 5


@pytest.mark.parametrize("body, field, status", [
    ({"id": "x1", "name": "X", "start_date": "2019-13-01", "area_keys": ["01100101"]}, "start_date", 400),
    ({"id": "x2", "name": "X", "start_date": "2019-01-01", "area_keys": ["99999999"]}, "area_keys", 400),
    ({"id": "X Y", "name": "X", "start_date": "2019-01-01", "area_keys": ["01100101"]}, "id", 400),
    ({"id": "x3", "name": "X", "start_date": "2019-01-01"}, "area_keys", 400),
    ({"id": "qm-test", "name": "X", "start_date": "2019-01-01", "area_keys": ["01100101"]}, "id", 409),
    ({"id": "x4", "name": "X", "start_date": "2019-01-01", "geometry": {"type": "Polygon", "coordinates": []}},
     "geometry", 422),
])
def test_bad_programme_definitions_are_4xx_naming_the_field(setup, evaluation, body, field, status):
    _engine, client, auth, _keys = setup
    response = client.post("/api/programmes", headers=auth, json=body)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field


def test_defining_a_programme_needs_an_editor_and_unknown_ones_are_404(setup):
    _engine, client, _auth, _keys = setup
    body = {"id": "anon", "name": "X", "start_date": "2019-01-01", "area_keys": ["01100101"]}
    assert client.post("/api/programmes", json=body).status_code == 401
    assert client.get("/api/programmes/nope/evaluation").status_code == 404
