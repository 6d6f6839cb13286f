"""No page makes a request to a third-party host: every page of the service (the list the revisit test
walks), opened in Chromium, fetches its scripts, styles, images, fonts and data from the service's own
origin only (data: and blob: URLs stay inside the page). A municipal application must not tell a CDN or a
tile server who reads which page, and must work offline."""

import time
from urllib.parse import urlsplit

import pytest

from tests.test_pages_revisit import PAGES

pytestmark = pytest.mark.browser
INSIDE_THE_PAGE = ("data", "blob", "about")


@pytest.mark.parametrize("path,ready", PAGES, ids=[p for p, _ in PAGES])
def test_a_page_requests_nothing_from_another_origin(browser, live_server, path, ready):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list = []
    settled: set[int] = set()
    page.on("request", lambda request: requests.append(request))
    page.on("requestfinished", lambda request: settled.add(id(request)))
    page.on("requestfailed", lambda request: settled.add(id(request)))
    page.goto(live_server + path, wait_until="load")
    if ready:
        page.wait_for_selector(ready, state="attached", timeout=30_000)
    # Every request the page made has settled: a condition, not "network idle for 500 ms" (which a loaded
    # machine with a slow answer in flight may never see). Events arrive while Playwright is called.
    deadline = time.monotonic() + 120
    while unsettled := [r.url for r in requests if id(r) not in settled]:
        assert time.monotonic() < deadline, f"{path}: requests never settled: {unsettled}"
        page.wait_for_timeout(100)
    requested = [r.url for r in requests]
    own = urlsplit(live_server)
    foreign = [url for url in requested if urlsplit(url).scheme not in INSIDE_THE_PAGE
               and (urlsplit(url).scheme, urlsplit(url).netloc) != (own.scheme, own.netloc)]
    assert requested and not foreign, f"{path} asked other hosts: {foreign}"
    context.close()
