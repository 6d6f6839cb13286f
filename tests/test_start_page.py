"""The start page is for people (search, one tile per task) while machines keep the OGC landing page."""

import pytest


def test_people_get_a_start_page_and_machines_the_landing_page(client):
    html = client.get("/", headers={"Accept": "text/html"}).text
    assert 'class="start-search"' in html and html.count('<li><a href="/') >= 4
    start, folded = html.split('<details class="machines">')
    assert "service-desc" not in start and "conformance" not in start, "link relations only in the folded part"
    assert "service-desc" in folded
    landing = client.get("/", headers={"Accept": "application/json"}).json()
    assert {"service-desc", "conformance", "data"} <= {item["rel"] for item in landing["links"]}
    assert not any("mss_2021" in item["href"] for item in landing["links"]), "no link names one municipality's data"


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_a_neighbourhood_team_finds_its_area_by_street_from_the_start_page(browser, live_server, artifacts, width):
    page = browser.new_page(viewport={"width": width, "height": 844 if width < 500 else 900})
    page.goto(live_server + "/")
    page.fill("#start-q", "Karl-Marx-Str. 100")
    page.press("#start-q", "Enter")
    hit = page.locator("#start-hits a").first
    hit.wait_for(timeout=10_000)
    assert "Karl-Marx-Straße 100" in hit.inner_text() and hit.get_attribute("href") == "/areas/plr/08100206"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "no sideways scrolling"
    page.screenshot(path=str(artifacts / f"start_{width}.png"))
    hit.click()
    page.wait_for_url("**/areas/plr/08100206")
    assert "08100206" in page.locator("h1").inner_text() or "08100206" in page.content()
    page.close()
