"""Vector tiles (OGC API - Tiles, WebMercatorQuad, MVT) and TileJSON for MapLibre."""

import mapbox_vector_tile
import pytest

from geo.tiles import lonlat_to_tile

X, Y = lonlat_to_tile(13.4132, 52.5219, 12)  # Alexanderplatz


def test_a_tile_over_central_berlin_has_areas_with_the_period_values(client):
    response = client.get(f"/collections/plr/tiles/WebMercatorQuad/12/{Y}/{X}?datetime=2020")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layer = mapbox_vector_tile.decode(response.content)["plr"]
    assert 10 < len(layer["features"]) < 200
    feature = next(f for f in layer["features"] if f["properties"].get("S1") is not None)
    expected = client.get(f"/collections/plr/items/{feature['properties']['key']}?datetime=2020").json()
    assert feature["properties"]["S1"] == pytest.approx(expected["properties"]["S1"])
    assert feature["properties"]["period"] == "2020-12-31"
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    xs = [x for ring in feature["geometry"]["coordinates"] for x, _ in (ring if feature["geometry"]["type"] == "Polygon"
                                                                         else ring[0])]
    assert all(-64 <= x <= 4096 + 64 for x in xs)


def test_a_tile_in_the_atlantic_is_empty(client):
    response = client.get("/collections/plr/tiles/WebMercatorQuad/12/1500/1500")
    assert response.status_code == 204 and response.content == b""


def test_tilejson_points_maplibre_at_the_tiles(client):
    body = client.get("/collections/plr/tiles/WebMercatorQuad/tilejson.json?datetime=2020").json()
    assert body["tilejson"] == "3.0.0"
    assert body["tiles"][0].endswith("/collections/plr/tiles/WebMercatorQuad/{z}/{y}/{x}?datetime=2020")
    assert body["vector_layers"][0]["id"] == "plr" and "S1" in body["vector_layers"][0]["fields"]
    west, south, east, north = body["bounds"]
    assert 13 < west < east < 14 and 52 < south < north < 53


def test_tile_matrix_set_and_tileset_metadata(client):
    tms = client.get("/tileMatrixSets/WebMercatorQuad").json()
    assert tms["crs"].endswith("3857") and tms["tileMatrices"][12]["matrixWidth"] == 4096
    assert client.get("/tileMatrixSets").json()["tileMatrixSets"][0]["id"] == "WebMercatorQuad"
    tilesets = client.get("/collections/plr/tiles").json()["tilesets"]
    template = next(link for link in tilesets[0]["links"] if link["rel"] == "item")
    assert template["templated"] and "{tileMatrix}/{tileRow}/{tileCol}" in template["href"]
    assert client.get("/collections/plr/tiles/WebMercatorQuad").json()["dataType"] == "vector"
