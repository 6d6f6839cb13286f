"""Bad requests to the OGC endpoints answer 400/404 with an OGC-style problem body, never 500."""

import pytest

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


@pytest.mark.parametrize("query", [
    "crs=EPSG:9999", "crs=http://www.opengis.net/def/crs/EPSG/0/31468", f"bbox-crs={EPSG}2056&bbox=1,2,3,4",
    "bbox=13.5,52.6,13.4,52.5", "bbox=13.4,52.5,13.5", "bbox=nan,52.5,13.5,52.6", "bbox=13,52,inf,53",
    "bbox=200,52,201,53", "limit=0", "limit=1e3", "limit=ten", "offset=-1",
    "properties=S1,NOPE", "area_m2=5", "geom=1", "S1=abc", "datetime=1999", "datetime=2030-01-01/2031-01-01",
    "datetime=yesterday", "zoom=40", "simplify=-1",
])
def test_bad_item_request_is_a_400_problem(client, query):
    response = client.get(f"/collections/plr/items?datetime=2020&{query}" if "datetime" not in query
                          else f"/collections/plr/items?{query}")
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400 and body["code"] == "BadRequest" and body["description"]


@pytest.mark.parametrize("url", [
    "/collections/nope/items", "/collections/nope/queryables", "/collections/plr/items/nope",
    "/collections/nope/tiles/WebMercatorQuad/12/1343/2200", "/collections/plr/tiles/NoSuchTms/1/0/0",
    "/tileMatrixSets/nope",
])
def test_unknown_resources_are_404_problems(client, url):
    response = client.get(url)
    assert response.status_code == 404 and response.json()["code"] == "NotFound"


@pytest.mark.parametrize("url", [
    "/collections/plr/tiles/WebMercatorQuad/3/8/0", "/collections/plr/tiles/WebMercatorQuad/30/0/0",
    "/collections/plr/download?format=shp", "/collections/plr/download?crs=EPSG:1",
])
def test_bad_tile_and_download_requests_are_400(client, url):
    assert client.get(url).status_code == 400


def test_unknown_crs_lists_the_supported_ones(client):
    body = client.get("/collections/plr/items?crs=EPSG:31468").json()
    assert f"{EPSG}25833" in body["supported"]


def test_datetime_outside_the_data_lists_the_periods_that_exist(client):
    body = client.get("/collections/plr/items?datetime=2030").json()
    periods = body["available_periods"]
    assert periods[0] == "2024-12-31" and periods[-1] == "2012-12-31" and periods == sorted(periods, reverse=True)
    assert {"2022-06-30", "2020-12-31", "2018-12-31"} <= set(periods)
