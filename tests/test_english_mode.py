"""English mode (issue 18): `?lang=en`, remembered for the following pages; German stays the default (also
for browsers that send Accept-Language: en); every fixed text of a translated page has its English; caching keeps them apart."""

from __future__ import annotations

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
    english_browser = httpx.get(f"{live_server}/areas", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "<h1>Quartiersprofile</h1>" in english_browser.text
    back = httpx.get(f"{live_server}/areas?lang=de", cookies={"dm_lang": "en"})
    assert "<h1>Quartiersprofile</h1>" in back.text and "dm_lang=de" in back.headers["set-cookie"]


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
