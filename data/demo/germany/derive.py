"""Regenerate the files in derived/ from the published files in ../shared/data/germany (or the directory given):
`python data/demo/germany/derive.py [SOURCE]`.

- derived/VG5000_STA_land.shp.zip, derived/VG5000_LAN_land.shp.zip: Germany and its 16 Länder without their
  coastal waters and Lake Constance (VG5000 attribute GF = 9: land; the published files add GF = 8 features for
  the waters, under the same key, which a boundary import refuses as duplicate keys). Germany gets the field
  `SCHLUESSEL` = "DG", the key the statistics offices' tables use for Deutschland. Geometry unchanged (EPSG:31467).
- derived/inkar2021_*_kreise.csv: the INKAR 2021 Kreis tables with the Kreis key `krs` (5-digit AGS) in front:
  INKAR writes the Kreis key as 8 digits (AGS + "000"); values unchanged.
"""

import sys
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

HERE = Path(__file__).resolve().parent
SOURCE = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[3] / "shared" / "data" / "germany"


def land_only(name: str, out: str, extra: dict | None = None) -> None:
    frame = gpd.read_file(SOURCE / "vg5000_2021" / f"{name}.shp.zip", engine="pyogrio")
    frame = frame[frame["GF"] == 9].copy()
    for column, value in (extra or {}).items():
        frame.insert(0, column, value)
    with tempfile.TemporaryDirectory() as tmp:
        frame.to_file(Path(tmp) / f"{out}.shp", engine="pyogrio", encoding="UTF-8")
        with zipfile.ZipFile(HERE / "derived" / f"{out}.shp.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(tmp).iterdir()):
                archive.write(part, part.name)


def inkar_with_kreis_key(name: str) -> None:
    table = pd.read_csv(SOURCE / "inkar_2021" / f"{name}.csv", sep=";", dtype={"kennziffer": str})
    assert table["kennziffer"].str.fullmatch(r"\d{5}000").all(), "INKAR Kreis keys are AGS + 000"
    table.insert(0, "krs", table["kennziffer"].str[:5])
    table.to_csv(HERE / "derived" / f"{name}.csv", sep=";", index=False)


if __name__ == "__main__":
    land_only("VG5000_STA", "VG5000_STA_land", {"SCHLUESSEL": "DG"})
    land_only("VG5000_LAN", "VG5000_LAN_land")
    inkar_with_kreis_key("inkar2021_sozialleistungen_kreise")
    inkar_with_kreis_key("inkar2021_versorgung_kreise")
