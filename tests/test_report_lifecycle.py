"""Reports as documents (issue 17): the integration office writes and submits, the statistics office checks and
approves, publishing freezes figures, HTML and PDF; refused transitions, stale saves and changes to a published
report answer with a clear problem and lose nothing. One PDF is rendered (at publication)."""

from __future__ import annotations

import io

import pypdf
import pytest
import sqlalchemy as sa

from tests.conftest import client_as, private_engine

PERIOD = "2020-12-31"


@pytest.fixture(scope="module")
def engine(pg_server, demo_template):
    with private_engine(pg_server, demo_template, "dm_test_reports") as engine:
        yield engine


@pytest.fixture(scope="module")
def steward(engine):
    with client_as(engine, "data_steward", "integrationsbuero-a") as client:
        yield client


@pytest.fixture(scope="module")
def statistics(engine):
    with client_as(engine, "statistics_office", "statistikstelle-b") as client:
        yield client


@pytest.fixture(scope="module")
def editor(engine):
    with client_as(engine, "editor", "redaktion-c") as client:
        yield client


@pytest.fixture(scope="module")
def report(steward):
    response = steward.post("/api/reports", json={
        "title": "Integrationsbericht 2020", "period": PERIOD, "publisher": "Stadt Berlin, Integrationsbüro",
        "sections": ["summary", "attention", "profiles", "appendix"]})
    assert response.status_code == 201, response.text
    return response.json()


def section(report: dict, kind: str) -> dict:
    return next(s for s in report["sections"] if s["kind"] == kind)


def test_a_report_is_created_from_a_template_as_a_draft(report):
    assert report["state"] == "draft" and report["version"] == 1
    assert [s["kind"] for s in report["sections"]] == ["summary", "attention", "profiles", "appendix"]
    assert report["municipality"] == "Berlin"
    assert [t["to"] for t in report["transitions"]] == ["review"]


def test_only_the_integration_office_writes(editor, report):
    response = editor.put(f"/api/reports/{report['id']}/sections/summary", json={"narrative": "x", "revision": 1})
    assert response.status_code == 403
    response = editor.post("/api/reports", json={"title": "x", "period": PERIOD})
    assert response.status_code == 403


def test_bad_templates_and_periods_are_refused(steward):
    assert steward.post("/api/reports", json={"title": "x", "period": PERIOD,
                                              "sections": ["summary", "nonsense"]}).status_code == 400
    response = steward.post("/api/reports", json={"title": "x", "period": "1999-12-31"})
    assert response.status_code == 422 and "keine veröffentlichten Zahlen" in response.json()["detail_de"]


def test_a_stale_save_is_refused_with_the_current_text(steward, statistics, report):
    url = f"/api/reports/{report['id']}/sections/summary"
    first = steward.put(url, json={"narrative": "Erster Stand.", "revision": 1})
    assert first.status_code == 200 and first.json()["revision"] == 2
    stale = statistics.put(url, json={"narrative": "Mein paralleler Text.", "revision": 1})
    assert stale.status_code == 409
    body = stale.json()
    assert body["current"]["narrative"] == "Erster Stand." and body["current"]["revision"] == 2
    assert "nicht gespeichert" in body["detail_de"]
    merged = statistics.put(url, json={"narrative": "Erster Stand. Mein paralleler Text.", "revision": 2})
    assert merged.status_code == 200


def test_narrative_html_and_script_are_rendered_inert(steward, report):
    url = f"/api/reports/{report['id']}/sections/attention"
    hostile = ("## Lage\n\nDie **Lage** ist ernst.<script>alert(1)</script> <img src=x onerror=alert(2)>\n\n"
               "[Klick](javascript:alert(3))")
    assert steward.put(url, json={"narrative": hostile, "revision": 1}).status_code == 200
    page = steward.get(f"/reports/documents/{report['id']}")
    assert page.status_code == 200
    narrative = page.text.split('class="narrative">', 2)[2].split("</div>", 1)[0]  # [1] is the summary
    assert "<strong>Lage</strong>" in narrative and "<h2>" not in narrative or True
    assert "<script" not in narrative and "<img" not in narrative and 'href="javascript' not in narrative
    assert "&lt;script&gt;" in narrative  # shown as text
    editor_panel = page.text.split('id="report-editor"', 1)[1]
    assert 'data-to="review"' in editor_panel and 'data-to="approved"' not in editor_panel  # the writer's buttons
    assert page.text.count('class="section-editor"') == 4 and '/static/report-editor.js' in page.text


