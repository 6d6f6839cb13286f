"""The pages in Debian's headless Chromium: the explorer draws every Planungsraum, recolours on a new
indicator, explains an area on click and finds areas by name; the profile shows its chart; screenshots
of each page go to docs/screenshots for the README."""

import pytest

pytestmark = pytest.mark.browser
POLYGONS = "path.leaflet-interactive"


def fills(page) -> list[str]:
    return page.eval_on_selector_all(POLYGONS, "ps => ps.map(p => p.getAttribute('fill'))")


def open_explorer(browser, url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url, wait_until="load")
    page.wait_for_function(f"document.querySelectorAll('{POLYGONS}').length >= 542", timeout=20_000)
    return page


def test_the_explorer_draws_542_planungsraeume_and_recolours_when_the_indicator_changes(browser, live_server,
                                                                                        artifacts):
    page = open_explorer(browser, f"{live_server}/explorer?indicator=S1&period=2020-12-31")
    assert page.locator(POLYGONS).count() == 542
    legend = page.locator("#legend").inner_text()
    assert "Arbeitslosigkeit" in legend and "kein Wert" in legend and "Gebiete" in legend
    before = fills(page)
    assert len(set(before)) >= 6  # 5 classes + missing
    page.screenshot(path=str(artifacts / "explorer_s1.png"))
    page.screenshot(path=str(artifacts / "map_s1.png"))
    with page.expect_navigation():
        page.select_option("select[name=indicator]", "KI_16")
    page.wait_for_function(f"document.querySelectorAll('{POLYGONS}').length >= 542", timeout=20_000)
    assert "indicator=KI_16" in page.url  # the state is in the shareable URL
    after = fills(page)
    assert len(after) == 542
    assert sum(1 for a, b in zip(before, after) if a != b) > 100
    page.close()


def test_a_click_on_a_polygon_shows_name_key_value_rank_and_class(browser, live_server):
    page = open_explorer(browser, f"{live_server}/explorer?indicator=S3")
    box = page.locator(POLYGONS).nth(100).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    popup = page.locator(".leaflet-popup-content").inner_text()
    for label in ("Name", "Schlüssel", "Wert", "Rang", "Klasse", "Quartiersprofil öffnen"):
        assert label in popup, label
    page.close()


def test_the_search_box_finds_an_area_by_name_and_opens_it(browser, live_server):
    page = open_explorer(browser, f"{live_server}/explorer?indicator=S1")
    page.fill("#search-input", "Stülerstraße")
    page.click("#search-form button")
    page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    assert "01100101" in page.locator(".leaflet-popup-content").inner_text()
    page.close()


def test_a_change_map_with_attention_areas(browser, live_server, artifacts):
    page = open_explorer(browser, f"{live_server}/explorer?indicator=S1&period=2020-12-31&compare=2018-12-31"
                                  "&index=mss_2021_gesamtindex")
    assert "Veränderung" in page.locator("#map-title").inner_text()
    page.screenshot(path=str(artifacts / "explorer_change.png"))
    page.close()


def test_the_profile_page_shows_its_chart_and_locator(browser, live_server, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(f"{live_server}/areas/plr/01100101", wait_until="load")
    chart = page.locator("img.chart").first
    chart.wait_for(state="visible")
    assert page.evaluate("img => img.complete && img.naturalWidth > 100", chart.element_handle())
    assert page.locator(".locator img").count() == 1
    page.screenshot(path=str(artifacts / "profile_01100101.png"))
    page.close()


def test_the_report_and_the_area_list_render(browser, live_server, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(f"{live_server}/reports/2020-12-31", wait_until="load")
    assert page.locator("table.maps img").count() >= 10
    page.screenshot(path=str(artifacts / "report_2020.png"))
    page.goto(f"{live_server}/areas?level=bez", wait_until="load")
    assert page.locator(".area-list li").count() == 12
    page.screenshot(path=str(artifacts / "areas_bez.png"))
    page.close()
