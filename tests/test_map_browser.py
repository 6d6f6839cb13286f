"""The pages in Debian's headless Chromium: the explorer draws every Planungsraum, recolours on a new
indicator, explains an area on click and finds areas by name; the profile shows its chart; screenshots
of each page go to docs/screenshots for the README."""

import re

import httpx
import pytest

pytestmark = pytest.mark.browser
POLYGONS = "path.leaflet-interactive"


def fills(page) -> list[str]:
    return page.eval_on_selector_all(POLYGONS, "ps => ps.map(p => p.getAttribute('fill'))")


def open_explorer(browser, url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url, wait_until="load")
    page.wait_for_selector("body[data-map-ready='542']", state="attached", timeout=20_000)
    return page


def drawn(page, wanted: str) -> None:
    """Wait until explorer.js has drawn a state whose geometry URL or address contains `wanted` (it sets
    data-map-state when the map is drawn; a selector, since the pages' policy forbids evaluating strings)."""
    page.wait_for_selector(f"body[data-map-state*='{wanted}']", state="attached", timeout=20_000)


def test_the_explorer_draws_542_planungsraeume_and_recolours_in_place_when_the_indicator_changes(
        browser, live_server, artifacts):
    page = open_explorer(browser, f"{live_server}/explorer?indicator=S1&period=2020-12-31")
    shapes, pages = [], []
    page.on("request", lambda r: (shapes if "/maps/geometry/" in r.url else pages).append(r.url))
    assert page.locator(POLYGONS).count() == 542
    legend = page.locator("#legend").inner_text()
    assert "Arbeitslosigkeit" in legend and "kein Wert" in legend and "Gebiete" in legend
    before = fills(page)
    assert len(set(before)) >= 6  # 5 classes + missing
    page.screenshot(path=str(artifacts / "explorer_s1.png"))
    page.screenshot(path=str(artifacts / "map_s1.png"))
    page.evaluate("document.querySelector('.folium-map').dataset.untouched = 'yes'")
    page.select_option("select[name=indicator]", "KI_16")
    drawn(page, "indicator=KI_16")
    assert "indicator=KI_16" in page.url  # the state is in the shareable URL
    assert page.locator("#legend").inner_text() != legend and "KI_16" in page.locator("#panel").inner_text()
    after = fills(page)
    assert len(after) == 542
    assert sum(1 for a, b in zip(before, after) if a != b) > 100
    assert page.evaluate("document.querySelector('.folium-map').dataset.untouched") == "yes", \
        "the map stays; only the panel and the colours change"
    assert shapes == [], "the shapes of the level are not loaded again for another indicator"
    assert len(pages) == 1
    page.go_back()  # the browser's back button returns to S1, drawn as before
    drawn(page, "indicator=S1")
    assert page.locator("select[name=indicator]").input_value() == "S1"
    assert fills(page) == before
    page.go_forward()
    drawn(page, "indicator=KI_16")
    assert fills(page) == after
    page.reload()
    page.wait_for_selector("body[data-map-ready='542']", state="attached", timeout=20_000)
    assert page.locator("select[name=indicator]").input_value() == "KI_16" and fills(page) == after
    page.close()


def test_a_new_level_loads_its_shapes_and_back_returns_to_the_finer_one(browser, live_server):
    page = open_explorer(browser, f"{live_server}/explorer?indicator=S1&period=2020-12-31")
    page.select_option("select[name=level]", "bzr")
    drawn(page, "/maps/geometry/bzr?")
    assert page.locator(POLYGONS).count() == 143 and "Bezirksregionen" in page.locator("#panel").inner_text()
    page.go_back()
    drawn(page, "/maps/geometry/plr?")
    assert page.locator(POLYGONS).count() == 542
    page.close()


