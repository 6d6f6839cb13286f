"""The integration report of a period, generated from the data: sections as data, HTML and an A4 PDF (cover,
contents with page numbers, vector maps, the Gesamtindex legend); unknown periods are 404. The faults of
issue 17 stay fixed: profiles by the Gesamtindex rule, the attention term only for the Gesamtindex, area names
for notes, licences from the manifests, no double full stops."""

import io
import re
import subprocess

import pypdf
import pytest
import sqlalchemy as sa

SECTIONS = ["Zusammenfassung", "Handlungsfelder", "Gebiete mit besonderem Aufmerksamkeitsbedarf", "Gebietsprofile",
            "Ziele und Maßnahmen", "Anhang: Indikatoren und Quellen"]


@pytest.fixture(scope="module")
def report_pdf(client):
    response = client.get("/reports/2020-12-31.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    # poppler's pdftotext: pypdf takes seconds per page full of map paths
    text = subprocess.run(["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True).stdout
    reader.texts = text.decode().split("\f")
    return reader


def raster_images(page) -> int:
    objects = page["/Resources"].get("/XObject") or {}
    return sum(1 for ref in objects.values() if ref.get_object().get("/Subtype") == "/Image")


def test_the_report_pdf_has_cover_contents_and_every_section_on_a4_pages(report_pdf):
    text = "\n".join(report_pdf.texts)
    for section in SECTIONS:
        assert section in text, section
    assert "Integrationsbericht 31.12.2020" in report_pdf.texts[0]
    width, height = float(report_pdf.pages[0].mediabox.width), float(report_pdf.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    contents = next(page for page in report_pdf.texts[:4] if "Inhalt" in page)
    assert re.search(r"Gebietsprofile\s*\.+\s*\d+", contents)  # page numbers by target-counter
    assert "SOURCES.md" not in text and "CC BY" in text
    assert not re.search(r"\w\.\.(\s|$)", text)  # no double full stops (the contents' leaders are not text)


def test_the_report_maps_are_vector_graphics_with_the_gesamtindex_legend(report_pdf):
    assert sum(raster_images(page) for page in report_pdf.pages) == 0  # no raster maps at 103 ppi: SVG as paths
    text = "\n".join(report_pdf.texts)
    assert "Status / Dynamik" in text and "4 sehr niedrig" in text
    assert "je km²" in text  # counts as densities


def test_the_report_twin_lists_summary_attention_profiles_and_appendix(client):
    body = client.get("/reports/2020-12-31.json").json()
    assert body["period"] == "2020-12-31" and body["previous_period"] == "2018-12-31"
    s1 = next(s for s in body["summary"] if s["code"] == "S1")
    assert s1["min"] <= s1["median"] <= s1["max"] and s1["areas"] == 542
    assert {t["name_de"] for t in body["topics"]} >= {"Arbeit und Einkommen"}
    assert len(body["profiles"]) >= 1 and body["profiles"][0]["values"]
    assert {a["code"] for a in body["appendix"]} >= {"S1", "S3", "S4"}
    for index in body["attention"]:
        assert index["count"] == sum(1 for a in index["areas"] if a["attention"])
        assert (index["term_de"] == "Gebiete mit besonderem Aufmerksamkeitsbedarf") == index["gesamtindex"]
        assert sum(len(g["keys"]) for g in index["groups"]) == len(index["areas"])
    assert all(".." not in a["text_de"] for a in body["appendix"])
    assert any("CC BY" in line for line in body["sources"])


# per area of an index run: key, class, attention and geometry (the latest run of the index at the period)
RUN_AREAS = """SELECT a.key, r.class, r.attention, a.geom FROM index_result r JOIN area a ON a.id = r.area_id
    WHERE r.run_id = (SELECT id FROM index_run WHERE index_id = '{index}' AND level_code = 'plr'
                      AND period = '{period}' ORDER BY greatest(computed_at, confirmed_at) DESC, id DESC LIMIT 1)"""


def test_attention_areas_are_compared_with_the_previous_edition_across_the_boundary_reform(client, demo_engine):
    """MSS 2021 lies on the 542 planning areas of 2021, MSS 2019 on the 447 before the reform: each area of
    today is compared with the former area that covers most of it (here computed with PostGIS from the stored
    boundaries, in the report with tobler), and its change word follows from the two attention flags."""
    body = client.get("/reports/2020-12-31.json").json()
    gesamt = next(ix for ix in body["attention"] if ix["gesamtindex"])
    assert gesamt["previous_period"] == "2018-12-31"
    assert gesamt["previous_edition"]["name_de"] == "Gesamtindex Soziale Ungleichheit (MSS 2019)"
    assert gesamt["previous_edition"]["across_boundaries"] is True
    with demo_engine.connect() as conn:
        rows = conn.execute(sa.text(f"""
            WITH now AS ({RUN_AREAS.format(index="mss_2021_gesamtindex", period="2020-12-31")}),
                 was AS ({RUN_AREAS.format(index="mss_2019_gesamtindex", period="2018-12-31")})
            SELECT DISTINCT ON (now.key) now.key, now.attention, was.attention AS was_attention, was.class
            FROM now JOIN was ON ST_Intersects(now.geom, was.geom)
            ORDER BY now.key, ST_Area(ST_Intersection(now.geom, was.geom)) DESC""")).all()
    expected = {key: ("weiterhin" if was else "neu") if now else "nicht mehr"
                for key, now, was, _class in rows if now or was}
    shown = {a["key"]: a["change"] for a in gesamt["areas"]}
    assert shown == expected
    assert {"neu", "weiterhin", "nicht mehr"} <= set(shown.values())
    before = {key: was_class for key, _now, _was, was_class in rows}
    assert all(a["previous_class"] == before[a["key"]] for a in gesamt["areas"])
    html = client.get("/reports/2020-12-31").text
    assert "Veränderung gegenüber der Ausgabe vom 31.12.2018 (Gesamtindex Soziale Ungleichheit (MSS 2019);" in html
    assert "keine Vorgängerausgabe" not in html.split("Gesamtindex Soziale Ungleichheit (MSS 2021). ")[1][:40]


def test_profiles_are_chosen_by_the_gesamtindex_rule_least_favourable_first(client):
    body = client.get("/reports/2020-12-31.json").json()
    gesamt = next(ix for ix in body["attention"] if ix["gesamtindex"])
    classes = {a["key"]: a["class"] for a in gesamt["areas"]}
    chosen = [classes[p["area"]["key"]] for p in body["profiles"]]
    assert chosen and all(c.startswith("4") for c in chosen)  # never a "Status mittel" area first


def test_chosen_areas_are_profiled(client):
    body = client.get("/reports/2020.json", params={"areas": "01100101,01100102"}).json()
    assert [p["area"]["key"] for p in body["profiles"]] == ["01100101", "01100102"]


def test_the_report_page_is_german_with_english_fixed_texts(client):
    german = client.get("/reports/2020-12-31")
    assert german.status_code == 200 and "Impressum" in german.text and "Inhalt" in german.text
    english = client.get("/reports/2020-12-31", params={"lang": "en"})
    assert "Imprint" in english.text and "Contents" in english.text and "Areas requiring special attention" in english.text


def test_a_period_without_data_gives_a_german_404_with_the_valid_periods(client):
    response = client.get("/reports/1999-12-31")
    assert response.status_code == 404
    assert "keinen Bericht" in response.text and 'href="/reports/2020-12-31"' in response.text


def test_a_report_is_named_after_the_territory_of_its_own_hierarchy(demo_engine):
    """Two set-ups in one database (Berlin beside Germany): a report on the planning areas is Berlin's, not the
    territory of whichever level ranks highest. The second hierarchy is added in a transaction rolled back."""
    import sqlalchemy as sa

    from web.report_document import municipality_name

    with demo_engine.connect() as conn:
        assert municipality_name(conn, "plr") == "Berlin"
        conn.execute(sa.text("""
            INSERT INTO area_level (code, name_de, name_en, plural_de, plural_en, rank)
            VALUES ('welt', 'Welt', 'World', 'Welten', 'Worlds', 999)"""))
        conn.execute(sa.text("""
            INSERT INTO area (level_code, key, name, valid_from, geom, area_m2, import_batch_id)
            SELECT 'welt', '0', 'Erde', valid_from, geom, area_m2, import_batch_id FROM area
            WHERE level_code = 'stadt' AND valid_to IS NULL"""))
        assert municipality_name(conn, "plr") == "Berlin" and municipality_name(conn) == "Erde"
        conn.rollback()
