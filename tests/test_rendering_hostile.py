"""Names are text, wherever they are shown: on a private copy of the demo whose area, facility, indicator, level
and index names and exclusion reasons are markup and script (as a delivery or a careless definition could
make them), every page, opened in Chromium and with every tooltip and popup of its maps opened by the mouse
and through Leaflet, runs none of it, shows each name literally, and the page's Content-Security-Policy
never has to block anything (a blocked attempt is a violation, and counts as a failure)."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from tests.conftest import private_engine, serving
from tests.test_pages_revisit import PAGES, WATCH_VIOLATIONS

pytestmark = pytest.mark.browser

AREA_NAMES = [
    '<img src=x onerror="window.__pwned=1">',
    "</script><script>window.__pwned=2</script>",
    '"><svg onload="window.__pwned=3">',
    "O'Brien \"Zitat\" \\Back\\slash\\ `${window.__pwned=4}`",
    "<!--<script>window.__pwned=5</script>\u2028Zeile\u2029Absatz",
]
INDICATOR_NAME = '<img src=x onerror="window.__pwned=6"> Arbeitslosigkeit'
LEVEL_PLURAL = '<svg onload="window.__pwned=7">Bezirke</svg>'
EXCLUSION_REASON = '<img src=x onerror="window.__pwned=8"> ausgeschlossen'
INDEX_NAME = "</script><script>window.__pwned=9</script>Gesamtindex"
MAP_PAGES = [
    "/explorer?indicator=S1",
    "/explorer?indicator=S1&period=2020-12-31&compare=2018-12-31&index=mss_2021_gesamtindex",
    "/maps/indices/mss_2021_gesamtindex",
    "/maps/hotspots?indicator=S1&permutations=99",
    "/maps/supply",
    "/maps/indicators/S1",
]
# The pages of PAGES without a map of MAP_PAGES (those are checked name by name above; the hot-spot map there
# with 99 permutations, the same page and data path as with the default 999).
OTHER_PAGES = [(path, ready) for path, ready in PAGES
               if path not in MAP_PAGES and not path.startswith("/maps/hotspots?indicator=S1")]
# Opens the tooltip and the popup of features of every Leaflet map on the page (all polygons, the first 60
# points of each map) and returns their text.
OPEN_EVERY_DETAIL = """() => {
    const texts = [];
    for (const map of Object.values(window).filter(v => v instanceof L.Map)) {
        let points = 0;
        map.eachLayer(layer => {
            if (!layer.feature || (layer.feature.geometry.type === 'Point' && ++points > 60)) return;
            for (const [get, open, close] of [['getTooltip', 'openTooltip', 'closeTooltip'],
                                              ['getPopup', 'openPopup', 'closePopup']]) {
                if (!layer[get] || !layer[get]()) continue;
                layer[open]();
                const element = layer[get]().getElement();
                if (element) texts.push(element.textContent);
                layer[close]();
            }
        });
    }
    return texts;
}"""
INJECTED = "[...document.querySelectorAll('[onerror], [onload], img[src=\"x\"]')].length"


@pytest.fixture(scope="module")
def hostile_server(pg_server, demo_template):
    with private_engine(pg_server, demo_template, prefix="dm_test_hostile") as engine:
        with engine.begin() as conn:
            conn.execute(sa.text("""
                UPDATE area SET name = (CAST(:names AS text[]))[1 + (id % 5)::int] || ' #' || key"""),
                         {"names": AREA_NAMES})
            conn.execute(sa.text("UPDATE point_feature SET name = (CAST(:names AS text[]))[1 + (id % 5)::int]"),
                         {"names": AREA_NAMES})
            conn.execute(sa.text("UPDATE indicator SET name_de = :name WHERE code = 'S1'"), {"name": INDICATOR_NAME})
            conn.execute(sa.text("UPDATE area_level SET plural_de = :name WHERE code = 'bez'"), {"name": LEVEL_PLURAL})
            conn.execute(sa.text("UPDATE index_result SET reason = :reason WHERE NOT participating"),
                         {"reason": EXCLUSION_REASON})
            conn.execute(sa.text("UPDATE index_definition SET name_de = :name WHERE id = 'mss_2021_gesamtindex'"),
                         {"name": INDEX_NAME})
            # The process keeps simplified geometry (with names) per data_version; another test's database
            # copy must never share this one's number.
            conn.execute(sa.text("UPDATE dm_setting SET value = :version WHERE key = 'data_version'"),
                         {"version": str(random.randrange(10**12, 10**13))})
        with serving(engine, rate_limit_per_minute=0) as url:
            yield url


def open_page(browser, url: str, ready: str | None):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # the first hot-spot map of a test process compiles the cluster analysis (~25 s alone, more on a loaded
    # machine; the service warms it up at start, the tests do not): the load is waited for, not timed
    page.goto(url, wait_until="load", timeout=180_000)
    if ready:
        page.wait_for_selector(ready, state="attached", timeout=30_000)
    return context, page, dialogs


def assert_nothing_ran(page, dialogs: list[str], where: str) -> None:
    assert page.evaluate("window.__pwned") is None, f"{where}: an injected script ran"
    assert page.evaluate("window.__violations") == [], f"{where}: the policy had to block injected code"
    assert page.evaluate(INJECTED) == 0, f"{where}: markup from a name became elements"
    assert dialogs == [], f"{where}: dialogs {dialogs}"


def mouse_over_and_click_the_map(page) -> None:
    box = page.locator(".folium-map").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.move(x + 3, y + 3)
    page.mouse.click(x + 3, y + 3)


@pytest.mark.parametrize("path", MAP_PAGES)
def test_every_tooltip_and_popup_of_a_map_shows_hostile_names_as_text(browser, hostile_server, path):
    context, page, dialogs = open_page(browser, hostile_server + path, "path.leaflet-interactive")
    mouse_over_and_click_the_map(page)
    shown = "\n".join(page.evaluate(OPEN_EVERY_DETAIL))
    assert_nothing_ran(page, dialogs, path)
    for name in AREA_NAMES:
        assert name in shown, f"{path}: {name!r} not shown as text"
    if path.startswith("/maps/supply"):
        assert "Einrichtung" in shown  # the facilities' tooltips (their names are AREA_NAMES too)
    if path.startswith("/maps/indices"):
        assert EXCLUSION_REASON in shown
        assert INDEX_NAME in page.locator("#legend").text_content() and INDEX_NAME in page.title()
    if path.startswith("/explorer"):
        controls = page.locator(".leaflet-control-layers").text_content()
        assert INDICATOR_NAME in controls and LEVEL_PLURAL in controls
    if path.startswith("/maps/hotspots"):
        assert INDICATOR_NAME in page.locator("#legend").text_content()
    context.close()


@pytest.mark.parametrize("path,ready", OTHER_PAGES, ids=[p for p, _ in OTHER_PAGES])
def test_no_page_runs_markup_from_names(browser, hostile_server, path, ready):
    context, page, dialogs = open_page(browser, hostile_server + path, ready)
    if page.locator(".folium-map").count():
        mouse_over_and_click_the_map(page)
        page.evaluate(OPEN_EVERY_DETAIL)
    assert_nothing_ran(page, dialogs, path)
    context.close()
