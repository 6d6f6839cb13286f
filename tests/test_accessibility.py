"""Keyboard and screen-reader basics of the map pages in Chromium: the page's language, a skip link, no tab stop
per polygon (areas are reached by search and by the table alternative), and a table of every area instead of
the map."""

import pytest

pytestmark = pytest.mark.browser
FOCUSABLE = ("a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1']), "
             "path.leaflet-interactive:not([tabindex='-1'])")


@pytest.mark.parametrize("path, drawn", [("/explorer?indicator=S1&period=2020-12-31", "body[data-map-ready='542']"),
                                         ("/maps/indices/mss_2021_gesamtindex", "path.leaflet-interactive")])
def test_map_pages_have_a_language_and_no_tab_stop_per_polygon(browser, live_server, path, drawn):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server + path)
    page.wait_for_selector(drawn, state="attached", timeout=30_000)
    assert page.evaluate("document.documentElement.lang") == "de"
    polygons = page.locator("path.leaflet-interactive").count()
    assert polygons >= 542
    assert page.locator(FOCUSABLE).count() < 100, "the polygons are not in the tab order"
    page.close()


def test_the_explorer_has_a_skip_link_and_a_table_of_every_area_in_rank_order(browser, live_server, client):
    twin = client.get("/explorer", params={"indicator": "S1", "period": "2020-12-31", "f": "json"}).json()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/explorer?indicator=S1&period=2020-12-31")
    page.wait_for_selector("body[data-map-ready='542']", state="attached", timeout=30_000)
    pages = []
    page.on("request", lambda r: pages.append(r.url) if "/explorer" in r.url else None)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Zur Gebietssuche springen"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "search-input"
    page.click("#area-table summary")
    rows = page.locator("#area-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == len(twin["areas"])
    best = min((a for a in twin["areas"] if a["rank"] is not None), key=lambda a: a["rank"])
    first = rows.first.locator("td").all_inner_texts()
    assert first[0] == best["name"] and first[1] == best["key"] and first[3] == "1"
    assert rows.first.locator("a").get_attribute("href") == f"/areas/plr/{best['key']}"
    assert pages == [], "the skip link's fragment is not another state (the panel was fetched and swapped)"
    page.close()