def test_the_map_extent_is_in_the_link_and_survives_a_reload_and_a_change(browser, live_server):
    page = open_explorer(browser, f"{live_server}/explorer?indicator=S1&period=2020-12-31")
    assert "#map=" not in page.url
    page.click(".leaflet-control-zoom-in")  # zoom in, as a user does; the address follows when the zoom ends
    page.wait_for_url("**#map=*", timeout=10_000)
    zoomed = page.url.split("#map=")[1]
    assert float(zoomed.split(",")[2]) > 10
    page.reload()
    page.wait_for_selector("body[data-map-ready='542']", state="attached", timeout=20_000)
    assert page.url.split("#map=")[1].split(",")[2] == zoomed.split(",")[2], "a reload keeps the zoom"
    page.select_option("select[name=indicator]", "S3")
    drawn(page, "indicator=S3")
    assert "indicator=S3" in page.url
    assert page.url.split("#map=")[1].split(",")[2] == zoomed.split(",")[2], "a new indicator keeps the extent"
    page.click("#copy-link")  # copied, or (no clipboard on plain http) shown to copy by hand
    page.locator("#copy-result", has_text=re.compile("#map=|kopiert")).wait_for(timeout=5_000)
    page.close()


def test_a_click_drills_down_to_the_finer_level_and_the_timeline_moves_the_period(browser, live_server, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/explorer?indicator=S1&level=bez&period=2020-12-31", wait_until="load")
    page.wait_for_selector("body[data-map-ready='12']", state="attached", timeout=20_000)
    box = page.locator(POLYGONS).nth(3).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    page.click("text=Prognoseräume darin zeigen")
    drawn(page, "/maps/geometry/pgr?")
    assert "level=pgr" in page.url and "#map=" in page.url
    assert page.locator("select[name=level]").input_value() == "pgr"
    assert page.locator(POLYGONS).count() == 58
    page.screenshot(path=str(artifacts / "explorer_drilled.png"))
    periods = page.locator("select[name=period] option").evaluate_all("options => options.map(o => o.value)")
    oldest = min(periods)
    assert oldest < "2020-12-31"
    page.locator("#period-slider").fill("0")  # the oldest period: the slider runs oldest -> newest
    drawn(page, f"period={oldest}")
    assert page.locator("select[name=period]").input_value() == oldest
    year, month, day = oldest.split("-")
    assert f"{day}.{month}.{year}" in page.locator("#map-title").inner_text()
    page.go_back()
    drawn(page, "period=2020-12-31")
    page.go_back()
    drawn(page, "/maps/geometry/bez?")
    assert page.locator(POLYGONS).count() == 12
    page.close()


def test_a_click_on_a_polygon_shows_name_key_value_rank_and_class(browser, live_server):
    page = open_explorer(browser, f"{live_server}/explorer?indicator=S3")
    box = page.locator(POLYGONS).nth(100).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    popup = page.locator(".leaflet-popup-content").inner_text()
    for label in ("Name", "Schlüssel", "Wert", "Rang", "Klasse", "Quartiersprofil öffnen"):
        assert label in popup, label
    # the drawing names the unit once; the popup shows it with the value (or says why there is none)
    assert re.search(r"\d %", popup) or "kein Wert" in popup, popup
    page.close()


def test_the_search_box_finds_an_area_by_name_and_opens_it(browser, live_server):
    page = open_explorer(browser, f"{live_server}/explorer?indicator=S1")
    page.fill("#search-input", "Stülerstraße")
    page.click("#search-form button")
    page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    assert "01100101" in page.locator(".leaflet-popup-content").inner_text()
    page.close()


def test_the_search_covers_every_level_lists_its_hits_and_outlines_the_one_shown(browser, live_server, client):
    hits = client.get("/api/search", params={"q": "Neukölln"}).json()["hits"]
    assert hits[0]["level"] == "bez" and hits[0]["exact"], "the coarser exact match first"
    page = open_explorer(browser, f"{live_server}/explorer?indicator=S1&period=2020-12-31")
    page.fill("#search-input", "Neukölln")
    page.click("#search-form button")
    drawn(page, "/maps/geometry/bez?")  # the hit is a Bezirk: the map switches to Bezirke, zoomed to it
    page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    assert "Neukölln" in page.locator(".leaflet-popup-content").inner_text()
    listed = page.locator("#search-hits button").all_inner_texts()
    assert len(listed) == len(hits) and listed[0].startswith("Neukölln – ")
    widths = page.eval_on_selector_all(POLYGONS, "ps => ps.map(p => p.getAttribute('stroke-width'))")
    assert widths.count("4") == 1, "the hit is outlined"
    page.locator("#search-hits button").nth(1).click()  # another hit from the list
    page.wait_for_selector(f"body[data-map-state*='/maps/geometry/{hits[1]['level']}?']", state="attached")
    shown = page.locator(".leaflet-popup-content", has_text=hits[1]["key"])  # the old popup may still fade out
    shown.wait_for(timeout=5_000)
    assert hits[1]["name"] in shown.inner_text()
    page.fill("#search-input", "Karl-Marx-Str. 100")  # an address: its Planungsraum, as a neighbourhood team asks
    page.click("#search-form button")
    drawn(page, "/maps/geometry/plr?")
    found = page.locator(".leaflet-popup-content", has_text="08100206")
    found.wait_for(timeout=5_000)
    assert "Karl-Marx-Straße 100" in page.locator("#search-result").inner_text()
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
    chart.scroll_into_view_if_needed()  # the charts load as they come into view
    page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=chart.element_handle(),
                           timeout=30_000)
    assert page.locator(".locator img").count() == 1
    page.screenshot(path=str(artifacts / "profile_01100101.png"))
    # the inhabitants since 2012: estimates for today's boundaries before 2021, dotted, then the published values
    series = page.locator("#ind-EW ~ tr.chart img").first
    series.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=series.element_handle(),
                           timeout=30_000)
    assert page.locator("#ind-EW ~ tr.older .estimated").count() > 0
    page.evaluate("img => img.scrollIntoView({block: 'end'})", series.element_handle())  # the chart, rows above it
    page.screenshot(path=str(artifacts / "profile_series.png"))
    page.close()


