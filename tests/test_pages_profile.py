"""Area profiles (Quartiersprofile) for every level: values against parent and city, ranks, twins, 404s."""

import csv
import io
import re
import subprocess

import pypdf
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from indicators.notation import format_number
from service.app import create_app
from tests.conftest import make_settings


def test_the_profile_twin_ranks_the_area_among_its_level(client):
    body = client.get("/areas/plr/01100101.json").json()
    assert body["area"]["name"] and body["area"]["level"] == "plr"
    assert [c["level"] for c in body["chain"]] == ["bzr", "pgr", "bez", "stadt"]
    s1 = next(i for i in body["indicators"] if i["code"] == "S1")
    latest = s1["periods"][0]
    assert [p["period"] for p in s1["periods"]] == sorted((p["period"] for p in s1["periods"]), reverse=True)
    assert 1 <= latest["rank"] <= latest["n"] <= 542
    every = client.get("/explorer", params={"indicator": "S1", "period": latest["period"], "f": "json"}).json()
    higher = sum(1 for a in every["areas"] if a["value"] is not None and a["value"] > latest["value"])
    assert latest["rank"] == higher + 1


def test_every_level_has_profiles_down_to_the_city(client):
    for level, key in (("bzr", "011001"), ("pgr", "0110"), ("bez", "01"), ("stadt", "11")):
        response = client.get(f"/areas/{level}/{key}")
        assert response.status_code == 200, (level, response.text[:300])
        assert "Quartiersprofil" in response.text
    assert client.get("/areas/stadt/11.json").json()["parent"] is None


def test_the_csv_twin_has_one_row_per_indicator_and_period(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/areas/plr/01100101.csv").text)))
    assert {("S1", "2020-12-31"), ("S1", "2018-12-31")} <= {(r["indicator"], r["period"]) for r in rows}


def test_the_profile_pdf_is_a_printable_document(client):
    response = client.get("/areas/plr/01100101.pdf")
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    assert "Quartiersprofil" in text and "Arbeitslosigkeit" in text and "Notizen" in text


def test_the_printed_profile_keeps_every_column_on_the_page(client):
    """Each indicator's rank and percentile stand on its row of the printed table: pdftotext reads only what is
    on the A4 page, and the percentile column used to be cut off at its right edge (long names of the area and
    its parent widen the table: Humboldtstraße in "Ost 2 - Alt-Reinickendorf")."""
    body = client.get("/areas/plr/12100206.json").json()
    printed = client.get("/areas/plr/12100206.pdf")
    lines = subprocess.run(["pdftotext", "-layout", "-", "-"], input=printed.content, capture_output=True,
                           check=True).stdout.decode().splitlines()
    checked = 0
    for item in body["indicators"]:
        latest = item["periods"][0]
        if latest["percentile"] is None:
            continue
        rank = f"{latest['rank']} von {latest['n']}"
        # pdftotext may drop the space before the percent sign
        percentile = re.compile(rf"\s{format_number(latest['percentile'] * 100, 0)} ?%$")
        assert any(rank in line and percentile.search(line.rstrip()) for line in lines), (item["code"], rank)
        checked += 1
    assert checked >= 5


def test_the_profile_shows_the_index_class_and_how_it_came_about(client):
    body = client.get("/areas/plr/01100101.json").json()
    if not body["indices"]:
        pytest.skip("the demo computes no index for this area")
    gesamt = body["indices"][0]
    assert gesamt["class_label_de"] or gesamt["reason"]
    assert gesamt["explanation"]["key"] == "01100101"
    assert "Wie die Klasse zustande kommt" in client.get("/areas/plr/01100101").text


def test_progress_toward_a_target_is_reported(fresh_engine):
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("UPDATE indicator SET target_value = 2.0, target_year = 2030 WHERE code = 'S1'"))
    with TestClient(create_app(make_settings(), engine=fresh_engine)) as client:
        body = client.get("/areas/plr/01100101.json").json()
        page = client.get("/areas/plr/01100101").text
    s1 = next(i for i in body["indicators"] if i["code"] == "S1")
    values = [p["value"] for p in s1["periods"]]
    target = s1["target"]
    assert target["value"] == 2.0 and target["year"] == 2030
    assert target["gap"] == pytest.approx(values[0] - 2.0, abs=1e-3)
    assert target["progress_share"] == pytest.approx((values[-1] - values[0]) / (values[-1] - 2.0), abs=1e-3)
    assert "bis 2030" in page


@pytest.mark.parametrize("url, expected", [
    ("/areas/plr/99999999", "kein Gebiet mit dem Schlüssel „99999999“"),
    ("/areas/kiez/01", "Die Raumebene „kiez“ gibt es nicht"),
    ("/areas?level=kiez", "Die Raumebene „kiez“ gibt es nicht"),
])
def test_unknown_areas_and_levels_give_a_german_404_page(client, url, expected):
    response = client.get(url)
    assert response.status_code == 404 and expected in response.text
    assert "<a href=" in response.text


def test_a_key_of_another_level_links_to_that_level(client):
    response = client.get("/areas/plr/01")
    assert response.status_code == 404 and 'href="/areas/bez/01"' in response.text


def test_the_area_list_finds_names_and_keys(client):
    found = client.get("/areas", params={"level": "bez", "q": "mitte", "f": "json"}).json()
    assert [a["key"] for a in found["areas"]] == ["01"]
    assert client.get("/areas", params={"level": "plr", "f": "json"}).json()["count"] == 542


def test_a_key_with_a_nul_byte_is_a_client_error_not_a_database_error(client):
    response = client.get("/areas/plr/01%00")
    assert response.status_code == 400  # malformed request (the security middleware refuses NUL bytes)
    assert response.headers["content-type"] == "application/problem+json"


def test_the_profile_loads_its_trend_charts_as_images_of_their_own(client):
    """On screen each trend chart is an image of its own, loaded lazily (a PDF still carries them); the chart's
    address answers SVG in the page's language, and a chart that does not exist a problem, not a 500."""
    page = client.get("/areas/plr/01100101").text
    images = re.findall(r'<img class="chart" src="([^"]+)" loading="lazy" width="420" height="220"', page)
    assert len(images) >= 5 and "data:image/svg" not in page.split('class="numbers"')[1].split("</section>")[0]
    chart = client.get(images[0].replace("&amp;", "&"))
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
    assert chart.text.lstrip().startswith("<?xml") and "<svg" in chart.text
    english = client.get(images[0].replace("&amp;", "&").replace("lang=de", "lang=en"))
    assert english.status_code == 200 and english.text != chart.text  # dates and numbers in English
    missing = client.get("/areas/plr/01100101/charts/NOPE.svg")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert client.get("/areas/plr/99999999/charts/EW.svg").status_code == 404
