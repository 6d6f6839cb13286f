"""Residential segregation (indicators/segregation.py, GET /api/segregation and /api/segregation/local): the
library's measures against the formulas on the same public values, the scopes, refusals naming the field, and
confidentiality (a hidden cell makes its area drop out, its value enters nothing)."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import make_settings

FOREIGNERS = "groups=EW_AUSL&total=EW&level=plr"
AGES = "EW_U6,EW_6_15,EW_15_18,EW_18_27,EW_27_45,EW_45_55,EW_55_65,EW_65PLUS"


def latest_period(engine: sa.Engine) -> str:
    """The default period of the measures: the latest in which the group is counted."""
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT max(period) FROM observation_public WHERE indicator_code = 'EW_AUSL'")).scalar().isoformat()


def public_counts(engine: sa.Engine, codes: tuple[str, ...], period: str | None = None) -> dict[str, dict]:
    period = period or latest_period(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("""
            SELECT a.key, a.parent_key, o.indicator_code, o.value FROM observation_public o
            JOIN area a ON a.id = o.area_id
            WHERE a.level_code = 'plr' AND o.period = :period AND o.indicator_code = ANY(:codes)"""),
            {"period": period, "codes": list(codes)}).all()
    areas: dict[str, dict] = {}
    for key, parent, code, value in rows:
        areas.setdefault(key, {"parent": parent})[code] = None if value is None else float(value)
    return {k: v for k, v in areas.items() if all(v.get(c) is not None for c in codes)}


def dissimilarity(areas: list[dict]) -> float:
    group = sum(a["EW_AUSL"] for a in areas)
    rest = sum(a["EW"] - a["EW_AUSL"] for a in areas)
    return 0.5 * sum(abs(a["EW_AUSL"] / group - (a["EW"] - a["EW_AUSL"]) / rest) for a in areas)


def isolation(areas: list[dict]) -> float:
    group = sum(a["EW_AUSL"] for a in areas)
    return sum(a["EW_AUSL"] / group * a["EW_AUSL"] / a["EW"] for a in areas if a["EW"] > 0)


def measure(body: dict, name: str, scope_key: str | None = None, group: str = "EW_AUSL") -> float:
    found = [r for r in body["rows"] if r["measure"] == name and r["scope_key"] == scope_key and r["group"] == group]
    assert len(found) == 1, (name, scope_key, group)
    return found[0]["value"]


@pytest.fixture(scope="module")
def foreigners(client: TestClient) -> dict:
    response = client.get(f"/api/segregation?{FOREIGNERS}&within=bez")
    assert response.status_code == 200, response.text
    return response.json()


def test_measures_match_the_formulas_on_public_values(foreigners: dict, demo_engine: sa.Engine):
    areas = public_counts(demo_engine, ("EW", "EW_AUSL"))
    everyone = list(areas.values())
    assert measure(foreigners, "dissimilarity") == pytest.approx(dissimilarity(everyone), abs=1e-9)
    assert measure(foreigners, "isolation") == pytest.approx(isolation(everyone), abs=1e-9)
    # exposure of the group to the rest and isolation add up to 1 (two groups)
    assert measure(foreigners, "exposure") + measure(foreigners, "isolation") == pytest.approx(1, abs=1e-9)
    assert foreigners["periods"] == [latest_period(demo_engine)]
    # each borough: the areas whose ancestors on the level `bez` is it (parent keys followed in the database)
    with demo_engine.connect() as conn:
        borough_of = dict(conn.execute(sa.text("""
            SELECT p.key, g.parent_key FROM area p
            JOIN area z ON z.level_code = 'bzr' AND z.key = p.parent_key
            JOIN area g ON g.level_code = 'pgr' AND g.key = z.parent_key
            WHERE p.level_code = 'plr'""")).all())
    boroughs = sorted({r["scope_key"] for r in foreigners["rows"] if r["scope_key"]})
    assert len(boroughs) == 12
    for borough in boroughs[:3]:
        inside = [a for k, a in areas.items() if borough_of[k] == borough]
        row = next(r for r in foreigners["rows"] if r["scope_key"] == borough and r["measure"] == "dissimilarity")
        assert row["areas"] == len(inside) and row["scope_level"] == "bez" and row["scope_name"]
        assert row["value"] == pytest.approx(dissimilarity(inside), abs=1e-9)
    spatial = measure(foreigners, "spatial_dissimilarity")
    assert 0 < spatial < measure(foreigners, "dissimilarity")  # smoothing over neighbours lowers D
    assert 0 < measure(foreigners, "adjusted_dissimilarity") < measure(foreigners, "dissimilarity")


def test_csv_has_one_row_per_measure_and_scope(client: TestClient, foreigners: dict):
    response = client.get(f"/api/segregation?{FOREIGNERS}&within=bez&f=csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(foreigners["rows"]) == 13 * 8  # city + 12 boroughs, 4 measures + 4 spatial
    city = next(r for r in rows if r["measure"] == "dissimilarity" and not r["scope_key"])
    assert float(city["value"]) == pytest.approx(measure(foreigners, "dissimilarity"))


def test_multigroup_measures_over_a_partition(client: TestClient):
    body = client.get(f"/api/segregation?groups={AGES}&level=plr&spatial=false").json()
    assert body["total"] == "EW"  # the declared partition's total
    multi = [r for r in body["rows"] if r["measure"].startswith("multi_")]
    assert {r["measure"] for r in multi} == {"multi_dissimilarity", "multi_theil", "multi_exposure", "multi_entropy"}
    assert all(r["group"] == AGES.replace(",", "+") for r in multi)  # the ages make up EW: no rest group
    assert all(0 <= r["value"] <= 1 for r in multi if r["measure"] != "multi_entropy")


def test_local_measures_rank_the_contributions(client: TestClient, foreigners: dict):
    body = client.get(f"/api/segregation/local?{FOREIGNERS}").json()
    areas = body["areas"]
    assert sum(a["EW_AUSL_d_term"] for a in areas) == pytest.approx(measure(foreigners, "dissimilarity"))
    assert sum(a["EW_AUSL_d_share"] for a in areas) == pytest.approx(1)
    terms = [a["EW_AUSL_d_term"] for a in areas]
    assert terms == sorted(terms, reverse=True) and areas[0]["rank"] == 1
    city_share = sum(a["EW_AUSL"] for a in areas) / sum(a["total"] for a in areas)
    top = areas[0]
    assert top["EW_AUSL_lq"] == pytest.approx(top["EW_AUSL_share"] / city_share)
    assert 0 <= top["local_entropy"] <= 1
    # an area without inhabitants has no composition, hence no local entropy (the library would say 0)
    assert all((a["local_entropy"] is None) == (a["total"] == 0) for a in areas)
    geojson = client.get(f"/api/segregation/local?{FOREIGNERS}&f=geojson").json()
    assert geojson["type"] == "FeatureCollection" and len(geojson["features"]) == len(areas)
    assert "EW_AUSL_lq" in geojson["features"][0]["properties"]


@pytest.mark.parametrize(("query", "status", "field"), [
    ("groups=S1&total=EW&level=plr", 422, "groups"),  # a share, not a count
    ("groups=NOPE&total=EW&level=plr", 404, "groups"),
    ("groups=EW_AUSL&total=S1&level=plr", 422, "total"),
    ("groups=EW_AUSL&total=EW&level=plr&period=2012", 422, "groups"),  # EW has 2012 (MSS 2013), EW_AUSL not
    ("groups=EW_AUSL&total=EW&level=bez&within=plr", 400, "within"),  # not a level above
    (f"groups={AGES},EW_W&total=EW&level=plr", 422, "groups"),  # overlapping groups exceed the total
    ("groups=EW_AUSL,EW_AUSL&total=EW&level=plr", 400, "groups"),
])
def test_refusals_name_the_field(client: TestClient, query: str, status: int, field: str):
    response = client.get(f"/api/segregation?{query}")
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field
    if "period=2012" in query:
        assert "2022-06-30" in response.json()["available"] and "2012-12-31" not in response.json()["available"]
        assert "EW_AUSL" in response.json()["detail"]


def test_a_hidden_cell_drops_its_area_and_enters_nothing(fresh_engine: sa.Engine):
    from service.app import create_app

    with fresh_engine.begin() as conn:
        key, obs_id, secret = conn.execute(sa.text("""
            SELECT a.key, o.id, o.value FROM observation_current o JOIN area a ON a.id = o.area_id
            WHERE o.indicator_code = 'EW_AUSL' AND a.level_code = 'plr' AND o.value > 100 AND o.period = :period
            ORDER BY a.key LIMIT 1"""), {"period": latest_period(fresh_engine)}).one()
        conn.execute(sa.text("""INSERT INTO disclosure (observation_id, indicator_code, rule, reason)
                                VALUES (:id, 'EW_AUSL', 'primary', 'test')"""), {"id": obs_id})
    areas = public_counts(fresh_engine, ("EW", "EW_AUSL"))
    assert key not in areas
    with TestClient(create_app(make_settings(), engine=fresh_engine)) as client:
        body = client.get(f"/api/segregation?{FOREIGNERS}&spatial=false").json()
        assert body["dropped"][latest_period(fresh_engine)] == {key: "confidential: EW_AUSL"}
        assert measure(body, "dissimilarity") == pytest.approx(dissimilarity(list(areas.values())), abs=1e-9)
        local = client.get(f"/api/segregation/local?{FOREIGNERS}").json()
        assert key not in {a["key"] for a in local["areas"]}
        assert local["dropped"] == {key: "confidential: EW_AUSL"}
        # the map draws the area left out, grey, with its reason and no measure (tests/test_segregation_map.py)
        shapes = client.get(f"/api/segregation/local?{FOREIGNERS}&detail=map&f=geojson").json()
        assert len(shapes["features"]) == len(local["areas"]) + 1
        hidden = next(f["properties"] for f in shapes["features"] if f["properties"]["key"] == key)
        assert hidden["reason"] == "confidential: EW_AUSL" and hidden["name"] and "EW_AUSL" not in hidden
        page = client.get(f"/api/segregation?{FOREIGNERS}&spatial=false&f=html").text
        assert "geheim/keine Angabe <span class=\"count\">(1 Gebiete)</span>" in page
        assert f'"dropped": {{"{key}": ["confidential", "EW_AUSL"]}}' in page


def test_the_measures_have_a_german_page_with_the_same_numbers(client: TestClient, foreigners: dict):
    page = client.get(f"/api/segregation?{FOREIGNERS}&within=bez&f=html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "Dissimilarität D" in text and "umziehen müsste" in text and "Bezirke" in text
    d = measure(foreigners, "dissimilarity")
    assert f"{d:.3f}".replace(".", ",") in text  # the city's D as the JSON twin gives it, German notation
    boroughs = {r["scope_name"] for r in foreigners["rows"] if r["scope_key"]}
    assert len(boroughs) == 12 and all(name in text for name in boroughs)
    assert "f=csv-de" in text and "/api/segregation/local?" in text
    name = next(i["name_de"] for i in client.get("/api/indicators").json()["indicators"]
                if i["code"] == "EW_AUSL")
    assert f"<caption>{name} (EW_AUSL)</caption>" in text  # each table says which group, by its name
    english = client.get(f"/api/segregation?{FOREIGNERS}&f=html&lang=en").text
    assert "Dissimilarity D" in english and "Reference date" in english


@pytest.mark.parametrize("case", ["demo", "edges"])
def test_the_vectorised_two_group_indices_equal_the_librarys(case: str, demo_engine: sa.Engine):
    """indicators.segregation computes D, xPx, xPy and H itself (the library's objects cost 5 ms each); every value
    must equal the segregation library's on the same numbers: the demo's city, each borough and the local
    environments, and areas with no inhabitants, none of the group, or only the group."""
    import numpy as np
    import pandas as pd
    import segregation.singlegroup as library

    from indicators.clusters import read_geometries
    from indicators.segregation import local_environment, queen_weights, two_group_statistics

    if case == "demo":
        counts = pd.DataFrame({key: {"g": row["EW_AUSL"], "total": row["EW"], "parent": row["parent"]}
                               for key, row in public_counts(demo_engine, ("EW_AUSL", "EW")).items()}).T
        counts[["g", "total"]] = counts[["g", "total"]].astype(float)
        frames = [counts] + [part for _key, part in counts.groupby("parent")]
        with demo_engine.connect() as conn:
            at = conn.execute(sa.text("SELECT max(valid_from) FROM area WHERE level_code = 'plr'")).scalar_one()
            geometries = read_geometries(conn, "plr", at)
        shared = counts.loc[[k for k in counts.index if k in geometries.index]]
        weights = queen_weights(geometries.loc[shared.index])
        frames.append(local_environment(shared[["g", "total"]], ["g", "total"], weights))
    else:
        frames = [pd.DataFrame({"g": [0, 5, 10, 0, 3], "total": [0, 10, 10, 8, 20]}, dtype=float),
                  pd.DataFrame({"g": [1, 0, 2], "total": [1, 4, 9]}, dtype=float)]
    for frame in frames:
        mine = two_group_statistics(frame["g"].to_numpy(), frame["total"].to_numpy())
        for name, value in mine.items():
            expected = getattr(library, name)(frame[["g", "total"]].astype(float), "g", "total").statistic
            assert np.isclose(value, expected, rtol=1e-12, atol=1e-15), (name, value, expected)
