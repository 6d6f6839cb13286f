"""A real OGC API - Features client: GDAL's OAPIF driver (Debian gdal-bin) against the running server."""

import shutil
import subprocess

import pyogrio
import pytest

pytestmark = pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="gdal-bin is not installed")
GDAL_ENV = {"GDAL_HTTP_TIMEOUT": "60", "CPL_DEBUG": "OFF", "GDAL_HTTP_UNSAFESSL": "NO"}


def run(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, env=GDAL_ENV)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_ogrinfo_lists_every_collection(live_server):
    out = run("ogrinfo", "-ro", "-q", f"OAPIF:{live_server}/")
    for level in ("plr", "bzr", "pgr", "bez", "stadt"):
        assert f": {level} " in out or f": {level}\n" in out or f" {level} (" in out, out


def test_ogr2ogr_from_the_landing_page_reads_the_latest_period(live_server, tmp_path):
    target = tmp_path / "latest.gpkg"
    run("ogr2ogr", "-f", "GPKG", str(target), f"OAPIF:{live_server}/", "plr")
    frame = pyogrio.read_dataframe(target)
    assert len(frame) == 542 and (frame["period"] == "2022-06-30").all()
    assert frame["EW"].notna().sum() > 500 and frame["EW"].sum() > 3_500_000  # Berlin: 3.7 million people


def test_ogr2ogr_reads_all_planungsraeume_of_2020_with_their_values(live_server, tmp_path):
    target = tmp_path / "plr.gpkg"
    run("ogr2ogr", "-f", "GPKG", str(target), f"OAPIF:{live_server}/collections/plr?datetime=2020", "plr")
    frame = pyogrio.read_dataframe(target)
    assert len(frame) == 542
    row = frame.set_index("key").loc["01100101"]
    assert row["S1"] == pytest.approx(4.22594) and row["name"] == "Stülerstraße"
    assert frame["S1"].notna().sum() == 536
    west, south, east, north = frame.to_crs(4326).total_bounds
    assert 13.0 < west < east < 13.8 and 52.3 < south < north < 52.7
