"""Downloads of a collection at one period: GeoJSON, GeoPackage, FlatGeobuf, CSV (also for German spreadsheets)."""

import csv
import io

import orjson
import pyogrio
import pytest


@pytest.mark.parametrize("fmt", ["gpkg", "fgb"])
def test_file_downloads_hold_every_area_with_its_values(client, tmp_path, fmt):
    response = client.get(f"/collections/plr/download?format={fmt}&datetime=2020")
    assert response.status_code == 200
    assert f'filename="plr_2020-12-31.{fmt}"' in response.headers["content-disposition"]
    path = tmp_path / f"plr.{fmt}"
    path.write_bytes(response.content)
    frame = pyogrio.read_dataframe(path)
    assert len(frame) == 542 and frame.crs.to_epsg() == 4326
    row = frame.set_index("key").loc["01100101"]
    assert row["S1"] == pytest.approx(4.22594) and row["name"] == "Stülerstraße"
    assert frame.geometry.is_valid.all()


def test_geopackage_in_a_projected_crs(client, tmp_path):
    response = client.get("/collections/bez/download?format=gpkg&crs=http://www.opengis.net/def/crs/EPSG/0/25833")
    path = tmp_path / "bez.gpkg"
    path.write_bytes(response.content)
    frame = pyogrio.read_dataframe(path)
    assert frame.crs.to_epsg() == 25833 and frame.area.sum() == pytest.approx(891.1e6, rel=0.01)


def test_the_geopackage_is_version_1_3_which_debian_12_gdal_reads_without_warning(client, tmp_path):
    import sqlite3
    import subprocess

    path = tmp_path / "bez.gpkg"
    path.write_bytes(client.get("/collections/bez/download?format=gpkg").content)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10300
    checked = subprocess.run(["ogrinfo", "-so", "-al", str(path)], capture_output=True, text=True, check=True)
    assert "Warning" not in checked.stderr and "Feature Count: 12" in checked.stdout


def test_geojson_download_streams_the_whole_collection(client):
    response = client.get("/collections/bzr/download?format=geojson")
    body = orjson.loads(response.content)
    assert len(body["features"]) == body["numberReturned"] == 143
    assert response.headers["content-type"] == "application/geo+json"


def test_csv_standard_is_comma_separated_with_decimal_point(client):
    text = client.get("/collections/plr/download?format=csv&datetime=2020").content.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    row = next(r for r in rows if r["key"] == "01100101")
    assert len(rows) == 542 and float(row["S1"]) == pytest.approx(4.22594)


def test_csv_for_german_spreadsheets_uses_semicolon_decimal_comma_and_bom(client):
    raw = client.get("/collections/plr/download?format=csv&datetime=2020&csv_style=de").content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    row = next(r for r in rows if r["key"] == "01100101")
    assert row["S1"].startswith("4,22594") and row["key"] == "01100101" and row["name"] == "Stülerstraße"
