"""The integration report for a period: sections as data, HTML and an A4 PDF; unknown periods are 404."""

import io

import pypdf
import pytest

SECTIONS = ["Zusammenfassung für die Stadt", "Karten nach Handlungsfeldern",
            "Gebiete mit besonderem Aufmerksamkeitsbedarf", "Gebietsprofile", "Notizen der Redaktion",
            "Anhang: Indikatoren und Quellen"]


@pytest.fixture(scope="module")
def report_pdf(client):
    response = client.get("/reports/2020-12-31.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    return pypdf.PdfReader(io.BytesIO(response.content))


def test_the_report_pdf_has_every_section_on_a4_pages(report_pdf):
    text = "\n".join(page.extract_text() for page in report_pdf.pages)
    for section in SECTIONS:
        assert section in text, section
    assert "Integrationsbericht zum 31.12.2020" in text
    width, height = float(report_pdf.pages[0].mediabox.width), float(report_pdf.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    assert "Seite 1 von" in report_pdf.pages[0].extract_text()


def test_the_report_pdf_contains_maps_per_topic(report_pdf):
    images = sum(len(page.images) for page in report_pdf.pages)
    assert images >= 10


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


def test_chosen_areas_are_profiled(client):
    body = client.get("/reports/2020.json", params={"areas": "01100101,01100102"}).json()
    assert [p["area"]["key"] for p in body["profiles"]] == ["01100101", "01100102"]


def test_a_period_without_data_gives_a_german_404_with_the_valid_periods(client):
    response = client.get("/reports/1999-12-31")
    assert response.status_code == 404
    assert "keinen Bericht" in response.text and 'href="/reports/2020-12-31"' in response.text
