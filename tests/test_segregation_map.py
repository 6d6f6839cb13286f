"""The map of the local segregation measures on the segregation page (issue 16, docs/integration.md §1): the
classes the page computes for each area (location quotient around 1, local entropy in quantiles) against the
numbers of the local measures' JSON twin, and the map in a real browser: drawn from the GeoJSON twin, a tooltip
with the area's numbers, the switch to local entropy, reload, back/forward, a phone's width, and an area left out
for confidentiality drawn grey with its reason."""

from __future__ import annotations

import html
import json
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import serving
from tests.test_pages_revisit import WATCH_VIOLATIONS
from tests.test_segregation import FOREIGNERS, latest_period

PAGE = f"/api/segregation?{FOREIGNERS}&within=bez&f=html"
LQ_LABELS = ["≤ 0,5", "0,5 – 0,8", "0,8 – 1,25", "1,25 – 2", "> 2"]
POLYGONS = "#segregation-map path.leaflet-interactive"


def map_data(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="segregation-map-data">(.*?)</script>', page,
                                re.S).group(1))


def geojson_url(page: str) -> str:
    return html.unescape(re.search(r'data-geojson="([^"]+)"', page).group(1))


def lq_class(lq: float | None) -> int | None:
    """The page's classes of the location quotient, written out: upper limits 0.5, 0.8, 1.25, 2 (inclusive)."""
    return None if lq is None else sum(round(lq, 2) > limit for limit in (0.5, 0.8, 1.25, 2))


def test_the_page_classes_every_area_as_its_local_measures_say(client: TestClient):
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.text
    assert 'id="segregation-map"' in text and "/static/segregation-map.js" in text and "<script>" not in text
    assert "Standortquotient: Anteil im Gebiet / Anteil insgesamt (Stadt)" in text  # the top level's name
    legend = re.search(r'<div class="legend" id="legend-lq".*?<div class="legend" id="legend-entropy"', text,
                       re.S).group(0)
    rows = re.findall(r'data-class="(\d)"><span class="swatch"[^>]*></span><span>(.*?) <span class="count">\((\d+) '
                      r'Gebiete\)', legend)
    assert [html.unescape(label).split(" (")[0] for _i, label, _n in rows] == LQ_LABELS
    url = geojson_url(text)
    assert url.startswith("/api/segregation/local?") and "f=geojson" in url and "period=2024-12-31" in url
    data = map_data(text)
    local = client.get("/api/segregation/local?" + url.split("?", 1)[1].replace("&f=geojson", "")).json()
    areas = {a["key"]: a for a in local["areas"]}
    assert set(data["classes"]) == set(areas) and data["group"] == "EW_AUSL" and data["dropped"] == {}
    for key, (lq, _entropy) in data["classes"].items():
        assert lq == lq_class(areas[key]["EW_AUSL_lq"]), key
    counts = [int(n) for _i, _label, n in rows]
    assert counts == [sum(c[0] == i for c in data["classes"].values()) for i in range(5)]
    empty = [key for key, area in areas.items() if area["total"] == 0]  # no inhabitants: no value, no class
    assert sum(counts) + len(empty) == len(areas) == 542
    assert all(data["classes"][key] == [None, None] for key in empty)
    if empty:
        assert f"kein Wert <span class=\"count\">({len(empty)} Gebiete)" in legend
    # local entropy in quantiles: about as many areas per class, and a higher entropy never in a lower class
    by_class: dict[int, list[float]] = {}
    for key, (_lq, entropy) in data["classes"].items():
        if entropy is not None:
            by_class.setdefault(entropy, []).append(areas[key]["local_entropy"])
    assert sorted(by_class) == list(range(len(data["colours"]["entropy"]))) == [0, 1, 2, 3, 4]
    sizes = [len(values) for values in by_class.values()]  # ties of the rounded values keep them from being equal
    assert 0.8 * sum(sizes) / 5 <= min(sizes) <= max(sizes) <= 1.2 * sum(sizes) / 5
    assert all(max(by_class[i]) <= min(by_class[i + 1]) + 0.005 for i in range(4))
    shapes = client.get(url).json()
    assert len(shapes["features"]) == len(areas)
    english = client.get(PAGE + "&lang=en").text
    assert "Location quotient: share in the area / share overall (City)" in english and "Local entropy" in english
    assert map_data(english)["texts"]["contribution"] == "Contribution to D"


def test_the_map_shows_the_period_asked_for_or_the_latest_of_the_page(client: TestClient):
    assert "period=2020-12-31" in geojson_url(client.get(f"/api/segregation?{FOREIGNERS}&period=2020&f=html").text)
    every = client.get(f"/api/segregation?{FOREIGNERS}&period=all&spatial=false&f=html").text
    assert "period=2024-12-31" in geojson_url(every) and "Stichtag 31.12.2024" in every