def test_the_report_and_the_area_list_render(browser, live_server, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(f"{live_server}/reports/2020-12-31", wait_until="load")
    assert page.locator("table.map-grid td.small-map svg").count() >= 10  # vector maps, one per indicator
    page.screenshot(path=str(artifacts / "report_2020.png"))
    page.goto(f"{live_server}/areas?level=bez", wait_until="load")
    assert page.locator(".area-list li").count() == 12
    page.screenshot(path=str(artifacts / "areas_bez.png"))
    page.close()


def test_a_level_with_thousands_of_areas_is_drawn_on_a_canvas_with_the_same_details(browser, live_server,
                                                                                 monkeypatch):
    """From CANVAS_FROM areas (the 10,997 Gemeinden) the explorer draws on one canvas instead of one SVG path per
    area; forced here for the 542 Planungsräume: every area drawn, hover shows the tooltip, a click the popup."""
    from web import explorer

    from indicators.notation import format_number
    from web.values import decimals_for

    monkeypatch.setattr(explorer, "CANVAS_FROM", 100)
    for lang, key_label in (("de", "Schlüssel"), ("en", "Key")):
        url = f"/explorer?indicator=S4&scheme=equal_interval&k=8&lang={lang}"
        twin = httpx.get(f"{live_server}{url}&f=json", timeout=60).json()
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(live_server + url, wait_until="load")
        page.wait_for_selector("body[data-map-ready='542']", state="attached", timeout=60_000)
        assert page.locator(POLYGONS).count() == 0 and page.locator(".leaflet-overlay-pane canvas").count() >= 1
        box = page.locator(".folium-map").first.bounding_box()
        x, y = box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.5
        page.mouse.move(x, y)
        page.mouse.move(x + 2, y + 2)
        tooltip = page.locator(".leaflet-tooltip")
        tooltip.wait_for(timeout=10_000)
        rows = dict(line.split("\t", 1) for line in tooltip.inner_text().splitlines() if "\t" in line)
        # the value as the server would write it in the page's language (the browser writes it: maps.js)
        area = next(a for a in twin["areas"] if a["key"] == rows[key_label].strip())
        unit = twin["indicator"]["unit"]
        assert area["value"] is not None
        assert format_number(area["value"], decimals_for(unit), lang) + " " + unit in tooltip.inner_text()
        page.mouse.click(x + 2, y + 2)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=10_000)
        assert key_label in popup.inner_text()
        assert lang == "en" or "Kinderarmut" in page.locator("#legend").inner_text()
        page.close()


