"""The map explorer over HTTP: state in the URL, data twins, change maps, friendly 404 pages."""

import csv
import io
import json
import re
import subprocess

import pytest
import sqlalchemy as sa


def test_the_explorer_twin_has_every_planungsraum_with_value_rank_and_class(client):
    body = client.get("/explorer", params={"indicator": "S1", "period": "2020-12-31", "f": "json"}).json()
    assert body["state"]["indicator"] == "S1" and body["state"]["level"] == "plr"
    assert len(body["areas"]) == 542
    classified = [a for a in body["areas"] if a["class"] is not None]
    assert sum(row["count"] for row in body["legend"]) == len(classified) == 542 - body["missing"]
    top = min(classified, key=lambda a: a["rank"])
    assert top["rank"] == 1 and top["value"] == max(a["value"] for a in classified)
    assert top["class"] == len(body["legend"]) - 1
    missing = [a for a in body["areas"] if a["value"] is None]
    assert missing and all(a["reason"] for a in missing)


def test_the_legend_limits_and_counts_follow_the_class_scheme(client):
    quantiles = client.get("/explorer", params={"indicator": "S3", "scheme": "quantiles", "k": 4, "f": "json"}).json()
    jenks = client.get("/explorer", params={"indicator": "S3", "scheme": "fisher_jenks", "k": 4, "f": "json"}).json()
    assert len(quantiles["legend"]) == len(jenks["legend"]) == 4
    counts = [row["count"] for row in quantiles["legend"]]
    assert max(counts) - min(counts) <= 2  # quantiles: equal counts
    assert [r["upper"] for r in quantiles["legend"]] != [r["upper"] for r in jenks["legend"]]
    assert all("–" in row["label_de"] and "," in row["label_de"] for row in quantiles["legend"])


def test_a_change_map_subtracts_the_earlier_period(client):
    body = client.get("/explorer", params={"indicator": "S1", "period": "2020", "compare": "2018",
                                           "f": "json"}).json()
    assert body["state"]["compare"] == "2018-12-31"
    area = next(a for a in body["areas"] if a["value"] is not None)
    assert area["value"] == pytest.approx(area["value_2020-12-31"] - area["value_2018-12-31"])
    assert "→" in body["title_de"]


def test_the_html_page_carries_the_state_controls_legend_and_outlines(client):
    response = client.get("/explorer", params={"indicator": "S4", "scheme": "std_mean"})
    assert response.status_code == 200
    html = response.text
    assert 'value="S4" selected' in html and 'value="std_mean" selected' in html
    assert "Grenzen der Bezirke" in html and 'id="search-input"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html and "cdn." not in html.split("<body>")[0].lower()


