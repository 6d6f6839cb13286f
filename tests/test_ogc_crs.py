"""OGC API - Features Part 2: output CRS and bbox-crs by reference, axis order, Content-Crs."""

import orjson
import pytest
from shapely.geometry import shape

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def first_coordinate(body: dict) -> list[float]:
    geometry = body["features"][0]["geometry"]
    return geometry["coordinates"][0][0][0]


def get(client, url: str) -> tuple[dict, str]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return orjson.loads(response.content), response.headers["content-crs"]


def test_default_is_crs84_longitude_first(client):
    body, header = get(client, "/collections/plr/items?limit=1")
    lon, lat = first_coordinate(body)
    assert header == f"<{CRS84}>" and 13 < lon < 14 and 52 < lat < 53


def test_epsg_4326_puts_latitude_first(client):
    body, header = get(client, f"/collections/plr/items?limit=1&crs={EPSG}4326")
    lat, lon = first_coordinate(body)
    assert header == f"<{EPSG}4326>" and 52 < lat < 53 and 13 < lon < 14


@pytest.mark.parametrize("code, check", [
    (25833, lambda x, y: 370_000 < x < 420_000 and 5_800_000 < y < 5_840_000),
    (25832, lambda x, y: 780_000 < x < 830_000 and 5_800_000 < y < 5_860_000),
    (3035, lambda n, e: 3_250_000 < n < 3_300_000 and 4_520_000 < e < 4_570_000),  # northing first
])
def test_projected_crs_write_metres_in_their_axis_order(client, code, check):
    body, header = get(client, f"/collections/plr/items?limit=1&crs={EPSG}{code}")
    assert header == f"<{EPSG}{code}>" and check(*first_coordinate(body))


def test_projected_areas_match_the_stored_area(client):
    body, _ = get(client, f"/collections/bez/items?limit=20&crs={EPSG}25833")
    total = sum(shape(f["geometry"]).area for f in body["features"])
    assert total == pytest.approx(891.1e6, rel=0.01)  # Berlin: 891 km2


def test_bbox_crs_selects_the_same_areas_in_every_crs(client):
    crs84, _ = get(client, "/collections/plr/items?limit=1000&bbox=13.38,52.51,13.40,52.52")
    latlon, _ = get(client, f"/collections/plr/items?limit=1000&bbox=52.51,13.38,52.52,13.40&bbox-crs={EPSG}4326")
    keys = {f["id"] for f in crs84["features"]}
    assert keys == {f["id"] for f in latlon["features"]} and keys
    utm, _ = get(client, f"/collections/plr/items?limit=1000&bbox=390000,5818000,392000,5820000&bbox-crs={EPSG}25833")
    assert 0 < utm["numberMatched"] < 542


def test_single_item_honours_crs(client):
    response = client.get(f"/collections/plr/items/01100101?crs={EPSG}25833")
    x, y = response.json()["geometry"]["coordinates"][0][0][0]
    assert response.headers["content-crs"] == f"<{EPSG}25833>" and 380_000 < x < 400_000
