"""Composite indices through the real API on the Berlin demo: published MSS 2021 classes, explanations,
attention areas, provenance, definition changes by data stewards, and spatial clusters."""

import csv
import io
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from indicators.index_results import latest_run, results
from indicators.index_runs import compute_index
from service.app import create_app
from service.auth import create_token
from tests.conftest import make_settings

# MSS 2021 Indikatorenblätter (2022), map legends pp. 42, 46, 50 (see tests/test_composite.py).
PUBLISHED_STATUS = {"1": 75, "2": 366, "3": 46, "4": 49}
PUBLISHED_DYNAMICS = {"+": 48, "+/-": 436, "-": 52}
PUBLISHED_GESAMTINDEX = {
    "1+": 1, "1+/-": 73, "1-": 1, "2+": 36, "2+/-": 296, "2-": 34,
    "3+": 8, "3+/-": 31, "3-": 7, "4+": 3, "4+/-": 36, "4-": 10,
}
PERIOD = "2020-12-31"


def class_counts(body: dict) -> dict:
    return dict(Counter(area["class"] for area in body["areas"] if area["class"] is not None))


@pytest.mark.parametrize(("index_id", "published"), [
    ("mss_2021_status", PUBLISHED_STATUS),
    ("mss_2021_dynamics", PUBLISHED_DYNAMICS),
    ("mss_2021_gesamtindex", PUBLISHED_GESAMTINDEX),
])
def test_shipped_indices_reproduce_the_published_class_counts(client, index_id, published):
    body = client.get(f"/api/indices/{index_id}/results", params={"level": "plr", "period": PERIOD}).json()
    assert body["count"] == 542
    assert class_counts(body) == published
    unclassified = [a for a in body["areas"] if not a["participating"]]
    assert Counter(a["reason"] for a in unclassified) == {"EW unter 300": 5, "Ausreißer": 1}
    assert all(a["class"] is None and a["class_label_de"] == "Planungsraum ohne Zuordnung" for a in unclassified)


def test_attention_areas_follow_the_mss_rule(client):
    body = client.get("/api/indices/mss_2021_gesamtindex/attention-areas", params={"period": PERIOD}).json()
    expected = sum(PUBLISHED_GESAMTINDEX[g] for g in ("2-", "3+", "3+/-", "3-", "4+", "4+/-", "4-"))
    assert body["count"] == expected == 129
    assert {a["class"] for a in body["areas"]} == {"2-", "3+", "3+/-", "3-", "4+", "4+/-", "4-"}
    assert all(a["attention"] and a["participating"] for a in body["areas"])


