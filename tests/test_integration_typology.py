"""Area typology and "areas like this one" (indicators/typology.py, GET /api/typology, /api/typology/{key}/similar)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

CODES = ("S1", "S3", "S4", "KI_05", "KI_16")
QUERY = f"level=plr&period=2020-12-31&indicators={','.join(CODES)}"


def public_z(engine: sa.Engine) -> dict[str, np.ndarray]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("""
            SELECT a.key, o.indicator_code, o.value FROM observation_public o JOIN area a ON a.id = o.area_id
            WHERE a.level_code = 'plr' AND o.period = '2020-12-31' AND o.indicator_code = ANY(:codes)"""),
            {"codes": list(CODES)}).all()
    values: dict[str, dict] = {}
    for key, code, value in rows:
        values.setdefault(key, {})[code] = value
    keys = sorted(k for k, v in values.items() if all(v.get(c) is not None for c in CODES))
    matrix = np.array([[float(values[k][c]) for c in CODES] for k in keys])
    z = (matrix - matrix.mean(axis=0)) / matrix.std(axis=0)
    return dict(zip(keys, z))


def test_types_are_reproducible_and_each_area_is_nearest_its_type(client: TestClient, demo_engine: sa.Engine):
    body = client.get(f"/api/typology?{QUERY}&k=4").json()
    again = client.get(f"/api/typology?{QUERY}&k=4&seed=12345").json()
    assert body["areas"] == again["areas"] and body["indicators"] == list(CODES)
    sizes = [t["areas"] for t in body["types"]]
    assert sizes == sorted(sizes, reverse=True) and sum(sizes) == len(body["areas"])
    z = public_z(demo_engine)
    assert {a["key"] for a in body["areas"]} == set(z)
    centres = np.array([[t["mean_z"][c] for c in CODES] for t in body["types"]])
    for area in body["areas"]:
        nearest = int(np.argmin(((centres - z[area["key"]]) ** 2).sum(axis=1))) + 1
        assert nearest == area["type"], area  # k-means converged: every area sits with its nearest centre
    rows = client.get(f"/api/typology?{QUERY}&k=4&f=csv").text.splitlines()
    assert rows[0] == "key,name,type" and len(rows) == len(body["areas"]) + 1


def test_areas_like_this_one(client: TestClient, demo_engine: sa.Engine):
    z = public_z(demo_engine)
    key = sorted(z)[0]
    body = client.get(f"/api/typology/{key}/similar?{QUERY}&n=4").json()
    distances = {k: float(np.sqrt(((v - z[key]) ** 2).sum())) for k, v in z.items() if k != key}
    expected = sorted(distances, key=distances.get)[:4]
    assert [s["key"] for s in body["similar"]] == expected
    for item in body["similar"]:
        assert item["distance"] == pytest.approx(distances[item["key"]], abs=1e-3)
        gaps = [w["z_difference"] for w in item["similar_in"]]
        assert gaps == sorted(gaps) and len(gaps) == 3


@pytest.mark.parametrize(("query", "status", "field"), [
    ("/api/typology?level=plr&indicators=S1,EW", 422, "indicators"),  # a count
    ("/api/typology?level=plr&indicators=S1", 422, "indicators"),  # one is not enough
    ("/api/typology/nope/similar?level=plr", 404, "key"),
])
def test_refusals_name_the_field(client: TestClient, query: str, status: int, field: str):
    response = client.get(query)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field


# -- the page of the types and the profile's section (issue 16) ------------------------------------------------------
DEFAULT = "/api/typology?level=plr"  # the level's default typology, as the area profiles show it


def test_the_types_have_a_german_page_with_the_twins_numbers_and_an_english_one(client: TestClient):
    body = client.get(DEFAULT).json()
    page = client.get(f"{DEFAULT}&f=html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "<h1>Gebietstypen: Planungsräume</h1>" in text and "k-means" in text and "reproduzierbar" in text
    sizes = {int(n): int(size.replace(".", "")) for n, size in
             re.findall(r'<tr id="typ-(\d+)"><th scope="row">Typ \1</th><td class="num">([\d.]+)</td>', text)}
    assert sizes == {t["type"]: t["areas"] for t in body["types"]}
    members = re.findall(r'<details class="typology-members">(.*?)</details>', text, re.S)
    assert len(members) == body["k"]
    for number, block in enumerate(members, start=1):  # every area listed with its type, linked to its profile
        keys = re.findall(r'<a href="/areas/plr/([^"]+)">', block)
        assert sorted(keys) == sorted(a["key"] for a in body["areas"] if a["type"] == number)
    for t in body["types"]:  # the three distinctive indicators of each type, in German words
        row = re.search(rf'<tr id="typ-{t["type"]}">.*?</tr>', text, re.S).group(0)
        assert all(f'({e["indicator"]})' in row for e in t["profile"]) and "dem Durchschnitt" in row
    dropped = re.search(r'<table class="typology-dropped">.*?</table>', text, re.S).group(0)
    assert sorted(re.findall(r'<a href="/areas/plr/([^"]+)">', dropped)) == sorted(body["dropped"])
    assert "kein Wert" in dropped
    for fmt in ("csv-de", "xlsx", "json", "geojson"):
        assert f"level=plr&amp;f={fmt}" in text
    english = client.get(f"{DEFAULT}&f=html&lang=en").text
    assert "<h1>Area types: Planning areas</h1>" in english and "Type 1" in english and "average" in english
    assert "Gebietstypen" not in english and "dem Durchschnitt" not in english


def profile_key(client: TestClient) -> tuple[dict, str]:
    """The default typology and the key of its type 1's first area (as the page lists them)."""
    body = client.get(DEFAULT).json()
    return body, sorted(a["key"] for a in body["areas"] if a["type"] == 1)[0]


