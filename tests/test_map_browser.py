"""The indicator map, opened in Debian's headless Chromium, draws every Planungsraum and explains it on click."""

import pytest

pytestmark = pytest.mark.browser


def test_map_draws_542_planungsraeume_and_shows_a_popup(browser, live_server, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/maps/indicators/S1?period=2020-12-31", wait_until="load")
    page.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length >= 542", timeout=20_000)
    assert page.locator("path.leaflet-interactive").count() == 542
    legend = page.locator("#legend").inner_text()
    assert "Arbeitslosigkeit" in legend and "kein Wert" in legend
    fills = page.eval_on_selector_all("path.leaflet-interactive", "ps => new Set(ps.map(p => p.getAttribute('fill'))).size")
    assert fills >= 5  # 5 classes (+ missing)
    page.screenshot(path=str(artifacts / "map_s1.png"))
    box = page.locator("path.leaflet-interactive").nth(100).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    assert "Schlüssel" in page.locator(".leaflet-popup-content").inner_text()
    page.close()
