"""Two maps side by side (/explorer/vergleich, web/compare.py): one indicator at two periods shares its class
limits (the same colour means the same range on both maps), two indicators keep their own; in Chromium both
maps draw, a pan of one moves the other, a reload keeps both, and a phone stacks them."""

from __future__ import annotations

import pytest

from tests.test_disconnects import wait_for
from web.values import decimals_for

COMPARE = "/explorer/vergleich?indicator=S1&level=plr&left=2018-12-31&right=2020-12-31"
POLYGONS = "path.leaflet-interactive"


def test_two_periods_of_one_indicator_share_their_classes(client):
    body = client.get(COMPARE + "&f=json").json()
    assert body["shared_classes"] is True
    left, right = body["left"], body["right"]
    assert (left["state"]["period"], right["state"]["period"]) == ("2018-12-31", "2020-12-31")
    limits = [(row["lower"], row["upper"], row["colour"]) for row in left["legend"]]
    assert limits == [(row["lower"], row["upper"], row["colour"]) for row in right["legend"]]
    # one classification over both maps: every value, as shown, lies inside the limits of its class, on both
    decimals = decimals_for(left["indicator"]["unit"])
    for side in (left, right):
        for area in side["areas"]:
            if area["value"] is None:
                assert area["class"] is None
                continue
            row = side["legend"][area["class"]]
            shown = round(area["value"], decimals)
            assert (row["lower"] is None or shown > row["lower"]) and shown <= row["upper"], (area, row)
    # quantiles of the pooled values: each class holds about a fifth of the values of both maps together
    pooled = [left["legend"][i]["count"] + right["legend"][i]["count"] for i in range(len(left["legend"]))]
    assert max(pooled) - min(pooled) <= 0.2 * sum(pooled) / len(pooled) + 5
    # the classes of one map alone would differ: the 2018 map is not simply quantiles of 2018
    own = client.get("/explorer?indicator=S1&level=plr&period=2018-12-31&f=json").json()
    assert [r["upper"] for r in own["legend"]] != [r["upper"] for r in left["legend"]]


def test_two_indicators_keep_their_own_classes_and_the_left_period_defaults_to_the_right_one(client):
    body = client.get("/explorer/vergleich?indicator=S1&indicator_right=S3&level=plr&right=2020-12-31&f=json").json()
    assert body["shared_classes"] is False
    assert body["left"]["state"]["period"] == body["right"]["state"]["period"] == "2020-12-31"
    assert [r["upper"] for r in body["left"]["legend"]] != [r["upper"] for r in body["right"]["legend"]]


def test_an_impossible_choice_answers_with_the_ways_that_work(client):
    response = client.get("/explorer/vergleich?indicator=S1&level=plr&left=1999-12-31")
    assert response.status_code == 404
    assert "31.12.2020" in response.text and "/explorer?" in response.text


def test_the_form_moves_a_date_an_indicator_lacks_to_its_nearest_period_and_names_the_side(client):
    """The page's form sends nearest=1: another indicator on the left at the population's half-year date shows
    its nearest period, said for that side; the same choice as a link without it keeps the 404 of choices."""
    params = {"indicator": "S1", "indicator_right": "EW_MH", "level": "plr", "left": "2021-06-30",
              "right": "2021-06-30"}
    assert client.get("/explorer/vergleich", params=params).status_code == 404
    moved = client.get("/explorer/vergleich", params={**params, "nearest": "1"})
    assert moved.status_code == 200
    assert ("Linke Karte: Für „S1“ gibt es zum 30.06.2021 keine Werte; die Karte zeigt den nächsten Zeitpunkt, "
            "31.12.2020.") in moved.text
    assert "Rechte Karte:" not in moved.text  # the right map shows the date asked for
    english = client.get("/explorer/vergleich", params={**params, "nearest": "1", "lang": "en"})
    assert "Left map: “S1” has no values for 30 Jun 2021; the map shows the nearest period, 31 Dec 2020." \
        in english.text
    assert '<input type="hidden" name="nearest" value="1">' in moved.text


