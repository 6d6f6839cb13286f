"""Comparing an area within its territories and within comparison groups (issue 14): ranks and medians equal to
what a reader computes from the public values, confidential cells neither ranked nor in a median, groups written
by editors only (audited), refused with the keys concerned, and shown on the profile page and in its CSV."""

import re
import statistics
import subprocess
from datetime import date

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from indicators.refresh import refresh_after_write
from service.app import create_app
from tests.conftest import bearer, make_settings

AREA = "01100101"
VERSION = date(2021, 1, 1)  # the Planungsräume of 2021, the version of AREA


def public_values(engine, indicator: str, period: str, unsuppressed: bool = False) -> dict[str, float]:
    """Values of every Planungsraum of AREA's version, as a reader (or the statistics office) sees them."""
    source = "observation_current" if unsuppressed else "observation_public"
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"""
            SELECT a.key, o.value FROM {source} o JOIN area a ON a.id = o.area_id AND a.level_code = 'plr'
            WHERE a.valid_from <= :at AND (a.valid_to IS NULL OR a.valid_to > :at)
              AND o.indicator_code = :code AND o.period = :period AND o.value IS NOT NULL"""),
            {"at": VERSION, "code": indicator, "period": period}).all()
    return {key: value for key, value in rows}


def expected(values: dict[str, float], members: set[str]) -> dict:
    ranked = [v for k, v in values.items() if k in members | {AREA}]
    own = values[AREA]
    return {"rank": 1 + sum(v > own for v in ranked), "n": len(ranked), "median": statistics.median(ranked)}


def test_an_area_is_ranked_within_every_territory_it_lies_in(client, demo_engine):
    profile = client.get(f"/areas/plr/{AREA}.json").json()
    within = profile["within"]
    assert [(c["level"], c["key"]) for c in within] == [("bzr", "011001"), ("pgr", "0110"), ("bez", "01")]
    checked = 0
    for item in profile["indicators"]:
        for period in item["periods"][:2]:
            if period["value"] is None:
                continue
            values = public_values(demo_engine, item["code"], period["period"])
            for comparison, cell in zip(within, period["within"], strict=True):
                # Berlin's LOR keys begin with the keys of the areas they lie in
                members = {k for k in values if k.startswith(comparison["key"])}
                want = expected(values, members)
                assert (cell["rank"], cell["n"]) == (want["rank"], want["n"]), (item["code"], period["period"])
                checked += 1
            parent = next(c for c in period["within"])
            assert parent["value"] == period["parent_value"]
    assert checked > 100


@pytest.fixture
def writable(fresh_engine):
    with TestClient(create_app(make_settings(), engine=fresh_engine)) as client:
        yield client, fresh_engine


RING = ["01100102", "02100101", "04100101", "07100101", "12100101"]


def test_an_editor_keeps_a_comparison_group_and_profiles_rank_within_it(writable):
    client, engine = writable
    editor = bearer(engine, "editor")
    group = {"level": "plr", "name_de": "Vergleichsring Innenstadt", "name_en": "Inner-city ring", "area_keys": RING}
    assert client.put("/api/comparison-groups/ring", json=group).status_code == 401
    assert client.put("/api/comparison-groups/ring", json=group, headers=bearer(engine, "reader")).status_code == 403
    created = client.put("/api/comparison-groups/ring", json=group, headers=editor)
    assert created.status_code == 201, created.text
    assert created.json()["area_keys"] == RING and created.json()["created_by"] == "test-editor"

    profile = client.get(f"/areas/plr/{AREA}.json", params={"group": "ring"}).json()
    assert profile["within"][-1] == {"kind": "group", "id": "ring", "name": "Vergleichsring Innenstadt",
                                     "name_en": "Inner-city ring", "areas": 5}
    checked = 0
    for item in profile["indicators"]:
        latest = item["periods"][0]
        if latest["value"] is None:
            continue
        want = expected(public_values(engine, item["code"], latest["period"]), set(RING))
        cell = latest["within"][-1]
        assert (cell["rank"], cell["n"]) == (want["rank"], want["n"]), item["code"]
        assert cell["median"] == pytest.approx(want["median"]), item["code"]
        checked += 1
    assert checked > 20

    page = client.get(f"/areas/plr/{AREA}", params={"group": "ring"})
    assert page.status_code == 200
    assert "Median Vergleichsring Innenstadt" in page.text and 'value="ring" selected' in page.text
    english = client.get(f"/areas/plr/{AREA}", params={"group": "ring", "lang": "en"}).text
    assert "Median Inner-city ring" in english and "Comparison group" in english
    table = client.get(f"/areas/plr/{AREA}.csv", params={"group": "ring"}).text.splitlines()
    header = table[0].split(",")
    assert {"bzr_key", "bzr_value", "bzr_rank", "bez_n", "group", "group_median", "group_rank",
            "group_n"} <= set(header)

    # printed, the comparison table is fitted to the A4 page, not cut at its right edge (the group's column last)
    printed = client.get(f"/areas/plr/{AREA}.pdf", params={"group": "ring"})
    assert printed.status_code == 200
    text = subprocess.run(["pdftotext", "-", "-"], input=printed.content, capture_output=True, check=True).stdout
    assert re.search(rb"(Rang|rank) \d+ (von|of) 6", text) and b"Median" in text  # the page language

    changed = client.put("/api/comparison-groups/ring", json={**group, "area_keys": RING[:2]}, headers=editor)
    assert changed.status_code == 200 and changed.json()["area_keys"] == RING[:2]
    assert client.get("/api/comparison-groups", params={"level": "plr"}).json()["count"] == 1
    assert client.delete("/api/comparison-groups/ring", headers=editor).status_code == 204
    gone = client.get(f"/areas/plr/{AREA}.json", params={"group": "ring"})
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("application/problem+json")
    with engine.connect() as conn:
        actions = conn.execute(sa.text("""
            SELECT action FROM audit_log WHERE target_type = 'comparison_group' ORDER BY id""")).scalars().all()
    assert actions == ["create", "update", "delete"]


