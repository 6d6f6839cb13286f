"""Phones: every page lets people pinch-zoom, and the explorer shows its map first and large at 390 px width,
with the controls below it (issue 18, 'Phones and tablets')."""

import re

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
    legend = page.locator("details#legend")  # the index maps' legend (the explorer's has its own panel)
    if legend.count():  # the legend starts folded to its title and covers little of the map; a tap opens it
        folded = legend.bounding_box()
        assert folded["height"] <= 0.12 * PHONE["height"], folded
        legend.locator("summary").tap()
        assert legend.get_attribute("open") is not None
        assert legend.bounding_box()["height"] <= 0.45 * PHONE["height"] + 1
    if path.startswith("/explorer"):
        page.screenshot(path=str(artifacts / "explorer_phone.png"))
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 390, 768, 1280, 1440, 1920, 2560])
def test_the_profile_never_overlaps_its_columns_nor_scrolls_the_page_sideways(browser, live_server, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(live_server + "/areas/plr/01100101", wait_until="load")
    page.wait_for_selector("img.chart", state="attached", timeout=60_000)
    numbers, side = page.locator(".profile .numbers").bounding_box(), page.locator(".profile .context").bounding_box()
    apart = (numbers["x"] + numbers["width"] <= side["x"] + 1) or (numbers["y"] + numbers["height"] <= side["y"] + 1)
    assert apart, f"at {width} px the side column lies over the numbers: {numbers} {side}"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), f"sideways at {width} px"
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 390, 768, 1440])
def test_the_report_never_scrolls_the_page_sideways_its_wide_tables_scroll_in_their_box(browser, live_server, width):
    """On a phone the council member reads the report: the page keeps its width; a table wider than the screen
    scrolls within itself, with every column still there."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(live_server + "/reports", wait_until="load")
    page.get_by_role("link", name=re.compile(r"^Bericht zum")).first.click()  # the newest period's report
    page.wait_for_selector("table.summary", timeout=120_000)
    # the whole page with its style sheets: the table arrives while report.css may still be on its way (2 MB of
    # HTML), and a table laid out without it is wider than a phone (a CI run on a loaded machine saw that)
    page.wait_for_load_state("load", timeout=120_000)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), f"sideways at {width} px"
    columns = page.evaluate("() => [...document.querySelectorAll('table.summary thead th')].length")
    assert columns >= 5  # indicator, city, minimum, median, maximum: none dropped to fit
    context.close()
