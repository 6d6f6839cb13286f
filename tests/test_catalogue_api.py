"""The indicator catalogue over HTTP: readable by everyone (JSON, CSV, HTML by topic), editable by data stewards,
validated with the YAML's own model, every change audited, unpublished indicators hidden from readers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import create_token
from tests.conftest import make_settings, private_engine, table_fingerprint

CATALOGUE = Path(__file__).resolve().parents[1] / "indicators" / "catalogues" / "berlin_mss_2021.yaml"


@pytest.fixture(scope="module")
def engine(pg_server, demo_template):
    with private_engine(pg_server, demo_template, "dm_test_cat") as engine:
        yield engine


@pytest.fixture(scope="module")
def api(engine):
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        yield client


@pytest.fixture(scope="module")
def tokens(engine) -> dict[str, dict[str, str]]:
    headers = {}
    with engine.begin() as conn:
        for role in ("reader", "editor", "data_steward", "statistics_office"):
            _id, token = create_token(conn, f"test-{role}", role, created_by="test")
            headers[role] = {"Authorization": f"Bearer {token}"}
    return headers


def new_definition(code: str, **changes) -> dict:
    item = {"code": code, "name_de": "Kinderarmut", "name_en": "Child poverty", "topic": "soziale_lage",
            "role": "context", "kind": "share", "unit": "%", "direction": "higher_is_worse", "aggregation": "ratio",
            "description_de": "Anteil der unter 15-Jährigen in Bedarfsgemeinschaften nach SGB II.",
            "rationale_de": "Armut im Kindesalter prägt Bildungs- und Gesundheitschancen.",
            "numerator_de": "unter 15-Jährige in SGB-II-Bedarfsgemeinschaften", "denominator_de": "unter 15-Jährige",
            "source": "Bundesagentur für Arbeit", "reference_date": "2020-12-31",
            "disclosure": {"min_numerator": 3, "min_denominator": 30}, "target": {"value": 20, "year": 2030}}
    item.update(changes)
    return item


def audit_entries(engine, code: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT action, actor, before, after FROM audit_log "
                                    "WHERE target_type = 'indicator' AND target_id = :code ORDER BY id"), {"code": code})
        return [dict(r._mapping) for r in rows]


def test_catalogue_lists_every_published_indicator_with_its_meaning(api):
    items = api.get("/api/indicators").json()["indicators"]
    codes = {i["code"] for i in items}
    assert {"S1", "S3", "S4", "D1", "D3", "D4", "KI_01", "KI_17", "EW"} <= codes
    s1 = next(i for i in items if i["code"] == "S1")
    assert s1["topic_name_de"] == "Arbeit und Einkommen" and s1["rationale_de"] and s1["direction"] == "higher_is_worse"


def test_catalogue_csv_twin_has_the_same_indicators(api):
    response = api.get("/api/indicators?f=csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["code"] for r in rows] == [i["code"] for i in api.get("/api/indicators").json()["indicators"]]
    assert "rationale_de" in rows[0] and "min_numerator" in rows[0]


def test_catalogue_page_is_grouped_by_handlungsfeld_with_rationale_and_thresholds(api):
    html = api.get("/api/indicators", headers={"Accept": "text/html"}).text
    assert html.index("Arbeit und Einkommen") < html.index('id="S1"')
    assert "Begründung" in html and "Geheimhaltung" in html and "Zielwert" in html and "Richtung" in html


def test_writing_needs_a_data_steward(api, tokens):
    assert api.post("/api/indicators", json=new_definition("X_ANON")).status_code == 401
    for role in ("reader", "editor"):
        response = api.post("/api/indicators", json=new_definition("X_ROLE"), headers=tokens[role])
        assert response.status_code == 403 and response.headers["content-type"] == "application/problem+json"


def test_a_steward_adds_an_indicator_and_the_change_is_audited(api, tokens, engine):
    response = api.post("/api/indicators", json=new_definition("KA_01"), headers=tokens["data_steward"])
    assert response.status_code == 201, response.text
    assert response.headers["location"].endswith("/api/indicators/KA_01")
    stored = api.get("/api/indicators/KA_01").json()
    assert stored["min_denominator"] == 30 and stored["target_value"] == 20 and stored["target_year"] == 2030
    assert stored["updated_by"] == "test-data_steward"
    [entry] = audit_entries(engine, "KA_01")
    assert entry["action"] == "indicator.created" and entry["before"] is None
    assert entry["after"]["rationale_de"].startswith("Armut") and entry["actor"] == "test-data_steward"


def test_an_invalid_definition_is_refused_naming_the_field_and_changes_nothing(api, tokens, engine):
    before = table_fingerprint(engine)
    response = api.post("/api/indicators", json=new_definition("KA_02", direction="up", target={"value": 1, "year": 1900}),
                        headers=tokens["data_steward"])
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"direction", "target.year"}
    assert table_fingerprint(engine) == before


@pytest.mark.parametrize("change, field", [
    ({"topic": "gibt_es_nicht"}, "topic"),
    ({"change_of": "NOPE"}, "change_of"),
    ({"code": "1abc"}, "code"),
    ({"unknown_field": 1}, "unknown_field"),
    ({"kind": None}, "kind"),
])
def test_each_kind_of_bad_field_is_named(api, tokens, change, field):
    response = api.post("/api/indicators", json={**new_definition("KA_03"), **change}, headers=tokens["data_steward"])
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}


def test_a_body_that_is_not_an_object_is_a_clear_4xx(api, tokens):
    for body in ("[1, 2]", "not json", ""):
        response = api.post("/api/indicators", content=body, headers={**tokens["data_steward"],
                                                                       "Content-Type": "application/json"})
        assert 400 <= response.status_code < 500 and "Traceback" not in response.text


def test_adding_an_existing_code_is_a_conflict(api, tokens):
    response = api.post("/api/indicators", json=new_definition("S1"), headers=tokens["data_steward"])
    assert response.status_code == 409 and "PUT or PATCH" in response.json()["detail"]


def test_a_yaml_entry_is_a_valid_api_body(api, tokens):
    """The API validates with the YAML's model: a definition copied from the shipped catalogue is accepted."""
    entry = next(i for i in yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))["indicators"] if i["code"] == "S3")
    response = api.post("/api/indicators", json={**entry, "code": "S3_COPY", "reference_date": None},
                        headers=tokens["data_steward"])
    assert response.status_code == 201, response.text
    assert api.get("/api/indicators/S3_COPY").json()["rationale_de"] == " ".join(entry["rationale_de"].split())