def test_the_profile_shows_the_areas_type_and_the_areas_like_it(client: TestClient):
    body, key = profile_key(client)
    part = client.get(f"/areas/plr/{key}.json").json()["typology"]
    assert (part["period"], part["k"], part["indicators"]) == (body["period"], body["k"], body["indicators"])
    assert part["type"] == 1 and part["type_areas"] == body["types"][0]["areas"] and part["reason"] is None
    assert [(e["indicator"], e["z"]) for e in part["distinctive"]] == [(e["indicator"], e["z"])
                                                                       for e in body["types"][0]["profile"]]
    like = client.get(f"/api/typology/{key}/similar?level=plr").json()
    assert [(s["key"], s["distance"]) for s in part["similar"]] == [(s["key"], s["distance"]) for s in like["similar"]]
    assert len(part["similar"]) == 5
    for mine, theirs in zip(part["similar"], like["similar"], strict=True):
        assert [w["indicator"] for w in mine["similar_in"]] == [w["indicator"] for w in theirs["similar_in"]]
    page = client.get(f"/areas/plr/{key}").text
    section = re.search(r'<section class="typology".*?</section>', page, re.S).group(0)
    assert "Gebietstyp und ähnliche Gebiete" in section and 'href="/api/typology?level=plr&amp;f=html"' in section
    assert all(f'href="/areas/plr/{s["key"]}"' in section for s in part["similar"]) and "ähnlich bei" in section


def test_an_area_with_a_hidden_value_has_no_type_unless_the_reader_may_see_it(fresh_engine: sa.Engine):
    from service.app import create_app
    from tests.conftest import make_settings
    from web.profiles import area_typology, find_profile_area

    with fresh_engine.begin() as conn:
        key, obs_id = conn.execute(sa.text("""
            SELECT a.key, o.id FROM observation_current o JOIN area a ON a.id = o.area_id AND a.valid_to IS NULL
            WHERE o.indicator_code = 'S1' AND a.level_code = 'plr' AND o.period = '2020-12-31'
              AND o.value IS NOT NULL ORDER BY a.key LIMIT 1""")).one()
        conn.execute(sa.text("""INSERT INTO disclosure (observation_id, indicator_code, rule, reason)
                                VALUES (:id, 'S1', 'primary', 'test')"""), {"id": obs_id})
    with TestClient(create_app(make_settings(), engine=fresh_engine)) as client:
        public = client.get(f"/areas/plr/{key}.json").json()["typology"]
        assert public["type"] is None and public["reason"] == "confidential: S1" and not public["similar"]
        assert "Dieses Gebiet hat keinen Gebietstyp" in client.get(f"/areas/plr/{key}").text
    with fresh_engine.connect() as conn:  # the statistics office sees the value: the area has its type
        office = area_typology(conn, find_profile_area(conn, "plr", key), unsuppressed=True)
    assert office["type"] is not None and office["reason"] is None and len(office["similar"]) == 5


@pytest.mark.browser
def test_the_page_of_the_types_fits_a_phone(live_server: str, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server}{DEFAULT}&f=html")
    page.locator("details.typology-members summary").first.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # wide tables scroll in their wrapper
    wrapper = page.locator("table.typology-means").locator("xpath=..")
    assert wrapper.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    page.locator("details.typology-members a").first.click()
    page.wait_for_selector("h1:text('Quartiersprofil')")
    assert page.locator("section.typology h2").inner_text().startswith("Gebietstyp und ähnliche Gebiete")
    context.close()
