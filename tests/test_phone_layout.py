"""Phones: every page lets people pinch-zoom, and the explorer shows its map first and large at 390 px width,
with the controls below it (issue 18, 'Phones and tablets')."""

import pytest

from tests.test_pages_revisit import PAGES

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("path", [p for p, _ in PAGES])
def test_no_page_forbids_zooming(client, path):
    html = client.get(path).text
    assert "user-scalable=no" not in html and "maximum-scale=1" not in html


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/explorer?indicator=S1", "/maps/indices/mss_2021_gesamtindex"])
def test_on_a_phone_the_map_comes_first_and_fills_most_of_the_screen(browser, live_server, artifacts, path):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(live_server + path, wait_until="load")
    page.wait_for_selector("path.leaflet-interactive", state="attached", timeout=60_000)
    box = page.locator(".folium-map").bounding_box()
    assert box["y"] == 0 and box["width"] >= PHONE["width"] - 1, box
    assert box["height"] >= 0.5 * PHONE["height"], box
    panel = page.locator("#panel")
    if panel.count():  # the explorer's controls follow the map instead of squeezing it
        assert panel.bounding_box()["y"] >= box["y"] + box["height"] - 1
        assert panel.bounding_box()["width"] >= PHONE["width"] - 20
    if path.startswith("/explorer"):
        page.screenshot(path=str(artifacts / "explorer_phone.png"))
    context.close()