# every map state the page draws, in order (explorer.js sets data-map-state once a state is drawn)
STATES_SEEN = """(() => { window.__states = []; new MutationObserver(() => {
  const state = document.body.getAttribute('data-map-state');
  if (state && window.__states[window.__states.length - 1] !== state) { window.__states.push(state); }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-map-state']}); })();"""


def test_the_timeline_plays_every_period_in_order_and_back_returns_to_where_it_started(browser, live_server):
    """The play button steps from the period on screen to the newest, drawing each map in chronological order,
    and stops there; the whole play is one history entry, so back returns to the view before it. From the
    newest it starts at the oldest, and a change of another control stops it at once."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(STATES_SEEN)
    page.goto(f"{live_server}/explorer?indicator=EW_MH&level=plr", wait_until="load")
    page.wait_for_selector("body[data-map-ready='542']", state="attached", timeout=20_000)
    periods = page.locator("select[name=period] option").evaluate_all("options => options.map(o => o.value)")
    assert len(periods) >= 4 and periods == sorted(periods, reverse=True)  # newest first, the newest shown
    page.select_option("select[name=period]", periods[3])
    drawn(page, f"period={periods[3]}")
    before = page.url
    assert page.locator("#play").inner_text() == "▶ Zeitreihe abspielen"
    page.click("#play")
    page.wait_for_selector("body[data-playing='false']", state="attached", timeout=60_000)
    drawn(page, f"period={periods[0]}")
    states = page.evaluate("() => window.__states")
    played = [found.group(1) for found in (re.search(r"period=([0-9-]+)", s) for s in states) if found]
    assert played == [periods[3], periods[2], periods[1], periods[0]], states
    assert page.locator("#play").get_attribute("aria-pressed") == "false"
    page.go_back()
    drawn(page, f"period={periods[3]}")
    assert page.url == before

    page.go_forward()
    drawn(page, f"period={periods[0]}")
    page.click("#play")  # from the newest: the oldest first
    drawn(page, f"period={periods[-1]}")
    page.select_option("select[name=scheme]", "equal_interval")  # another control stops the play
    assert page.get_attribute("body", "data-playing") == "false"
    drawn(page, "scheme=equal_interval")
    assert page.locator("#play").inner_text() == "▶ Zeitreihe abspielen"
    page.close()


def test_another_indicator_at_a_date_it_lacks_shows_its_nearest_period_not_a_dead_end(browser, live_server):
    """Chosen at 30.06.2021 (population), the MSS indicator S1 has no values then: the map shows its nearest
    period, says so, and the address names the period shown (a reload shows it without the notice)."""
    page = open_explorer(browser, f"{live_server}/explorer?indicator=EW_MH&level=plr&period=2021-06-30")
    page.select_option("select[name=indicator]", "S1")
    drawn(page, "indicator=S1")
    assert "period=2020-12-31" in page.url and "nearest" not in page.url
    assert page.locator(".notice", has_text="die Karte zeigt den nächsten Zeitpunkt, 31.12.2020").count() == 1
    assert page.locator("select[name=period]").input_value() == "2020-12-31"
    page.reload(wait_until="load")
    page.wait_for_selector("body[data-map-ready='542']", state="attached", timeout=20_000)
    assert page.locator(".notice", has_text="keine Werte").count() == 0
    page.close()