@pytest.mark.parametrize("payload,status,field", [
    ({"area_keys": ["01100102", "99999999", "1100101"]}, 422, "area_keys"),  # unknown, lost leading zero
    ({"area_keys": ["01100102", "01100102"]}, 422, "area_keys"),
    ({"area_keys": ["01100102"]}, 400, "area_keys"),
    ({"level": "nirgends"}, 404, "level"),
])
def test_a_bad_group_is_refused_with_the_keys_concerned_and_nothing_is_stored(writable, payload, status, field):
    client, engine = writable
    group = {"level": "plr", "name_de": "Ring", "area_keys": RING, **payload}
    refused = client.put("/api/comparison-groups/ring", json=group, headers=bearer(engine, "editor"))
    assert refused.status_code == status, refused.text
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert problem.get("field") == field or problem["errors"][0]["parameter"] == field, problem
    if "99999999" in group["area_keys"]:
        assert problem["keys"] == ["99999999", "1100101"] and "99999999" in problem["detail_de"]
    assert client.get("/api/comparison-groups").json()["count"] == 0


def test_a_group_of_another_level_is_refused_on_a_profile(writable):
    client, engine = writable
    stored = client.put("/api/comparison-groups/bezirke", json={"level": "bez", "name_de": "Bezirke",
                                                                "area_keys": ["01", "02"]},
                        headers=bearer(engine, "editor"))
    assert stored.status_code == 201, stored.text
    refused = client.get(f"/areas/plr/{AREA}.json", params={"group": "bezirke"})
    assert refused.status_code == 400 and refused.json()["field"] == "group"
    assert client.get("/areas/bez/02.json", params={"group": "bezirke"}).json()["within"][-1]["id"] == "bezirke"


def test_confidential_cells_take_no_rank_and_stay_out_of_the_median(writable):
    """With a threshold that hides small counts, a reader's ranks and medians are those of the public cells;
    the statistics office's those of all cells."""
    client, engine = writable
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE indicator SET min_numerator = 60 WHERE code = 'EW_AUSL'"))
        refresh_after_write(conn)
    period = "2024-12-31"
    public = public_values(engine, "EW_AUSL", period)
    every = public_values(engine, "EW_AUSL", period, unsuppressed=True)
    hidden = set(every) - set(public)
    assert hidden and AREA in public, "the threshold hides some Planungsräume but not the profiled one"
    ring = sorted(hidden)[:3] + sorted(set(public) - {AREA})[:3]
    stored = client.put("/api/comparison-groups/ring", json={"level": "plr", "name_de": "Ring", "area_keys": ring},
                        headers=bearer(engine, "editor"))
    assert stored.status_code == 201, stored.text

    def cell(headers=None) -> dict:
        profile = client.get(f"/areas/plr/{AREA}.json", params={"group": "ring"}, headers=headers or {}).json()
        item = next(i for i in profile["indicators"] if i["code"] == "EW_AUSL")
        return next(p for p in item["periods"] if p["period"] == period)["within"][-1]

    seen = cell()
    assert (seen["rank"], seen["n"], seen["median"]) == tuple(expected(public, set(ring)).values())
    assert seen["n"] == 4  # the three public members and the area itself
    office = cell(bearer(engine, "statistics_office"))
    assert (office["rank"], office["n"], office["median"]) == tuple(expected(every, set(ring)).values())
