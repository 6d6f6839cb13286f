"""English mode (issue 18) for the reports, the map explorer's sheet (PNG/PDF), the answers to an impossible choice
and the map comparison: with `?lang=en` every fixed text is English (domain terms German with their English gloss,
data as delivered: indicator descriptions, sources and area names stay German), the report's PDF follows the
page's language, and without it the pages are German as before. Over real HTTP (the live server)."""

from __future__ import annotations

import json
import re
import subprocess

import httpx
import pytest

from tests.conftest import bearer, private_engine, serving

HTML = {"Accept": "text/html"}
PERIOD = "2020-12-31"
CHANGE_SHEET = {"indicator": "S1", "period": PERIOD, "compare": "2018-12-31", "index": "mss_2021_gesamtindex"}


def fetch(base: str, path: str, headers: dict | None = None, **params) -> httpx.Response:
    return httpx.get(f"{base}{path}", params=params, headers={**HTML, **(headers or {})}, timeout=180)


def visible(html: str) -> str:
    """What a reader sees or hears of a page: its text and the texts of its attributes, without the map drawings'
    data blocks (area names are data), the inline SVG maps' paths and the charts' data URIs."""
    html = re.sub(r'<script type="application/json" id="drawing-[a-z]+">.*?</script>', "", html, flags=re.S)
    html = re.sub(r'src="data:[^"]*"|\sd="[^"]*"', "", html)
    return re.sub(r"[ \t\r\n]+", " ", html)  # not \s: the no-break spaces of "12 of 536" are kept


def pdf_text(content: bytes) -> str:
    """A PDF's text as one line (poppler's pdftotext; the sheet wraps long lines)."""
    assert content.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()
    return " ".join(text.split())


def assert_all(text: str, present: tuple[str, ...], absent: tuple[str, ...]) -> None:
    for wanted in present:
        assert re.search(wanted, text), f"missing: {wanted}"
    for unwanted in absent:
        found = re.search(unwanted, text)
        assert not found, f"left in: {unwanted} ({text[max(found.start() - 80, 0):found.end() + 80]})"


# fixed texts of the report in English, as regular expressions; the German that must be gone from it
REPORT_ENGLISH = (r"Integration report · as of 31 Dec 2020", "Imprint", "Contents", r"\b1 Summary", "Topics",
                  "Areas requiring special attention: \\d+ areas", r"Planungsräume \(planning areas\)",
                  "Data sources and licences", "Figures generated", "indicators are available for the",
                  r"Status / dynamics", "very low", "no value", r"\(density\)", "per km²", r"\d+\xa0of\xa0\d+",
                  r"Gesamtindex \(overall index\)", "Chosen by the Gesamtindex rule", "flagged by the index rule",
                  "Numerator: ", "Indicators, definitions and sources", "Source: ", "very low status")
REPORT_GERMAN = ("Integrationsbericht", r"\bStand\b", "Impressum", r"\bInhalt\b", "Zusammenfassung", "Handlungsfelder",
                 r"\bGebiete\b", "Datenquellen", "Zahlenstand", "Vorperiode", "Kommune", "Herausgeber",
                 "Bearbeitungsstand", "Indikatoren liegen vor", "Status / Dynamik", "sehr niedrig", "kein Wert",
                 r"\(Dichte\)", "je km²", r"\d+\s+von\s+\d+", "Ausgewählt nach", "von der Regel", "Zähler: ",
                 "Nenner: ", "Begründung: ", "Quelle: ", "Qualitative Befunde", r"\bAnhang\b", "Gruppe",
                 "Status sehr niedrig")


def test_the_report_page_in_english_and_unchanged_in_german(live_server):
    english = fetch(live_server, f"/reports/{PERIOD}", lang="en")
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert_all(visible(english.text), REPORT_ENGLISH + (f'href="/reports/{PERIOD}.pdf\\?lang=en"',), REPORT_GERMAN)

    german = visible(fetch(live_server, f"/reports/{PERIOD}").text)
    assert_all(german, ("Integrationsbericht · Stand 31.12.2020", "Impressum", "Inhalt", "Status / Dynamik",
                        "4 sehr niedrig", "kein Wert", r"\(Dichte\)", "je km²", "Zähler: ", r"\d+\xa0von\xa0\d+",
                        "Gesamtindex: Status", r"Raumebene</dt><dd>Planungsräume;", f'href="/reports/{PERIOD}.pdf"'),
               ("Imprint", r"\(planning areas\)", "Numerator", "very low", r"\bof\b\xa0", "31 Dec 2020"))


def test_the_report_pdf_follows_the_page_language(live_server):
    text = pdf_text(fetch(live_server, f"/reports/{PERIOD}.pdf", lang="en").content)
    assert_all(text, tuple(t for t in REPORT_ENGLISH if "\\xa0" not in t) + (r"\d+ of \d+",),
               REPORT_GERMAN)  # the German PDF: tests/test_report.py