def test_put_replaces_a_definition_and_keeps_its_code(api, tokens, engine):
    api.post("/api/indicators", json=new_definition("KA_04"), headers=tokens["data_steward"])
    response = api.put("/api/indicators/KA_04", json=new_definition("KA_04", name_de="Kinderarmut (neu)", target=None),
                       headers=tokens["data_steward"])
    assert response.status_code == 200, response.text
    assert response.json()["name_de"] == "Kinderarmut (neu)" and response.json()["target_value"] is None
    renamed = api.put("/api/indicators/KA_04", json=new_definition("KA_05"), headers=tokens["data_steward"])
    assert renamed.status_code == 422 and renamed.json()["errors"][0]["field"] == "code"
    assert [e["action"] for e in audit_entries(engine, "KA_04")] == ["indicator.created", "indicator.updated"]
    assert api.put("/api/indicators/NOPE", json=new_definition("NOPE"), headers=tokens["data_steward"]).status_code == 404


def test_patch_changes_single_fields_and_merges_nested_ones(api, tokens):
    response = api.patch("/api/indicators/S1", json={"target": {"value": 5.5, "year": 2030}, "source": "SenStadt"},
                         headers=tokens["data_steward"])
    assert response.status_code == 200, response.text
    response = api.patch("/api/indicators/S1", json={"target": {"year": 2035}}, headers=tokens["data_steward"])
    body = response.json()
    assert (body["target_value"], body["target_year"], body["source"]) == (5.5, 2035, "SenStadt")
    assert body["rationale_de"]  # untouched fields stay


def test_unpublishing_hides_the_indicator_and_its_values_from_readers_only(api, tokens, engine):
    response = api.patch("/api/indicators/D4", json={"published": False}, headers=tokens["data_steward"])
    assert response.status_code == 200 and response.json()["published"] is False
    assert "D4" not in {i["code"] for i in api.get("/api/indicators").json()["indicators"]}
    assert api.get("/api/indicators/D4").status_code == 404
    assert "D4" in {i["code"] for i in api.get("/api/indicators", headers=tokens["editor"]).json()["indicators"]}
    public = {v["indicator"] for v in api.get("/api/areas/01100101").json()["values"]}
    editor = {v["indicator"] for v in api.get("/api/areas/01100101", headers=tokens["editor"]).json()["values"]}
    office = {v["indicator"] for v in api.get("/api/areas/01100101",
                                             headers=tokens["statistics_office"]).json()["values"]}
    assert "D4" not in public and "D4" not in editor and "D4" in office
    assert audit_entries(engine, "D4")[-1]["action"] == "indicator.unpublished"
    api.patch("/api/indicators/D4", json={"published": True}, headers=tokens["data_steward"])
    assert audit_entries(engine, "D4")[-1]["action"] == "indicator.published"
    assert "D4" in {v["indicator"] for v in api.get("/api/areas/01100101").json()["values"]}