def test_the_csv_twin_is_a_table_of_the_areas(client):
    response = client.get("/explorer", params={"indicator": "S1", "f": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 542 and {"key", "name", "value", "rank", "class"} <= set(rows[0])


def geometry_urls(page: str) -> list[str]:
    return [url.replace("\\u0026", "&") for url in re.findall(r'"(/maps/geometry/[^"]+)"', page)]


def test_the_page_carries_values_and_colours_and_loads_the_shapes_separately(client):
    page = client.get("/explorer", params={"indicator": "S1"})
    areas_url, outline_url = geometry_urls(page.text)
    assert "detail=map" in areas_url and "/plr?" in areas_url and "detail=outline" in outline_url
    assert len(page.content) < 300_000, "no geometry in the page"
    shapes = client.get(areas_url)
    assert shapes.status_code == 200 and shapes.headers["content-type"].startswith("application/geo+json")
    features = shapes.json()["features"]
    assert len(features) == 542 and set(features[0]["properties"]) == {"name"}, "shapes and names, no values"
    drawing = json.loads(re.search(r'id="explorer-drawing">(.*?)</script>', page.text, re.S).group(1))
    assert {f["id"] for f in features} >= set(drawing["columns"]["keys"])
    other = client.get("/explorer", params={"indicator": "S3"})
    assert geometry_urls(other.text)[0] == areas_url, "every indicator of a level shares one geometry URL"


def test_the_drawing_carries_each_areas_class_rank_and_texts_once_in_key_order(client):
    """The drawing's columns (web.explorer.area_columns) say per area what the data twin says: class, rank,
    the value as shown, the reason of a missing one; the wording shared by all areas comes once."""
    params = {"indicator": "S1", "period": "2020-12-31", "compare": "2018-12-31"}
    twin = {a["key"]: a for a in client.get("/explorer", params={**params, "f": "json"}).json()["areas"]}
    page = client.get("/explorer", params=params).text
    drawing = json.loads(re.search(r'id="explorer-drawing">(.*?)</script>', page, re.S).group(1))
    columns = drawing["columns"]
    assert sorted(columns["keys"]) == sorted(twin) and len(columns["keys"]) == 542
    assert {len(column) for column in columns.values()} == {542}
    for i, key in enumerate(columns["keys"]):
        area = twin[key]
        assert columns["class"][i] == area["class"] and columns["rank"][i] == area["rank"], key
        if area["value"] is None:
            assert columns["wert"][i].startswith("kein Wert") and area["reason"] in columns["wert"][i], key
        else:
            assert "→" in columns["wert"][i] and columns["wert"][i].startswith("+" if area["value"] > 0 else ""), key
    assert len(drawing["colours"]) == len(drawing["texts"]["classes"]) == 5
    assert drawing["texts"]["rank"] == "{rank} von %d (1 = höchster Wert)" % sum(a["rank"] is not None
                                                                               for a in twin.values())
    assert page.count("(1 = h") == 1, "the rank wording once, not once per area"


def test_a_level_of_thousands_of_areas_gets_no_list_of_every_name_in_its_search_box(client, monkeypatch):
    import web.explorer

    assert '<datalist id="area-names"><option' in client.get("/explorer", params={"indicator": "S1"}).text
    monkeypatch.setattr(web.explorer, "NAME_SUGGESTIONS_UP_TO", 541)  # the 542 Planungsräume count as many
    # a state no other test asks for (the service keeps whole answers per URL and data version)
    page = client.get("/explorer", params={"indicator": "S3", "scheme": "equal_interval", "k": 8}).text
    assert '<datalist id="area-names"></datalist>' in page and 'id="search-input"' in page


def test_simplified_map_geometry_is_much_lighter_than_the_stored_geometry(client):
    simplified = client.get(geometry_urls(client.get("/explorer", params={"indicator": "S1"}).text)[0])
    full = client.get(geometry_urls(client.get("/explorer", params={"indicator": "S1", "detail": "full"}).text)[0])
    assert len(simplified.content) < 0.4 * len(full.content)


@pytest.mark.parametrize("path, status", [("/maps/geometry/kiez?at=2021-01-01", 404),
                                          ("/maps/geometry/plr?at=1999-01-01", 404),
                                          ("/maps/geometry/plr?at=gestern", 400),
                                          ("/maps/geometry/plr?at=2021-01-01&detail=huge", 400)])
def test_bad_geometry_requests_get_a_problem(client, path, status):
    response = client.get(path)
    assert response.status_code == status and response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("params, expected", [
    ({"indicator": "XX9"}, "Den Indikator „XX9“ gibt es nicht"),
    ({"level": "kiez"}, "Die Raumebene „kiez“ gibt es nicht"),
    ({"indicator": "S1", "period": "1999-12-31"}, "keine Werte zum Zeitpunkt „1999-12-31“"),
    ({"scheme": "random"}, "Das Klassifikationsverfahren „random“ gibt es nicht"),
    ({"indicator": "S1", "compare": "1999-12-31", "period": "2020-12-31"}, "nicht vergleichen"),
    ({"index": "no_such_index"}, "Den Index „no_such_index“ gibt es nicht"),
])
def test_unknown_names_in_the_url_give_a_german_404_page_with_valid_links(client, params, expected):
    response = client.get("/explorer", params=params)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert expected in response.text
    assert response.text.count('<li><a href="') >= 1
    assert "Traceback" not in response.text


def test_the_explorers_controls_move_a_date_without_values_to_the_nearest_period_and_say_so(client):
    """nearest=1 (the form sends it): the period, or the comparison date, is moved to the indicator's nearest
    period with a notice instead of a page of choices; without it a link keeps its 404 page of choices."""
    moved = client.get("/explorer", params={"indicator": "S1", "period": "2021-06-30", "nearest": "1"})
    assert moved.status_code == 200
    assert "Für „S1“ gibt es zum 30.06.2021 keine Werte; die Karte zeigt den nächsten Zeitpunkt, 31.12.2020." \
        in moved.text
    assert '<option value="2020-12-31" selected>' in moved.text
    change = client.get("/explorer", params={"indicator": "S1", "period": "2020-12-31", "compare": "2019-06-30",
                                             "nearest": "1", "lang": "en"})
    assert change.status_code == 200  # S1 has every second year: the nearest other period is 31 Dec 2018
    assert ("“S1” has no values for 30 Jun 2019; the change is shown since the nearest period, 31 Dec 2018."
            in change.text)
    twin = client.get("/explorer", params={"indicator": "S1", "period": "2021", "nearest": "1", "f": "json"}).json()
    assert twin["state"]["period"] == "2020-12-31"
    assert client.get("/explorer", params={"indicator": "S1", "period": "2021-06-30"}).status_code == 404
    assert client.get("/explorer", params={"indicator": "S1", "period": "gestern", "nearest": "1"}).status_code == 404


def test_the_explorers_controls_switch_to_an_indicator_of_the_level_chosen_and_say_so(client, demo_engine):
    """A level chosen in the explorer's controls (nearest=1) on which the indicator has no values keeps the level
    and shows the first status indicator it has, said so, instead of ending the walk on a page of choices; a link
    naming both keeps its 404 page of choices."""
    with demo_engine.connect() as conn:
        only_finest = conn.execute(sa.text("""
            SELECT o.indicator_code FROM observation_public o JOIN area a ON a.id = o.area_id
            WHERE a.level_code = 'plr'
            EXCEPT SELECT o.indicator_code FROM observation_public o JOIN area a ON a.id = o.area_id
            WHERE a.level_code = 'bez' ORDER BY 1 LIMIT 1""")).scalar_one()
    params = {"indicator": only_finest, "level": "bez", "nearest": "1"}
    moved = client.get("/explorer", params=params)
    assert moved.status_code == 200, moved.text[:300]
    assert f"Für „{only_finest}“ gibt es auf der Ebene Bezirke keine Werte; die Karte zeigt stattdessen" in moved.text
    twin = client.get("/explorer", params={**params, "f": "json"}).json()
    assert twin["state"]["level"] == "bez" and twin["state"]["indicator"] != only_finest
    assert any(area["value"] is not None for area in twin["areas"])
    english = client.get("/explorer", params={**params, "lang": "en"})
    assert f"“{only_finest}” has no values on the level" in english.text
    assert client.get("/explorer", params={"indicator": only_finest, "level": "bez"}).status_code == 404


def test_class_limits_from_the_whole_series_are_the_same_in_every_period(client):
    """limits=series: one classification of every period's values (the population every half-year): each
    period's map has the same legend limits, a value falls into the class those limits give it in every
    period, and the page and the exported sheet say where the limits come from. A change map keeps its own."""
    def twin(period: str, limits: str = "series") -> dict:
        return client.get("/explorer", params={"indicator": "EW_MH", "level": "plr", "period": period,
                                               "limits": limits, "f": "json"}).json()

    newest, oldest = twin("2024-12-31"), twin("2021-06-30")
    assert newest["state"]["limits"] == oldest["state"]["limits"] == "series"
    limits = [(row["lower"], row["upper"]) for row in newest["legend"]]
    assert limits == [(row["lower"], row["upper"]) for row in oldest["legend"]]
    assert limits != [(row["lower"], row["upper"]) for row in twin("2021-06-30", "period")["legend"]]
    uppers = [row["upper"] for row in newest["legend"]]
    for body in (newest, oldest):
        for area in body["areas"]:
            if area["value"] is not None:  # the first limit not below the value (values rounded as shown)
                assert area["class"] == next(i for i, upper in enumerate(uppers)
                                             if round(area["value"], 1) <= upper or i == len(uppers) - 1)
        assert sum(row["count"] for row in body["legend"]) == sum(1 for a in body["areas"] if a["value"] is not None)
    page = client.get("/explorer", params={"indicator": "EW_MH", "level": "plr", "limits": "series"})
    assert "Klassengrenzen aus allen" in page.text and '<option value="series" selected>' in page.text
    sheet = client.get("/explorer", params={"indicator": "EW_MH", "level": "plr", "limits": "series", "f": "pdf"})
    text = subprocess.run(["pdftotext", "-", "-"], input=sheet.content, capture_output=True, check=True).stdout
    assert "Klassengrenzen aus allen Zeitpunkten" in " ".join(text.decode().split())
    change = client.get("/explorer", params={"indicator": "S1", "period": "2020-12-31", "compare": "2018-12-31",
                                             "limits": "series"})
    assert "die Veränderung wird für sich klassifiziert" in change.text
    assert client.get("/explorer", params={"limits": "forever"}).status_code == 404


def test_the_old_map_url_opens_the_explorer_with_its_state(client):
    response = client.get("/maps/indicators/S3", params={"period": "2018"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].startswith("/explorer?indicator=S3")
    assert "period=2018" in response.headers["location"]


def test_higher_levels_show_their_rolled_up_values(client):
    body = client.get("/explorer", params={"indicator": "S1", "level": "bez", "f": "json"}).json()
    assert len(body["areas"]) == 12
    assert sum(1 for a in body["areas"] if a["value"] is not None) == 12


def test_a_period_moved_onto_its_comparison_shows_that_period_and_says_why(client):
    response = client.get("/explorer", params={"indicator": "S1", "compare": "2020-12-31", "period": "2020-12-31"})
    assert response.status_code == 200
    assert "nicht mit sich selbst vergleichen" in response.text
    body = client.get("/explorer", params={"indicator": "S1", "compare": "2020-12-31", "period": "2020-12-31",
                                           "f": "json"}).json()
    assert body["state"]["compare"] is None and body["state"]["notices"]


def test_the_mss_index_classes_are_not_offered_for_shares_and_a_link_with_them_falls_back(client):
    page = client.get("/explorer", params={"indicator": "S1"}).text
    assert 'value="mss_sd"' not in page
    adjusted = client.get("/explorer", params={"indicator": "S1", "scheme": "mss_sd", "f": "json"}).json()
    assert adjusted["state"]["scheme"] == "quantiles" and "Indexwerten" in adjusted["state"]["notices"][0]
    # a share map with the MSS limits would put nearly every area into one class; quantiles spread them
    assert max(row["count"] for row in adjusted["legend"]) < 0.5 * sum(row["count"] for row in adjusted["legend"])


@pytest.mark.parametrize("k", range(2, 10))
def test_every_class_count_gets_its_own_colour_and_every_value_lies_within_its_shown_limits(client, k):
    body = client.get("/explorer", params={"indicator": "S4", "k": k, "f": "json"}).json()
    colours = [row["colour"] for row in body["legend"]]
    assert len(set(colours)) == len(colours) == len(body["legend"])
    for area in body["areas"]:
        if area["value"] is None:
            continue
        shown = round(area["value"], 2)  # as the tooltip shows it
        row = body["legend"][area["class"]]
        assert row["lower"] is None or shown > row["lower"] or (area["class"] == 0), (area, row)
        assert shown <= row["upper"], (area, row)


def test_the_indicator_list_offers_only_indicators_with_values_on_the_level(client, demo_engine):
    with demo_engine.connect() as conn:
        without = set(conn.execute(sa.text(
            "SELECT code FROM indicator WHERE code NOT IN (SELECT DISTINCT o.indicator_code FROM observation_public o "
            "JOIN area a ON a.id = o.area_id WHERE a.level_code = 'bez')")).scalars())
    page = client.get("/explorer", params={"indicator": "S1", "level": "bez"}).text
    assert without, "the demo should have an indicator without values on the Bezirk level"
    assert not [code for code in without if f'<option value="{code}"' in page]


def test_the_map_exports_as_a_sheet_with_title_legend_source_and_date(client):
    params = {"indicator": "S1", "period": "2020-12-31", "compare": "2018-12-31", "index": "mss_2021_gesamtindex"}
    twin = client.get("/explorer", params={**params, "f": "json"}).json()
    png = client.get("/explorer", params={**params, "f": "png"})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert 'filename="karte_S1_plr_2020-12-31.png"' in png.headers["content-disposition"]
    from PIL import Image

    image = Image.open(io.BytesIO(png.content))
    assert image.size == (2338, 1654), "A4 landscape at 200 dpi"
    pdf = client.get("/explorer", params={**params, "f": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
                          ).stdout.decode()
    flat = " ".join(text.split())
    assert twin["title_de"] in flat and "Quelle:" in flat and "Gebietsstand" in flat and "Erstellt am" in flat
    for row in twin["legend"]:
        assert f"{row['label_de']} ({row['count']} Gebiete)" in flat, row
    attention = len(twin["index"]["attention"])
    assert f"Aufmerksamkeitsbedarf ({attention})" in flat


def test_counts_are_mapped_as_densities_per_square_kilometre(client, demo_engine):
    twin = client.get("/explorer", params={"indicator": "EW", "level": "bzr", "f": "json"}).json()
    assert twin["title_de"].startswith("Einwohnerinnen und Einwohner in Personen je km²")
    with demo_engine.connect() as conn:
        km2 = dict(conn.execute(sa.text("SELECT key, area_m2 / 1e6 FROM area WHERE level_code = 'bzr' "
                                        "AND valid_to IS NULL")).all())
    for area in twin["areas"]:
        if area["count"] is not None:
            assert area["value"] == pytest.approx(area["count"] / km2[area["key"]], abs=0.05), area
    ranked = sorted((a for a in twin["areas"] if a["value"] is not None), key=lambda a: a["rank"])
    assert [a["value"] for a in ranked] == sorted((a["value"] for a in ranked), reverse=True)
    page = client.get("/explorer", params={"indicator": "EW", "level": "bzr"}).text
    assert "als Dichte je km²" in page


def test_the_gesamtindex_legend_is_the_status_by_dynamics_grid_with_counts(client):
    html = client.get("/maps/indices/mss_2021_gesamtindex").text
    grid = html.split('<table class="grid"')[1].split("</table>")[0]
    rows = re.findall(r'<tr><th scope="row">(\d)', grid)
    cells = re.findall(r'<span class="cell"[^>]*>([^<]+)</span> <span class="count">(\d+)</span>', grid)
    assert rows == ["1", "2", "3", "4"] and len(cells) == 12
    assert [code for code, _n in cells[:3]] == ["1+", "1+/-", "1-"]
    results = client.get("/api/indices/mss_2021_gesamtindex/results", params={"f": "json"}).json()
    areas = results.get("areas") or results.get("results") or results
    counted = {}
    for area in areas:
        if area.get("class"):
            counted[area["class"]] = counted.get(area["class"], 0) + 1
    assert {code: int(n) for code, n in cells if int(n)} == counted
