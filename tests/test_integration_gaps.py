"""Gaps between a group and the rest (indicators/gaps.py, GET /api/gaps) on synthetic counts derived from the demo's
population: the formulas, intervals, refusals naming the field, and a hidden cell."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from indicators.catalogue import Catalogue, IndicatorDefinition, PopulationGroup, load_catalogue
from indicators.disclosure import set_partition
from indicators.partitions import ensure_partitions
from service.app import create_app
from tests.conftest import make_settings, private_engine

CODES = ("P1865", "P1865_A", "ALO", "ALO_A", "ALO_X", "P1865_D", "ALO_D")
# declared breakdowns (catalogue: groups, group_of, group): foreigners and Germans, parts of ALO and of P1865
GROUPS = {"P1865_A": ("P1865", "t_ausl"), "ALO_A": ("ALO", "t_ausl"), "P1865_D": ("P1865", "t_dt"),
          "ALO_D": ("ALO", "t_dt")}
GAP = "level=plr&numerator=ALO&denominator=P1865&group_numerator=ALO_A&group_denominator=P1865_A"


@pytest.fixture(scope="module")
def gaps_client(pg_server, demo_template):
    with private_engine(pg_server, demo_template) as engine:
        with engine.begin() as conn:
            load_catalogue(conn, Catalogue(catalogue="test_gaps", version=1, topics=[], groups=[
                PopulationGroup(code="t_ausl", dimension="t_staat", name_de="Ausländer", name_en="Foreigners"),
                PopulationGroup(code="t_dt", dimension="t_staat", name_de="Deutsche", name_en="Germans")], indicators=[
                IndicatorDefinition(code=code, name_de=code, name_en=code, topic=None, role="population", kind="count",
                                    unit="Personen", direction="neutral", aggregation="sum",
                                    group_of=GROUPS.get(code, (None, None))[0], group=GROUPS.get(code, (None, None))[1])
                for code in CODES]))
            ensure_partitions(conn, CODES)
            conn.execute(sa.text("""
                WITH c AS (
                    SELECT o.area_id, o.period, min(o.import_batch_id) AS batch,
                           sum(o.value) FILTER (WHERE o.indicator_code IN ('EW_18_27', 'EW_27_45', 'EW_45_55',
                                                                           'EW_55_65')) AS p,
                           max(o.value) FILTER (WHERE o.indicator_code = 'EW') AS ew,
                           max(o.value) FILTER (WHERE o.indicator_code = 'EW_AUSL') AS ausl
                    FROM observation_current o JOIN area a ON a.id = o.area_id AND a.level_code = 'plr'
                    WHERE o.period = '2022-06-30' GROUP BY 1, 2 HAVING max(o.value) FILTER (WHERE o.indicator_code = 'EW') > 0),
                v AS (SELECT *, round(p * ausl / ew) AS pa FROM c),
                w AS (SELECT *, round(0.1 * pa) AS aa, round(0.06 * (p - pa)) AS ad FROM v)
                INSERT INTO observation (indicator_code, area_id, period, value, import_batch_id)
                SELECT x.code, w.area_id, w.period, x.value, w.batch FROM w CROSS JOIN LATERAL (VALUES
                    ('P1865', w.p), ('P1865_A', w.pa), ('ALO', w.aa + w.ad), ('ALO_A', w.aa),
                    ('P1865_D', w.p - w.pa), ('ALO_D', w.ad),
                    ('ALO_X', w.ad + CASE WHEN w.area_id = (SELECT min(area_id) FROM w) THEN 5 ELSE 0 END)) x(code, value)"""))
        with TestClient(create_app(make_settings(), engine=engine)) as client:
            yield engine, client


def test_gap_per_area_from_counts(gaps_client):
    engine, client = gaps_client
    response = client.get(f"/api/gaps?{GAP}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period"] == "2022-06-30"
    rated = [a for a in body["areas"] if a.get("rate_group") is not None]
    assert len(rated) > 500
    for area in rated[:50]:
        n, d, total_n, total_d = (area[k] for k in ("group_numerator", "group_denominator", "numerator", "denominator"))
        group, rest = 100 * n / d, 100 * (total_n - n) / (total_d - d)
        assert area["rate_group"] == pytest.approx(group) and area["rate_rest"] == pytest.approx(rest)
        assert area["difference"] == pytest.approx(group - rest)
        if rest > 0:
            assert area["ratio"] == pytest.approx(group / rest)
        assert area["group_ci_low"] <= group <= area["group_ci_high"]
        assert area["rest_ci_low"] <= rest <= area["rest_ci_high"]
    assert any(a["group_reliability"] == "statistisch unsicher" for a in rated)  # small foreign populations
    assert client.get(f"/api/gaps?{GAP}&f=csv").text.startswith("key,name,numerator")


def test_every_group_of_a_declared_dimension_at_once(gaps_client):
    """`by=<dimension>`: the catalogue's breakdowns give each group's two parts; each group's rows are the gap
    table of that group against everyone else, as if its parts were named one by one."""
    _engine, client = gaps_client
    base = "level=plr&numerator=ALO&denominator=P1865"
    response = client.get(f"/api/gaps?{base}&by=t_staat")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(g["group"], g["group_numerator"], g["group_denominator"]) for g in body["groups"]] == [
        ("t_ausl", "ALO_A", "P1865_A"), ("t_dt", "ALO_D", "P1865_D")]
    for group, numerator, denominator in (("t_ausl", "ALO_A", "P1865_A"), ("t_dt", "ALO_D", "P1865_D")):
        single = client.get(f"/api/gaps?{base}&group_numerator={numerator}&group_denominator={denominator}").json()
        mine = [{k: v for k, v in a.items() if k != "group"} for a in body["areas"] if a["group"] == group]
        assert mine == single["areas"]
    # the two groups are the whole: the Germans' gap is the foreigners' turned round
    rows = {(a["group"], a["key"]): a for a in body["areas"] if a.get("difference") is not None}
    key = next(k for g, k in rows if g == "t_ausl" and ("t_dt", k) in rows)
    assert rows[("t_dt", key)]["difference"] == pytest.approx(-rows[("t_ausl", key)]["difference"])
    assert client.get(f"/api/gaps?{base}&by=t_staat&f=csv").text.startswith("group,key,name")
    groups = {g["code"]: g for g in client.get("/api/groups").json()["groups"]}
    assert {p["indicator"] for p in groups["t_ausl"]["parts"]} == {"ALO_A", "P1865_A"}
    refused = client.get(f"/api/gaps?{base}&by=geschlecht")
    assert refused.status_code == 422 and refused.json()["field"] == "by"
    assert "t_staat: ALO" in refused.json()["detail"]
    neither = client.get(f"/api/gaps?{base}")
    assert neither.status_code == 400 and neither.json()["field"] == "group_numerator"


@pytest.mark.parametrize(("query", "field"), [
    ("level=plr&numerator=ALO_A&denominator=P1865&group_numerator=ALO&group_denominator=P1865_A", "group_numerator"),
    ("level=plr&numerator=P1865&denominator=ALO&group_numerator=P1865_A&group_denominator=ALO_A", "numerator"),
    ("level=plr&numerator=ALO&denominator=EW&group_numerator=ALO_A&group_denominator=S1", "group_denominator"),
])
def test_bad_input_is_refused_naming_the_field(gaps_client, query: str, field: str):
    _engine, client = gaps_client
    response = client.get(f"/api/gaps?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_parts_that_do_not_add_up_are_refused_and_hidden_cells_give_no_gap(gaps_client):
    engine, client = gaps_client
    with engine.begin() as conn:
        set_partition(conn, "alo_by_nationality", "ALO", ["ALO_A", "ALO_X"])
        # a new data version, as the refresh after a declaration makes one (cached answers are per version)
        conn.execute(sa.text("UPDATE dm_setting SET value = (value::bigint + 1)::text WHERE key = 'data_version'"))
    # the app re-reads it now, as it does after a write through itself (this one bypassed it and sent no NOTIFY:
    # without this the cached answer of the version before could be served until the listener's next poll)
    client.app.state.data_version.refresh()
    response = client.get(f"/api/gaps?{GAP}")
    assert response.status_code == 422 and response.json()["field"] == "group_numerator"
    assert "alo_by_nationality" in response.json()["detail"]
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM indicator_partition WHERE name = 'alo_by_nationality'"))
        key, obs = conn.execute(sa.text("""
            SELECT a.key, o.id FROM observation o JOIN area a ON a.id = o.area_id
            WHERE o.indicator_code = 'ALO_A' AND o.value > 10 ORDER BY a.key LIMIT 1""")).one()
        conn.execute(sa.text("INSERT INTO disclosure (observation_id, indicator_code, rule, reason) "
                             "VALUES (:id, 'ALO_A', 'primary', 'test')"), {"id": obs})
        conn.execute(sa.text("UPDATE dm_setting SET value = (value::bigint + 1)::text WHERE key = 'data_version'"))
    client.app.state.data_version.refresh()
    area = next(a for a in client.get(f"/api/gaps?{GAP}").json()["areas"] if a["key"] == key)
    assert area["reason"] == "confidential: ALO_A"
    assert area["group_numerator"] is None and "rate_group" not in area and "difference" not in area
