"""The tasks of two user groups walked end to end in Debian's Chromium, at desktop and at phone width, as the
people would do them (issue 18): a planner finds child poverty, compares 2018 with 2020 and exports the map; the
integration office opens the report and prints it. The neighbourhood team's walk (street -> profile -> note) and
the statistics office's (upload -> dry run -> import) are in tests/test_start_page.py and tests/test_signin.py.
The screenshots go to docs/screenshots (README)."""

from __future__ import annotations

import subprocess

import pytest

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}


def drawn(page, wanted: str) -> None:
    """Wait until explorer.js has drawn a state whose address contains `wanted` (it sets data-map-state)."""
    page.wait_for_selector(f"body[data-map-state*='{wanted}']", state="attached", timeout=60_000)


def pdf_text(data: bytes, tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def no_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("device", list(WIDTHS))
def test_a_planner_finds_child_poverty_compares_2018_with_2020_and_exports_the_map(
        browser, live_server, artifacts, tmp_path, device):
    width, height = WIDTHS[device]
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Karte").first.click()
    page.wait_for_selector("body[data-map-ready]", state="attached", timeout=60_000)
    # child poverty is "Kinderarmut" in the catalogue; the planner picks it by its name
    option = page.locator("select[name=indicator] option", has_text="Kinderarmut").first
    page.select_option("select[name=indicator]", option.get_attribute("value"))
    drawn(page, f"indicator={option.get_attribute('value')}")
    page.select_option("select[name=period]", "2020-12-31")
    drawn(page, "period=2020-12-31")
    page.select_option("select[name=compare]", "2018-12-31")
    drawn(page, "compare=2018-12-31")
    legend = page.locator("#legend").inner_text()
    assert "Kinderarmut" in legend and "31.12.2018" in legend and "31.12.2020" in legend, legend
    assert page.locator("path.leaflet-interactive").count() > 400
    assert no_sideways_scrolling(page)
    page.screenshot(path=str(artifacts / f"task_planner_{device}.png"))

    with page.expect_download() as png_download:
        page.click("#export-png")
    png = open(png_download.value.path(), "rb").read()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000
    with page.expect_download() as pdf_download:
        page.click("#export-pdf")
    sheet = pdf_text(open(pdf_download.value.path(), "rb").read(), tmp_path, "map.pdf")
    assert "Kinderarmut" in sheet and "31.12.2018" in sheet and "31.12.2020" in sheet, sheet[:500]

    page.reload()  # the state survives a reload, as the link that was exported says
    drawn(page, "compare=2018-12-31")
    assert page.locator("select[name=compare]").input_value() == "2018-12-31"
    context.close()


@pytest.mark.parametrize("device", list(WIDTHS))
def test_the_integration_office_opens_the_report_and_prints_it(browser, live_server, artifacts, tmp_path, device):
    width, height = WIDTHS[device]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Berichte").first.click()
    page.get_by_role("link", name="Bericht zum 31.12.2020").click()
    # the report is computed from the data when it is opened (seconds; more on a loaded machine)
    page.wait_for_selector("h1", timeout=120_000)
    assert "31.12.2020" in page.locator("h1").inner_text()
    assert no_sideways_scrolling(page)
    page.screenshot(path=str(artifacts / f"task_report_{device}.png"))
    page.emulate_media(media="print")  # what the browser's print dialog lays out
    printed = page.pdf(format="A4", print_background=True)
    text = pdf_text(printed, tmp_path, "report.pdf")
    pages = text.count("\f")
    assert pages >= 5, f"{pages} printed pages"
    assert "31.12.2020" in text.split("\f")[0], "the first printed page names the report's date"
    assert page.locator("header.site").evaluate("e => getComputedStyle(e).display") == "none", \
        "the site's navigation is not printed"
    context.close()
