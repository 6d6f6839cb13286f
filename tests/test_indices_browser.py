"""The Gesamtindex and hot-spot maps, opened in Debian's headless Chromium, draw every Planungsraum."""

import pytest

pytestmark = pytest.mark.browser


def test_gesamtindex_map_draws_the_groups_and_outlines_attention_areas(browser, live_server, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/maps/indices/mss_2021_gesamtindex?period=2020-12-31", wait_until="load")
    page.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length >= 542", timeout=20_000)
    paths = page.locator("path.leaflet-interactive")
    assert paths.count() == 542
    fills = page.eval_on_selector_all("path.leaflet-interactive",
                                      "ps => new Set(ps.map(p => p.getAttribute('fill'))).size")
    assert fills == 13  # 12 groups + ohne Zuordnung
    outlined = page.eval_on_selector_all("path.leaflet-interactive",
                                         "ps => ps.filter(p => p.getAttribute('stroke-width') === '2.5').length")
    assert outlined == 129  # Gebiete mit besonderem Aufmerksamkeitsbedarf
    legend = page.locator("#legend").inner_text()
    cell = page.locator('#legend td[title="2+/- Status mittel, Dynamik stabil"]')  # the 4x3 grid's cell
    assert cell.inner_text().split() == ["2+/-", "296"]
    assert "besonderem Aufmerksamkeitsbedarf" in legend and "ohne Zuordnung (6)" in legend
    page.screenshot(path=str(artifacts / "map_gesamtindex.png"))
    page.close()


def test_hotspot_map_draws_clusters_with_a_german_legend(browser, live_server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/maps/hotspots?indicator=S1&period=2020-12-31&permutations=199", wait_until="load")
    page.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length >= 542", timeout=30_000)
    assert page.locator("path.leaflet-interactive").count() == 542
    fills = page.eval_on_selector_all("path.leaflet-interactive",
                                      "ps => Array.from(new Set(ps.map(p => p.getAttribute('fill'))))")
    assert {"#d7191c", "#2c7bb6", "#eeeeee"} <= set(fills)  # High-High, Low-Low, not significant
    legend = page.locator("#legend").inner_text()
    assert "Hot Spot" in legend and "nicht signifikant" in legend and "nicht analysiert (6)" in legend
    page.close()
