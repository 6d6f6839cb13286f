"""@camptocamp/ogc-client, the library web-GIS applications (e.g. geOrchestra's datahub) use to read OGC APIs,
run in Node against the live service (issue 19): it must find the feature collections, their queryables and
sortables, the vector tiles through the tilesets link relation, and read items as GeoJSON."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "data" / "ogc-client" / "discover.mjs"


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is installed by scripts/bootstrap.sh")
def test_ogc_client_discovers_collections_queryables_vector_tiles_and_items(live_server):
    run = subprocess.run(["node", str(SCRIPT), live_server, "plr"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    found = json.loads(run.stdout)
    assert found["hasFeatures"] and found["hasTiles"], found
    assert "plr" in found["featureCollections"] and "bez" in found["featureCollections"]
    assert "plr" in found["vectorTileCollections"], found["vectorTileCollections"]
    assert "WebMercatorQuad" in found["tileMatrixSets"]
    assert found["vectorTiles"] == f"{live_server}/collections/plr/tiles/WebMercatorQuad"  # the tileset document
    assert found["tileTemplate"] and "{tileMatrix}" in found["tileTemplate"], found["tileTemplate"]
    assert found["tile"]["status"] == 200 and "mapbox-vector-tile" in found["tile"]["type"], found["tile"]
    assert found["tile"]["bytes"] > 100, found["tile"]  # a tile over central Berlin has planning areas
    assert found["collection"]["queryables"] > 10 and found["collection"]["sortables"] > 0, found["collection"]
    assert "application/geo+json" in found["collection"]["itemFormats"]
    assert len(found["items"]) == 3 and all(len(key) == 8 for key in found["items"]), found["items"]