def test_the_list_of_reports_in_english(live_server):
    english = visible(fetch(live_server, "/reports", lang="en").text)
    assert_all(english, ("<h1>Integration reports</h1>", "Published reports", "Generated from the data",
                         "Report as of 31 Dec 2020", f'href="/reports/{PERIOD}\\?lang=de"[^>]*>Deutsch<'),
               ("Integrationsberichte", "Veröffentlichte", "Aus den Daten", "Bericht zum", "Ein Bericht je",
                '<span class="en">'))
    german = visible(fetch(live_server, "/reports").text)
    assert_all(german, ("Integrationsberichte <span class=\"en\">/ integration reports</span>",
                        "Bericht zum 31.12.2020", f'href="/reports/{PERIOD}\\?lang=en"[^>]*>English<'),
               ("Integration reports", "Report as of"))


@pytest.fixture(scope="module")
def draft_server(pg_server, demo_template):
    """A live server on a private copy of the demo data with one draft report, and a writer's headers."""
    with private_engine(pg_server, demo_template, "dm_test_english_reports") as engine:
        writer = bearer(engine, "data_steward", "integrationsbuero-en")
        with serving(engine) as base:
            created = httpx.post(f"{base}/api/reports", headers=writer, timeout=60, json={
                "title": "Integration report 2020", "period": PERIOD, "sections": ["summary", "appendix"]})
            assert created.status_code == 201, created.text
            yield base, writer, created.json()["id"]


def test_the_report_editor_speaks_english_with_its_script_texts(draft_server):
    base, writer, report_id = draft_server
    english = fetch(base, f"/reports/documents/{report_id}", headers=writer, lang="en")
    assert english.status_code == 200
    texts = json.loads(re.search(r'id="report-editor-texts">(.*?)</script>', english.text, re.S).group(1))
    assert texts == {"saving": "saving …", "saved": "saved (revision %(revision)s)", "notSaved": "not saved",
                     "offline": "no connection", "publishing": "being created … (PDF and frozen figures)"}
    assert_all(visible(english.text), ("State:</strong> draft", "Submit for review|review", "Save",
                                       r"Text of this section \(Markdown\)", "Changed meanwhile"),
               ("Bearbeitungsstand", "Speichern", "Text dieses Abschnitts", "Inzwischen", "speichert"))
    german = visible(fetch(base, f"/reports/documents/{report_id}", headers=writer).text)
    assert_all(german, ("Bearbeitungsstand:</strong> Entwurf", "Speichern", "gespeichert \\(Stand"),
               ("Text of this section", '"not saved"'))


def test_the_explorer_sheet_in_english(live_server):
    text = pdf_text(fetch(live_server, "/explorer", f="pdf", lang="en", **CHANGE_SHEET).content)
    assert_all(text, (r"Unemployment \(SGB II\) \(change in percentage points\), 31 Dec 2018 → 31 Dec 2020",
                      r"Unemployment \(SGB II\): change 31 Dec 2018 → 31 Dec 2020 \(percentage points\)",
                      r"\(\d+ areas\)", r"no value \(\d+ areas\)", "Boundaries of the boroughs",
                      r"special attention needed \(\d+\)", "Source: ", r"Gebietsstand \(boundary version\) ",
                      "classification: Quantiles", "5 classes", "Made on", r"View: /explorer\?.*lang=en"),
               (r"\bGebiete\b", "kein Wert", "Grenzen der", "Aufmerksamkeitsbedarf", "Quelle:", "Raumebene",
                "Klassifikation", "Klassen", "Erstellt am", "Ansicht:", "Veränderung", "Prozentpunkte",
                "Arbeitslosigkeit", r"31\.12\.20"))
    png = fetch(live_server, "/explorer", f="png", lang="en", **CHANGE_SHEET)
    german_png = fetch(live_server, "/explorer", f="png", **CHANGE_SHEET)
    assert png.headers["content-type"] == "image/png" and png.content != german_png.content
    german = pdf_text(fetch(live_server, "/explorer", f="pdf", **CHANGE_SHEET).content)
    assert_all(german, (r"Arbeitslosigkeit \(SGB II\) \(Veränderung in Prozentpunkten\), 31\.12\.2018 → 31\.12\.2020",
                        r"\(\d+ Gebiete\)", "Grenzen der Bezirke", r"Aufmerksamkeitsbedarf \(\d+\)", "Quelle: ",
                        r"Raumebene: Planungsräume, Gebietsstand 01\.01\.2021", "Erstellt am", "Ansicht: "),
               ("Source:", "areas", "31 Dec"))