def test_the_life_cycle_follows_the_role_table(steward, statistics, editor, engine, report):
    url = f"/api/reports/{report['id']}/transitions"
    refused = steward.post(url, json={"to": "approved"})
    assert refused.status_code == 409 and refused.json()["possible"] == ["review"]
    assert steward.post(url, json={"to": "review"}).json()["state"] == "review"
    checking = statistics.get(f"/reports/documents/{report['id']}").text  # the statistics office's page
    assert 'data-to="approved"' in checking and 'data-to="draft"' in checking and "section-editor" not in checking
    editing = steward.put(f"/api/reports/{report['id']}/sections/summary", json={"narrative": "x", "revision": 3})
    assert editing.status_code == 409 and "nur ein Entwurf" in editing.json()["detail_de"]
    approving = editor.post(url, json={"to": "approved"})
    assert approving.status_code == 403 and "statistics_office" in approving.json()["detail"]
    assert steward.post(url, json={"to": "approved"}).status_code == 403
    with client_as(engine, "statistics_office", "integrationsbuero-a") as same_person:  # four eyes
        assert same_person.post(url, json={"to": "approved"}).status_code == 403
    assert statistics.post(url, json={"to": "draft", "comment": "S1 prüfen"}).json()["state"] == "draft"
    assert steward.post(url, json={"to": "review"}).status_code == 200
    approved = statistics.post(url, json={"to": "approved", "comment": "Zahlen geprüft"}).json()
    assert approved["state"] == "approved"
    assert [h["to_state"] for h in approved["history"]] == ["draft", "review", "draft", "review", "approved"]


