"""No page makes a request to a third-party host: every page of the service (the list the revisit test
walks), opened in Chromium, fetches its scripts, styles, images, fonts and data from the service's own
origin only (data: and blob: URLs stay inside the page). A municipal application must not tell a CDN or a
tile server who reads which page, and must work offline."""

from urllib.parse import urlsplit

import pytest

from tests.test_pages_revisit import PAGES

pytestmark = pytest.mark.browser
INSIDE_THE_PAGE = ("data", "blob", "about")


@pytest.mark.parametrize("path,ready", PAGES, ids=[p for p, _ in PAGES])
def test_a_page_requests_nothing_from_another_origin(browser, live_server, path, ready):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live_server + path, wait_until="load")
    if ready:
        page.wait_for_selector(ready, state="attached", timeout=30_000)
    page.wait_for_load_state("networkidle", timeout=120_000)  # a loaded CI machine: a condition, not a guess
    own = urlsplit(live_server)
    foreign = [url for url in requested if urlsplit(url).scheme not in INSIDE_THE_PAGE
               and (urlsplit(url).scheme, urlsplit(url).netloc) != (own.scheme, own.netloc)]
    assert requested and not foreign, f"{path} asked other hosts: {foreign}"
    context.close()