def coloured_by(page, data: dict, measure: str) -> bool:
    """Every area in a colour of the measure's classes (or grey: no value), and every class on the map."""
    fills = set(page.eval_on_selector_all(POLYGONS, "paths => paths.map(p => p.getAttribute('fill'))"))
    return set(data["colours"][measure]) <= fills <= {*data["colours"][measure], data["missing"]}


def wait_drawn(page, count: int) -> None:
    page.wait_for_function(f"() => document.getElementById('segregation-map').dataset.ready === '{count}'",
                           timeout=20_000)
    assert page.locator(POLYGONS).count() == count  # one drawing, however often the page was shown
    assert page.locator("#segregation-map.leaflet-container").count() == 1


@pytest.mark.browser
def test_the_map_draws_explains_switches_and_survives_reload_back_and_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    page.goto(live_server + PAGE, wait_until="load")
    data = map_data(page.content())
    shapes = page.request.get(live_server + geojson_url(page.content())).json()
    by_key = {f["properties"]["key"]: f["properties"] for f in shapes["features"]}
    wait_drawn(page, len(shapes["features"]))
    assert coloured_by(page, data, "lq")
    box = page.locator("#segregation-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = page.locator("#segregation-map .leaflet-tooltip")
    tooltip.wait_for(state="visible", timeout=5_000)
    shown = tooltip.inner_text()
    key = next(line.split("\t")[-1].strip() for line in shown.splitlines() if line.startswith("Schlüssel"))
    area = by_key[key]
    assert area["name"] in shown
    assert f"Standortquotient\t{area['EW_AUSL_lq']:.2f}".replace(".", ",") in shown
    assert f"Lokale Entropie\t{area['local_entropy']:.2f}".replace(".", ",") in shown
    assert "Beitrag zu D" in shown and f"{area['EW_AUSL']:,.0f}".replace(",", ".") in shown

    page.get_by_label("Lokale Entropie").check()
    page.wait_for_function("() => document.getElementById('segregation-map').dataset.measure === 'entropy'")
    assert coloured_by(page, data, "entropy")
    assert page.locator("#legend-entropy").is_visible() and not page.locator("#legend-lq").is_visible()

    page.reload(wait_until="load")
    wait_drawn(page, len(shapes["features"]))
    measure = page.eval_on_selector("input[name='segregation-measure']:checked", "input => input.value")
    assert page.get_attribute("#segregation-map", "data-measure") == measure  # colours follow the switch as shown
    assert coloured_by(page, data, measure)
    assert page.locator(f"#legend-{measure}").is_visible()
    page.goto(live_server + "/", wait_until="load")
    page.go_back(wait_until="load")
    wait_drawn(page, len(shapes["features"]))
    page.go_forward(wait_until="load")
    page.go_back(wait_until="load")
    wait_drawn(page, len(shapes["features"]))
    assert page.evaluate("window.__violations") == []
    context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                has_touch=True)
    small = phone.new_page()
    small.goto(live_server + PAGE, wait_until="load")
    wait_drawn(small, len(shapes["features"]))
    small.locator("#segregation-map").scroll_into_view_if_needed()
    shown = small.locator("#segregation-map").bounding_box()
    assert shown["width"] >= 330 and shown["x"] >= 0 and shown["x"] + shown["width"] <= 390 and shown["height"] >= 280
    assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "sideways at 390 px"
    phone.close()


@pytest.mark.browser
def test_an_area_left_out_is_drawn_grey_and_says_why(browser, fresh_engine):
    with fresh_engine.begin() as conn:
        key, obs_id = conn.execute(sa.text("""
            SELECT a.key, o.id FROM observation_current o JOIN area a ON a.id = o.area_id
            WHERE o.indicator_code = 'EW_AUSL' AND a.level_code = 'plr' AND o.value > 100 AND o.period = :period
            ORDER BY a.key LIMIT 1"""), {"period": latest_period(fresh_engine)}).one()
        conn.execute(sa.text("""INSERT INTO disclosure (observation_id, indicator_code, rule, reason)
                                VALUES (:id, 'EW_AUSL', 'primary', 'test')"""), {"id": obs_id})
    with serving(fresh_engine) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/api/segregation?{FOREIGNERS}&spatial=false&f=html", wait_until="load")
        data = map_data(page.content())
        assert data["dropped"] == {key: ["confidential", "EW_AUSL"]}
        wait_drawn(page, len(data["classes"]) + 1)  # the area left out is drawn too
        grey = page.locator(f"{POLYGONS}[fill='{data['droppedColour']}']")
        assert grey.count() == 1
        box = grey.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tooltip = page.locator("#segregation-map .leaflet-tooltip")
        tooltip.wait_for(state="visible", timeout=5_000)
        assert f"Schlüssel\t{key}" in tooltip.inner_text()
        assert "geheim/keine Angabe\tgesperrt: EW_AUSL" in tooltip.inner_text()
        assert "Standortquotient" not in tooltip.inner_text()  # no measure of an area left out
        assert "geheim/keine Angabe (1 Gebiete)" in page.locator("#legend-lq").inner_text()
        page.close()
