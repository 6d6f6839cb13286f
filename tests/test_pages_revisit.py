"""Every HTML page survives its second visit: after a reload (a 304 revalidation), back/forward and a reopened
link, with the browser's HTTP cache on, the page keeps its styles, scripts and data, and the browser reports
no Content-Security-Policy violation. Browsers apply a 304's headers to the cached page, so a 304 that
carried another policy than its 200 broke every page on its second visit."""

import pytest

pytestmark = pytest.mark.browser

# (path, a selector that only appears when the page's scripts ran and its data arrived, or None for pages
# without scripts)
PAGES = [
    ("/", None),
    ("/collections?f=html", None),
    ("/collections/plr?f=html", None),
    ("/collections/plr/items?f=html&limit=5", None),
    ("/collections/plr/items/01100101?f=html", None),
    ("/collections/plr/queryables?f=html", None),
    ("/conformance?f=html", None),
    ("/api/indicators?f=html", None),
    ("/api/coverage?f=html", None),
    ("/explorer?indicator=S1", "path.leaflet-interactive"),
    ("/maps/indicators/S1", "path.leaflet-interactive"),
    ("/maps/indices/mss_2021_gesamtindex", "path.leaflet-interactive"),
    ("/maps/hotspots?indicator=S1", "path.leaflet-interactive"),
    ("/maps/supply", "path.leaflet-interactive"),
    ("/areas", None),
    ("/areas/plr/01100101", "img.chart"),
    ("/reports", None),
    ("/integration", None),
    ("/api/docs", "#swagger-ui .opblock"),  # Swagger UI ran and rendered the operations of the OpenAPI document
]
# Registered before any script of a page runs (not subject to the page's policy): collects violations.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
    e => window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
"""
STYLED = """() => [...document.styleSheets].some(s => {
    try { return s.href && s.href.endsWith('/static/site.css') && s.cssRules.length > 0; } catch (e) { return false; }
})"""


def raw_statuses(context, page) -> list[tuple[str, int]]:
    """(URL, status) of every response as it came off the wire (Playwright's responses show a revalidated
    page as 200; the DevTools protocol's extra info has the real 304)."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls: dict[str, str] = {}
    statuses: list[tuple[str, int]] = []
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.responseReceivedExtraInfo",
           lambda e: statuses.append((urls.get(e["requestId"], ""), e["statusCode"])))
    return statuses


def assert_page_intact(page, path: str, ready: str | None, visit: str) -> None:
    if ready:
        page.wait_for_selector(ready, state="attached", timeout=30_000)
    assert page.evaluate("window.__violations") == [], f"{path} ({visit}): CSP violations"
    if page.locator("link[href='/static/site.css']").count():
        assert page.evaluate(STYLED), f"{path} ({visit}): site.css not applied"
    lazy = page.locator("img[loading=lazy]")  # a profile's charts load as the reader scrolls to them
    for i in range(lazy.count()):
        lazy.nth(i).scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=30_000)
    broken = page.evaluate("[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length")
    assert broken == 0, f"{path} ({visit}): {broken} images (charts, map images) not shown"
    if page.locator("script[src*='leaflet.js']").count():
        assert page.evaluate("typeof window.L === 'object'"), f"{path} ({visit}): Leaflet did not run"


@pytest.mark.parametrize("path,ready", PAGES, ids=[p for p, _ in PAGES])
def test_a_page_keeps_styles_scripts_and_data_on_reload_back_and_reopening(browser, live_server, path, ready):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    statuses = raw_statuses(context, page)

    first = page.goto(live_server + path, wait_until="load", timeout=180_000)  # a first hot-spot map compiles ~25 s
    assert first.status == 200
    policy = first.header_value("content-security-policy")
    assert policy and "script-src 'self'" in policy, f"{path}: a page needs its own policy, got {policy!r}"
    assert_page_intact(page, path, ready, "first visit")

    target = page.url  # after redirects
    page.reload(wait_until="load")
    assert (target, 304) in statuses, f"{path}: the reload was not revalidated (caching off?): {statuses}"
    assert_page_intact(page, path, ready, "reload")

    page.goto(live_server + "/", wait_until="load")
    page.go_back(wait_until="load")
    assert_page_intact(page, path, ready, "back")
    page.go_forward(wait_until="load")
    page.go_back(wait_until="load")
    assert_page_intact(page, path, ready, "back after forward")

    reopened = context.new_page()
    reopened.goto(live_server + path, wait_until="load")
    assert_page_intact(reopened, path, ready, "reopened")
    context.close()


def test_a_304_repeats_the_policy_of_its_200(client):
    first = client.get("/explorer?indicator=S1")
    again = client.get("/explorer?indicator=S1", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    data = client.get("/collections/plr/items?limit=1", headers={"Accept": "application/geo+json"})
    data_again = client.get("/collections/plr/items?limit=1",
                            headers={"Accept": "application/geo+json", "If-None-Match": data.headers["etag"]})
    assert data_again.status_code == 304
    assert data_again.headers["content-security-policy"] == data.headers["content-security-policy"]
    assert data.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_page_policy_allows_its_own_inline_scripts_and_nothing_from_other_hosts(client):
    page = client.get("/maps/indicators/S1")
    policy = page.headers["content-security-policy"]
    assert "'sha256-" in policy  # Folium's inline map script, by hash
    assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy
    assert "http" not in policy  # no third-party host (no background tiles configured)
    assert "frame-ancestors 'self'" in policy and "object-src 'none'" in policy


def test_a_page_policy_hashes_exactly_the_inline_scripts_an_html_parser_finds(client):
    """The policy's script hashes are those of every inline script of the page, read by Python's HTML parser
    (independent of the scan service.middleware does), and of nothing else: external scripts carry none."""
    import base64
    import hashlib
    from html.parser import HTMLParser

    class Scripts(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=False)
            self.inline, self.external, self._open = [], 0, None

        def handle_starttag(self, tag, attrs):
            if tag == "script":
                if dict(attrs).get("src"):
                    self.external += 1
                else:
                    self._open = []

        def handle_data(self, data):
            if self._open is not None:
                self._open.append(data)

        def handle_endtag(self, tag):
            if tag == "script" and self._open is not None:
                self.inline.append("".join(self._open))
                self._open = None

    pages = (("/explorer?indicator=S1", True), ("/maps/indicators/S1", True), ("/areas/plr/01100101", False))
    for path, inline in pages:
        page = client.get(path)
        parser = Scripts()
        parser.feed(page.text)
        assert bool(parser.inline) == inline and parser.external, path
        wanted = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
                  for s in parser.inline}
        script_src = next(part for part in page.headers["content-security-policy"].split("; ")
                          if part.startswith("script-src "))
        assert set(script_src.split()[1:]) == {"'self'"} | wanted, path
