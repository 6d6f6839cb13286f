"""English mode (issue 18): `?lang=en`, remembered for the following pages, or a browser that ranks English above
German; German stays the default (no header, German office browsers, ties); every fixed text of a translated page
has its English; caching keeps them apart."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from web.i18n import LOCALE_DIR, _catalogue

PROJECT = Path(__file__).resolve().parent.parent


def test_every_text_the_templates_mark_for_translation_has_its_english():
    from babel.messages.extract import extract_from_dir

    marked = {message for _file, _line, message, _comments, _context in
              extract_from_dir(str(PROJECT / "web" / "templates"), method_map=[("**.html", "jinja2")])
              if isinstance(message, str)}
    # and the texts the pages show from Python (web/explorer.py, web/profiles.py: `_(...)`, `N_(...)`)
    marked |= {message for _file, _line, message, _comments, _context in
               extract_from_dir(str(PROJECT / "web"), method_map=[("**.py", "python")]) if isinstance(message, str)}
    assert len(marked) > 50
    english = _catalogue("en")
    missing = sorted(text for text in marked if not english.get(text))
    assert not missing, f"add these to {LOCALE_DIR}/en/LC_MESSAGES/messages.po: {missing}"


def test_english_on_request_then_remembered_and_german_by_default(live_server):
    html = {"Accept": "text/html"}
    german = httpx.get(f"{live_server}/", headers=html)
    assert '<html lang="de">' in german.text and "Kleinräumiges Sozial- und Integrationsmonitoring" in german.text
    english = httpx.get(f"{live_server}/?lang=en", headers=html)
    assert '<html lang="en">' in english.text and "Small-area social and integration monitoring" in english.text
    assert "Kleinräumiges" not in english.text
    assert "dm_lang=en" in english.headers["set-cookie"]
    assert english.headers["etag"] != german.headers["etag"]
    # the German page's ETag does not revalidate the English page
    assert httpx.get(f"{live_server}/?lang=en", headers={**html, "If-None-Match": german.headers["etag"]}
                     ).status_code == 200
    remembered = httpx.get(f"{live_server}/areas", cookies={"dm_lang": "en"})
    assert "<h1>Area profiles</h1>" in remembered.text
    assert "Cookie" in remembered.headers["vary"]
    back = httpx.get(f"{live_server}/areas?lang=de", cookies={"dm_lang": "en"})
    assert "<h1>Quartiersprofile</h1>" in back.text and "dm_lang=de" in back.headers["set-cookie"]


@pytest.mark.parametrize(("accept_language", "heading"), [
    ("en-US,en;q=0.9", "Area profiles"),  # an English-speaking visitor's browser
    ("en;q=0.9,de;q=0.5", "Area profiles"),
    ("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", "Quartiersprofile"),  # a German office browser
    ("en-US;q=0.5,de-AT", "Quartiersprofile"),
    ("en;q=0.8,de;q=0.8", "Quartiersprofile"),  # a tie: German first
    ("*", "Quartiersprofile"),
    ("fr-FR,fr;q=0.9", "Quartiersprofile"),
    ("en;q=nonsense", "Quartiersprofile"),  # an unreadable q counts as not acceptable
    ("", "Quartiersprofile"),
])
def test_the_browser_language_chooses_the_page_language_unless_the_visitor_chose(live_server, accept_language,
                                                                                  heading):
    page = httpx.get(f"{live_server}/areas", headers={"Accept-Language": accept_language})
    assert f"<h1>{heading}</h1>" in page.text
    assert "Accept-Language" in page.headers["vary"]
    assert "set-cookie" not in page.headers  # only an explicit choice is remembered
    # an explicit choice outranks the browser, either way
    assert "<h1>Quartiersprofile</h1>" in httpx.get(f"{live_server}/areas?lang=de",
                                                    headers={"Accept-Language": "en-US"}).text
    assert "<h1>Quartiersprofile</h1>" in httpx.get(f"{live_server}/areas", cookies={"dm_lang": "de"},
                                                    headers={"Accept-Language": "en-US"}).text
    assert "<h1>Area profiles</h1>" in httpx.get(f"{live_server}/areas", cookies={"dm_lang": "en"},
                                                 headers={"Accept-Language": "de-DE"}).text


def test_english_and_german_browsers_do_not_share_a_revalidated_page(live_server):
    german = httpx.get(f"{live_server}/areas", headers={"Accept-Language": "de-DE"})
    english = httpx.get(f"{live_server}/areas", headers={"Accept-Language": "en-GB",
                                                          "If-None-Match": german.headers["etag"]})
    assert english.status_code == 200 and "<h1>Area profiles</h1>" in english.text


@pytest.mark.browser
def test_a_visitor_whose_browser_speaks_english_gets_english_pages_and_can_switch_to_german(live_server, browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/")
    page.wait_for_selector("html[lang=en]")
    page.get_by_role("link", name="Deutsch").click()
    page.wait_for_selector("html[lang=de]")
    page.reload()  # the explicit choice outlasts the browser's language
    page.wait_for_selector("html[lang=de]")
    context.close()


@pytest.mark.browser
def test_a_visitor_switches_to_english_and_keeps_it_while_browsing(live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="English").click()
    page.wait_for_selector("html[lang=en]")
    page.get_by_role("link", name="Area profiles").first.click()
    page.wait_for_selector("h1:text('Area profiles')")
    page.reload()
    page.wait_for_selector("h1:text('Area profiles')")
    page.go_back()
    page.wait_for_selector("html[lang=en]")
    assert re.search(r"Small-area social", page.content())
    page.get_by_role("link", name="Deutsch").click()
    page.wait_for_selector("html[lang=de]")
    context.close()


def a_profile_path(client) -> str:
    """A real Planungsraum of the demo data, as the area list gives it."""
    first = client.get("/areas", params={"level": "plr", "f": "json"}).json()["areas"][0]
    return first["profile"]


def texts_of(html: str) -> str:
    """The page's visible text and attributes' texts, without the map's data block and the charts' data URIs."""
    html = re.sub(r'<script type="application/json" id="explorer-drawing">.*?</script>', "", html, flags=re.S)
    return re.sub(r'src="data:[^"]*"', "", html)


def test_the_map_explorer_and_the_area_profile_in_english(client):
    explorer = client.get("/explorer", params={"indicator": "S1", "index": "mss_2021_gesamtindex", "lang": "en"},
                          headers={"Accept": "text/html"})
    assert explorer.status_code == 200
    page = texts_of(explorer.text)
    assert '<html lang="en">' in explorer.text
    for english in ("<h1>Map explorer</h1>", "Change since", "Classification", "Quantiles (the same number",
                    "Show map", "Table of all areas", "Copy link", "Boundaries of the boroughs", "Legend",
                    "Skip to the area search", "Special attention needed", '"openProfile": "Open area profile"'):
        assert english in page, english
    for german in ("Kartenexplorer", "Zeitpunkt", "Veränderung seit", "Klassifikation", "Legende", "Karte zeigen",
                   "Tabelle aller Gebiete", "Link kopieren", "Grenzen der", "Zur Gebietssuche springen",
                   "Quantile (gleich", "Dunkler = ungünstiger", "Aufmerksamkeitsbedarf", "Quartiersprofil öffnen",
                   '<span class="en">legend</span>'):
        assert german not in page, german
    drawing = re.search(r'id="explorer-drawing">(.*?)</script>', explorer.text, re.S).group(1)
    assert '"Key"' in drawing and "(1 = highest value)" in drawing and '"Schl\\u00fcssel"' not in drawing
    german_explorer = client.get("/explorer", params={"indicator": "S1", "lang": "de"}).text
    assert '<html lang="de">' in german_explorer and "Kartenexplorer" in german_explorer
    assert "Grenzen der Bezirke" in german_explorer and "Map explorer" not in german_explorer

    path = a_profile_path(client)
    profile = client.get(path, params={"lang": "en"}, headers={"Accept": "text/html"})
    assert profile.status_code == 200
    page = texts_of(profile.text)
    assert '<html lang="en">' in page and "<h1>Area profile: " in page
    for english in ("Planungsraum (planning area)", "Gebietsstand (boundary version)", "Indicators", "Rank",
                    "Percentile", "Index classes", "Notes", "No notes yet.", "Qualitative findings", "Trend",
                    "Location", " of ", "status, "):
        assert english in page, english
    for german in ("Quartiersprofil", "Herunterladen", "Indikatoren", "Perzentil", "Indexklassen", "Notizen",
                   "Noch keine Notizen", "Qualitative Befunde", "gehört zu", "Verlauf", "Lage von",
                   "Wie die Klasse zustande kommt", "Gebiet damals", 'class="en">/'):
        assert german not in page, german
    assert re.search(r"\d+ of \d+", page) and not re.search(r"\d+ von \d+", page), "ranks: 12 of 536"
    german_profile = client.get(path, params={"lang": "de"}).text
    assert "<h1>Quartiersprofil: " in german_profile and "Indexklassen" in german_profile
    assert "Area profile" not in german_profile and "(planning area)" not in german_profile


GERMAN_DATE = re.compile(r"\b\d\d\.\d\d\.(19|20)\d\d\b")
ENGLISH_DATE = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (19|20)\d\d\b")
GERMAN_DECIMAL = re.compile(r"(?<![\d.,])\d{1,3}(\.\d{3})*,\d{1,2}(?![\d.,])")  # 1.234,56
ENGLISH_DECIMAL = re.compile(r"(?<![\d.,])\d{1,3}(,\d{3})*\.\d{1,2}(?![\d.,])")  # 1,234.56


def test_numbers_and_dates_follow_the_page_language(client):
    path = a_profile_path(client)
    english = texts_of(client.get(path, params={"lang": "en"}).text)
    german = texts_of(client.get(path, params={"lang": "de"}).text)
    assert ENGLISH_DATE.search(english) and not GERMAN_DATE.search(english), "31 Dec 2020, not 31.12.2020"
    assert GERMAN_DATE.search(german) and not ENGLISH_DATE.search(german)
    visible = re.sub(r"<[^>]+>", " ", english)
    assert ENGLISH_DECIMAL.search(visible) and not GERMAN_DECIMAL.search(visible), "12.34 %, not 12,34 %"
    assert GERMAN_DECIMAL.search(re.sub(r"<[^>]+>", " ", german))

    explorer = client.get("/explorer", params={"indicator": "S1", "lang": "en"}).text
    drawing = re.search(r'id="explorer-drawing">(.*?)</script>', explorer, re.S).group(1)
    drawn = json.loads(drawing)  # tooltips: numbers, written by the browser in the page's locale
    assert drawn["texts"]["locale"] == "en-GB" and any(isinstance(v, float) for v in drawn["columns"]["wert"])
    assert all(v.startswith("no value") for v in drawn["columns"]["wert"] if isinstance(v, str))
    legend = re.search(r'<section id="legend".*?</section>', explorer, re.S).group(0)
    assert ENGLISH_DECIMAL.search(legend) and not GERMAN_DECIMAL.search(legend), legend
    german_explorer = client.get("/explorer", params={"indicator": "S1", "lang": "de"}).text
    german_legend = re.search(r'<section id="legend".*?</section>', german_explorer, re.S).group(0)
    assert GERMAN_DECIMAL.search(german_legend) and not ENGLISH_DECIMAL.search(german_legend)


@pytest.mark.browser
def test_the_english_explorer_on_a_phone_writes_its_legend_controls_and_popups_in_english(live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server}/explorer?indicator=S1&lang=en", wait_until="load")
    page.wait_for_selector("body[data-map-ready='542']", state="attached", timeout=60_000)
    legend = page.locator("#legend").inner_text()
    assert "Legend" in legend and "no value" in legend and "areas)" in legend and "Darker = less favourable" in legend
    assert "Gebiete" not in legend and "kein Wert" not in legend
    layers = page.locator(".leaflet-control-layers-overlays").inner_text()  # the layer names explorer.js adds
    assert "Boroughs" in layers and "Bezirke" not in layers
    page.locator("#area-table summary").click()  # the table explorer.js fills
    page.wait_for_selector("#area-table tbody tr", state="attached")
    table = page.locator("#area-table").inner_text()
    assert "Key" in table and "Rank" in table and " of 5: " in table and " von " not in table
    page.fill("#search-input", "Stülerstraße")
    page.click("#search-form button")
    popup = page.locator(".leaflet-popup-content", has_text="01100101")
    popup.wait_for(timeout=10_000)
    assert "result" in page.locator("#search-result").inner_text() or "Planning area" in \
        page.locator("#search-result").inner_text()
    text = popup.inner_text()
    assert "Key" in text and "Value" in text and "Open area profile" in text and "Schlüssel" not in text
    popup.get_by_role("link", name="Open area profile").click()  # the profile keeps the language
    page.wait_for_selector("h1:text('Area profile')")
    assert page.locator("html").get_attribute("lang") == "en"
    context.close()