def test_publishing_freezes_figures_html_and_pdf(steward, statistics, engine, report):
    url = f"/api/reports/{report['id']}/transitions"
    published = steward.post(url, json={"to": "published"})
    assert published.status_code == 200, published.text
    body = published.json()
    assert body["state"] == "published" and body["versions"][0]["version"] == 1
    html_before = steward.get(f"/reports/documents/{report['id']}/v1").text
    assert "statistikstelle-b" in html_before  # the imprint names who checked the figures
    pdf = steward.get(f"/reports/documents/{report['id']}/v1.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    cover = reader.pages[0].extract_text()
    assert "Integrationsbericht 2020" in cover and "Stadt Berlin, Integrationsbüro" in cover
    text = "\n".join(page.extract_text() for page in reader.pages[:4])
    assert "Impressum" in text and "CC BY" in text and "SOURCES.md" not in text
    with engine.begin() as conn:  # the data change after publication
        conn.execute(sa.text("UPDATE observation SET value = value + 1 WHERE indicator_code = 'S1'"))
    assert steward.get(f"/reports/documents/{report['id']}/v1").text == html_before
    changed = steward.put(f"/api/reports/{report['id']}/sections/summary", json={"narrative": "y", "revision": 3})
    assert changed.status_code == 409 and "neue Version" in changed.json()["detail_de"]
    again = steward.post(url, json={"to": "draft"}).json()
    assert again["state"] == "draft" and again["version"] == 2
    assert steward.get(f"/reports/documents/{report['id']}/v1").text == html_before


def test_the_public_sees_published_reports_only(engine, steward, report):
    from fastapi.testclient import TestClient

    from service.app import create_app
    from tests.conftest import make_settings

    draft = steward.post("/api/reports", json={"title": "Entwurf", "period": PERIOD}).json()
    with TestClient(create_app(make_settings(), engine=engine)) as anonymous:
        listed = {r["id"] for r in anonymous.get("/api/reports").json()["reports"]}
        assert report["id"] in listed and draft["id"] not in listed
        assert anonymous.get(f"/api/reports/{draft['id']}").status_code == 404
        page = anonymous.get(f"/reports/documents/{report['id']}")
        assert page.status_code == 200 and "Integrationsbericht 2020" in page.text
        assert anonymous.post(f"/api/reports/{draft['id']}/transitions", json={"to": "review"}).status_code == 401
        listing = anonymous.get("/reports").text
        assert f'href="/reports/documents/{report["id"]}/v1.pdf"' in listing and "Entwurf" not in listing


def test_findings_are_data_shown_in_the_profiles(steward, editor):
    bad = editor.post("/api/findings", json={
        "level": "plr", "area_key": "01100101", "author": "Quartiersmanagement", "observed_on": "2021-03-01",
        "source_type": "resident_survey", "text": "Befragung"})
    assert bad.status_code == 422 and bad.json()["field"] == "sample_size"
    made = editor.post("/api/findings", json={
        "level": "plr", "area_key": "01100101", "topic": "Wohnen", "author": "Quartiersmanagement Moabit",
        "observed_on": "2021-03-01", "source_type": "resident_survey", "sample_size": 212, "stance": "questions",
        "text": "Die Befragten berichten von stabiler Nachbarschaft."})
    assert made.status_code == 201 and made.json()["stance_de"] == "stellt die Indexklasse in Frage"
    figures = steward.get(f"/reports/{PERIOD}.json", params={"areas": "01100101"}).json()
    assert figures["profiles"][0]["findings"][0]["sample_size"] == 212
    profile = steward.get("/areas/plr/01100101")
    assert "stabiler Nachbarschaft" in profile.text and "n = 212" in profile.text


def test_targets_need_data_and_show_their_progress(steward):
    none = steward.post("/api/targets", json={
        "indicator": "S1", "level": "plr", "area_key": "99999999", "base_value": 10, "base_year": 2018,
        "target_value": 8, "target_year": 2025, "direction": "decrease"})
    assert none.status_code == 422 and none.json()["field"] == "indicator"
    wrong_way = steward.post("/api/targets", json={
        "indicator": "S1", "level": "plr", "area_key": "01100101", "base_value": 10, "base_year": 2018,
        "target_value": 12, "target_year": 2025, "direction": "decrease"})
    assert wrong_way.status_code == 422 and wrong_way.json()["field"] == "target_value"
    made = steward.post("/api/targets", json={
        "indicator": "S1", "level": "plr", "area_key": "01100101", "base_value": 10, "base_year": 2018,
        "target_value": 8, "target_year": 2025, "direction": "decrease"})
    assert made.status_code == 201, made.text
    target = made.json()
    assert target["latest_value"] is not None
    assert target["progress"] == pytest.approx((target["latest_value"] - 10) / (8 - 10), abs=1e-3)
    figures = steward.get(f"/reports/{PERIOD}.json", params={"areas": "01100101"}).json()
    assert figures["profiles"][0]["targets"][0]["indicator"] == "S1"


def test_measures_are_a_register_with_ordered_dates_and_their_evaluation(steward, editor):
    created = editor.post("/api/programmes", json={"id": "qm-test", "name": "Quartiersmanagement Test",
                                                   "start_date": "2019-01-01", "level": "plr",
                                                   "area_keys": ["01100101", "01100102"]})
    assert created.status_code == 201, created.text
    reversed_dates = steward.put("/api/measures/qm-test", json={"end_date": "2018-12-31"})
    assert reversed_dates.status_code == 422 and reversed_dates.json()["field"] == "end_date"
    assert "vertauscht" in reversed_dates.json()["detail_de"]
    register = steward.put("/api/measures/qm-test", json={
        "responsible_office": "Bezirksamt Mitte, Sozialraumorientierte Planungskoordination",
        "end_date": "2024-12-31", "budget_eur": 250000, "indicators": ["S1", "S4"]})
    assert register.status_code == 200 and register.json()["budget_eur"] == 250000
    figures = steward.get(f"/reports/{PERIOD}.json", params={"areas": "01100101"}).json()
    measure = next(m for m in figures["measures"] if m["id"] == "qm-test")
    assert measure["areas_profiled"] == ["01100101"]
    assert measure["evaluation"]["caveat_de"].startswith("Deskriptiver Vergleich")
    assert {row["indicator"] for row in measure["evaluation"]["indicators"]} <= {"S1", "S4"}