def view(page, side: str) -> tuple[float, ...]:
    """Centre and zoom of one map (compare.js writes them to data-view after every move)."""
    return tuple(float(part) for part in (page.locator(f"#map-{side}").get_attribute("data-view") or "0,0,0").split(","))


def same_view(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Same zoom, centres within a pixel or so (each map rounds its own centre to whole pixels)."""
    return a[2] == b[2] and abs(a[0] - b[0]) < 1e-3 and abs(a[1] - b[1]) < 1e-3


@pytest.mark.browser
def test_both_maps_draw_move_together_survive_a_reload_and_stack_on_a_phone(browser, live_server, artifacts):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    twin = page.request.get(live_server + COMPARE + "&f=json").json()
    # 31.12.2018 lies in the 447-area key system, 31.12.2020 on today's 542 areas (docs/history.md)
    count = {side: len(twin[side]["areas"]) for side in ("left", "right")}
    assert count == {"left": 447, "right": 542}
    page.goto(live_server + COMPARE, wait_until="load")
    for side in ("left", "right"):
        page.wait_for_selector(f"#map-{side}[data-ready='{count[side]}']", state="attached", timeout=20_000)
        assert page.locator(f"#map-{side} {POLYGONS}").count() == count[side]
    assert "verschiedene Gebietsstände" in page.locator("main").inner_text()
    assert "Legende beider Karten" in page.locator("#legend-right").inner_text()
    before = view(page, "right")
    assert same_view(before, view(page, "left"))
    box = page.locator("#map-left").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 120, box["y"] + box["height"] / 2 - 60, steps=8)
    page.mouse.up()
    wait_for(lambda: not same_view(view(page, "right"), before) and same_view(view(page, "right"), view(page, "left")),
             "the right map follows the pan of the left one", seconds=10)
    page.screenshot(path=str(artifacts / "compare_maps.png"))
    page.reload(wait_until="load")
    for side in ("left", "right"):
        page.wait_for_selector(f"#map-{side}[data-ready='{count[side]}']", state="attached", timeout=20_000)
    page.close()
    phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                             has_touch=True)
    phone.goto(live_server + COMPARE, wait_until="load")
    phone.wait_for_selector("#map-right[data-ready='542']", state="attached", timeout=20_000)
    left, right = phone.locator("#map-left").bounding_box(), phone.locator("#map-right").bounding_box()
    assert right["y"] >= left["y"] + left["height"]  # stacked, each as wide as the screen allows
    assert left["width"] > 300 and left["x"] + left["width"] <= 390
    phone.screenshot(path=str(artifacts / "compare_maps_phone.png"), full_page=True)
    phone.close()


@pytest.mark.browser
def test_on_the_same_boundaries_each_map_explains_its_own_indicator(browser, live_server):
    """Both sides draw the same shapes (one download); each side's tooltip shows its own indicator's value."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    url = "/explorer/vergleich?indicator=S1&indicator_right=S3&level=plr&right=2020-12-31"
    twin = page.request.get(live_server + url + "&f=json").json()
    page.goto(live_server + url, wait_until="load")
    shown = {}
    for side in ("left", "right"):
        page.wait_for_selector(f"#map-{side}[data-ready='542']", state="attached", timeout=20_000)
    for side in ("left", "right"):
        box = page.locator(f"#map-{side}").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tooltip = page.locator(f"#map-{side} .leaflet-tooltip")
        tooltip.wait_for(state="visible", timeout=10_000)
        shown[side] = tooltip.inner_text()
        page.mouse.move(box["x"] + 2, box["y"] + box["height"] - 2)  # away, so that the tooltip closes
        tooltip.wait_for(state="detached", timeout=10_000)
    key = next(line.split("\t")[-1].strip() for line in shown["left"].splitlines() if line.startswith("Schlüssel"))
    assert key in shown["right"], "the same area under the centre of both maps"
    values = {side: next(a for a in twin[side]["areas"] if a["key"] == key) for side in ("left", "right")}
    assert values["left"]["value"] != values["right"]["value"]
    assert shown["left"] != shown["right"], "each map explains its own indicator"
    page.close()