def test_attention_areas_as_csv_and_geojson_list_the_same_areas(client):
    params = {"period": PERIOD}
    as_json = client.get("/api/indices/mss_2021_gesamtindex/attention-areas", params=params).json()
    as_csv = client.get("/api/indices/mss_2021_gesamtindex/attention-areas", params={**params, "f": "csv"})
    as_geojson = client.get("/api/indices/mss_2021_gesamtindex/attention-areas", params={**params, "f": "geojson"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["key"] for r in rows] == [a["key"] for a in as_json["areas"]]
    assert as_geojson.headers["content-type"] == "application/geo+json"
    collection = as_geojson.json()
    assert collection["type"] == "FeatureCollection"
    assert [f["id"] for f in collection["features"]] == [a["key"] for a in as_json["areas"]]
    first = collection["features"][0]
    assert first["geometry"]["type"] in ("Polygon", "MultiPolygon")
    lon, lat = first["geometry"]["coordinates"][0][0][0] if first["geometry"]["type"] == "MultiPolygon" \
        else first["geometry"]["coordinates"][0][0]
    assert 13.0 < lon < 13.8 and 52.3 < lat < 52.7
    assert first["properties"]["attention"] is True and first["properties"]["class_label_de"]


def test_explanation_of_one_area_is_consistent(client):
    body = client.get("/api/indices/mss_2021_status/results/01100103", params={"period": PERIOD}).json()
    contributions = [item["contribution"] for item in body["inputs"]]
    assert [item["code"] for item in body["inputs"]] == ["S1", "S3", "S4"]
    for item in body["inputs"]:
        assert item["z"] == pytest.approx((item["value"] - item["mean"]) / item["sd"])
    assert sum(contributions) == pytest.approx(body["sum"]["value"])
    assert body["value"] == pytest.approx((body["sum"]["value"] - body["sum"]["mean"]) / body["sum"]["sd"])
    limits = body["classes"]["thresholds"]
    x = body["value"]
    expected = "1" if x < limits["high_below"] else "2" if x <= limits["low_above"] else \
        "3" if x <= limits["very_low_above"] else "4"
    assert body["class"] == expected
    on_sum = body["classes"]["thresholds_on_sum_scale"]
    assert on_sum["low_above"] == pytest.approx(body["sum"]["mean"] + limits["low_above"] * body["sum"]["sd"])
    assert body["provenance"]["definition_version"] == 1 and len(body["provenance"]["inputs_hash"]) == 64


def test_gesamtindex_explanation_shows_both_components(client):
    body = client.get("/api/indices/mss_2021_gesamtindex/results/01100103", params={"period": PERIOD}).json()
    assert body["class"] == body["status"]["class"] + body["dynamics"]["class"]
    assert [i["code"] for i in body["dynamics"]["inputs"]] == ["D1", "D3", "D4"]
    assert body["attention"] == (body["class"] in body["attention_rule"]["classes"])


def test_explanation_of_an_excluded_area_gives_the_stated_reason(client):
    body = client.get("/api/indices/mss_2021_status/results/10100205", params={"period": PERIOD}).json()
    assert body["participating"] is False and body["reason"] == "Ausreißer" and body["class"] is None


def test_results_as_csv_have_one_row_per_area(client):
    response = client.get("/api/indices/mss_2021_status/results", params={"period": "2020", "f": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 542
    assert set(rows[0]) >= {"key", "value", "class", "class_label_de", "participating", "reason", "attention"}


def test_a_period_without_results_is_404_with_the_periods_that_exist(client):
    response = client.get("/api/indices/mss_2021_gesamtindex/results", params={"period": "2019-12-31"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["available"] == [PERIOD]
    for path in ("/api/indices/mss_2021_gesamtindex/attention-areas", "/api/indices/mss_2021_status/results/01100103"):
        assert client.get(path, params={"period": "1999"}).json()["available"] == [PERIOD]


def test_unknown_index_and_unknown_area_are_404(client):
    assert client.get("/api/indices/nope/results").status_code == 404
    response = client.get("/api/indices/mss_2021_status/results/99999999")
    assert response.status_code == 404 and "99999999" in response.json()["detail"]


def test_index_list_names_methods_and_periods(client):
    body = client.get("/api/indices").json()
    listed = {item["id"]: item for item in body["indices"]}
    assert listed["mss_2021_gesamtindex"]["method"] == "combination"
    assert listed["mss_2021_status"]["periods"] == {"plr": [PERIOD]}


# --- spatial clusters ---------------------------------------------------------------------------------------


def test_hotspots_are_deterministic_with_the_same_seed(client):
    params = {"indicator": "S1", "level": "plr", "period": PERIOD, "permutations": 199, "seed": 12345}
    first = client.get("/api/hotspots", params=params).json()
    second = client.get("/api/hotspots", params=params).json()
    assert first == second
    assert first["global"]["I"] > 0.3  # unemployment clusters strongly in Berlin
    assert first["n_analysed"] == 536 and len(first["excluded"]) == 6
    assert sum(first["counts"].values()) == 536
    assert first["counts"]["High-High"] > 0 and first["counts"]["Low-Low"] > 0
    significant = [a for a in first["areas"] if a["significant"]]
    assert all(a["p_sim"] < 0.05 for a in significant)


def test_hotspots_geojson_is_a_valid_feature_collection(client):
    response = client.get("/api/hotspots", params={"index": "mss_2021_status", "period": PERIOD,
                                                   "permutations": 99, "f": "geojson"})
    assert response.headers["content-type"] == "application/geo+json", response.text
    collection = response.json()
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 542
    assert "I" in collection["global"]
    quadrants = {f["properties"]["quadrant"] for f in collection["features"]}
    assert quadrants <= {"High-High", "Low-Low", "High-Low", "Low-High", "not significant", None}
    for feature in collection["features"]:
        assert feature["type"] == "Feature" and feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_hotspots_of_a_classes_only_index_or_bad_parameters_are_4xx(client):
    assert client.get("/api/hotspots", params={"index": "mss_2021_gesamtindex"}).status_code == 422
    assert client.get("/api/hotspots", params={"indicator": "S1", "index": "mss_2021_status"}).status_code == 400
    assert client.get("/api/hotspots", params={"indicator": "S1", "alpha": 2}).status_code == 400
    response = client.get("/api/hotspots", params={"indicator": "S1", "period": "1990"})
    assert response.status_code == 404 and PERIOD in response.json()["available"]


# --- definitions written by data stewards; provenance ------------------------------------------------------


@pytest.fixture
def steward(fresh_engine):
    """A client on a private copy of the demo database and the header of a data steward's token."""
    with fresh_engine.begin() as conn:
        _, token = create_token(conn, "steward", "data_steward", created_by="test")
        _, reader = create_token(conn, "reader", "reader", created_by="test")
    with TestClient(create_app(make_settings(), engine=fresh_engine)) as test_client:
        yield test_client, {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {reader}"}, fresh_engine


PERCENTILE_INDEX = {
    "name_de": "Benachteiligung (Perzentilrang)", "name_en": "Disadvantage (percentile rank)",
    "method": "percentile_rank",
    "inputs": [{"indicator": "S1", "theme": "arbeit"}, {"indicator": "S3", "theme": "arbeit"},
               {"indicator": "KI_01", "theme": "wohnen"}],
    "participation": {"min_population": {"indicator": "EW", "minimum": 300}},
    "classes": {"scheme": "breaks", "breaks": [0.5, 0.9]},
    "attention": {"classes": ["3"]},
}


def test_bad_definitions_are_refused_with_problem_json_naming_the_field(steward):
    client, headers, _, _ = steward
    cases = {
        "inputs.1.indicator": {**PERCENTILE_INDEX, "inputs": [{"indicator": "S1", "theme": "a"},
                                                              {"indicator": "NOPE", "theme": "a"}]},
        "inputs.weight": {**PERCENTILE_INDEX, "method": "weighted", "classes": None, "attention": None,
                          "inputs": [{"indicator": "S1", "weight": 0}, {"indicator": "S3", "weight": 0}]},
        "inputs": {**PERCENTILE_INDEX, "inputs": [{"indicator": "KI_10", "theme": "a"}, {"indicator": "KI_14", "theme": "a"}]},
        "participation": {**PERCENTILE_INDEX, "participation": {"min_population": {"indicator": "EW",
                                                                                   "minimum": 1_000_000}}},
        "previous_edition": {**PERCENTILE_INDEX, "previous_edition": "no_such_index"},
    }
    for field, body in cases.items():
        response = client.post("/api/indices/bad_index", json=body, headers=headers)
        assert response.status_code == 422, (field, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"] == field, response.json()
    assert "mix periods" in client.post("/api/indices/bad_index", json=cases["inputs"], headers=headers).json()["detail"]
    assert client.get("/api/indices/bad_index").status_code == 404


def test_writing_definitions_needs_a_data_steward(steward):
    client, _, reader, _ = steward
    assert client.post("/api/indices/new_index", json=PERCENTILE_INDEX).status_code == 401
    assert client.post("/api/indices/new_index", json=PERCENTILE_INDEX, headers=reader).status_code == 403


def test_a_steward_creates_computes_and_changes_an_index_with_versions_and_audit(steward):
    client, headers, _, engine = steward
    created = client.post("/api/indices/benachteiligung", json=PERCENTILE_INDEX, headers=headers)
    assert created.status_code == 201 and created.json()["version"] == 1
    assert client.post("/api/indices/benachteiligung", json=PERCENTILE_INDEX, headers=headers).status_code == 409
    run = client.post("/api/indices/benachteiligung/runs", params={"level": "plr", "period": PERIOD}, headers=headers)
    assert run.status_code == 201, run.text
    body = client.get("/api/indices/benachteiligung/results", params={"period": PERIOD}).json()
    ranks = [a["value"] for a in body["areas"] if a["participating"]]
    assert len(ranks) == 536 and min(ranks) == 0.0 and max(ranks) == 1.0
    assert {a["class"] for a in body["areas"] if a["participating"]} == {"1", "2", "3"}
    assert all(a["attention"] == (a["class"] == "3") for a in body["areas"])

    changed = {**PERCENTILE_INDEX, "classes": {"scheme": "breaks", "breaks": [0.8]}, "attention": {"classes": ["2"]}}
    response = client.put("/api/indices/benachteiligung", json=changed, headers=headers)
    assert response.status_code == 200 and response.json()["version"] == 2
    assert len(response.json()["recomputed_runs"]) == 1
    after = client.get("/api/indices/benachteiligung/results", params={"period": PERIOD}).json()
    assert after["provenance"]["definition_version"] == 2
    assert {a["class"] for a in after["areas"] if a["participating"]} == {"1", "2"}
    definition = client.get("/api/indices/benachteiligung").json()
    assert [v["version"] for v in definition["versions"]] == [2, 1]
    old = client.get("/api/indices/benachteiligung", params={"version": 1}).json()
    assert old["definition"]["classes"]["breaks"] == [0.5, 0.9]
    with engine.connect() as conn:
        actions = conn.execute(sa.text("""
            SELECT action FROM audit_log WHERE target_id = 'benachteiligung' OR target_type = 'index_run'
            ORDER BY id""")).scalars().all()
    assert actions == ["create", "compute", "update"]


def test_changing_a_component_recomputes_the_gesamtindex(steward):
    client, headers, _, _ = steward
    status = client.get("/api/indices/mss_2021_status").json()["definition"]
    status["classes"]["thresholds"]["low_above"] = 0.5
    response = client.put("/api/indices/mss_2021_status", json=status, headers=headers)
    assert response.status_code == 200, response.text
    assert len(response.json()["recomputed_runs"]) == 2  # the Status-Index and the Gesamtindex
    body = client.get("/api/indices/mss_2021_gesamtindex/results", params={"period": PERIOD}).json()
    assert class_counts(body) != PUBLISHED_GESAMTINDEX
    assert body["summary"]["n_attention"] > 129


def test_recompute_with_unchanged_inputs_reuses_the_run_and_gives_identical_results(fresh_engine):
    period = date(2020, 12, 31)
    with fresh_engine.begin() as conn:
        before = latest_run(conn, "mss_2021_gesamtindex", "plr", period)
        first_results = results(conn, "mss_2021_gesamtindex", "plr", period)
        run_id = compute_index(conn, "mss_2021_gesamtindex", "plr", period, "test")
        assert run_id == before.id
        assert conn.execute(sa.text("SELECT count(*) FROM index_run")).scalar_one() == 15  # 5 MSS editions x 3
        again = latest_run(conn, "mss_2021_gesamtindex", "plr", period)
        assert again.inputs_hash == before.inputs_hash and again.confirmed_at is not None
        # from scratch: delete every run, compute again: same hash, same classes and values
        conn.execute(sa.text("DELETE FROM index_run"))
        compute_index(conn, "mss_2021_gesamtindex", "plr", period, "test")
        fresh = latest_run(conn, "mss_2021_gesamtindex", "plr", period)
        assert fresh.inputs_hash == before.inputs_hash and fresh.id != before.id
        assert results(conn, "mss_2021_gesamtindex", "plr", period) == first_results
        status_values = conn.execute(sa.text("""
            SELECT count(DISTINCT r.inputs_hash) FROM index_run r WHERE r.index_id = 'mss_2021_status'""")).scalar_one()
        assert status_values == 1


def test_changed_inputs_give_a_new_run_and_a_missing_input_is_reported_not_zero(fresh_engine):
    period = date(2020, 12, 31)
    with fresh_engine.begin() as conn:
        before = latest_run(conn, "mss_2021_status", "plr", period)
        conn.execute(sa.text("""
            UPDATE observation SET value = NULL, flag = 'missing', flag_reason = 'test'
            WHERE indicator_code = 'S3' AND period = :period
              AND area_id = (SELECT id FROM area WHERE key = '01100103' AND level_code = 'plr')"""),
            {"period": period})
        run_id = compute_index(conn, "mss_2021_status", "plr", period, "test")
        assert run_id != before.id
        run = latest_run(conn, "mss_2021_status", "plr", period)
        assert run.id == run_id and run.inputs_hash != before.inputs_hash
        assert run.summary["missing_inputs"] == {"S1": 6, "S3": 7, "S4": 6}
        area = next(a for a in results(conn, "mss_2021_status", "plr", period) if a["key"] == "01100103")
        assert area["participating"] is False and area["value"] is None and area["reason"] == "missing input S3"