@pytest.mark.parametrize(("path", "params", "english", "german"), [
    ("/explorer", {"indicator": "S1", "period": PERIOD, "compare": "1999-12-31"},
     ("S1 cannot be compared with the period “1999-12-31”", "31 Dec 2018 → 31 Dec 2020"),
     ("Mit dem Zeitpunkt „1999-12-31“ lässt sich S1 nicht vergleichen", "31.12.2018 → 31.12.2020")),
    ("/explorer", {"level": "kiez"}, ("There is no area level “kiez”", ">Planning areas</a>", ">Boroughs</a>"),
     ("Die Raumebene „kiez“ gibt es nicht", ">Planungsräume</a>", ">Bezirke</a>")),
    ("/explorer", {"scheme": "random"}, ("There is no classification method", r">Natural breaks \(Fisher-Jenks\)<"),
     ("Das Klassifikationsverfahren „random“ gibt es nicht", r">Natürliche Brüche \(Fisher-Jenks\)<")),
    ("/explorer", {"index": "no_such_index"}, ("There is no index “no_such_index”", "Overall index of social"),
     ("Den Index „no_such_index“ gibt es nicht", "Gesamtindex Soziale Ungleichheit")),
    ("/explorer/vergleich", {"indicator": "S1", "left": "1999-12-31"},
     ("“S1” has no values on the level Planning areas for the period “1999-12-31”", ">31 Dec 2020</a>"),
     ("keine Werte zum Zeitpunkt „1999-12-31“", ">31.12.2020</a>")),
    ("/reports/1999-12-31", {}, ("There is no report for the period “1999-12-31”", ">Report as of 31 Dec 2020</a>"),
     ("gibt es keinen Bericht", ">Bericht zum 31.12.2020</a>")),
])
def test_an_impossible_choice_is_answered_in_the_page_language(live_server, path, params, english, german):
    page = fetch(live_server, path, lang="en", **params)
    assert page.status_code == 404
    assert_all(visible(page.text), english + ("<h1>Not found</h1>", "Available:", "<title>Not found"),
               german + ("Nicht gefunden", "Verfügbar", r"\d\d\.\d\d\.\d{4}"))
    page = fetch(live_server, path, **params)
    assert page.status_code == 404
    assert_all(visible(page.text), german + ("<h1>Nicht gefunden</h1>", "Verfügbar:"), english + ("Not found",))


def test_a_choice_the_explorer_could_not_keep_is_said_in_the_page_language(live_server):
    same = {"indicator": "S1", "period": PERIOD, "compare": PERIOD}
    english = visible(fetch(live_server, "/explorer", lang="en", **same).text)
    assert_all(english, ("A period cannot be compared with itself; the map shows 31 Dec 2020 without change",),
               ("ohne Veränderung", "nicht mit sich selbst"))
    german = visible(fetch(live_server, "/explorer", **same).text)
    assert_all(german, ("Ein Zeitpunkt lässt sich nicht mit sich selbst vergleichen; die Karte zeigt 31.12.2020 "
                        "ohne Veränderung",), ("without change",))


def test_the_map_comparison_in_english_and_unchanged_in_german(live_server):
    response = fetch(live_server, "/explorer/vergleich", indicator="S1", lang="en")
    assert response.status_code == 200 and '<html lang="en">' in response.text
    page = visible(response.text)
    assert_all(page, ("<title>Map comparison", "<h1>Map comparison</h1>", r"Legend of both maps \(Quantiles \(the same",
                      "Open in the map explorer", "no value", ">Planning areas<", r"Unemployment \(SGB II\) in %, "
                      "31 Dec 2020", r"S1 – Unemployment \(SGB II\)", '"openProfile": "Open area profile"',
                      '"loadFailed": "The map could not be loaded."'),
               ("Kartenvergleich", "Legende", "Kartenexplorer", "kein Wert", "Raumebene", "Zeitpunkt",
                "Quartiersprofil", r"Quantile \(", ">Planungsräume<", r"\d\d\.\d\d\.\d{4}", "Arbeitslosigkeit"))
    drawing = re.search(r'id="drawing-right">(.*?)</script>', response.text, re.S).group(1)
    assert '"Key"' in drawing and "(1 = highest value)" in drawing and "Schl\\u00fcssel" not in drawing
    german = visible(fetch(live_server, "/explorer/vergleich", indicator="S1").text)
    assert_all(german, ("<h1>Kartenvergleich</h1>", "Legende beider Karten", r"Quantile \(gleich viele",
                        ">Planungsräume<", r"Arbeitslosigkeit \(SGB II\) in %, 31\.12\.2020",
                        '"openProfile": "Quartiersprofil \\\\u00f6ffnen"|"openProfile": "Quartiersprofil öffnen"'),
               ("Map comparison", "Open area profile", ">Planning areas<", "31 Dec"))
